"""The product reader against the reference reading (``reference/checked.py``) on good and broken messages.

Every message is read by both: they must give the same ``Trade``, or refuse with the same issues in the
same order (ReasonCode, FIX path, message: members see them in BusinessMessageReject and AR texts).
Broken messages are made from valid ones by editing the parsed tree: a field dropped, a value replaced
(bad dates, decimals, codes, empty or blank ids, characters FpML cannot carry), a group entry dropped,
repeated or emptied, a whole group dropped, a side repeated.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.errors import GatewayError
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.formats.fix.dictionary import GroupLayout, default
from gateway.formats.fix.tags import T
from gateway.formats.fix.trade_read import read_trade
from gateway.formats.fix.trade_write import trade_items
from gateway.formats.fix.wire import FieldSet, Out, frame, parse
from tests.channels.fix.script import GOLDEN, parse_pairs
from tests.formats.fix.reference import checked
from tests.strategies import irs_trades

HEAD = ((T.TradeReportID, "R1"), (T.TradeReportTransType, "0"), (T.TradeReportType, "0"))

BAD_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "3",
    "99",
    "N",
    "Y",
    "D",
    "Mo",
    "T",
    "Zz",
    "20260230",
    "2026013",
    "2026-01-07",
    "20360107",
    "19990101",
    "1,5",
    "1.5",
    "-0",
    "0.0000001",
    "NaN",
    "Infinity",
    "1E+9999",
    " 5",
    "5 ",
    "\x1c5",
    "\x0b5",
    "5\x1f",
    "\x0b",
    "A\ufffeB",
    "\ud800",
    "EUR",
    "eur",
    "EUTA",
    "EUR-EURIBOR-Telerate",
    "549300VBWWV6BYQOWM67",
]
VALUES = st.one_of(
    st.sampled_from(BAD_VALUES),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=10),
)


@dataclass
class Place:
    """One field set of the message tree and the layout that says what it may hold."""

    fs: FieldSet
    tags: frozenset[int]
    groups: dict[int, GroupLayout]


def _places(fs: FieldSet, tags: frozenset[int], groups: dict[int, GroupLayout]) -> list[Place]:
    found = [Place(fs, tags, groups)]
    for count_tag, entries in fs.groups.items():
        layout = groups[count_tag]
        for entry in entries:
            found += _places(entry, layout.tags, layout.groups)
    return found


def _renumber(fs: FieldSet) -> None:
    """Entry paths as the parser names them (``...NoSides[2]``), after entries were added or dropped."""
    names = default().names
    for count_tag, entries in fs.groups.items():
        for i, entry in enumerate(entries, start=1):
            entry.path = f"{fs.path}.{names[count_tag]}[{i}]"
            _renumber(entry)


def _parsed(pairs: tuple[tuple[int, str], ...]) -> FieldSet:
    return parse(frame(Out("AE", HEAD + pairs)), default()).body  # type: ignore[arg-type]


def _outcome(read: object, body: FieldSet) -> object:
    """The trade read, or the kind of the refusal and its issues as members would see them."""
    try:
        trade = read(body, default())  # type: ignore[operator]
    except GatewayError as exc:
        return (type(exc).__name__, [(i.code, i.path, i.message) for i in exc.issues])
    assert isinstance(trade, Trade)
    return trade


def _mutate(data: st.DataObject, body: FieldSet) -> None:
    layout = default().messages["AE"]
    places = _places(body, layout.tags, layout.groups)
    place = data.draw(st.sampled_from(places))
    kind = data.draw(
        st.sampled_from(
            ["drop", "set", "set", "add", "drop_entry", "repeat_entry", "empty_entry", "drop_group"]
        )
    )
    fields, groups = place.fs.fields, place.fs.groups
    if kind == "drop" and fields:
        del fields[data.draw(st.sampled_from(sorted(fields)))]
    elif kind == "set" and fields:
        fields[data.draw(st.sampled_from(sorted(fields)))] = data.draw(VALUES)
    elif kind == "add" and place.tags:
        fields[data.draw(st.sampled_from(sorted(place.tags)))] = data.draw(VALUES)
    elif kind in ("drop_entry", "repeat_entry", "empty_entry", "drop_group") and groups:
        count_tag = data.draw(st.sampled_from(sorted(groups)))
        entries = groups[count_tag]
        if kind == "drop_group" or not entries:
            del groups[count_tag]
        elif kind == "drop_entry":
            del entries[data.draw(st.integers(0, len(entries) - 1))]
        elif kind == "repeat_entry":
            entries.append(copy.deepcopy(data.draw(st.sampled_from(entries))))
        else:
            entries.append(FieldSet(""))


@st.composite
def _valid_bodies(draw: st.DrawFn) -> tuple[tuple[int, str], ...]:
    name = draw(st.sampled_from(["vanilla_trade", "ird_ex01_trade", None]))
    if name is not None:
        return parse_pairs((GOLDEN / f"{name}.fix").read_text())
    return tuple(Out("AE", tuple(trade_items(draw(irs_trades())))).pairs())[1:]


@settings(max_examples=60, deadline=None)
@given(_valid_bodies())
def test_a_valid_trade_reads_as_the_reference_reads_it(pairs: tuple[tuple[int, str], ...]) -> None:
    body = _parsed(pairs)
    trade = _outcome(read_trade, body)
    assert isinstance(trade, Trade)
    assert trade == _outcome(checked.read_trade, body)


@settings(max_examples=400, deadline=None)
@given(_valid_bodies(), st.integers(min_value=1, max_value=4), st.data())
def test_a_broken_message_is_refused_with_the_reference_issues(
    pairs: tuple[tuple[int, str], ...], changes: int, data: st.DataObject
) -> None:
    body = _parsed(pairs)
    for _ in range(changes):
        _mutate(data, body)
    _renumber(body)
    product = _outcome(read_trade, copy.deepcopy(body))
    assert product == _outcome(checked.read_trade, body)


# Values the product reader rules out by a cheap test before any search (printable text, a number
# without whitespace at its ends): each in each field of each golden message, one at a time.
EDGE_VALUES = [
    "",
    " ",
    "\x1c5",
    "5\x1f",
    "\x0b5",
    "5\x0c",
    " 5",
    "\x0b",
    "A\ufffeB",
    "\ud800",
    "\xa0",
    "NaN",
    "99",
    "Y",
]


@pytest.mark.parametrize("name", ["vanilla_trade", "ird_ex01_trade"])
def test_each_field_dropped_or_replaced_alone_is_read_as_the_reference_reads_it(name: str) -> None:
    pairs = parse_pairs((GOLDEN / f"{name}.fix").read_text())
    layout = default().messages["AE"]
    at = range(len(_places(_parsed(pairs), layout.tags, layout.groups)))
    compared = 0
    for index in at:
        for tag in sorted(_places(_parsed(pairs), layout.tags, layout.groups)[index].fs.fields):
            for value in [None, *EDGE_VALUES]:
                body = _parsed(pairs)
                fields = _places(body, layout.tags, layout.groups)[index].fs.fields
                if value is None:
                    del fields[tag]
                else:
                    fields[tag] = value
                product = _outcome(read_trade, copy.deepcopy(body))
                assert product == _outcome(checked.read_trade, body), (fields, tag, value)
                compared += 1
    assert compared > 500


def test_a_repeated_side_is_refused_as_the_reference_refuses_it() -> None:
    body = _parsed(parse_pairs((GOLDEN / "vanilla_trade.fix").read_text()))
    sides = body.groups[T.NoSides]
    sides[1].fields[T.Side] = sides[0].fields[T.Side]
    product = _outcome(read_trade, body)
    assert product == _outcome(checked.read_trade, body)
    assert product == (
        "InputRejected",
        [
            (
                ReasonCode.FIX_INVALID_VALUE,
                "TradeCaptureReport.NoSides[2].Side(54)",
                "side 1 appears twice",
            ),
            (
                ReasonCode.FIX_INVALID_VALUE,
                "TradeCaptureReport.NoStreams[1].StreamPaySide(40052)",
                "refers to a side without a party",
            ),
            (
                ReasonCode.FIX_INVALID_VALUE,
                "TradeCaptureReport.NoStreams[2].StreamPaySide(40052)",
                "refers to a side without a party",
            ),
        ],
    )


def test_empty_and_blank_ids_are_refused_as_the_reference_refuses_them() -> None:
    for tag, value in ((T.TradeID, ""), (T.TradeID, "  "), (T.PartyID, ""), (T.PartyID, " ")):
        body = _parsed(parse_pairs((GOLDEN / "vanilla_trade.fix").read_text()))
        holder = body if tag == T.TradeID else body.groups[T.NoSides][0].groups[T.NoPartyIDs][0]
        holder.fields[tag] = value
        product = _outcome(read_trade, body)
        assert product == _outcome(checked.read_trade, body)
        assert isinstance(product, tuple)
        assert product[1], (tag, value)
