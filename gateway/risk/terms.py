"""Compile resolved trades into exponential terms: ``NPV(z) = sum_k c_k * exp(L_k . z)``.

``z`` is the market's pillar vector (every curve's zero rates). A fixed amount paid at ``p`` is
``c * DF_disc(p)``; a projected floating coupon ``N * (P(s)/P(e) - 1)`` paid at ``p`` is the two terms
``N * DF_disc(p) * P(s) / P(e)`` and ``-N * DF_disc(p)``. Each ``ln DF(t)`` is linear in two pillar
rates (linear interpolation in zero rate, flat outside), so ``L_k`` has at most six non-zero entries.
Under a scenario shift ``dz`` a term moves by ``v_k * expm1(L_k . dz)`` with ``v_k`` its value today:
exact revaluation, no Taylor expansion.

Running periods, given the published fixings (``fixings``, from the fixings store): a term-index coupon
fixed before as-of (or on as-of, once that fixing is stored) is a known amount at its fixing; an overnight coupon accrues its fixings up to
as-of (a known factor) and projects the rest, so it stays one exponential term whose start node is as-of
(``gateway.risk.fixed_coupons``). A missing fixing is an error. Without ``fixings`` (tools, what-if
pricing) such a coupon is valued at the rate today's projection curve implies for its whole period,
held fixed in every scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from gateway.domain.reasons import ReasonCode
from gateway.risk.conventions import unpriceable
from gateway.risk.fixed_coupons import SetCoupons, set_coupons, touches
from gateway.risk.market.curves import DAYS_PER_YEAR, Curve, FloatArray, IntArray
from gateway.risk.market.data import MarketData
from gateway.risk.market.fixings import FixingTable
from gateway.risk.resolve import ResolvedTrade

SLOTS = 3  # discount at payment, projection at start (+), projection at end (-)
NONE = -1


@dataclass(frozen=True, slots=True, eq=False)
class TermSet:
    """Terms of many trades, each owned by one trade (its index in the input)."""

    owner: IntArray  # (n,)
    value: FloatArray  # (n,) today's value of the term, from the owner's perspective
    pillars: IntArray  # (n, 2*SLOTS) global pillar indices
    weights: FloatArray  # (n, 2*SLOTS) with L_k . z = sum_j weights[k, j] * z[pillars[k, j]]
    nodes: IntArray  # (n, 2*SLOTS) curve id and day ordinal of each slot: a canonical key
    owners: int

    @property
    def size(self) -> int:
        return int(self.owner.size)

    def npv(self) -> FloatArray:
        out: FloatArray = np.bincount(self.owner, weights=self.value, minlength=self.owners).astype(
            np.float64
        )
        return out

    def select(self, mask: np.ndarray) -> TermSet:
        return TermSet(
            self.owner[mask],
            self.value[mask],
            self.pillars[mask],
            self.weights[mask],
            self.nodes[mask],
            self.owners,
        )


@dataclass(slots=True)
class _Rows:
    owner: list[IntArray]
    coef: list[FloatArray]
    curve: list[IntArray]  # (m, SLOTS)
    day: list[IntArray]  # (m, SLOTS)


def _sign(trade: ResolvedTrade, payer: str, receiver: str, perspective: str, path: str) -> float:
    if perspective == receiver:
        return 1.0
    if perspective == payer:
        return -1.0
    raise unpriceable(
        ReasonCode.RISK_UNPRICEABLE, path, f"{perspective} is not a party to trade {trade.trade_id}"
    )


def _cancel(curve: IntArray, day: IntArray) -> None:
    """Drop the discount node and the negative projection node where they are the same node."""
    cancel = (curve[:, 0] == curve[:, 2]) & (day[:, 0] == day[:, 2])
    curve[cancel, 0] = curve[cancel, 1]
    day[cancel, 0] = day[cancel, 1]
    curve[cancel, 1:] = NONE
    day[cancel, 1:] = 0


def _fra_rows(
    rows: _Rows,
    n: int,
    trade: ResolvedTrade,
    who: str,
    market: MarketData,
    curve_ids: dict[str, int],
    fixings: FixingTable | None,
) -> None:
    """FRA discounting: ``N (F - K) tau / (1 + F tau)`` paid at the start ``p``.

    With ``1 + F tau = P(s)/P(e)`` that is ``N DF(p) - N (1 + K tau) DF(p) P(e)/P(s)`` for the
    floating receiver: two exponential terms, exact in every scenario.
    """
    fixed = next(leg for leg in trade.legs if leg.projection is None)
    flt = next(leg for leg in trade.legs if leg.projection is not None)
    path = f"{trade.trade_id}.streams[{flt.stream}]"
    sign = _sign(trade, flt.payer, flt.receiver, who, path)
    as_of = market.as_of.toordinal()
    pay = int(flt.pay[0])
    if pay <= as_of:
        return
    disc = market.discount_curve(flt.currency, f"{path}.currency")
    proj = market.curve(flt.projection or "", f"{path}.floatingRateIndex")
    d_id, p_id = curve_ids[disc.name], curve_ids[proj.name]
    notional = float(flt.notional[0])
    tau = float(fixed.accrual[0])
    strike = float(fixed.rate[0])
    s, e = int(flt.start[0]), int(flt.end[0])
    fixing_day = date.fromordinal(int(flt.fixing[0]))
    today = None if fixings is None or flt.fixing[0] != as_of else fixings.get(proj.name, fixing_day)
    if today is not None or flt.fixing[0] < as_of:  # set: the settlement amount is known
        if fixings is not None:
            rate = (
                today
                if today is not None
                else fixings.rate(proj.name, fixing_day, f"{path}.floatingRateIndex")
            )
            growth = 1.0 + rate * tau
        else:
            ts, te = np.array([(s - as_of) / DAYS_PER_YEAR]), np.array([(e - as_of) / DAYS_PER_YEAR])
            growth = float(proj.discount(ts)[0] / proj.discount(te)[0])
        amount = notional * (growth - 1.0 - strike * tau) / growth
        curve = np.array([[d_id, NONE, NONE]], dtype=np.int64)
        day = np.array([[pay, 0, 0]], dtype=np.int64)
        rows.owner.append(np.array([n], dtype=np.int64))
        rows.coef.append(np.array([sign * amount]))
        rows.curve.append(curve)
        rows.day.append(day)
        return
    curve = np.array([[d_id, NONE, NONE], [d_id, p_id, p_id]], dtype=np.int64)
    day = np.array([[pay, 0, 0], [pay, e, s]], dtype=np.int64)
    _cancel(curve[1:], day[1:])
    rows.owner.append(np.array([n, n], dtype=np.int64))
    rows.coef.append(np.array([sign * notional, -sign * notional * (1.0 + strike * tau)]))
    rows.curve.append(curve)
    rows.day.append(day)


def _known_rows(rows: _Rows, owner: IntArray, amount: FloatArray, d_id: IntArray, day_: IntArray) -> None:
    """Known amounts paid on ``day_``: one discount node each."""
    k = amount.size
    if not k:
        return
    curve = np.full((k, SLOTS), NONE, dtype=np.int64)
    curve[:, 0] = d_id
    day = np.zeros((k, SLOTS), dtype=np.int64)
    day[:, 0] = day_
    rows.owner.append(owner.astype(np.int64))
    rows.coef.append(amount)
    rows.curve.append(curve)
    rows.day.append(day)


def _coupon_rows(
    rows: _Rows,
    legs: list[tuple[int, float, int, int, int]],
    cols: dict[str, list[np.ndarray]],
    as_of: int,
    curves: list[Curve],
    touched: list[tuple[int, SetCoupons]],
) -> None:
    """Coupons of every leg at once: fixed, set floating (by fixings: ``touched``, the first row of each
    leg with a set coupon), and projected floating."""
    meta = np.array([(n, sign, d, p) for n, sign, d, p, _ in legs])
    sizes = np.array([k for *_, k in legs])
    owner = np.repeat(meta[:, 0].astype(np.int64), sizes)
    sign = np.repeat(meta[:, 1], sizes)
    d_id = np.repeat(meta[:, 2].astype(np.int64), sizes)
    p_id = np.repeat(meta[:, 3].astype(np.int64), sizes)
    c = {k: np.concatenate(v) for k, v in cols.items()}
    total = int(sizes.sum())
    c["set"], c["growth"], c["running"] = np.full(total, np.nan), np.ones(total), np.zeros(total, dtype=bool)
    for at, done in touched:
        part = slice(at, at + done.known.size)
        c["set"][part], c["growth"][part], c["running"][part] = done.known, done.growth, done.running
        c["start"][part] = done.start
    live = c["pay"] > as_of
    owner, sign, d_id, p_id = owner[live], sign[live], d_id[live], p_id[live]
    c = {k: v[live] for k, v in c.items()}
    floating = p_id != NONE
    stored = ~np.isnan(c["set"])  # set by published fixings: a known amount
    running = c["running"]  # overnight, fixings accrued to as-of, the rest projected from as-of
    known = floating & (c["fixing"] < as_of) & ~stored & ~running  # set, no fixings given: curve-implied
    fwd = floating & ~known & ~stored
    n_acc = sign * c["notional"]
    amount = np.where(
        floating, n_acc * (c["spread"] * c["accrual"] - 1.0), n_acc * np.nan_to_num(c["rate"]) * c["accrual"]
    )
    amount[stored] = n_acc[stored] * c["set"][stored]
    for pid in np.unique(p_id[known]):
        hit = known & (p_id == pid)
        ts = (c["start"][hit] - as_of) / DAYS_PER_YEAR
        te = (c["end"][hit] - as_of) / DAYS_PER_YEAR
        growth = curves[int(pid)].discount(ts) / curves[int(pid)].discount(te) - 1.0
        amount[hit] = n_acc[hit] * (growth + c["spread"][hit] * c["accrual"][hit])
    _known_rows(rows, owner, amount, d_id, c["pay"])
    if fwd.any():
        curve = np.column_stack([d_id[fwd], p_id[fwd], p_id[fwd]])
        day = np.column_stack([c["pay"][fwd], c["start"][fwd], c["end"][fwd]])
        _cancel(curve, day)
        rows.owner.append(owner[fwd])
        rows.coef.append(n_acc[fwd] * c["growth"][fwd])
        rows.curve.append(curve)
        rows.day.append(day)


def compile_terms(
    trades: Sequence[ResolvedTrade],
    perspectives: Sequence[str],
    market: MarketData,
    *,
    max_extrapolation_days: int = 366,
    fixings: FixingTable | None = None,
) -> TermSet:
    """Terms for every trade seen from its perspective party; flows paid on or before as-of are gone.

    With ``fixings``, coupons already fixed use them (MKT_MISSING_FIXING when one is not there)."""
    if len(trades) != len(perspectives):
        raise ValueError("one perspective per trade")
    as_of = market.as_of.toordinal()
    curve_ids = {name: i for i, name in enumerate(market.curves)}
    curves = list(market.curves.values())
    rows = _Rows([], [], [], [])
    legs: list[tuple[int, float, int, int, int]] = []  # owner, sign, discount id, projection id, rows
    cols: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "pay",
            "start",
            "end",
            "fixing",
            "notional",
            "accrual",
            "rate",
            "spread",
        )
    }
    principal: list[tuple[int, float, int, IntArray, FloatArray]] = []
    touched: list[tuple[int, SetCoupons]] = []  # legs with coupons set by fixings, by their first row
    row = 0
    for n, (trade, who) in enumerate(zip(trades, perspectives, strict=True)):
        if trade.fra:
            _fra_rows(rows, n, trade, who, market, curve_ids, fixings)
            continue
        for leg in trade.legs:
            path = f"{trade.trade_id}.streams[{leg.stream}]"
            sign = _sign(trade, leg.payer, leg.receiver, who, path)
            d_id = curve_ids[market.discount_curve(leg.currency, f"{path}.currency").name]
            p_id = NONE
            if leg.projection is not None:
                p_id = curve_ids[market.curve(leg.projection, f"{path}.floatingRateIndex").name]
            if fixings is not None and touches(leg, as_of):
                touched.append((row, set_coupons(leg, as_of, fixings, f"{path}.floatingRateIndex")))
            legs.append((n, sign, d_id, p_id, leg.pay.size))
            row += leg.pay.size
            cols["pay"].append(leg.pay)
            cols["start"].append(leg.start)
            cols["end"].append(leg.end)
            cols["fixing"].append(leg.fixing)
            cols["notional"].append(leg.notional)
            cols["accrual"].append(leg.accrual)
            cols["rate"].append(leg.rate)
            cols["spread"].append(leg.spread)
            if leg.principal_dates.size:
                principal.append((n, sign, d_id, leg.principal_dates, leg.principal_amounts))
    if legs:
        _coupon_rows(rows, legs, cols, as_of, curves, touched)
    for n, sign, d_id, days_, amounts_ in principal:
        live = days_ > as_of
        _known_rows(
            rows,
            np.full(int(live.sum()), n),
            sign * amounts_[live],
            np.full(int(live.sum()), d_id),
            days_[live],
        )
    if not rows.owner:
        empty_i = np.zeros((0, 2 * SLOTS), dtype=np.int64)
        return TermSet(
            np.zeros(0, dtype=np.int64), np.zeros(0), empty_i, np.zeros((0, 2 * SLOTS)), empty_i, len(trades)
        )
    owner = np.concatenate(rows.owner)
    coef = np.concatenate(rows.coef)
    curve_of = np.concatenate(rows.curve)
    day_of = np.concatenate(rows.day)
    keep = coef != 0.0
    owner, coef, curve_of, day_of = owner[keep], coef[keep], curve_of[keep], day_of[keep]
    pillars = np.zeros((owner.size, 2 * SLOTS), dtype=np.int64)
    weights = np.zeros((owner.size, 2 * SLOTS))
    slot_sign = np.array([1.0, 1.0, -1.0])
    for c_id, c in enumerate(curves):
        hit = curve_of == c_id
        if not hit.any():
            continue
        limit = c.last_date.toordinal() + max_extrapolation_days
        beyond = hit & (day_of > limit)
        if beyond.any():
            k, _ = np.argwhere(beyond)[0]
            raise unpriceable(
                ReasonCode.RISK_BEYOND_CURVE,
                f"trade[{int(owner[k])}]",
                f"a cash flow on day {int(day_of[beyond].max())} (ordinal) lies beyond curve {c.name}, "
                f"which ends at {c.tenors[-1]} ({c.last_date}); at most {max_extrapolation_days} days of flat "
                "extrapolation are allowed",
            )
        r, s = np.nonzero(hit)
        t = (day_of[r, s] - as_of) / DAYS_PER_YEAR
        ia, wa, ib, wb = c.log_df_weights(t)
        pillars[r, 2 * s] = ia
        pillars[r, 2 * s + 1] = ib
        weights[r, 2 * s] = wa * slot_sign[s]
        weights[r, 2 * s + 1] = wb * slot_sign[s]
    # Empty slots point at a pillar the term already uses, with weight zero.
    used = curve_of != NONE
    first = np.repeat(pillars[:, :1], 2 * SLOTS, axis=1)
    empty = np.repeat(~used, 2, axis=1)
    pillars[empty] = first[empty]
    z0 = market.rates
    value = coef * np.exp((weights * z0[pillars]).sum(axis=1))
    nodes = np.empty((owner.size, 2 * SLOTS), dtype=np.int64)
    nodes[:, 0::2] = curve_of
    nodes[:, 1::2] = np.where(used, day_of, 0)
    return TermSet(owner, value, pillars, weights, nodes, len(trades))


def concat(parts: Sequence[TermSet], owners: int) -> TermSet:
    """Term sets already owned in one owner space, stacked."""
    return TermSet(
        np.concatenate([p.owner for p in parts]),
        np.concatenate([p.value for p in parts]),
        np.concatenate([p.pillars for p in parts]),
        np.concatenate([p.weights for p in parts]),
        np.concatenate([p.nodes for p in parts]),
        owners,
    )


def group_rows(nodes: IntArray, extra: IntArray | None = None) -> tuple[IntArray, IntArray, int]:
    """Group identical node rows (and ``extra`` values): (first row of each group, group of each row, count).

    Each slot packs into 27 bits (curve id + 1 in 7, day ordinal in 20), so a row is two int64 keys and
    grouping is one two-key sort instead of a sort of six-column rows.
    """
    n = nodes.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0
    slots = ((nodes[:, 0::2] + 1) << 20) | nodes[:, 1::2]
    high = (slots[:, 0] << 27) | slots[:, 1]
    low = slots[:, 2] if extra is None else (extra << 27) | slots[:, 2]
    order = np.lexsort((low, high))
    hs, ls = high[order], low[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = (hs[1:] != hs[:-1]) | (ls[1:] != ls[:-1])
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse, int(new.sum())


def merge(terms: TermSet, owner_map: IntArray, owners: int) -> TermSet:
    """Re-own terms (e.g. trade -> account) and add up terms with the same form and owner: exact."""
    new_owner = owner_map[terms.owner]
    first, inverse, count = group_rows(terms.nodes, new_owner)
    # Add each group's values smallest first: equal and opposite values (a trade and its mirror, the two
    # sides of a novation) then cancel to exactly zero, so a flat book has exactly zero P&L.
    order = np.lexsort((np.abs(terms.value), inverse))
    value = np.bincount(inverse[order], weights=terms.value[order], minlength=count)
    live = value != 0.0  # cancelled terms cost nothing in the scenarios
    rows = first[live]
    return TermSet(
        new_owner[rows], value[live], terms.pillars[rows], terms.weights[rows], terms.nodes[rows], owners
    )
