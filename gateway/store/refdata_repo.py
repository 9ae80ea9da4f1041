"""Reference data rows <-> values: members, party ids, CompIDs, accounts, collateral, account risk state.

Functions take an open connection so that callers compose them into one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.enums import AccountType
from gateway.refdata.figures import MemberFigures, RiskRow
from gateway.refdata.model import Account, AssetKind, Holding, Member, MemberStatus
from gateway.store import tables as t


async def insert_member(conn: AsyncConnection, m: Member, at: datetime) -> None:
    await conn.execute(
        t.members.insert().values(
            member_id=m.member_id,
            name=m.name,
            status=m.status.value,
            base_currency=m.base_currency,
            tolerance_limit=m.tolerance_limit,
            credit_score=m.credit_score,
            created_at=at,
            updated_at=at,
        )
    )
    if m.party_ids:
        await conn.execute(
            t.member_parties.insert(), [{"party_id": p, "member_id": m.member_id} for p in m.party_ids]
        )
    if m.comp_ids:
        await conn.execute(
            t.member_comp_ids.insert(), [{"comp_id": c, "member_id": m.member_id} for c in m.comp_ids]
        )
    await insert_accounts(conn, m.accounts)


async def insert_accounts(conn: AsyncConnection, accounts: Iterable[Account]) -> None:
    rows = [
        {
            "member_id": a.member_id,
            "account_id": a.account_id,
            "account_type": a.account_type.value,
            "base_currency": a.base_currency,
        }
        for a in accounts
    ]
    if rows:
        await conn.execute(t.accounts.insert(), rows)


_MEMBER_PARTIES = (
    select(t.member_parties)
    .where(t.member_parties.c.member_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.member_parties.c.party_id)
)
_MEMBER_COMP_IDS = (
    select(t.member_comp_ids)
    .where(t.member_comp_ids.c.member_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.member_comp_ids.c.comp_id)
)
_MEMBER_ACCOUNTS = (
    select(t.accounts)
    .where(t.accounts.c.member_id.in_(bindparam("ids", expanding=True)))
    # house account first, then client accounts by id
    .order_by(t.accounts.c.account_type != AccountType.HOUSE.value, t.accounts.c.account_id)
)


async def _assemble(conn: AsyncConnection, rows: Sequence[Any]) -> list[Member]:
    ids = [r.member_id for r in rows]
    if not ids:
        return []
    parties: dict[str, list[str]] = {i: [] for i in ids}
    comps: dict[str, list[str]] = {i: [] for i in ids}
    accts: dict[str, list[Account]] = {i: [] for i in ids}
    for p in await conn.execute(_MEMBER_PARTIES, {"ids": ids}):
        parties[p.member_id].append(p.party_id)
    for c in await conn.execute(_MEMBER_COMP_IDS, {"ids": ids}):
        comps[c.member_id].append(c.comp_id)
    for a in await conn.execute(_MEMBER_ACCOUNTS, {"ids": ids}):
        accts[a.member_id].append(
            Account(a.member_id, a.account_id, AccountType(a.account_type), a.base_currency)
        )
    out = []
    for r in rows:
        mid = r.member_id
        out.append(
            Member(
                member_id=mid,
                name=r.name,
                party_ids=tuple(parties[mid]),
                comp_ids=tuple(comps[mid]),
                accounts=tuple(accts[mid]),
                status=MemberStatus(r.status),
                base_currency=r.base_currency,
                tolerance_limit=r.tolerance_limit,
                credit_score=r.credit_score,
            )
        )
    return out


async def get_member(conn: AsyncConnection, member_id: str) -> Member | None:
    rows = (await conn.execute(select(t.members).where(t.members.c.member_id == member_id))).fetchall()
    found = await _assemble(conn, rows)
    return found[0] if found else None


async def members_by_party(conn: AsyncConnection, party_ids: Iterable[str]) -> dict[str, Member]:
    """Each known party id mapped to its member."""
    found = (await conn.execute(_MEMBERS_BY_PARTY, {"ids": list(set(party_ids))})).fetchall()
    if not found:
        return {}
    rows = list({r.member_id: r for r in found}.values())
    by_id = {m.member_id: m for m in await _assemble(conn, rows)}
    return {row.party_id: by_id[row.member_id] for row in found}


_MEMBERS_BY_PARTY = (
    select(t.member_parties.c.party_id, t.members)
    .join(t.members, t.members.c.member_id == t.member_parties.c.member_id)
    .where(t.member_parties.c.party_id.in_(bindparam("ids", expanding=True)))
)


async def list_members(conn: AsyncConnection) -> list[Member]:
    rows = (await conn.execute(select(t.members).order_by(t.members.c.member_id))).fetchall()
    return await _assemble(conn, rows)


async def taken_identifiers(conn: AsyncConnection, m: Member) -> list[str]:
    """Party ids and CompIDs of ``m`` that another member (or a trade source) already holds, and its id if
    a trade source has it."""
    taken = [
        f"party id {p}"
        for p in (
            await conn.execute(
                select(t.member_parties.c.party_id).where(t.member_parties.c.party_id.in_(m.party_ids))
            )
        ).scalars()
    ]
    if m.comp_ids:
        taken += [
            f"CompID {c}"
            for c in (
                await conn.execute(
                    select(t.member_comp_ids.c.comp_id).where(t.member_comp_ids.c.comp_id.in_(m.comp_ids))
                )
            ).scalars()
        ]
        sources = t.trade_sources.c
        taken += [
            f"CompID {c} (a trade source's FIX session)"
            for c in (
                await conn.execute(select(sources.fix_comp_id).where(sources.fix_comp_id.in_(m.comp_ids)))
            ).scalars()
        ]
    source = await conn.execute(
        select(t.trade_sources.c.source_id).where(t.trade_sources.c.source_id == m.member_id)
    )
    if source.first() is not None:
        taken.append(f"id {m.member_id} is a trade source's (members are not sources)")
    user = await conn.execute(
        select(t.trade_sources.c.source_id).where(t.trade_sources.c.mqtt_user == m.member_id)
    )
    if (row := user.first()) is not None:
        # a member's broker user name is its id: it would write that source's intake topic
        taken.append(
            f"id {m.member_id} is trade source {row.source_id}'s MQTT user (members are not sources)"
        )
    return taken


async def set_status(conn: AsyncConnection, member_id: str, status: MemberStatus, at: datetime) -> bool:
    result = await conn.execute(
        update(t.members).where(t.members.c.member_id == member_id).values(status=status.value, updated_at=at)
    )
    return bool(result.rowcount)


async def tolerance_pool(conn: AsyncConnection) -> dict[str, Decimal]:
    """The tolerance limits of the active members, summed per base currency."""
    m = t.members.c
    rows = await conn.execute(
        select(m.base_currency, func.sum(m.tolerance_limit))
        .where(m.status == MemberStatus.ACTIVE.value)
        .group_by(m.base_currency)
    )
    return {currency: Decimal(str(total)) for currency, total in rows}


# ---------------------------------------------------------------- collateral


async def holdings(conn: AsyncConnection, member_id: str, account_id: str) -> list[Holding]:
    rows = await conn.execute(
        select(t.collateral)
        .where(t.collateral.c.member_id == member_id, t.collateral.c.account_id == account_id)
        .order_by(t.collateral.c.asset_id)
    )
    return [
        Holding(r.asset_id, AssetKind(r.kind), r.currency, r.quantity, r.price, r.haircut)
        for r in rows
        if r.quantity != 0
    ]


async def holdings_by_account(conn: AsyncConnection, member_id: str) -> dict[str, list[Holding]]:
    """Every collateral line of a member, by account, in one query."""
    rows = await conn.execute(
        select(t.collateral).where(t.collateral.c.member_id == member_id).order_by(t.collateral.c.asset_id)
    )
    out: dict[str, list[Holding]] = {}
    for r in rows:
        if r.quantity != 0:
            out.setdefault(r.account_id, []).append(
                Holding(r.asset_id, AssetKind(r.kind), r.currency, r.quantity, r.price, r.haircut)
            )
    return out


async def lock_account(conn: AsyncConnection, member_id: str, account_id: str) -> None:
    """Serialise changes to one account's collateral (a no-op on SQLite, whose writers are serial)."""
    await conn.execute(
        select(t.accounts.c.account_id)
        .where(t.accounts.c.member_id == member_id, t.accounts.c.account_id == account_id)
        .with_for_update()
    )


