"""An independent QuantLib pricing of canonical trades, the reference the engine is checked against.

Curves: ``ql.ZeroCurve`` on the same pillars (linear in continuous ACT/365F zero rates), with a node
at the as-of date and one far beyond the last pillar carrying the end rates, which is flat
extrapolation. Legs: ``ql.Schedule`` + ``FixedRateLeg`` / ``IborLeg`` (par coupons) / ``OvernightLeg``,
priced with ``DiscountingSwapEngine`` on the currency's discounting curve.
"""

from __future__ import annotations

from typing import Any

import QuantLib as ql

from gateway.domain.enums import BusinessDayConvention, DayCount, PeriodUnit, ProductClass
from gateway.domain.trade import Stream, Trade
from gateway.domain.values import DateAdjustment
from gateway.refdata.indices import curve_name, index_info
from gateway.risk import MarketData

_UNIT = {
    PeriodUnit.DAY: ql.Days,
    PeriodUnit.WEEK: ql.Weeks,
    PeriodUnit.MONTH: ql.Months,
    PeriodUnit.YEAR: ql.Years,
}
_CAL = {
    "AUSY": lambda: ql.Australia(ql.Australia.Settlement),
    "USNY": lambda: ql.UnitedStates(ql.UnitedStates.Settlement),
    "GBLO": lambda: ql.UnitedKingdom(ql.UnitedKingdom.Settlement),
    "EUTA": ql.TARGET,
    "DEFR": lambda: ql.Germany(ql.Germany.Settlement),
    "CHZU": ql.Switzerland,
    "CATO": lambda: ql.Canada(ql.Canada.Settlement),
}
_BDC = {
    BusinessDayConvention.MODFOLLOWING: ql.ModifiedFollowing,
    BusinessDayConvention.FOLLOWING: ql.Following,
    BusinessDayConvention.PRECEDING: ql.Preceding,
    BusinessDayConvention.NONE: ql.Unadjusted,
}
_DC = {
    DayCount.ACT_360: ql.Actual360,
    DayCount.ACT_365_FIXED: ql.Actual365Fixed,
    DayCount.THIRTY_360: lambda: ql.Thirty360(ql.Thirty360.BondBasis),
    DayCount.THIRTY_E_360: lambda: ql.Thirty360(ql.Thirty360.European),
}


def qd(d: Any) -> Any:
    return ql.Date(d.day, d.month, d.year)


def cal(a: DateAdjustment) -> Any:
    cals = [_CAL[c]() for c in a.business_centers]
    if not cals:
        return ql.NullCalendar()
    return cals[0] if len(cals) == 1 else ql.JointCalendar(*cals)


