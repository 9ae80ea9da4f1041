"""End of day's tables (``eod_runs``, ``npv_history``, ``variation_margin``, ``price_alignment_interest``):
rows <-> values. Each ``put_*`` replaces the day's rows, so a rerun of a step leaves what one run leaves."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.clearing.eod_ports import EodStepRow, StepState
from gateway.clearing.margin_cycle import AccountKey, FeePaid, PaiFigure, TradeDay, TradeVm
from gateway.domain.enums import PositionStatus
from gateway.domain.events import EventOutcome, terms_from_dict
from gateway.store import tables as t

_CHUNK = 5_000  # rows per multi-row statement


async def steps(conn: AsyncConnection, business_date: date) -> list[EodStepRow]:
    r = t.eod_runs.c
    rows = await conn.execute(
        select(t.eod_runs).where(r.business_date == business_date).order_by(r.started_at)
    )
    return [
        EodStepRow(
            x.business_date, x.step, StepState(x.state), x.started_at, x.finished_at, x.owner, x.detail
        )
        for x in rows
    ]


async def start_step(conn: AsyncConnection, business_date: date, step: str, owner: str, at: datetime) -> None:
    r = t.eod_runs.c
    values = {
        "state": StepState.RUNNING.value,
        "started_at": at,
        "finished_at": None,
        "owner": owner,
        "detail": None,
    }
    done = await conn.execute(
        update(t.eod_runs).where(r.business_date == business_date, r.step == step).values(**values)
    )
    if not done.rowcount:
        await conn.execute(t.eod_runs.insert().values(business_date=business_date, step=step, **values))


async def finish_step(
    conn: AsyncConnection, business_date: date, step: str, state: StepState, at: datetime, detail: str | None
) -> None:
    r = t.eod_runs.c
    await conn.execute(
        update(t.eod_runs)
        .where(r.business_date == business_date, r.step == step)
        .values(state=state.value, finished_at=at, detail=detail)
    )


async def put_npvs(
    conn: AsyncConnection, business_date: date, npvs: Sequence[tuple[str, Decimal, str]]
) -> None:
    h = t.npv_history.c
    ids = [i for i, _, _ in npvs]
    for k in range(0, len(ids), _CHUNK):
        await conn.execute(
            delete(t.npv_history).where(
                h.business_date == business_date, h.ccp_trade_id.in_(ids[k : k + _CHUNK])
            )
        )
    rows = [{"ccp_trade_id": i, "business_date": business_date, "npv": v, "currency": c} for i, v, c in npvs]
    for k in range(0, len(rows), _CHUNK):
        await conn.execute(t.npv_history.insert(), rows[k : k + _CHUNK])


async def vm_inputs(conn: AsyncConnection, business_date: date) -> list[TradeDay]:
    c = t.cleared_trades.c
    h = t.npv_history.c
    v = t.variation_margin.c
    last = (
        select(v.ccp_trade_id, func.max(v.business_date).label("last_date"))
        .where(v.business_date < business_date)
        .group_by(v.ccp_trade_id)
        .subquery()
    )
    previous = (
        select(v.ccp_trade_id, v.npv)
        .join(last, and_(last.c.ccp_trade_id == v.ccp_trade_id, last.c.last_date == v.business_date))
        .subquery()
    )
    today = select(h.ccp_trade_id, h.npv).where(h.business_date == business_date).subquery()
    live = and_(
        c.status == PositionStatus.CLEARED.value,
        c.business_date <= business_date,
        c.maturity_date >= business_date,
    )
    q = (
        select(
            c.ccp_trade_id,
            c.member_id,
            c.account_id,
            c.currency,
            live.label("live"),
            today.c.npv.label("npv"),
            previous.c.npv.label("previous"),
        )
        .outerjoin(today, today.c.ccp_trade_id == c.ccp_trade_id)
        .outerjoin(previous, previous.c.ccp_trade_id == c.ccp_trade_id)
        .where(live | previous.c.npv.is_not(None) | today.c.npv.is_not(None))
        .order_by(c.ccp_trade_id)
    )
    out: list[TradeDay] = []
    for r in await conn.execute(q):
        live_now = bool(r.live)
        if not live_now and r.npv is None and (r.previous is None or r.previous == 0):
            continue  # gone from clearing and already called down to zero
        out.append(
            TradeDay(r.ccp_trade_id, r.member_id, r.account_id, r.currency, r.npv, r.previous, live_now)
        )
    return out


async def fees(conn: AsyncConnection, start: datetime, end: datetime) -> list[FeePaid]:
    e = t.trade_events.c
    c = t.cleared_trades.c
    rows = await conn.execute(
        select(e.ccp_trade_ids, e.terms_json)
        .where(
            e.outcome == EventOutcome.CONFIRMED.value,
            e.fee_amount.is_not(None),
            e.at > start,
            e.at <= end,
        )
        .order_by(e.id)
    )
    # (ccp id, payer, receiver, amount, currency, payment date)
    wanted: list[tuple[str, str, str, Decimal, str, date | None]] = []
    for r in rows:
        terms = terms_from_dict(json.loads(r.terms_json))
        if terms.fee is None:
            continue
        fee = terms.fee
        for ccp_trade_id in json.loads(r.ccp_trade_ids)[:2]:
            wanted.append(
                (
                    ccp_trade_id,
                    fee.payer,
                    fee.receiver,
                    fee.amount.amount,
                    fee.amount.currency,
                    fee.payment_date,
                )
            )
    if not wanted:
        return []
    sides = {
        s.ccp_trade_id: s
        for s in await conn.execute(
            select(c.ccp_trade_id, c.member_id, c.account_id, c.party_id).where(
                c.ccp_trade_id.in_({w[0] for w in wanted})
            )
        )
    }
    out: list[FeePaid] = []
    for ccp_trade_id, payer, receiver, amount, currency, paid_on in wanted:
        s = sides.get(ccp_trade_id)
        if s is not None:
            out.append(
                FeePaid(
                    ccp_trade_id,
                    s.member_id,
                    s.account_id,
                    s.party_id,
                    currency,
                    payer,
                    receiver,
                    amount,
                    paid_on,
                )
            )
    return out


async def put_vm(conn: AsyncConnection, business_date: date, rows: Sequence[TradeVm]) -> None:
    await conn.execute(delete(t.variation_margin).where(t.variation_margin.c.business_date == business_date))
    values = [
        {
            "business_date": business_date,
            "ccp_trade_id": r.ccp_trade_id,
            "member_id": r.member_id,
            "account_id": r.account_id,
            "currency": r.currency,
            "npv": r.npv,
            "previous_npv": r.previous,
            "payments": r.payments,
            "vm": r.vm,
        }
        for r in rows
    ]
    for k in range(0, len(values), _CHUNK):
        await conn.execute(t.variation_margin.insert(), values[k : k + _CHUNK])


async def vm(conn: AsyncConnection, business_date: date, member_id: str | None) -> list[TradeVm]:
    v = t.variation_margin.c
    q = select(t.variation_margin).where(v.business_date == business_date)
    if member_id is not None:
        q = q.where(v.member_id == member_id)
    rows = await conn.execute(q.order_by(v.member_id, v.account_id, v.currency, v.ccp_trade_id))
    return [
        TradeVm(
            r.ccp_trade_id, r.member_id, r.account_id, r.currency, r.npv, r.previous_npv, r.payments, r.vm
        )
        for r in rows
    ]


async def vm_balances(conn: AsyncConnection, business_date: date) -> dict[AccountKey, Decimal]:
    v = t.variation_margin.c
    rows = await conn.execute(
        select(v.member_id, v.account_id, v.currency, v.vm).where(v.business_date <= business_date)
    )
    out: dict[AccountKey, Decimal] = {}
    for r in rows:  # summed here: exact on SQLite too, whose columns hold text
        key = (r.member_id, r.account_id, r.currency)
        out[key] = out.get(key, Decimal(0)) + r.vm
    return dict(sorted(out.items()))


async def put_pai(conn: AsyncConnection, business_date: date, figures: Sequence[PaiFigure]) -> None:
    p = t.price_alignment_interest.c
    await conn.execute(delete(t.price_alignment_interest).where(p.business_date == business_date))
    if figures:
        await conn.execute(
            t.price_alignment_interest.insert(),
            [
                {
                    "business_date": business_date,
                    "member_id": f.member_id,
                    "account_id": f.account_id,
                    "currency": f.currency,
                    "balance": f.balance,
                    "overnight_index": f.index,
                    "rate": f.rate,
                    "days": f.days,
                    "basis": f.basis,
                    "amount": f.amount,
                }
                for f in figures
            ],
        )


async def pai(conn: AsyncConnection, business_date: date, member_id: str | None) -> list[PaiFigure]:
    p = t.price_alignment_interest.c
    q = select(t.price_alignment_interest).where(p.business_date == business_date)
    if member_id is not None:
        q = q.where(p.member_id == member_id)
    rows = await conn.execute(q.order_by(p.member_id, p.account_id, p.currency))
    return [
        PaiFigure(
            r.member_id,
            r.account_id,
            r.currency,
            r.balance,
            r.overnight_index,
            r.rate,
            r.days,
            r.basis,
            r.amount,
        )
        for r in rows
    ]