async def put_holding(
    conn: AsyncConnection, member_id: str, account_id: str, h: Holding, delta: Decimal, at: datetime
) -> None:
    """Set an account's line ``h`` (its new quantity) and record the movement ``delta`` in the ledger."""
    await conn.execute(
        delete(t.collateral).where(
            t.collateral.c.member_id == member_id,
            t.collateral.c.account_id == account_id,
            t.collateral.c.asset_id == h.asset_id,
        )
    )
    await conn.execute(
        t.collateral.insert().values(
            member_id=member_id,
            account_id=account_id,
            asset_id=h.asset_id,
            kind=h.kind.value,
            currency=h.currency,
            quantity=h.quantity,
            price=h.price,
            haircut=h.haircut,
            updated_at=at,
        )
    )
    await conn.execute(
        t.collateral_movements.insert().values(
            member_id=member_id,
            account_id=account_id,
            asset_id=h.asset_id,
            kind=h.kind.value,
            currency=h.currency,
            quantity_delta=delta,
            price=h.price,
            haircut=h.haircut,
            at=at,
        )
    )


# ---------------------------------------------------------------- account risk state


async def get_risk(conn: AsyncConnection, member_id: str, account_id: str, *, lock: bool = False) -> RiskRow:
    q = select(t.account_risk).where(
        t.account_risk.c.member_id == member_id, t.account_risk.c.account_id == account_id
    )
    if lock:
        q = q.with_for_update()
    row = (await conn.execute(q)).one_or_none()
    if row is None:
        return RiskRow(Decimal(0), None, 0)
    return RiskRow(row.margin, row.pnl_vector, row.trade_count)


