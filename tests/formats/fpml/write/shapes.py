"""Canonical trades of every shape the writers must say in FpML, as builders and hypothesis strategies.

``tests/strategies.py`` has the vanilla fixed/float swap; these add OIS, basis, amortising, stubbed,
FRA, zero-coupon and cross-currency trades, plus the two CCP-facing trades of a novation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from gateway.clearing.novation import novate as clearing_novate
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
from gateway.domain.enums import CompoundingMethod
from gateway.domain.trade import PartyTradeId, PrincipalExchanges
from gateway.domain.values import Step
from tests.strategies import LEI_A, LEI_B, decimals, identifiers, rates, vanilla_irs

LEI_SCHEME = "http://www.fpml.org/coding-scheme/external/iso17442"
LEI_CCP = "213800ZBKL9BHSL2K459"
SOURCE = "MARKITWIRE"
VENUE = "XASX"
SYDNEY = DateAdjustment(BusinessDayConvention.MODFOLLOWING, ("AUSY",))
TARGET = DateAdjustment(BusinessDayConvention.MODFOLLOWING, ("EUTA",))
LONDON_NY = DateAdjustment(BusinessDayConvention.MODFOLLOWING, ("GBLO", "USNY"))

M = PeriodUnit.MONTH
Y = PeriodUnit.YEAR
ONE_DAY = Period(1, PeriodUnit.DAY)
TERM = Period(1, PeriodUnit.TERM)


def members(account_a: str | None = "HOUSE", account_b: str | None = "CLIENT-7") -> tuple[Party, Party]:
    return (
        Party(LEI_A, scheme=LEI_SCHEME, name="Bank A", account=account_a),
        Party(LEI_B, scheme=LEI_SCHEME, name="Bank B", account=account_b),
    )


def _ids(trade_id: str, version: int = 1) -> TradeIdentifiers:
    return TradeIdentifiers(
        source_trade_id=trade_id,
        source_version=version,
        uti=f"{LEI_A}{trade_id.replace('-', '')}",
        party_trade_ids=(PartyTradeId(LEI_A, f"A-{trade_id}", "http://bank-a.example/trade-id"),),
    )


def _add_years(d: date, years: int) -> date:
    return d.replace(year=d.year + years)


def irs(trade_id: str = "MW-100", *, effective: date = date(2026, 3, 18), years: int = 10) -> Trade:
    """A vanilla A$ swap against 6M BBSW with LEI-schemed members and party trade ids."""
    base = vanilla_irs(
        currency="AUD",
        index="AUD-BBR-BBSW",
        effective=effective,
        years=years,
        source_trade_id=trade_id,
        notional=Decimal("125000000"),
        fixed_rate=Decimal("0.04125"),
    )
    streams = tuple(
        replace(
            s,
            calculation_adjustment=SYDNEY,
            payment_adjustment=SYDNEY,
            termination_date_adjustment=SYDNEY,
            fixing_offset_days=0,
            roll_convention="18",
        )
        for s in base.streams
    )
    return replace(base, identifiers=_ids(trade_id), parties=members(), streams=streams)


def ois(
    trade_id: str = "MW-200",
    *,
    effective: date = date(2026, 3, 18),
    years: int = 2,
    notional: Decimal = Decimal("300000000"),
    rate: Decimal = Decimal("0.0385"),
) -> Trade:
    """An A$ OIS: annual fixed against daily-compounded AONIA, paid two business days after each period."""
    end = _add_years(effective, years)
    common = dict(
        notional=notional,
        currency="AUD",
        day_count=DayCount.ACT_365_FIXED,
        effective_date=effective,
        termination_date=end,
        calculation_frequency=Period(1, Y),
        payment_frequency=Period(1, Y),
        calculation_adjustment=SYDNEY,
        payment_adjustment=SYDNEY,
        termination_date_adjustment=SYDNEY,
        payment_offset_days=2,
    )
    fixed = Stream(payer=LEI_B, receiver=LEI_A, fixed_rate=rate, **common)  # type: ignore[arg-type]
    floating = Stream(
        payer=LEI_A,
        receiver=LEI_B,
        floating_index="AUD-AONIA-OIS-COMPOUND",
        index_tenor=ONE_DAY,
        reset_frequency=ONE_DAY,
        **common,  # type: ignore[arg-type]
    )
    return Trade(
        _ids(trade_id, 2), effective - timedelta(days=1), ProductClass.OIS, members(), (fixed, floating)
    )


def basis(trade_id: str = "MW-300", *, spread: Decimal = Decimal("0.0015")) -> Trade:
    """A$ 3M BBSW + spread (compounded flat into semi-annual payments) against 6M BBSW."""
    effective, end = date(2026, 4, 15), date(2029, 4, 15)
    common = dict(
        notional=Decimal("80000000"),
        currency="AUD",
        day_count=DayCount.ACT_365_FIXED,
        effective_date=effective,
        termination_date=end,
        payment_frequency=Period(6, M),
        floating_index="AUD-BBR-BBSW",
        calculation_adjustment=SYDNEY,
        payment_adjustment=SYDNEY,
        termination_date_adjustment=SYDNEY,
        roll_convention="15",
    )
    three = Stream(
        payer=LEI_A,
        receiver=LEI_B,
        calculation_frequency=Period(3, M),
        index_tenor=Period(3, M),
        reset_frequency=Period(3, M),
        spread=spread,
        compounding_method=CompoundingMethod.FLAT,
        **common,  # type: ignore[arg-type]
    )
    six = Stream(
        payer=LEI_B,
        receiver=LEI_A,
        calculation_frequency=Period(6, M),
        index_tenor=Period(6, M),
        reset_frequency=Period(6, M),
        **common,  # type: ignore[arg-type]
    )
    return Trade(_ids(trade_id), date(2026, 4, 13), ProductClass.BASIS, members(), (three, six))


def amortising(trade_id: str = "MW-400") -> Trade:
    """A 5-year EUR swap whose notional amortises yearly and whose fixed rate steps up."""
    base = vanilla_irs(effective=date(2026, 6, 10), years=5, source_trade_id=trade_id)
    notional_steps = tuple(
        Step(date(2026 + n, 6, 10), Decimal(50_000_000 - 10_000_000 * n)) for n in range(1, 5)
    )
    fixed, floating = base.streams
    fixed = replace(
        fixed,
        notional_steps=notional_steps,
        fixed_rate_steps=(
            Step(date(2028, 6, 10), Decimal("0.0550")),
            Step(date(2030, 6, 10), Decimal("0.0575")),
        ),
    )
    floating = replace(floating, notional_steps=notional_steps)
    return replace(base, identifiers=_ids(trade_id), parties=members(), streams=(fixed, floating))


def stubbed(trade_id: str = "MW-500") -> Trade:
    """A EUR swap with a short front stub and a long back stub, rolling on the 20th."""
    base = vanilla_irs(effective=date(2026, 2, 3), years=7, source_trade_id=trade_id)
    streams = tuple(
        replace(
            s,
            first_regular_period_start=date(2026, 8, 20),
            last_regular_period_end=date(2032, 8, 20),
            roll_convention="20",
            effective_date_adjustment=TARGET,
        )
        for s in base.streams
    )
    return replace(base, identifiers=_ids(trade_id), parties=members(), streams=streams)


def fra(
    trade_id: str = "MW-600",
    *,
    effective: date = date(2026, 6, 17),
    months: int = 6,
    rate: Decimal = Decimal("0.0291"),
    currency: str = "EUR",
    index: str = "EUR-EURIBOR-Telerate",
) -> Trade:
    """A 3x9 FRA executed on a venue as a sub-block trade: Bank A buys (pays fixed), Bank B pays the
    index; fixing two days before the start. An FRA's period dates are already adjusted, so only its
    payment date carries an adjustment.
    """
    end = _add_months(effective, months)
    common = dict(
        notional=Decimal("25000000"),
        currency=currency,
        day_count=DayCount.ACT_360 if currency == "EUR" else DayCount.ACT_365_FIXED,
        effective_date=effective,
        termination_date=end,
        calculation_frequency=TERM,
        payment_frequency=TERM,
        payment_adjustment=TARGET if currency == "EUR" else SYDNEY,
    )
    fixed = Stream(payer=LEI_A, receiver=LEI_B, fixed_rate=rate, **common)  # type: ignore[arg-type]
    floating = Stream(
        payer=LEI_B,
        receiver=LEI_A,
        floating_index=index,
        index_tenor=Period(months, M),
        reset_frequency=TERM,
        fixing_offset_days=-2,
        **common,  # type: ignore[arg-type]
    )
    return Trade(
        _ids(trade_id),
        effective - timedelta(days=92),
        ProductClass.FRA,
        members(),
        (fixed, floating),
        execution_venue=VENUE,
        sub_block=True,
    )


def _add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    return d.replace(year=d.year + month // 12, month=month % 12 + 1)


def zero_coupon(trade_id: str = "MW-700") -> Trade:
    """An A$ zero-coupon swap: fixed compounded annually (Straight) and paid once at maturity, against 6M BBSW."""
    base = irs(trade_id, effective=date(2026, 9, 1), years=5)
    fixed, floating = base.streams
    fixed = replace(
        fixed,
        payment_frequency=TERM,
        compounding_method=CompoundingMethod.STRAIGHT,
        day_count=DayCount.ACT_365_FIXED,
        roll_convention="1",
    )
    floating = replace(floating, day_count=DayCount.ACT_365_FIXED, roll_convention="1")
    return replace(base, product=ProductClass.ZERO_COUPON, streams=(fixed, floating))


def xccy(trade_id: str = "MW-800") -> Trade:
    """A USD/EUR cross-currency basis swap with initial and final exchange of principal."""
    effective, end = date(2026, 5, 5), date(2031, 5, 5)
    common = dict(
        day_count=DayCount.ACT_360,
        effective_date=effective,
        termination_date=end,
        calculation_frequency=Period(3, M),
        payment_frequency=Period(3, M),
        reset_frequency=Period(3, M),
        index_tenor=Period(3, M),
        fixing_offset_days=-2,
        calculation_adjustment=LONDON_NY,
        payment_adjustment=LONDON_NY,
        termination_date_adjustment=LONDON_NY,
        principal_exchanges=PrincipalExchanges(initial=True, final=True),
    )
    usd = Stream(
        payer=LEI_A,
        receiver=LEI_B,
        notional=Decimal("108000000"),
        currency="USD",
        floating_index="USD-SOFR-COMPOUND",
        **common,  # type: ignore[arg-type]
    )
    eur = Stream(
        payer=LEI_B,
        receiver=LEI_A,
        notional=Decimal("100000000"),
        currency="EUR",
        floating_index="EUR-EURIBOR-Telerate",
        spread=Decimal("-0.00125"),
        **common,  # type: ignore[arg-type]
    )
    ids = replace(_ids(trade_id), usi="1030084789XCCY" + trade_id.replace("-", ""))
    return Trade(ids, date(2026, 5, 1), ProductClass.XCCY, members(), (usd, eur))


def ccp_party() -> Party:
    return Party(LEI_CCP, scheme=LEI_SCHEME, name="Example Clearing House")


def novate(trade: Trade, ccp_ids: tuple[str, str] = ("CCP-1-A", "CCP-1-B")) -> tuple[Trade, Trade]:
    """The two CCP-facing trades replacing ``trade``, as the clearing service's novation makes them."""
    return clearing_novate(trade, ccp_party(), ccp_ids)