class QlMarket:
    def __init__(self, market: MarketData, bump: float = 0.0) -> None:
        self.market = market
        ql.Settings.instance().evaluationDate = qd(market.as_of)
        self.handles: dict[str, Any] = {}
        for name, c in market.curves.items():
            dates = [qd(market.as_of), *(qd(d) for d in c.dates), qd(market.as_of) + ql.Period(150, ql.Years)]
            rates = [c.zero_rates[0], *c.zero_rates, c.zero_rates[-1]]
            rates = [r + bump for r in rates]
            curve = ql.ZeroCurve(
                dates, rates, ql.Actual365Fixed(), ql.NullCalendar(), ql.Linear(), ql.Continuous
            )
            curve.enableExtrapolation()
            self.handles[name] = ql.YieldTermStructureHandle(curve)

    def schedule(self, s: Stream) -> Any:
        c = cal(s.calculation_adjustment)
        conv = _BDC[s.calculation_adjustment.convention]
        tconv = _BDC[s.termination_date_adjustment.convention]
        if s.calculation_frequency.unit is PeriodUnit.TERM:
            return ql.Schedule(
                [c.adjust(qd(s.effective_date), conv), c.adjust(qd(s.termination_date), tconv)]
            )
        f = s.calculation_frequency
        rule = ql.DateGeneration.Backward
        first = qd(s.first_regular_period_start) if s.first_regular_period_start else ql.Date()
        last = qd(s.last_regular_period_end) if s.last_regular_period_end else ql.Date()
        if s.first_regular_period_start and not s.last_regular_period_end:
            rule = ql.DateGeneration.Forward
        eom = (s.roll_convention or "").upper() == "EOM"
        return ql.Schedule(
            qd(s.effective_date), qd(s.termination_date), ql.Period(f.multiplier, _UNIT[f.unit]), c, conv, tconv,
            rule, eom, first, last,
        )  # fmt: skip

    def nominals(self, s: Stream, schedule: Any) -> list[float]:
        out = []
        for d in list(schedule)[:-1]:
            n = float(s.notional)
            for step in s.notional_steps:
                if ql.Date(step.date.day, step.date.month, step.date.year) <= d:
                    n = float(step.value)
            out.append(n)
        return out

    def leg(self, s: Stream) -> Any:
        sch = self.schedule(s)
        dc = _DC[s.day_count]()
        pay_cal = cal(s.payment_adjustment)
        pay_conv = _BDC[s.payment_adjustment.convention]
        nominals = self.nominals(s, sch)
        if s.fixed_rate is not None:
            return ql.FixedRateLeg(
                sch, dc, nominals, [float(s.fixed_rate)], paymentAdjustment=pay_conv,
                paymentCalendar=pay_cal, paymentLag=s.payment_offset_days,
            )  # fmt: skip
        info = index_info(s.floating_index or "")
        assert info is not None
        handle = self.handles[curve_name(info, s.index_tenor)]
        if info.overnight:
            index = ql.OvernightIndex("ON", 0, ql.USDCurrency(), cal(s.calculation_adjustment), dc, handle)
            return ql.OvernightLeg(
                nominals, sch, index, dc, pay_conv, spreads=[float(s.spread)], paymentCalendar=pay_cal,
                paymentLag=s.payment_offset_days,
            )  # fmt: skip
        tenor = s.index_tenor
        assert tenor is not None
        c = cal(s.calculation_adjustment)
        index = ql.IborIndex(
            "IBOR", ql.Period(tenor.multiplier, _UNIT[tenor.unit]), -s.fixing_offset_days, ql.USDCurrency(), c,
            ql.ModifiedFollowing, False, dc, handle,
        )  # fmt: skip
        return ql.IborLeg(
            nominals, sch, index, dc, pay_conv, fixingDays=[-s.fixing_offset_days], spreads=[float(s.spread)],
            paymentCalendar=pay_cal, paymentLag=s.payment_offset_days, withIndexedCoupons=False,
        )  # fmt: skip

    def npv(self, t: Trade, perspective: str) -> float:
        disc = self.handles[self.market.discounting[t.currency]]
        if t.product is ProductClass.FRA:
            return self._fra(t, perspective, disc)
        legs = [self.leg(s) for s in t.streams]
        swap = ql.Swap(legs, [s.payer == perspective for s in t.streams])
        swap.setPricingEngine(ql.DiscountingSwapEngine(disc))
        return float(swap.NPV())

    def _fra(self, t: Trade, perspective: str, disc: Any) -> float:
        fixed = next(s for s in t.streams if s.fixed_rate is not None)
        flt = next(s for s in t.streams if s.floating_index is not None)
        info = index_info(flt.floating_index or "")
        assert info is not None
        assert flt.index_tenor is not None
        handle = self.handles[curve_name(info, flt.index_tenor)]
        c = cal(flt.payment_adjustment)
        tenor = flt.index_tenor
        index = ql.IborIndex(
            "IBOR", ql.Period(tenor.multiplier, _UNIT[tenor.unit]), 0, ql.USDCurrency(), c, ql.Following, False,
            _DC[fixed.day_count](), handle,
        )  # fmt: skip
        start = c.adjust(qd(flt.effective_date), _BDC[flt.payment_adjustment.convention])
        end = qd(flt.termination_date)
        side = ql.Position.Long if flt.receiver == perspective else ql.Position.Short
        fra = ql.ForwardRateAgreement(
            index, start, end, side, float(fixed.fixed_rate or 0), float(fixed.notional), disc
        )
        return float(fra.NPV())
