"""Hypothesis strategies and small builders for canonical trades, shared by every test package."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from gateway.domain import (
    BusinessDayConvention,
    DateAdjustment,
    DayCount,
    Party,
    Period,
    PeriodUnit,
    ProductClass,
    Stream,
    Trade,
    TradeIdentifiers,
)

LEI_A = "549300VBWWV6BYQOWM67"
LEI_B = "529900DTJ5A7S5UCBB52"
TARGET = DateAdjustment(BusinessDayConvention.MODFOLLOWING, ("EUTA",))


def vanilla_irs(
    *,
    notional: Decimal = Decimal(50_000_000),
    fixed_rate: Decimal = Decimal("0.0525"),
    currency: str = "EUR",
    index: str = "EUR-EURIBOR-Telerate",
    effective: date = date(2026, 1, 7),
    years: int = 10,
    fixed_payer: str = LEI_A,
    source_trade_id: str = "MW-1",
) -> Trade:
    """A plain fixed/float swap; the fixed payer pays annual 30/360 against 6M ACT/360."""
    other = LEI_B if fixed_payer == LEI_A else LEI_A
    end = effective.replace(year=effective.year + years)
    fixed = Stream(
        payer=fixed_payer,
        receiver=other,
        notional=notional,
        currency=currency,
        day_count=DayCount.THIRTY_360,
        effective_date=effective,
        termination_date=end,
        calculation_frequency=Period(1, PeriodUnit.YEAR),
        payment_frequency=Period(1, PeriodUnit.YEAR),
        fixed_rate=fixed_rate,
        calculation_adjustment=TARGET,
        payment_adjustment=TARGET,
        termination_date_adjustment=TARGET,
    )
    floating = Stream(
        payer=other,
        receiver=fixed_payer,
        notional=notional,
        currency=currency,
        day_count=DayCount.ACT_360,
        effective_date=effective,
        termination_date=end,
        calculation_frequency=Period(6, PeriodUnit.MONTH),
        payment_frequency=Period(6, PeriodUnit.MONTH),
        reset_frequency=Period(6, PeriodUnit.MONTH),
        floating_index=index,
        index_tenor=Period(6, PeriodUnit.MONTH),
        fixing_offset_days=-2,
        calculation_adjustment=TARGET,
        payment_adjustment=TARGET,
        termination_date_adjustment=TARGET,
    )
    return Trade(
        identifiers=TradeIdentifiers(source_trade_id=source_trade_id, uti=f"UTI-{source_trade_id}"),
        trade_date=effective - timedelta(days=2),
        product=ProductClass.IRS,
        parties=(Party(LEI_A, name="Bank A", account="HOUSE"), Party(LEI_B, name="Bank B", account="HOUSE")),
        streams=(fixed, floating),
    )


decimals = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e13"), places=2, allow_nan=False)
rates = st.decimals(min_value=Decimal("-0.05"), max_value=Decimal("0.25"), places=6, allow_nan=False)
identifiers = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=40
).filter(lambda s: s.strip() != "")


@st.composite
def irs_trades(draw: st.DrawFn) -> Trade:
    """Random vanilla fixed/float swaps with random economics and identifiers."""
    effective = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)))
    base = vanilla_irs(
        notional=draw(decimals),
        fixed_rate=draw(rates),
        currency=draw(st.sampled_from(["EUR", "AUD", "USD", "GBP"])),
        effective=effective.replace(day=min(effective.day, 28)),
        years=draw(st.integers(min_value=1, max_value=30)),
        fixed_payer=draw(st.sampled_from([LEI_A, LEI_B])),
        source_trade_id=draw(identifiers),
    )
    return base