async def put_risk(
    conn: AsyncConnection, member_id: str, account_id: str, risk: RiskRow, at: datetime
) -> None:
    values = {
        "margin": risk.margin,
        "pnl_vector": risk.pnl_vector,
        "trade_count": risk.trade_count,
        "updated_at": at,
    }
    result = await conn.execute(
        update(t.account_risk)
        .where(t.account_risk.c.member_id == member_id, t.account_risk.c.account_id == account_id)
        .values(**values)
    )
    if not result.rowcount:
        await conn.execute(
            t.account_risk.insert().values(member_id=member_id, account_id=account_id, **values)
        )


async def member_margins(conn: AsyncConnection, member_id: str) -> dict[str, Decimal]:
    rows = await conn.execute(
        select(t.account_risk.c.account_id, t.account_risk.c.margin).where(
            t.account_risk.c.member_id == member_id
        )
    )
    return {r.account_id: r.margin for r in rows}


# ---------------------------------------------------------------- pre-trade credit reservations


async def reserved(conn: AsyncConnection, member_id: str, account_id: str | None = None) -> Decimal:
    q = select(t.credit_reservations.c.amount).where(t.credit_reservations.c.member_id == member_id)
    if account_id is not None:
        q = q.where(t.credit_reservations.c.account_id == account_id)
    return sum((await conn.execute(q)).scalars(), Decimal(0))


