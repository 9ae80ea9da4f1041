"""Resolved cash flows of one trade with today's rates, amounts and present values (for people)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from gateway.risk.fixed_coupons import set_coupons, touches
from gateway.risk.market.curves import DAYS_PER_YEAR
from gateway.risk.market.data import MarketData
from gateway.risk.market.fixings import FixingTable
from gateway.risk.resolve import ResolvedTrade


def _iso(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def cashflow_rows(
    trade: ResolvedTrade, perspective: str, market: MarketData, fixings: FixingTable | None = None
) -> list[dict[str, Any]]:
    """Every unpaid coupon and principal flow, signed from ``perspective``'s side (+ received); with
    ``fixings``, coupons set by them as valuation sets them (``floating-set``; ``floating-running`` for an
    overnight period part accrued, part projected)."""
    as_of = market.as_of.toordinal()
    if trade.fra:
        return _fra_rows(trade, perspective, market, fixings)
    out: list[dict[str, Any]] = []
    for leg in trade.legs:
        sign = 1.0 if perspective == leg.receiver else -1.0
        disc = market.discount_curve(leg.currency)
        live = leg.pay > as_of
        t_pay = (leg.pay[live] - as_of) / DAYS_PER_YEAR
        df = disc.discount(t_pay)
        start, end, accrual, notional = leg.start[live], leg.end[live], leg.accrual[live], leg.notional[live]
        if leg.projection is None:
            rate = leg.rate[live]
            amount = notional * rate * accrual
            kind = "fixed"
        else:
            proj = market.curve(leg.projection)
            ts = (start - as_of) / DAYS_PER_YEAR
            te = (end - as_of) / DAYS_PER_YEAR
            growth = proj.discount(ts) / proj.discount(te) - 1.0
            rate = growth / accrual + leg.spread[live]
            amount = notional * (growth + leg.spread[live] * accrual)
            kind = "floating"
        kinds = np.full(amount.size, kind, dtype=object)
        if leg.projection is not None:
            kinds[leg.fixing[live] < as_of] = "floating-set"
            if fixings is not None and touches(leg, as_of):
                done = set_coupons(leg, as_of, fixings, f"streams[{leg.stream}].floatingRateIndex")
                fixed_now, running = ~np.isnan(done.known[live]), done.running[live]
                amount[fixed_now] = notional[fixed_now] * done.known[live][fixed_now]
                rate[fixed_now] = done.known[live][fixed_now] / accrual[fixed_now]
                te_run = (end[running] - as_of) / DAYS_PER_YEAR
                projected = done.growth[live][running] / market.curve(leg.projection).discount(te_run) - 1.0
                amount[running] = notional[running] * (
                    projected + leg.spread[live][running] * accrual[running]
                )
                rate[running] = projected / accrual[running] + leg.spread[live][running]
                kinds[fixed_now] = "floating-set"
                kinds[running] = "floating-running"
                kinds[~fixed_now & ~running] = "floating"
        for i in range(amount.size):
            out.append(
                {
                    "stream": leg.stream,
                    "kind": str(kinds[i]),
                    "payer": leg.payer,
                    "receiver": leg.receiver,
                    "accrual_start": _iso(start[i]),
                    "accrual_end": _iso(end[i]),
                    "payment_date": _iso(leg.pay[live][i]),
                    "year_fraction": float(accrual[i]),
                    "notional": float(notional[i]),
                    "rate": float(rate[i]),
                    "index": leg.projection,
                    "amount": float(sign * amount[i]),
                    "discount_factor": float(df[i]),
                    "present_value": float(sign * amount[i] * df[i]),
                }
            )
        p_live = leg.principal_dates > as_of
        if p_live.any():
            days = leg.principal_dates[p_live]
            p_df = disc.discount((days - as_of) / DAYS_PER_YEAR)
            for d, a, f in zip(days, leg.principal_amounts[p_live], p_df, strict=True):
                out.append(
                    {
                        "stream": leg.stream,
                        "kind": "principal",
                        "payer": leg.payer,
                        "receiver": leg.receiver,
                        "payment_date": _iso(d),
                        "amount": float(sign * a),
                        "discount_factor": float(f),
                        "present_value": float(sign * a * f),
                    }
                )
    out.sort(key=lambda r: (r["payment_date"], r["stream"]))
    return out


def _fra_rows(
    trade: ResolvedTrade, perspective: str, market: MarketData, fixings: FixingTable | None
) -> list[dict[str, Any]]:
    """The FRA's one settlement: ``N (F - K) tau / (1 + F tau)`` paid at the start, to the floating receiver."""
    as_of = market.as_of.toordinal()
    fixed = next(leg for leg in trade.legs if leg.projection is None)
    flt = next(leg for leg in trade.legs if leg.projection is not None)
    pay = int(flt.pay[0])
    if pay <= as_of:
        return []
    proj = market.curve(flt.projection or "")
    disc = market.discount_curve(flt.currency)
    ts = np.array([(int(flt.start[0]) - as_of) / DAYS_PER_YEAR])
    te = np.array([(int(flt.end[0]) - as_of) / DAYS_PER_YEAR])
    tau = float(fixed.accrual[0])
    growth = float(proj.discount(ts)[0] / proj.discount(te)[0])
    fixing_day = date.fromordinal(int(flt.fixing[0]))
    if fixings is not None and flt.fixing[0] <= as_of:
        if flt.fixing[0] < as_of:
            growth = (
                1.0 + fixings.rate(proj.name, fixing_day, f"streams[{flt.stream}].floatingRateIndex") * tau
            )
        elif (today := fixings.get(proj.name, fixing_day)) is not None:
            growth = 1.0 + today * tau
    forward = (growth - 1.0) / tau
    strike = float(fixed.rate[0])
    sign = 1.0 if perspective == flt.receiver else -1.0
    amount = sign * float(flt.notional[0]) * (forward - strike) * tau / growth
    df = float(disc.discount(np.array([(pay - as_of) / DAYS_PER_YEAR]))[0])
    return [
        {
            "stream": flt.stream,
            "kind": "fra-settlement",
            "payer": flt.payer,
            "receiver": flt.receiver,
            "accrual_start": _iso(flt.start[0]),
            "accrual_end": _iso(flt.end[0]),
            "payment_date": _iso(pay),
            "year_fraction": tau,
            "notional": float(flt.notional[0]),
            "rate": forward,
            "fixed_rate": strike,
            "index": flt.projection,
            "amount": amount,
            "discount_factor": df,
            "present_value": amount * df,
        }
    ]


def total_pv(rows: list[dict[str, Any]]) -> float:
    return float(np.sum([r["present_value"] for r in rows])) if rows else 0.0
