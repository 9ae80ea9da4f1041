"""Properties: economics written as FpML come back unchanged; no mutation escapes as anything but
InputRejected (and never as an internal defect)."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.domain.enums import ProductClass
from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.read import FpmlOptions, parse_fpml
from tests.formats.fpml.read.helpers import EXAMPLES, VANILLA
from tests.formats.fpml.read.swapxml import LEI_A, LEI_B, Economics, request_clearing

INDICES = {
    "EUR": "EUR-EURIBOR-Telerate",
    "USD": "USD-LIBOR-BBA",
    "GBP": "GBP-LIBOR-BBA",
    "AUD": "AUD-BBR-BBSW",
}
CENTRES = {"EUR": "EUTA", "USD": "USNY", "GBP": "GBLO", "AUD": "AUSY"}


@st.composite
def economics(draw: st.DrawFn) -> Economics:
    currency = draw(st.sampled_from(sorted(INDICES)))
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 28)))
    start = start.replace(day=min(start.day, 28))
    years = draw(st.integers(min_value=1, max_value=30))
    end = start.replace(year=start.year + years)
    notional = draw(st.decimals(min_value=Decimal("1000"), max_value=Decimal("1e11"), places=2))
    steps: tuple[tuple[date, Decimal], ...] = ()
    if draw(st.booleans()) and years > 1:
        steps = tuple(
            (start.replace(year=start.year + k), (notional * (years - k) / years).quantize(Decimal("0.01")))
            for k in range(1, years)
        )
    return Economics(
        trade_id=draw(
            st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30)
        ),
        notional=notional,
        currency=currency,
        fixed_rate=draw(st.decimals(min_value=Decimal("-0.02"), max_value=Decimal("0.2"), places=6)),
        spread=draw(st.decimals(min_value=Decimal("-0.01"), max_value=Decimal("0.05"), places=5)),
        index=INDICES[currency],
        tenor_months=draw(st.sampled_from([1, 3, 6, 12])),
        fixed_months=draw(st.sampled_from([3, 6, 12])),
        effective=start,
        termination=end,
        fixed_day_count=draw(st.sampled_from(["30/360", "30E/360", "ACT/365.FIXED", "ACT/360"])),
        float_day_count=draw(st.sampled_from(["ACT/360", "ACT/365.FIXED"])),
        centre=CENTRES[currency],
        fixed_payer_is_a=draw(st.booleans()),
        steps=steps,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(economics())
def test_swap_economics_survive_the_round_trip(e: Economics) -> None:
    parsed = parse_fpml(request_clearing(e))
    (trade,) = parsed.trades
    assert trade.product is ProductClass.IRS
    assert trade.identifiers.source_trade_id == e.trade_id.strip()
    fixed, floating = trade.streams
    assert fixed.payer == (LEI_A if e.fixed_payer_is_a else LEI_B)
    assert floating.payer == fixed.receiver
    for s in trade.streams:
        assert s.notional == e.notional
        assert s.currency == e.currency
        assert s.effective_date == e.effective
        assert s.termination_date == e.termination
        assert [(x.date, x.value) for x in s.notional_steps] == list(e.steps)
        assert s.calculation_adjustment.business_centers == (e.centre,)
    assert fixed.fixed_rate == e.fixed_rate
    assert fixed.day_count.value == e.fixed_day_count
    assert str(fixed.payment_frequency) == f"{e.fixed_months}M"
    assert floating.floating_index == e.index
    assert str(floating.index_tenor) == f"{e.tenor_months}M"
    assert floating.spread == e.spread
    assert floating.day_count.value == e.float_day_count
    assert floating.fixing_offset_days == -2


@functools.cache
def _seed() -> bytes:
    return (EXAMPLES / VANILLA).read_bytes()


def _only_rejections(data: bytes, options: FpmlOptions | None = None) -> None:
    issues: tuple[Issue, ...] = ()
    try:
        parse_fpml(data, options=options)
    except InputRejected as exc:
        issues = exc.issues
    assert all(i.code is not ReasonCode.INTERNAL_ERROR for i in issues), issues


@pytest.mark.official_fpml
@settings(max_examples=60, deadline=None)
@given(
    st.deferred(  # the seed is read when the test runs, never at collection
        lambda: st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=len(_seed()) - 1), st.integers(0, 3), st.binary(max_size=8)
            ),
            min_size=1,
            max_size=5,
        )
    )
)
def test_byte_mutations_are_rejected_cleanly(edits: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(_seed())
    for pos, kind, blob in edits:
        if kind == 0:
            del data[pos : pos + len(blob) + 1]
        elif kind == 1:
            data[pos:pos] = blob
        elif kind == 2:
            data[pos : pos + len(blob)] = blob
        else:
            del data[pos:]
    _only_rejections(bytes(data), FpmlOptions(explain=False))


_TEXTS = st.one_of(
    st.sampled_from(
        ["", "0", "-1", "1e400", "NaN", "2024-02-30", "T", "X", "99999", "true", "ACT/360", "USD"]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0xD7FF), max_size=12),
)


@pytest.mark.official_fpml
@settings(max_examples=60, deadline=None)
@given(st.data())
def test_value_mutations_without_schema_never_crash(data: st.DataObject) -> None:
    """Skipping the schema drives garbage values straight into the rules and the normaliser."""
    from lxml import etree

    root = etree.fromstring(_seed())
    elements = [el for el in root.iter() if isinstance(el.tag, str) and len(el) == 0]
    for _ in range(data.draw(st.integers(1, 4))):
        el = data.draw(st.sampled_from(elements))
        action = data.draw(st.integers(0, 2))
        if action == 0:
            el.text = data.draw(_TEXTS)
        elif action == 1 and el.getparent() is not None:
            el.getparent().remove(el)  # type: ignore[union-attr]
            elements.remove(el)
        else:
            el.set(
                data.draw(st.sampled_from(["href", "id"])), data.draw(st.sampled_from(["party1", "x", ""]))
            )
    text = etree.tostring(root)
    _only_rejections(text, FpmlOptions(validate=False))
    _only_rejections(text, FpmlOptions(explain=False))


def test_termination_before_effective_is_a_date_order_issue() -> None:
    e = Economics(
        "T", Decimal(1), "EUR", Decimal("0.01"), Decimal(0), "EUR-EURIBOR-Telerate", 6, 12,
        date(2020, 1, 1), date(2020, 1, 1) - timedelta(days=1), "30/360", "ACT/360", "EUTA", True,
    )  # fmt: skip
    with pytest.raises(InputRejected) as caught:
        parse_fpml(request_clearing(e))
    assert {i.code for i in caught.value.issues} == {ReasonCode.FPML_DATE_ORDER}
    assert len(caught.value.issues) == 2  # one per stream
