"""Resolved cash flows of one trade with today's rates, amounts and present values (for people)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from gateway.risk.market.curves import DAYS_PER_YEAR
from gateway.risk.market.data import MarketData
from gateway.risk.resolve import ResolvedTrade


def _iso(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def cashflow_rows(trade: ResolvedTrade, perspective: str, market: MarketData) -> list[dict[str, Any]]:
    """Every unpaid coupon and principal flow, signed from ``perspective``'s side (+ received)."""
    as_of = market.as_of.toordinal()
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
        known = leg.fixing[live] < as_of
        for i in range(amount.size):
            out.append(
                {
                    "stream": leg.stream,
                    "kind": "floating-set" if leg.projection is not None and known[i] else kind,
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


def total_pv(rows: list[dict[str, Any]]) -> float:
    return float(np.sum([r["present_value"] for r in rows])) if rows else 0.0
