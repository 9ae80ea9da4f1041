"""The first gate: size, no DTD, no entities, well-formed, FpML 5 confirmation namespace, known root.

Nothing here resolves entities, reads a DTD or touches the network; a DOCTYPE or ENTITY declaration is
refused from the raw bytes before any tree is built, so an external entity is never opened and its
target never appears in any output.
"""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.messages import MessageType
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.read.xml import NS, Element, local_name

DEFAULT_MAX_BYTES = 4 * 1024 * 1024

# Messages this gateway reads (the writers' acknowledgement and refusal are not inbound).
SUPPORTED_ROOTS: dict[str, MessageType] = {
    m.value: m
    for m in (
        MessageType.REQUEST_CLEARING,
        MessageType.REQUEST_CLEARING_RETRACTED,
        MessageType.CLEARING_STATUS,
        MessageType.CLEARING_CONFIRMED,
        MessageType.REQUEST_CONSENT,
        MessageType.EXECUTION_NOTIFICATION,
        MessageType.REQUEST_CONFIRMATION,
        MessageType.REQUEST_TRADE_REFERENCE_UPDATE,
        MessageType.DATA_DOCUMENT,
    )
}

_KINDS = (b"DOCTYPE", b"ENTITY")
_SPACE = b" \t\r\n"
_LT = ord("<")
_COMMENT_OR_CDATA = (b"-", b"[")  # what follows "<!" in a comment or a CDATA section


def _declaration(scan: bytes, start: int = 0, want: bytes | None = None) -> tuple[bytes, int] | None:
    """The first ``<!DOCTYPE`` or ``<!ENTITY`` (any case, blanks allowed after ``<!``) from ``start``.

    A ``find`` for ``!`` (rare in FpML, unlike ``<``, so the C search runs at memory speed), a look at
    the byte before, and past comments and CDATA sections (``<!-``, ``<![``) a look at the word after:
    this costs next to nothing on the documents that pass.
    """
    pos = scan.find(b"!", start + 1) - 1
    while pos >= 0:
        if scan[pos] == _LT and scan[pos + 2 : pos + 3] not in _COMMENT_OR_CDATA:
            i = pos + 2
            while i < len(scan) and scan[i] in _SPACE:
                i += 1
            word = scan[i : i + 7].upper()
            for kind in _KINDS if want is None else (want,):
                if word.startswith(kind):
                    return kind, pos
        pos = scan.find(b"!", pos + 2) - 1
    return None


_local = threading.local()


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        _local.parser = parser
    return parser


def _reject(code: ReasonCode, path: str, message: str) -> InputRejected:
    return InputRejected([Issue(code, path, message)])


def _line(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _ascii_view(data: bytes) -> bytes:
    """The bytes to scan for declarations: UTF-16/32 documents are scanned after transcoding."""
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) == 4 and b"\x00" in head):
        for enc in ("utf-32", "utf-16"):
            try:
                return data.decode(enc).encode("utf-8", "replace")
            except UnicodeDecodeError:
                continue
    return data


def parse_safely(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Element:
    """Parse untrusted bytes into a tree, or raise InputRejected with the XML_* reason."""
    if len(data) > max_bytes:
        raise _reject(
            ReasonCode.XML_TOO_LARGE, "/", f"document is {len(data)} bytes; the limit is {max_bytes} bytes"
        )
    scan = _ascii_view(data)
    declaration = _declaration(scan)
    if declaration is not None:
        kind, pos = declaration
        if kind == b"ENTITY" or _declaration(scan, pos + 2, want=b"ENTITY") is not None:
            entity_pos = pos if kind == b"ENTITY" else scan.upper().find(b"ENTITY", pos)
            raise _reject(
                ReasonCode.XML_ENTITY_FORBIDDEN,
                f"line {_line(scan, entity_pos)}",
                "entity declarations are not accepted; the document was not parsed",
            )
        raise _reject(
            ReasonCode.XML_DTD_FORBIDDEN,
            f"line {_line(scan, pos)}",
            "a DOCTYPE declaration is not accepted; the document was not parsed",
        )
    if not data or data.isspace():
        raise _reject(ReasonCode.XML_MALFORMED, "line 1, column 1", "the document is empty")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        raise _reject(
            ReasonCode.XML_MALFORMED, f"line {line}, column {column}", f"not well-formed XML: {exc.msg}"
        ) from None
    except ValueError as exc:  # e.g. a str with an encoding declaration, or a NUL byte
        raise _reject(ReasonCode.XML_MALFORMED, "line 1, column 1", f"not well-formed XML: {exc}") from None
    if root is None:
        raise _reject(ReasonCode.XML_MALFORMED, "line 1, column 1", "the document has no root element")
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _reject(ReasonCode.XML_DTD_FORBIDDEN, "/", "a DOCTYPE declaration is not accepted")
    return root


def message_type_of(root: Element) -> MessageType:
    """The message the root element names, or InputRejected (wrong namespace, unsupported message)."""
    tag = root.tag if isinstance(root.tag, str) else ""
    namespace = tag[1:].partition("}")[0] if tag.startswith("{") else ""
    name = local_name(root)
    if namespace != NS:
        shown = namespace or "no namespace"
        raise _reject(
            ReasonCode.XML_WRONG_NAMESPACE,
            f"/{name}",
            f"root element is in {shown}; expected {NS}",
        )
    kind = SUPPORTED_ROOTS.get(name)
    if kind is None:
        raise _reject(
            ReasonCode.XML_UNKNOWN_MESSAGE,
            f"/{name}",
            f"{name} is not a message this gateway accepts (accepted: {', '.join(sorted(SUPPORTED_ROOTS))})",
        )
    return kind
