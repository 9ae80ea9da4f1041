"""FIX tag=value text to a tree of fields and groups, and outbound messages back to text.

Inbound messages reach this code only after quickfix has validated them against our dictionary, so
the parser is strict but simple: it needs the layout (which tags open which groups) and nothing else.
Outbound messages are built as ``Out`` values (message type plus ordered body items) so that a golden
file can show them as text and the acceptor can hand them to quickfix.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode
from gateway.formats.fix.dictionary import Dictionary, GroupLayout

SOH = "\x01"


@dataclass(slots=True)
class FieldSet:
    """The fields of a message body or of one group entry; ``path`` names it in error texts."""

    path: str
    fields: dict[int, str] = field(default_factory=dict)
    groups: dict[int, list[FieldSet]] = field(default_factory=dict)

    def get(self, tag: int) -> str | None:
        return self.fields.get(tag)

    def group(self, count_tag: int) -> list[FieldSet]:
        return self.groups.get(count_tag, [])


@dataclass(slots=True)
class Parsed:
    msg_type: str
    header: dict[int, str]
    body: FieldSet


def split(raw: str, data_length_tags: dict[int, int]) -> list[tuple[int, str]]:
    """Tag/value pairs in order; a data field is read by its length so it may hold any character."""
    if not any(f"{SOH}{tag}=" in raw or raw.startswith(f"{tag}=") for tag in data_length_tags):
        return _split_plain(raw)
    data = raw.encode("utf-8", "surrogateescape")  # lengths of data fields count bytes
    pairs: list[tuple[int, str]] = []
    pos = 0
    pending_length: tuple[int, int] | None = None  # (data tag, length in bytes)
    while pos < len(data):
        eq = data.find(b"=", pos)
        if eq < 0:
            raise _garbled(f"no '=' after offset {pos}")
        tag = _tag_number(data[pos:eq].decode("ascii", "replace"))
        if pending_length is not None and pending_length[0] == tag:
            end = eq + 1 + pending_length[1]
            if data[end : end + 1] != b"\x01":
                raise _garbled(f"tag {tag}: data does not end where its length field says")
        else:
            end = data.find(b"\x01", eq + 1)
            if end < 0:
                end = len(data)
        value = data[eq + 1 : end].decode("utf-8", "surrogateescape")
        pending_length = None
        if tag in data_length_tags:
            try:
                pending_length = (data_length_tags[tag], int(value))
            except ValueError:
                raise _garbled(f"tag {tag}: length {value!r} is not a number") from None
        pairs.append((tag, value))
        pos = end + 1
    return pairs


_TAG_NUMBERS: dict[str, int] = {}  # tag text -> number, filled as tags are seen (bounded below)


def _tag_number(text: str) -> int:
    number = _TAG_NUMBERS.get(text)
    if number is None:
        try:
            number = int(text)
        except ValueError:
            raise _garbled(f"tag {text!r} is not a number") from None
        if len(_TAG_NUMBERS) < 4096 and text.isdigit():
            _TAG_NUMBERS[text] = number
    return number


def _split_plain(raw: str) -> list[tuple[int, str]]:
    known = _TAG_NUMBERS.get  # a tag not seen before (or tag 0) is converted, or refused, by _tag_number
    chunks = [chunk.partition("=") for chunk in raw.rstrip(SOH).split(SOH)]
    # in order, chunk by chunk: the first chunk without '=' or with a tag that is no number is refused
    return [(known(tag) or _tag_number(tag), value) for tag, eq, value in chunks if eq or _no_separator(tag)]


def _no_separator(chunk: str) -> bool:
    raise _garbled(f"no '=' in {chunk[:20]!r}")


def _garbled(message: str) -> InputRejected:
    return InputRejected([Issue(ReasonCode.FIX_INVALID_VALUE, "message", message)])


def parse(raw: str, dictionary: Dictionary) -> Parsed:
    """A validated FIX message as header fields plus a body tree shaped by the message's layout."""
    pairs = split(raw, dictionary.data_length_tags)
    header_tags, trailer_tags = dictionary.header_tags, dictionary.trailer_tags
    start, end = 0, len(pairs)
    while start < end and pairs[start][0] in header_tags:  # the header comes first ...
        start += 1
    while end > start and pairs[end - 1][0] in trailer_tags:  # ... and the trailer last
        end -= 1
    header = dict(pairs[:start])
    header.update(pairs[end:])
    body_pairs = pairs[start:end]
    msg_type = header.get(35)
    if msg_type is None:
        raise _garbled("MsgType(35) is missing")
    layout = dictionary.messages.get(msg_type)
    if layout is None:
        raise InputRejected(
            [
                Issue(
                    ReasonCode.FIX_UNSUPPORTED_MESSAGE,
                    "MsgType(35)",
                    f"message type {msg_type} is not accepted",
                )
            ]
        )
    body = FieldSet(layout.name)
    n = len(body_pairs)
    i = _read(body_pairs, 0, n, body, layout.tags, layout.groups, dictionary, None)
    if i < n:
        tag = body_pairs[i][0]
        raise InputRejected(
            [Issue(ReasonCode.FIX_INVALID_VALUE, dictionary.label(tag), f"not expected in {layout.name}")]
        )
    return Parsed(msg_type, header, body)