EXAMPLES = {
    "irs": irs,
    "ois": ois,
    "basis": basis,
    "amortising": amortising,
    "stubbed": stubbed,
    "fra": fra,
    "zero_coupon": zero_coupon,
    "xccy": xccy,
}
"""One fixed example of each shape, by name."""


# ---------------------------------------------------------------- strategies

_dates = st.dates(min_value=date(2005, 1, 1), max_value=date(2055, 12, 28)).map(
    lambda d: d.replace(day=min(d.day, 28))
)


@st.composite
def ois_trades(draw: st.DrawFn) -> Trade:
    return ois(
        draw(identifiers),
        effective=draw(_dates),
        years=draw(st.integers(1, 3)),
        notional=draw(decimals),
        rate=draw(rates),
    )


@st.composite
def basis_trades(draw: st.DrawFn) -> Trade:
    return basis(draw(identifiers), spread=draw(rates))


@st.composite
def fra_trades(draw: st.DrawFn) -> Trade:
    currency, index = draw(st.sampled_from([("EUR", "EUR-EURIBOR-Telerate"), ("AUD", "AUD-BBR-BBSW")]))
    return fra(
        draw(identifiers),
        effective=draw(_dates),
        months=draw(st.sampled_from([1, 3, 6, 12])),
        rate=draw(rates),
        currency=currency,
        index=index,
    )


