"""Trades for the risk tests, built directly from the canonical domain types."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from gateway.domain import (
    BusinessDayConvention,
    DateAdjustment,
    DayCount,
    Party,
    Period,
    ProductClass,
    Stream,
    Trade,
    TradeIdentifiers,
)
from gateway.domain.trade import PartyTradeId  # noqa: F401  (re-exported for tests that need it)

A = "549300VBWWV6BYQOWM67"
B = "529900DTJ5A7S5UCBB52"
CCP = "CCPLEI00000000000075"

CENTRES = {"AUD": ("AUSY",), "USD": ("USNY",), "EUR": ("EUTA",), "GBP": ("GBLO",)}
OIS_INDEX = {
    "AUD": "AUD-AONIA-OIS-COMPOUND",
    "USD": "USD-SOFR-OIS Compound",
    "EUR": "EUR-EuroSTR-COMPOUND",
    "GBP": "GBP-SONIA-COMPOUND",
}
TERM_INDEX = {"AUD": "AUD-BBR-BBSW", "EUR": "EUR-EURIBOR-Telerate"}


def adj(ccy: str, conv: BusinessDayConvention = BusinessDayConvention.MODFOLLOWING) -> DateAdjustment:
    return DateAdjustment(conv, CENTRES[ccy])


def leg(
    *,
    payer: str,
    receiver: str,
    ccy: str,
    start: date,
    end: date,
    freq: str,
    day_count: DayCount,
    notional: Decimal,
    fixed_rate: Decimal | None = None,
    index: str | None = None,
    tenor: str | None = None,
    spread: Decimal = Decimal(0),
    payment_lag: int = 0,
    pay_freq: str | None = None,
) -> Stream:
    a = adj(ccy)
    term = index is not None and tenor is not None
    return Stream(
        payer=payer,
        receiver=receiver,
        notional=notional,
        currency=ccy,
        day_count=day_count,
        effective_date=start,
        termination_date=end,
        calculation_frequency=Period.parse(freq),
        payment_frequency=Period.parse(pay_freq or freq),
        fixed_rate=fixed_rate,
        floating_index=index,
        index_tenor=Period.parse(tenor or "1D") if index else None,
        reset_frequency=Period.parse(freq) if term else None,
        spread=spread,
        fixing_offset_days=-2 if term else 0,
        calculation_adjustment=a,
        payment_adjustment=a,
        termination_date_adjustment=a,
        effective_date_adjustment=a,
        payment_offset_days=payment_lag,
    )


def trade(
    streams: tuple[Stream, ...],
    product: ProductClass,
    trade_id: str = "T-1",
    parties: tuple[str, str] = (A, B),
) -> Trade:
    return Trade(
        identifiers=TradeIdentifiers(source_trade_id=trade_id),
        trade_date=min(s.effective_date for s in streams) - timedelta(days=2),
        product=product,
        parties=(Party(parties[0]), Party(parties[1])),
        streams=streams,
    )


def irs(
    ccy: str = "AUD",
    *,
    start: date = date(2026, 11, 24),
    years: int = 10,
    rate: str = "0.04",
    notional: int = 100_000_000,
    fixed_freq: str = "6M",
    float_tenor: str = "6M",
    fixed_payer: str = A,
    other: str = B,
    trade_id: str = "IRS-1",
) -> Trade:
    end = start.replace(year=start.year + years)
    n = Decimal(notional)
    fixed = leg(
        payer=fixed_payer, receiver=other, ccy=ccy, start=start, end=end, freq=fixed_freq,
        day_count=DayCount.ACT_365_FIXED if ccy == "AUD" else DayCount.THIRTY_360, notional=n, fixed_rate=Decimal(rate),
    )  # fmt: skip
    flt = leg(
        payer=other, receiver=fixed_payer, ccy=ccy, start=start, end=end, freq=float_tenor,
        day_count=DayCount.ACT_365_FIXED if ccy == "AUD" else DayCount.ACT_360, notional=n,
        index=TERM_INDEX[ccy], tenor=float_tenor,
    )  # fmt: skip
    return trade((fixed, flt), ProductClass.IRS, trade_id, (fixed_payer, other))


def novate(t: Trade, ccp: str = CCP) -> tuple[Trade, Trade]:
    """The two CCP-facing trades that replace ``t`` (same economics, the CCP in the middle)."""
    a, b = t.parties[0].party_id, t.parties[1].party_id

    def swap_party(s: Stream, keep: str) -> Stream:
        return replace(
            s,
            payer=s.payer if s.payer == keep else ccp,
            receiver=s.receiver if s.receiver == keep else ccp,
        )

    left = replace(t, parties=(Party(a), Party(ccp)), streams=tuple(swap_party(s, a) for s in t.streams))
    right = replace(t, parties=(Party(ccp), Party(b)), streams=tuple(swap_party(s, b) for s in t.streams))
    return left, right
