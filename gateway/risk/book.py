"""A SYNTHETIC cleared book for benchmarks and demos: members' trades against the CCP.

Shapes follow what a CCP clears (AUD IRS on 3M/6M BBSW, AUD OIS and 3s6s basis, EUR IRS, USD SOFR
and GBP SONIA OIS); trade dates spread over five years, standard tenors, random notionals and rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

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
from gateway.domain.enums import AccountType

CCP = "CCP"
TENORS_Y = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30)


@dataclass(frozen=True, slots=True)
class _Shape:
    product: ProductClass
    ccy: str
    centres: tuple[str, ...]
    a: tuple[str, str, DayCount, str | None, str | None]  # freq, pay freq, day count, index, tenor
    b: tuple[str, str, DayCount, str | None, str | None]
    lag: int = 0


_ACT365 = DayCount.ACT_365_FIXED
_SHAPES: tuple[_Shape, ...] = (
    _Shape(ProductClass.IRS, "AUD", ("AUSY",), ("6M", "6M", _ACT365, None, None), ("6M", "6M", _ACT365, "AUD-BBR-BBSW", "6M")),
    _Shape(ProductClass.IRS, "AUD", ("AUSY",), ("3M", "3M", _ACT365, None, None), ("3M", "3M", _ACT365, "AUD-BBR-BBSW", "3M")),
    _Shape(ProductClass.OIS, "AUD", ("AUSY",), ("1Y", "1Y", _ACT365, None, None), ("1Y", "1Y", _ACT365, "AUD-AONIA-OIS-COMPOUND", "1D")),
    _Shape(ProductClass.BASIS, "AUD", ("AUSY",), ("3M", "3M", _ACT365, "AUD-BBR-BBSW", "3M"), ("6M", "6M", _ACT365, "AUD-BBR-BBSW", "6M")),
    _Shape(ProductClass.IRS, "EUR", ("EUTA",), ("1Y", "1Y", DayCount.THIRTY_360, None, None), ("6M", "6M", DayCount.ACT_360, "EUR-EURIBOR-Telerate", "6M")),
    _Shape(ProductClass.OIS, "USD", ("USNY",), ("1Y", "1Y", DayCount.ACT_360, None, None), ("1Y", "1Y", DayCount.ACT_360, "USD-SOFR-OIS Compound", "1D"), lag=2),
    _Shape(ProductClass.OIS, "GBP", ("GBLO",), ("1Y", "1Y", _ACT365, None, None), ("1Y", "1Y", _ACT365, "GBP-SONIA-COMPOUND", "1D")),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BookEntry:
    trade: Trade
    member: str
    account: str
    account_type: AccountType


def _stream(
    payer: str, receiver: str, shape: _Shape, spec: tuple[str, str, DayCount, str | None, str | None],
    start: date, end: date, notional: Decimal, rate: Decimal,
) -> Stream:  # fmt: skip
    freq, pay, dc, index, tenor = spec
    adj = DateAdjustment(BusinessDayConvention.MODFOLLOWING, shape.centres)
    term = index is not None and tenor is not None and not tenor.endswith("D")
    return Stream(
        payer=payer,
        receiver=receiver,
        notional=notional,
        currency=shape.ccy,
        day_count=dc,
        effective_date=start,
        termination_date=end,
        calculation_frequency=Period.parse(freq),
        payment_frequency=Period.parse(pay),
        fixed_rate=rate if index is None else None,
        floating_index=index,
        index_tenor=Period.parse(tenor) if tenor else None,
        reset_frequency=Period.parse(freq) if term else None,
        fixing_offset_days=-2 if term else 0,
        calculation_adjustment=adj,
        payment_adjustment=adj,
        termination_date_adjustment=adj,
        payment_offset_days=shape.lag,
    )


def synthetic_book(
    n: int, as_of: date, *, members: int = 20, clients_per_member: int = 2, seed: int = 1
) -> list[BookEntry]:
    """``n`` cleared trades, each between one member account and the CCP."""
    rng = np.random.default_rng(seed)
    days = [as_of - timedelta(days=int(d)) for d in range(0, 5 * 365)]
    days = [d for d in days if d.weekday() < 5]
    out: list[BookEntry] = []
    shape_idx = rng.integers(0, len(_SHAPES), n)
    day_idx = rng.integers(0, len(days), n)
    tenor_idx = rng.integers(0, len(TENORS_Y), n)
    member_idx = rng.integers(0, members, n)
    account_idx = rng.integers(0, clients_per_member + 1, n)
    notionals = rng.integers(1, 100, n) * 5_000_000
    rates = np.round(rng.normal(0.037, 0.008, n), 5)
    sides = rng.integers(0, 2, n)
    for i in range(n):
        shape = _SHAPES[int(shape_idx[i])]
        traded = days[int(day_idx[i])]
        start = traded + timedelta(days=2 if traded.weekday() < 3 else 4)
        years = TENORS_Y[int(tenor_idx[i])]
        if shape.product is not ProductClass.IRS and years > 10:
            years = years // 3
        end = (
            start.replace(year=start.year + years)
            if not (start.month == 2 and start.day == 29)
            else start.replace(year=start.year + years, day=28)
        )
        member = f"MEMBER{int(member_idx[i]):02d}"
        k = int(account_idx[i])
        account = f"{member}/HOUSE" if k == 0 else f"{member}/CLIENT{k}"
        first, second = (member, CCP) if sides[i] else (CCP, member)
        notional = Decimal(int(notionals[i]))
        rate = Decimal(repr(float(rates[i])))
        a = _stream(first, second, shape, shape.a, start, end, notional, rate)
        b = _stream(second, first, shape, shape.b, start, end, notional, rate)
        trade = Trade(
            identifiers=TradeIdentifiers(source_trade_id=f"BOOK-{i}"),
            trade_date=traded,
            product=shape.product,
            parties=(Party(member, account=account), Party(CCP)),
            streams=(a, b),
        )
        out.append(BookEntry(trade, member, account, AccountType.HOUSE if k == 0 else AccountType.CLIENT))
    return out