@st.composite
def amortising_trades(draw: st.DrawFn) -> Trade:
    trade = amortising(draw(identifiers))
    fixed, floating = trade.streams
    first = draw(decimals)
    steps = tuple(
        Step(s.date, first * (len(fixed.notional_steps) - i) / 5) for i, s in enumerate(fixed.notional_steps)
    )
    fixed = replace(fixed, notional=first, notional_steps=steps, fixed_rate=draw(rates))
    floating = replace(floating, notional=first, notional_steps=steps)
    return replace(trade, streams=(fixed, floating))


def _with_economics(trade: Trade, notional: Decimal, rate: Decimal) -> Trade:
    streams = tuple(
        replace(s, notional=notional, fixed_rate=rate if s.is_fixed else None) for s in trade.streams
    )
    return replace(trade, streams=streams)


@st.composite
def stubbed_trades(draw: st.DrawFn) -> Trade:
    return _with_economics(stubbed(draw(identifiers)), draw(decimals), draw(rates))


@st.composite
def zero_coupon_trades(draw: st.DrawFn) -> Trade:
    return _with_economics(zero_coupon(draw(identifiers)), draw(decimals), draw(rates))


def all_shapes() -> st.SearchStrategy[Trade]:
    """Every shape, with drawn identifiers and economics where the shape allows."""
    return st.one_of(
        ois_trades(),
        basis_trades(),
        fra_trades(),
        amortising_trades(),
        stubbed_trades(),
        zero_coupon_trades(),
        st.sampled_from([xccy(), irs()]),
    )