def _read(
    pairs: Sequence[tuple[int, str]],
    i: int,
    n: int,
    into: FieldSet,
    tags: frozenset[int],
    groups: dict[int, GroupLayout],
    dictionary: Dictionary,
    delimiter: int | None,
) -> int:
    """Read ``pairs[i:]`` into ``into`` until a tag that does not belong there (or, in a group entry, the
    next entry's delimiter); the index of that tag."""
    fields = into.fields
    first = True
    while i < n:
        tag, value = pairs[i]
        if tag == delimiter and not first:
            return i  # the next entry of the enclosing group starts
        first = False
        layout = groups.get(tag)
        if layout is not None:
            i = _read_group(pairs, i + 1, n, into, layout, value, dictionary)
        elif tag in tags:
            if tag in fields:
                raise InputRejected(
                    [
                        Issue(
                            ReasonCode.FIX_INVALID_VALUE,
                            f"{into.path}.{dictionary.label(tag)}",
                            "appears twice",
                        )
                    ]
                )
            fields[tag] = value
            i += 1
        else:
            return i
    return i


def _read_group(
    pairs: Sequence[tuple[int, str]],
    i: int,
    n: int,
    parent: FieldSet,
    layout: GroupLayout,
    count: str,
    dictionary: Dictionary,
) -> int:
    """Read the entries of the group whose count field was just read; the index after its last entry."""
    path = parent.path
    name = dictionary.names.get(layout.count_tag, str(layout.count_tag))
    try:
        expected = int(count)
    except ValueError:
        raise InputRejected(
            [Issue(ReasonCode.FIX_INVALID_VALUE, f"{path}.{name}", f"count {count!r} is not a number")]
        ) from None
    entries: list[FieldSet] = []
    delimiter, tags, groups = layout.delimiter, layout.tags, layout.groups
    for k in range(expected):
        if i >= n or pairs[i][0] != delimiter:
            raise InputRejected(
                [
                    Issue(
                        ReasonCode.FIX_INVALID_VALUE,
                        f"{path}.{name}",
                        f"declares {expected} entries but entry {k + 1} does not start with "
                        f"{dictionary.label(delimiter)}",
                    )
                ]
            )
        entry = FieldSet(f"{path}.{name}[{k + 1}]")
        i = _read(pairs, i, n, entry, tags, groups, dictionary, delimiter)
        entries.append(entry)
    parent.groups[layout.count_tag] = entries
    return i


# --- outbound ---------------------------------------------------------------------------------------------

Item = tuple[int, str] | tuple[int, "Sequence[Sequence[Item]]"]


@dataclass(frozen=True, slots=True)
class Out:
    """An application message to send: type and body items in order (a group is ``(count_tag, entries)``)."""

    msg_type: str
    body: tuple[Item, ...]

    def pairs(self) -> Iterator[tuple[int, str]]:
        yield 35, self.msg_type
        yield from _pairs(self.body)

    def text(self, sep: str = "|") -> str:
        """``35=AR|571=...|`` without header or trailer: the form golden files use."""
        return "".join(f"{t}={v}{sep}" for t, v in self.pairs())

    def get(self, tag: int) -> str | None:
        for t, v in self.body:
            if t == tag and isinstance(v, str):
                return v
        return None


def _pairs(items: Sequence[Item]) -> Iterator[tuple[int, str]]:
    for tag, value in items:
        if isinstance(value, str):
            yield tag, value
        else:
            yield tag, str(len(value))
            for entry in value:
                yield from _pairs(entry)


def frame(out: Out, begin_string: str = "FIXT.1.1") -> str:
    """The complete message text (header with BeginString/BodyLength/MsgType only, checksum computed)."""
    body = "".join(f"{t}={v}{SOH}" for t, v in out.pairs())
    head = f"8={begin_string}{SOH}9={len(body.encode())}{SOH}"
    checksum = sum((head + body).encode()) % 256
    return f"{head}{body}10={checksum:03d}{SOH}"
