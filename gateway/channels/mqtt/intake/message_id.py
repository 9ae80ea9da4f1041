"""The messageId of a message the reader refused, when it can be read without parsing the message again.

A document that failed the safety layer or the schema is not parsed a second time: a bounded scan of its
first ``SCAN_BYTES`` looks for one ``<messageId ...>text</messageId>`` (any namespace prefix). Text with
markup or an entity reference (``<``, ``>``, ``&``) is not taken, so nothing is ever expanded; an id that
is not a valid FpML message id (empty, or longer than 255 characters) is not taken either. The answer
(``messageRejected``) then names it in ``inReplyTo`` so the source can match it.
"""

from __future__ import annotations

import re

SCAN_BYTES = 16 * 1024  # the header comes first; a message id further in is not looked for
MAX_ID_CHARS = 255  # FpML MessageId: a non-empty normalized string of at most 255 characters
_NAME = rb"(?:[A-Za-z_][A-Za-z0-9_.\-]*:)?messageId"
_MESSAGE_ID = re.compile(rb"<" + _NAME + rb"(?:\s[^<>]*)?>([^<>&]{1,1024})</" + _NAME + rb"\s*>")


def readable_message_id(payload: bytes) -> str | None:
    """The message id in the first ``SCAN_BYTES`` of ``payload``, whitespace normalised; None if there is
    none that can be read as text."""
    found = _MESSAGE_ID.search(payload[:SCAN_BYTES])
    if found is None:
        return None
    try:
        text = found.group(1).decode("utf-8")
    except UnicodeDecodeError:
        return None
    text = " ".join(text.split())
    if not text or len(text) > MAX_ID_CHARS or any(ord(c) < 0x20 for c in text):
        return None
    return text