async def reserved_by_account(conn: AsyncConnection, member_id: str) -> dict[str, Decimal]:
    rows = await conn.execute(
        select(t.credit_reservations.c.account_id, t.credit_reservations.c.amount).where(
            t.credit_reservations.c.member_id == member_id
        )
    )
    out: dict[str, Decimal] = {}
    for r in rows:
        out[r.account_id] = out.get(r.account_id, Decimal(0)) + r.amount
    return out


async def get_reservation(conn: AsyncConnection, member_id: str, order_id: str) -> Decimal | None:
    amount: Decimal | None = (
        await conn.execute(
            select(t.credit_reservations.c.amount).where(
                t.credit_reservations.c.member_id == member_id, t.credit_reservations.c.order_id == order_id
            )
        )
    ).scalar_one_or_none()
    return amount


async def add_reservation(
    conn: AsyncConnection,
    member_id: str,
    account_id: str,
    order_id: str,
    amount: Decimal,
    business_date: date,
    at: datetime,
) -> None:
    await conn.execute(
        t.credit_reservations.insert().values(
            member_id=member_id,
            order_id=order_id,
            account_id=account_id,
            amount=amount,
            business_date=business_date,
            created_at=at,
        )
    )


async def release_reservation(conn: AsyncConnection, member_id: str, order_id: str) -> bool:
    """Drop the member's reservation for ``order_id``; False if it holds none."""
    result = await conn.execute(
        delete(t.credit_reservations).where(
            t.credit_reservations.c.member_id == member_id, t.credit_reservations.c.order_id == order_id
        )
    )
    return bool(result.rowcount)


async def expire_reservations(conn: AsyncConnection, business_date: date) -> int:
    result = await conn.execute(
        delete(t.credit_reservations).where(t.credit_reservations.c.business_date <= business_date)
    )
    return int(result.rowcount or 0)


# ---------------------------------------------------------------- batch reads and writes (the clearing pass)


async def comp_ids_by_member(conn: AsyncConnection, member_ids: Iterable[str]) -> dict[str, list[str]]:
    """FIX CompIDs of each of these members, in CompID order, in one query (keys in the order given)."""
    ids = list(dict.fromkeys(member_ids))
    out: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = await conn.execute(
        select(t.member_comp_ids.c.member_id, t.member_comp_ids.c.comp_id)
        .where(t.member_comp_ids.c.member_id.in_(ids))
        .order_by(t.member_comp_ids.c.comp_id)
    )
    for r in rows:
        out[r.member_id].append(r.comp_id)
    return out


_PARTIES_AND_COMP_IDS = (
    select(t.member_parties.c.party_id, t.member_parties.c.member_id, t.member_comp_ids.c.comp_id)
    .select_from(
        t.member_parties.outerjoin(
            t.member_comp_ids, t.member_comp_ids.c.member_id == t.member_parties.c.member_id
        )
    )
    .where(t.member_parties.c.party_id.in_(bindparam("party_ids", expanding=True)))
    .order_by(t.member_comp_ids.c.comp_id)
)


