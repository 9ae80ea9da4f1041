"""Reading the swap in FIX stream fields: golden files, equality with the FpML path, round trips, rejections."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PartyTradeId, Trade
from gateway.formats.fix.dictionary import GroupLayout, default
from gateway.formats.fix.tags import T
from gateway.formats.fix.trade_read import read_trade
from gateway.formats.fix.trade_write import trade_items
from gateway.formats.fix.wire import FieldSet, Out, frame, parse
from gateway.formats.fpml.read import parse_trade_xml
from tests.channels.fix.script import GOLDEN, parse_pairs
from tests.formats.fix.reference import checked
from tests.strategies import irs_trades, vanilla_irs

EX01 = (
    Path(__file__).resolve().parents[3].parent
    / "shared/fpml/examples/products/interest-rate-derivatives/ird-ex01-vanilla-swap.xml"
)
HEAD = (
    (T.TradeReportID, "R1"),
    (T.TradeReportTransType, "0"),
    (T.TradeReportType, "0"),
    (T.TransactTime, "20260105-09:00:00"),
)


def _golden(name: str) -> tuple[tuple[int, str], ...]:
    return parse_pairs((GOLDEN / f"{name}.fix").read_text())


def _read(pairs: tuple[tuple[int, str], ...]) -> Trade:
    raw = frame(Out("AE", HEAD + pairs))  # type: ignore[arg-type]
    return read_trade(parse(raw, default()).body, default())


def _body(trade: Trade) -> tuple[tuple[int, str], ...]:
    return tuple(Out("AE", tuple(trade_items(trade))).pairs())[1:]


def test_vanilla_trade_reads_from_its_golden_file() -> None:
    assert _read(_golden("vanilla_trade")) == vanilla_irs()


def _without_id_schemes(trade: Trade) -> Trade:
    """FIX SideTradeID has no place for an FpML tradeIdScheme; everything else must be equal."""
    ids = trade.identifiers
    plain = tuple(PartyTradeId(p.party_id, p.trade_id) for p in ids.party_trade_ids)
    return dataclasses.replace(trade, identifiers=dataclasses.replace(ids, party_trade_ids=plain))


def test_same_swap_as_fpml_and_as_fix_stream_fields_is_the_same_canonical_trade(fpml_examples: Path) -> None:
    from_fpml = parse_trade_xml(EX01.read_bytes())
    from_fix = _read(_golden("ird_ex01_trade"))
    assert from_fix == _without_id_schemes(from_fpml)


@settings(max_examples=40, deadline=None)
@given(irs_trades())
def test_round_trip_through_stream_fields(trade: Trade) -> None:
    assert _read(_body(trade)) == trade
    assert checked.read_trade(_parsed(_body(trade)), default()) == trade  # the reference reads it the same


def _assert_reads_as_reference(pairs: tuple[tuple[int, str], ...], result: Trade | InputRejected) -> None:
    """The product reading gives the reference reading's trade, or exactly its issues."""
    try:
        body = _parsed(pairs)
    except InputRejected:
        assert isinstance(result, InputRejected)
        return
    try:
        expected: Trade | InputRejected = checked.read_trade(body, default())
    except InputRejected as exc:
        expected = exc
    if isinstance(expected, Trade):
        assert result == expected
    else:
        assert isinstance(result, InputRejected)
        assert result.issues == expected.issues


def _parsed(pairs: tuple[tuple[int, str], ...]) -> FieldSet:
    return parse(frame(Out("AE", HEAD + pairs)), default()).body  # type: ignore[arg-type]


def _issues(pairs: tuple[tuple[int, str], ...]) -> list[tuple[ReasonCode, str, str]]:
    with pytest.raises(InputRejected) as err:
        _read(pairs)
    return [(i.code, i.path, i.message) for i in err.value.issues]


def _replace(
    pairs: tuple[tuple[int, str], ...], tag: int, value: str | None, nth: int = 1
) -> tuple[tuple[int, str], ...]:
    out, seen = [], 0
    for t, v in pairs:
        if t == tag:
            seen += 1
            if seen == nth:
                if value is not None:
                    out.append((t, value))
                continue
        out.append((t, v))
    return tuple(out)


def test_every_problem_is_reported_with_its_field() -> None:
    pairs = _replace(_golden("vanilla_trade"), T.PaymentStreamDayCount, "2")
    pairs = _replace(pairs, T.StreamCurrency, None, nth=2)
    found = _issues(pairs)
    assert (
        ReasonCode.FIX_INVALID_VALUE,
        "TradeCaptureReport.NoStreams[1].PaymentStreamDayCount(40742)",
        "'2' is not one of 0, 1, 4, 5, 6, 7, 8, 9, 11, 12, 14",
    ) in found
    assert (
        ReasonCode.FIX_MISSING_FIELD,
        "TradeCaptureReport.NoStreams[2].StreamCurrency(40055)",
        "is required",
    ) in found


