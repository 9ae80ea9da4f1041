"""FpML ``messageRejected``: the answer to an intake message the gateway could not accept as a request.

A message that is not well-formed, not FpML 5.10, not valid, not a clearing request, or that the
clearing service refused before any trade was recorded, is answered with one of these on
``ccp/out/{source}/fpml``, never dropped. Each ``reason`` carries the FpML reason text of the
``ReasonCode`` (gateway/domain/reasons.py), where it was found and what is wrong. The original
message travels back in ``additionalData`` (base64) so the source can match it even when it had no
readable messageId.

Every document is valid against the FpML schema: texts longer than the schema allows are cut to its
limits (``description`` and the message addresses 255 characters; the whole text is logged), and an
``inReplyTo`` that is not a valid message id (empty, longer than 255 characters) is left out.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from gateway.domain.errors import Issue
from gateway.logs import event

FPML_NS = "http://www.fpml.org/FpML-5/confirmation"
MESSAGE_ID_SCHEME = "urn:clearing-gateway:message-id"
PARTY_SCHEME = "urn:clearing-gateway:participant"
REASON_CODE_SCHEME = "urn:clearing-gateway:reason-code"
MAX_ECHOED_BYTES = 256 * 1024  # larger originals are not echoed back, the reasons still are
MAX_TEXT = 255  # FpML String (description) and Scheme / NonEmptyScheme (messageId, inReplyTo, addresses)
_CUT_MARK = "..."

log = logging.getLogger(__name__)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{FPML_NS}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _timestamp(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("creation timestamp must be timezone-aware")
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _xml_text(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters from a garbled input)."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)


def _within_limit(text: str, what: str) -> str:
    """``text`` cut to ``MAX_TEXT`` characters (the cut shown by a trailing ``...``); the whole text logged."""
    if len(text) <= MAX_TEXT:
        return text
    log.info(
        "messageRejected %s cut to %d characters; whole text: %s",
        what,
        MAX_TEXT,
        text,
        extra=event("mqtt.rejection_text_cut", element=what, text=text),
    )
    return text[: MAX_TEXT - len(_CUT_MARK)] + _CUT_MARK


def _normalized(text: str) -> str:
    """XML 1.0 characters only, whitespace runs as one space (the schema's token and normalizedString)."""
    return " ".join(_xml_text(text).split())


def message_rejected(
    *,
    message_id: str,
    sent_by: str,
    send_to: str,
    at: datetime,
    issues: Sequence[Issue],
    in_reply_to: str | None = None,
    original: bytes = b"",
) -> bytes:
    """Render a schema-valid ``messageRejected`` (FpML 5.10 confirmation view) for ``issues``."""
    if not issues:
        raise ValueError("a rejection needs at least one issue")
    nsmap: dict[str | None, str] = {None: FPML_NS}
    root = etree.Element(f"{{{FPML_NS}}}messageRejected", {"fpmlVersion": "5-10"}, nsmap=nsmap)  # type: ignore[arg-type]
    header = _sub(root, "header")
    _sub(
        header,
        "messageId",
        _within_limit(_normalized(message_id), "messageId"),
        messageIdScheme=MESSAGE_ID_SCHEME,
    )
    reply_to = _normalized(in_reply_to or "")
    if len(reply_to) > MAX_TEXT:
        log.info(
            "messageRejected without inReplyTo: %r is longer than a message id may be",
            reply_to,
            extra=event("mqtt.rejection_reply_to_dropped", in_reply_to=reply_to),
        )
    elif reply_to:
        _sub(header, "inReplyTo", reply_to, messageIdScheme=MESSAGE_ID_SCHEME)
    _sub(header, "sentBy", _within_limit(_normalized(sent_by), "sentBy"), messageAddressScheme=PARTY_SCHEME)
    address = _normalized(send_to)
    if address:
        _sub(header, "sendTo", _within_limit(address, "sendTo"), messageAddressScheme=PARTY_SCHEME)
    else:  # nothing XML can carry (a topic id of control characters): the header goes without sendTo
        log.info(
            "messageRejected without sendTo: %r has no character XML can carry",
            send_to,
            extra=event("mqtt.rejection_send_to_dropped", send_to=send_to),
        )
    _sub(header, "creationTimestamp", _timestamp(at))
    for issue in issues:
        reason = _sub(root, "reason")
        _sub(reason, "reasonCode", issue.info.fpml_reason, reasonCodeScheme=REASON_CODE_SCHEME)
        if issue.path:
            _sub(reason, "location", _xml_text(issue.path), locationType="xpath")
        _sub(reason, "description", _within_limit(_xml_text(f"{issue.code}: {issue.message}"), "description"))
    if original and len(original) <= MAX_ECHOED_BYTES:
        data = _sub(root, "additionalData")
        _sub(data, "mimeType", "application/xml")
        _sub(data, "base64Binary", base64.b64encode(original).decode("ascii"))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