async def parties_and_comp_ids(
    conn: AsyncConnection, party_ids: Iterable[str]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each known party id's member, and those members' CompIDs (in CompID order): one query."""
    rows = await conn.execute(_PARTIES_AND_COMP_IDS, {"party_ids": list(set(party_ids))})
    members: dict[str, str] = {}
    comps: dict[str, list[str]] = {}
    for r in rows:
        members[r.party_id] = r.member_id
        found = comps.setdefault(r.member_id, [])
        if r.comp_id is not None and r.comp_id not in found:
            found.append(r.comp_id)
    return members, comps


async def get_risk_many(
    conn: AsyncConnection, keys: Iterable[tuple[str, str]], *, lock: bool = False
) -> dict[tuple[str, str], RiskRow]:
    """The stored risk state of these accounts (those that have one), in one query.

    With ``lock`` the rows are taken ``FOR UPDATE`` in (member, account) order, the one global order in
    which every pass locks accounts.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    return {
        (row.member_id, row.account_id): RiskRow(row.margin, row.pnl_vector, row.trade_count)
        for row in await conn.execute(_RISK_LOCKED if lock else _RISK, {"keys": wanted})
    }


_RISK = (
    select(
        t.account_risk.c.member_id,
        t.account_risk.c.account_id,
        t.account_risk.c.margin,
        t.account_risk.c.pnl_vector,
        t.account_risk.c.trade_count,
    )
    .where(
        tuple_(t.account_risk.c.member_id, t.account_risk.c.account_id).in_(bindparam("keys", expanding=True))
    )
    .order_by(t.account_risk.c.member_id, t.account_risk.c.account_id)
)
_RISK_LOCKED = _RISK.with_for_update()


_PUT_RISK = (
    update(t.account_risk)
    .where(t.account_risk.c.member_id == bindparam("m_id"), t.account_risk.c.account_id == bindparam("a_id"))
    .values(
        margin=bindparam("margin"),
        pnl_vector=bindparam("pnl_vector"),
        trade_count=bindparam("trade_count"),
        updated_at=bindparam("updated_at"),
    )
)


async def put_risk_many(
    conn: AsyncConnection,
    states: dict[tuple[str, str], RiskRow],
    existing: Iterable[tuple[str, str]],
    at: datetime,
) -> None:
    """Write these accounts' risk states: an update of the ``existing`` rows, an insert of the others."""
    have = set(existing)
    updates = [
        {"m_id": m, "a_id": a, "margin": s.margin, "pnl_vector": s.pnl_vector, "trade_count": s.trade_count,
         "updated_at": at}
        for (m, a), s in sorted(states.items()) if (m, a) in have
    ]  # fmt: skip
    inserts = [
        {"member_id": m, "account_id": a, "margin": s.margin, "pnl_vector": s.pnl_vector,
         "trade_count": s.trade_count, "updated_at": at}
        for (m, a), s in sorted(states.items()) if (m, a) not in have
    ]  # fmt: skip
    if updates:
        await conn.execute(_PUT_RISK, updates)
    if inserts:
        await conn.execute(t.account_risk.insert(), inserts)


async def member_figures(conn: AsyncConnection, member_ids: Iterable[str]) -> dict[str, MemberFigures]:
    """Margins, collateral lines and reservations of each of these members: three queries in all."""
    ids = list(set(member_ids))
    out = {i: MemberFigures({}, {}, {}) for i in ids}
    if not ids:
        return out
    for row in await conn.execute(_FIGURES_MARGINS, {"ids": ids}):
        out[row.member_id].margins[row.account_id] = row.margin
    for row in await conn.execute(_FIGURES_COLLATERAL, {"ids": ids}):
        if row.quantity != 0:
            out[row.member_id].holdings.setdefault(row.account_id, []).append(
                Holding(row.asset_id, AssetKind(row.kind), row.currency, row.quantity, row.price, row.haircut)
            )
    for row in await conn.execute(_FIGURES_RESERVED, {"ids": ids}):
        found = out[row.member_id].reserved
        found[row.account_id] = found.get(row.account_id, Decimal(0)) + row.amount
    return out


_FIGURES_MARGINS = select(
    t.account_risk.c.member_id, t.account_risk.c.account_id, t.account_risk.c.margin
).where(t.account_risk.c.member_id.in_(bindparam("ids", expanding=True)))
_FIGURES_COLLATERAL = (
    select(t.collateral)
    .where(t.collateral.c.member_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.collateral.c.member_id, t.collateral.c.asset_id)
)
_FIGURES_RESERVED = select(
    t.credit_reservations.c.member_id, t.credit_reservations.c.account_id, t.credit_reservations.c.amount
).where(t.credit_reservations.c.member_id.in_(bindparam("ids", expanding=True)))