def test_fixed_and_floating_on_one_stream_is_refused() -> None:
    pairs = list(_golden("vanilla_trade"))
    at = pairs.index((T.PaymentStreamRate, "0.0525"))
    pairs.insert(at + 1, (T.PaymentStreamRateIndex, "EUR-EURIBOR-Telerate"))
    codes = [c for c, _, _ in _issues(tuple(pairs))]
    assert ReasonCode.FIX_INVALID_VALUE in codes


def test_domain_invariants_are_named_in_fix_terms() -> None:
    pairs = _replace(_golden("vanilla_trade"), T.StreamTerminationDateUnadjusted, "20250101")
    assert _issues(pairs) == [
        (
            ReasonCode.FPML_DATE_ORDER,
            "TradeCaptureReport.NoStreams[1].StreamTerminationDateUnadjusted(40065)",
            "termination 2025-01-01 is not after effective 2026-01-07",
        )
    ]


def test_sides_must_name_two_parties() -> None:
    pairs = _replace(_golden("vanilla_trade"), T.PartyRole, "21", nth=2)
    found = _issues(pairs)
    assert (
        ReasonCode.FIX_INVALID_VALUE,
        "TradeCaptureReport.NoSides[2].NoPartyIDs[1].PartyRole(452)",
        "role 21 is not accepted on a side",
    ) in found


def _count_tags(groups: dict[int, GroupLayout]) -> set[int]:
    found = set(groups)
    for g in groups.values():
        found |= _count_tags(g.groups)
    return found


_COUNT_TAGS = _count_tags(default().messages["AE"].groups)
_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1",
            "2",
            "99",
            "Y",
            "N",
            "Mo",
            "T",
            "D",
            "ABC",
            "1E+9999",
            "NaN",
            "-0",
            "20260230",
            "99999999",
            "1.5",
            "0.0000001",
            "20360107",
            "EUR",
            "eur",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=12),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=200), _VALUES), min_size=1, max_size=6))
def test_any_value_in_any_field_is_refused_with_a_reason_or_read(changes: list[tuple[int, str]]) -> None:
    pairs = list(_golden("vanilla_trade"))
    for index, value in changes:
        at = index % len(pairs)
        tag = pairs[at][0]
        if tag in _COUNT_TAGS:
            continue  # group counts are checked by the session layer before we see the message
        pairs[at] = (tag, value)
    try:
        result: Trade | InputRejected = _read(tuple(pairs))
    except InputRejected as exc:
        result = exc
    _assert_reads_as_reference(tuple(pairs), result)
    if isinstance(result, InputRejected):
        assert all(i.path and i.message for i in result.issues)
    else:
        assert isinstance(result, Trade)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["vanilla_trade", "ird_ex01_trade"]),
    st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=4),
)
def test_without_any_field_the_reading_agrees_with_the_reference(name: str, drops: list[int]) -> None:
    pairs = list(_golden(name))
    for index in drops:
        at = index % len(pairs)
        if pairs[at][0] not in _COUNT_TAGS:
            del pairs[at]
    try:
        result: Trade | InputRejected = _read(tuple(pairs))
    except InputRejected as exc:
        result = exc
    _assert_reads_as_reference(tuple(pairs), result)


@pytest.mark.parametrize("char", ["\ufffe", "\x02", "\x1f"])
def test_an_identifier_no_status_could_carry_is_refused(char: str) -> None:
    """A TradeID that FpML cannot carry is refused at intake: its statuses could never be published."""
    pairs = _replace(_golden("vanilla_trade"), T.TradeID, f"MW{char}1")
    found = _issues(pairs)
    assert len(found) == 1
    assert found == [
        (
            ReasonCode.FIX_INVALID_VALUE,
            "TradeCaptureReport.TradeID(1003)",
            f"character U+{ord(char):04X} cannot be carried in an FpML message",
        )
    ]


@pytest.mark.parametrize(
    ("tag", "nth"), [(T.PartyID, 1), (T.PartySubID, 2), (T.Account, 1), (T.SideTradeID, 1)]
)
def test_party_fields_no_status_could_carry_are_refused_with_their_field(tag: int, nth: int) -> None:
    pairs = _golden("vanilla_trade")
    if tag == T.SideTradeID:
        pairs = _with_side_trade_id(pairs, "B\ufffe1")
    else:
        pairs = _replace(pairs, tag, "X\ufffeY", nth=nth)
    found = _issues(pairs)
    assert any(
        code is ReasonCode.FIX_INVALID_VALUE and path.endswith(f"({tag})") and "U+FFFE" in message
        for code, path, message in found
    ), found


def _with_side_trade_id(pairs: tuple[tuple[int, str], ...], value: str) -> tuple[tuple[int, str], ...]:
    """The first side gets a SideTradeID (1506) right after its Side (54)."""
    out: list[tuple[int, str]] = []
    done = False
    for t, v in pairs:
        out.append((t, v))
        if t == T.Side and not done:
            out.append((T.SideTradeID, value))
            done = True
    return tuple(out)
