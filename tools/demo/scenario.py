"""A realistic day for three members, as a list of trades with the outcome each is meant to show.

Pure: the same seed gives the same day. Dates are relative to the business date the demo runs on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from gateway.domain.enums import BusinessDayConvention, DayCount, PeriodUnit, ProductClass
from gateway.domain.trade import Party, Stream, Trade, TradeIdentifiers
from gateway.domain.values import DateAdjustment, Period


@dataclass(frozen=True, slots=True)
class DemoMember:
    member_id: str
    name: str
    lei: str
    collateral_aud: Decimal  # lodged at the start of the day
    tolerance_aud: Decimal
    fix_comp_id: str | None = None


# Illustrative LEIs (well-formed ISO 17442 codes, not those of real banks).
MEMBERS = (
    DemoMember(
        "BANKA",
        "Bank A",
        "549300VBWWV6BYQOWM67",
        Decimal(900_000_000),
        Decimal(50_000_000),
        fix_comp_id="BANKA_FIX",
    ),
    DemoMember(
        "BANKB",
        "Bank B",
        "529900DTJ5A7S5UCBB52",
        Decimal(150_000_000),
        Decimal(25_000_000),
        fix_comp_id="BANKB_FIX",
    ),
    DemoMember(
        "BANKC", "Bank C", "5493001KJTIIGC8Y1R12", Decimal(5_000_000), Decimal(0), fix_comp_id="BANKC_FIX"
    ),
)
SOURCE = "MARKITWIRE"  # the approved trade source publishing FpML over MQTT
SYDNEY = DateAdjustment(BusinessDayConvention.MODFOLLOWING, ("AUSY",))


class Intent(StrEnum):
    """What a trade is in the day to show."""

    CLEAR = "cleared straight through"
    COLLATERAL_CALL = "pending, cleared after a collateral call"
    INELIGIBLE = "refused: not eligible"
    CREDIT = "refused: insufficient collateral at end of day"
    BACKLOAD = "backload, queued for registration"


class Route(StrEnum):
    FPML_MQTT = "FpML/MQTT"
    FIX = "FIX"


@dataclass(frozen=True, slots=True)
class DemoTrade:
    trade: Trade
    intent: Intent
    route: Route


def _swap(
    trade_id: str,
    *,
    payer: DemoMember,
    receiver: DemoMember,
    trade_date: date,
    notional: Decimal,
    rate: Decimal,
    years: int,
    ois: bool = False,
) -> Trade:
    """A$ swap: payer pays fixed. IRS: semi-annual ACT/365F fixed vs 6M BBSW; OIS: annual vs AONIA."""
    start = trade_date + timedelta(days=2)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    end = start.replace(year=start.year + years)
    fixed_freq = Period(1, PeriodUnit.YEAR) if ois else Period(6, PeriodUnit.MONTH)
    float_freq = Period(1, PeriodUnit.YEAR) if ois else Period(6, PeriodUnit.MONTH)
    fixed = Stream(
        payer=payer.lei,
        receiver=receiver.lei,
        notional=notional,
        currency="AUD",
        day_count=DayCount.ACT_365_FIXED,
        effective_date=start,
        termination_date=end,
        calculation_frequency=fixed_freq,
        payment_frequency=fixed_freq,
        fixed_rate=rate,
        calculation_adjustment=SYDNEY,
        payment_adjustment=SYDNEY,
        termination_date_adjustment=SYDNEY,
    )
    floating = Stream(
        payer=receiver.lei,
        receiver=payer.lei,
        notional=notional,
        currency="AUD",
        day_count=DayCount.ACT_365_FIXED,
        effective_date=start,
        termination_date=end,
        calculation_frequency=float_freq,
        payment_frequency=float_freq,
        reset_frequency=Period(1, PeriodUnit.DAY) if ois else float_freq,
        floating_index="AUD-AONIA-OIS-COMPOUND" if ois else "AUD-BBR-BBSW",
        index_tenor=Period(1, PeriodUnit.DAY) if ois else Period(6, PeriodUnit.MONTH),
        fixing_offset_days=0,
        calculation_adjustment=SYDNEY,
        payment_adjustment=SYDNEY,
        termination_date_adjustment=SYDNEY,
    )
    return Trade(
        identifiers=TradeIdentifiers(source_trade_id=trade_id, uti=f"{payer.lei}{trade_id.replace('-', '')}"),
        trade_date=trade_date,
        product=ProductClass.OIS if ois else ProductClass.IRS,
        parties=(
            Party(payer.lei, name=payer.name, account="HOUSE"),
            Party(receiver.lei, name=receiver.name, account="HOUSE"),
        ),
        streams=(fixed, floating),
    )


def demo_day(business_date: date, *, trades: int = 60, seed: int = 2026) -> list[DemoTrade]:
    """``trades`` straight-through trades plus one of each exception, in submission order."""
    rng = random.Random(seed)
    a, b, c = MEMBERS
    day: list[DemoTrade] = []
    for n in range(1, trades + 1):
        payer, receiver = rng.sample([a, b], 2)
        route = Route.FPML_MQTT
        if n % 6 == 0:  # Bank C reports some of its own small trades over FIX
            payer, receiver = (c, a) if n % 12 == 0 else (b, c)
            route = Route.FIX
        ois = n % 5 == 0
        years = rng.choice((1, 2, 3)) if ois else rng.choice((2, 3, 5, 7, 10, 15, 20, 30))
        notional = Decimal(rng.choice((5, 10, 25, 50, 100, 250))) * 1_000_000
        if route is Route.FIX:
            notional = Decimal(rng.choice((1, 2, 5))) * 1_000_000
            years = min(years, 3)
        rate = Decimal(rng.randint(3600, 4600)) / Decimal(100_000)
        trade = _swap(
            f"MW-{n:05d}",
            payer=payer,
            receiver=receiver,
            trade_date=business_date,
            notional=notional,
            rate=rate,
            years=years,
            ois=ois,
        )
        day.append(DemoTrade(trade, Intent.CLEAR, route))
    exceptions = [
        DemoTrade(
            _swap(
                "MW-CALL",
                payer=c,
                receiver=a,
                trade_date=business_date,
                notional=Decimal(400_000_000),
                rate=Decimal("0.0415"),
                years=10,
            ),
            Intent.COLLATERAL_CALL,
            Route.FPML_MQTT,
        ),
        DemoTrade(
            _swap(
                "MW-40Y",
                payer=a,
                receiver=b,
                trade_date=business_date,
                notional=Decimal(50_000_000),
                rate=Decimal("0.0455"),
                years=40,
            ),
            Intent.INELIGIBLE,
            Route.FPML_MQTT,
        ),
        DemoTrade(
            _swap(
                "MW-OIS10Y",
                payer=b,
                receiver=a,
                trade_date=business_date,
                notional=Decimal(100_000_000),
                rate=Decimal("0.0401"),
                years=10,
                ois=True,
            ),
            Intent.INELIGIBLE,
            Route.FPML_MQTT,
        ),
        DemoTrade(
            _swap(
                "MW-HUGE",
                payer=b,
                receiver=a,
                trade_date=business_date,
                notional=Decimal(5_000_000_000),
                rate=Decimal("0.0430"),
                years=30,
            ),
            Intent.CREDIT,
            Route.FPML_MQTT,
        ),
        DemoTrade(
            _swap(
                "MW-BACK",
                payer=a,
                receiver=b,
                trade_date=business_date - timedelta(days=21),
                notional=Decimal(75_000_000),
                rate=Decimal("0.0398"),
                years=5,
            ),
            Intent.BACKLOAD,
            Route.FPML_MQTT,
        ),
    ]
    # Exceptions arrive spread through the day, not at the end.
    for i, extra in enumerate(exceptions):
        day.insert(min(len(day), (i + 1) * max(1, len(day) // (len(exceptions) + 1))), extra)
    return day


def ab_trades(business_date: date, n: int, *, seed: int, prefix: str) -> list[Trade]:
    """``n`` eligible A$ swaps between Bank A and Bank B (the benchmark's and the crash test's load)."""
    rng = random.Random(seed)
    a, b = MEMBERS[0], MEMBERS[1]
    out = []
    for i in range(1, n + 1):
        payer, receiver = (a, b) if rng.random() < 0.5 else (b, a)
        ois = i % 5 == 0
        out.append(
            _swap(
                f"{prefix}-{i:06d}",
                payer=payer,
                receiver=receiver,
                trade_date=business_date,
                notional=Decimal(rng.choice((5, 10, 25, 50, 100))) * 1_000_000,
                rate=Decimal(rng.randint(3600, 4600)) / Decimal(100_000),
                years=rng.choice((1, 2, 3)) if ois else rng.choice((2, 5, 10, 30)),
                ois=ois,
            )
        )
    return out
