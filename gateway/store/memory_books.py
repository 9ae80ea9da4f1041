"""The memory store's state, and its cleared-trade and account repositories (gateway/store/memory.py)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from gateway.clearing.cash_flows import CashFlow
from gateway.clearing.eod_ports import EodStepRow
from gateway.clearing.margin_cycle import AccountKey, PaiFigure, TradeVm
from gateway.clearing.ports import LiveSide
from gateway.domain import codec
from gateway.domain.clearing import EventRequest, Position
from gateway.domain.enums import ClearingStatusCode, PositionStatus
from gateway.domain.errors import Issue
from gateway.domain.events import SideState, StoredEvent
from gateway.domain.trade import Trade
from gateway.domain.workflow import ClearedRow, Recipient, Stage, SubmissionRow
from gateway.refdata.figures import MemberFigures, RiskRow
from gateway.refdata.model import Holding, Member

GONE = (Stage.REJECTED, Stage.WITHDRAWN)
CLEARED, MATURED = PositionStatus.CLEARED.value, PositionStatus.MATURED.value


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    row: SubmissionRow
    uti: str | None  # the UTI it holds (a correction holds none until it claims it)
    needs_recheck: bool = False


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    id: int
    submission_id: int
    sequence: int
    status: ClearingStatusCode
    at: datetime
    reasons: tuple[Issue, ...]
    ccp_trade_ids: tuple[str, ...]
    business_date: date | None
    event_id: int | None = None  # a status about a lifecycle event on the cleared trade


@dataclass(frozen=True, slots=True)
class OwedRecord:
    id: int
    recipient: Recipient
    history_id: int
    delivered: bool = False


@dataclass(frozen=True, slots=True)
class ClearedRecord:
    submission_id: int
    row: ClearedRow
    business_date: date
    status: str = CLEARED
    npv: Decimal | None = None
    last_event: str | None = None
    last_event_date: date | None = None
    original_notional: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ReservationRecord:
    account_id: str
    amount: Decimal
    business_date: date


@dataclass(slots=True)
class State:
    """Everything the store holds; a unit of work works on a copy and puts it back on commit."""

    submissions: dict[int, SubmissionRecord] = field(default_factory=dict)
    history: list[HistoryRecord] = field(default_factory=list)
    outbox: dict[int, OwedRecord] = field(default_factory=dict)
    cleared: dict[str, ClearedRecord] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    collateral: dict[tuple[str, str], list[Holding]] = field(default_factory=dict)
    risk: dict[tuple[str, str], RiskRow] = field(default_factory=dict)
    reservations: dict[tuple[str, str], ReservationRecord] = field(default_factory=dict)
    events: dict[int, StoredEvent] = field(default_factory=dict)
    event_at: dict[int, datetime] = field(default_factory=dict)  # when each event was taken
    # end of day (gateway/store/memory_eod.py): steps by (date, step); NPVs and VM by (trade, date); PAI
    eod_steps: dict[tuple[date, str], EodStepRow] = field(default_factory=dict)
    npvs: dict[tuple[str, date], tuple[Decimal, str]] = field(default_factory=dict)
    vm: dict[tuple[str, date], TradeVm] = field(default_factory=dict)
    pai: dict[tuple[date, AccountKey], PaiFigure] = field(default_factory=dict)
    # each event's request as received, and the PENDING events a lodgement flagged
    event_requests: dict[int, EventRequest] = field(default_factory=dict)
    flagged_events: set[int] = field(default_factory=set)
    # cash flows (gateway/store/memory_cash_flows.py) by the end of day that computed them; fixings
    cash_flows: dict[date, tuple[CashFlow, ...]] = field(default_factory=dict)
    fixings: dict[tuple[str, date], Decimal] = field(default_factory=dict)

    def copy(self) -> State:
        return State(
            dict(self.submissions),
            list(self.history),
            dict(self.outbox),
            dict(self.cleared),
            dict(self.members),
            {k: list(v) for k, v in self.collateral.items()},
            dict(self.risk),
            dict(self.reservations),
            dict(self.events),
            dict(self.event_at),
            dict(self.eod_steps),
            dict(self.npvs),
            dict(self.vm),
            dict(self.pai),
            dict(self.event_requests),
            set(self.flagged_events),
            dict(self.cash_flows),
            dict(self.fixings),
        )


class Ids:
    """The next id of each kind (never reused, as a database sequence)."""

    def __init__(self) -> None:
        self.submission = itertools.count(1)
        self.history = itertools.count(1)
        self.outbox = itertools.count(1)
        self.event = itertools.count(1)


class MemoryCleared:
    """Novated trades of one unit of work's state."""

    def __init__(self, state: State) -> None:
        self.s = state

    async def insert(
        self, rows: Sequence[tuple[int, ClearedRow]], business_date_of: Mapping[int, date], at: datetime
    ) -> None:
        for submission_id, row in rows:
            if row.ccp_trade_id in self.s.cleared:
                raise ValueError(f"CCP trade id {row.ccp_trade_id} is taken")
            self.s.cleared[row.ccp_trade_id] = ClearedRecord(
                submission_id, row, business_date_of[submission_id], original_notional=row.notional
            )

    async def ccp_trade_ids_of(self, row_id: int) -> list[str]:
        return sorted(c.row.ccp_trade_id for c in self.s.cleared.values() if c.submission_id == row_id)

    def _live(self, business_date: date, statuses: Collection[str]) -> list[ClearedRecord]:
        return [
            c
            for c in self.s.cleared.values()
            if c.business_date <= business_date
            and c.row.maturity_date >= business_date
            and c.status in statuses
        ]

    async def positions(
        self, member_id: str | None, account_id: str | None, business_date: date
    ) -> list[Position]:
        rows = [
            c
            for c in self._live(business_date, (CLEARED, MATURED))
            if member_id in (None, c.row.member_id) and account_id in (None, c.row.account_id)
        ]
        rows.sort(key=lambda c: (c.row.member_id, c.row.account_id, c.row.ccp_trade_id))
        return [
            Position.of(c.row, c.status, c.npv, (c.last_event, c.last_event_date, c.original_notional))
            for c in rows
        ]

    async def accounts(self, business_date: date) -> list[tuple[str, str]]:
        return sorted({(c.row.member_id, c.row.account_id) for c in self._live(business_date, (CLEARED,))})

    async def in_account(
        self, member_id: str, account_id: str, business_date: date
    ) -> list[tuple[str, str, Trade]]:
        rows = [
            c
            for c in self._live(business_date, (CLEARED,))
            if (c.row.member_id, c.row.account_id) == (member_id, account_id)
        ]
        return [(c.row.ccp_trade_id, c.row.party_id, c.row.trade) for c in sorted(rows, key=ccp_id)]

    async def live_sides(
        self, business_date: date, after: tuple[int, str] | None, limit: int
    ) -> list[LiveSide]:
        keyed = sorted(
            ((c.submission_id, c.row.ccp_trade_id), c)
            for c in self._live(business_date, (CLEARED,))
            if after is None or (c.submission_id, c.row.ccp_trade_id) > after
        )
        return [
            LiveSide(
                c.submission_id,
                c.row.ccp_trade_id,
                c.row.member_id,
                c.row.account_id,
                c.row.party_id,
                c.row.currency,
                codec.trade_to_dict(c.row.trade),
            )
            for _, c in keyed[:limit]
        ]

    async def set_npvs(self, npvs: Sequence[tuple[str, Decimal | None]]) -> None:
        for ccp_trade_id, npv in npvs:
            if ccp_trade_id in self.s.cleared:
                self.s.cleared[ccp_trade_id] = dataclasses.replace(self.s.cleared[ccp_trade_id], npv=npv)

    async def mature(self, business_date: date) -> int:
        due = [
            k
            for k, c in self.s.cleared.items()
            if c.status == CLEARED and c.row.maturity_date <= business_date
        ]
        for k in due:
            self.s.cleared[k] = dataclasses.replace(self.s.cleared[k], status=MATURED)
        return len(due)

    async def submission_of(self, ccp_trade_id: str) -> int | None:
        found = self.s.cleared.get(ccp_trade_id)
        return None if found is None else found.submission_id

    async def sides(self, row_id: int, *, lock: bool = False) -> list[SideState]:
        rows = sorted((c for c in self.s.cleared.values() if c.submission_id == row_id), key=ccp_id)
        return [
            SideState(
                ccp_trade_id=c.row.ccp_trade_id,
                submission_id=c.submission_id,
                member_id=c.row.member_id,
                account_id=c.row.account_id,
                party_id=c.row.party_id,
                notional=c.row.notional,
                status=PositionStatus(c.status),
                trade=c.row.trade,
            )
            for c in rows
        ]

    async def sides_named(self, ccp_trade_ids: Sequence[str], *, lock: bool = False) -> list[SideState]:
        rows = sorted({self.s.cleared[i].submission_id for i in ccp_trade_ids if i in self.s.cleared})
        return [side for row_id in rows for side in await self.sides(row_id)]

    async def update_sides(self, sides: Sequence[SideState]) -> None:
        for side in sides:
            c = self.s.cleared[side.ccp_trade_id]
            row = dataclasses.replace(c.row, notional=side.notional, trade=side.trade)
            self.s.cleared[side.ccp_trade_id] = dataclasses.replace(c, row=row, status=side.status.value)

    async def mark_event(self, ccp_trade_ids: Sequence[str], kind: str, business_date: date) -> None:
        for ccp_trade_id in ccp_trade_ids:
            c = self.s.cleared[ccp_trade_id]
            self.s.cleared[ccp_trade_id] = dataclasses.replace(
                c, last_event=kind, last_event_date=business_date
            )


class MemoryAccounts:
    """Members, the accounts' risk state and credit reservations of one unit of work's state."""

    def __init__(self, state: State) -> None:
        self.s = state

    async def member(self, member: str) -> Member | None:
        found = self.s.members.get(member)
        return found if found is not None else await self.member_by_party(member)

    async def member_by_party(self, party_id: str) -> Member | None:
        return next((m for m in self.s.members.values() if party_id in m.party_ids), None)

    async def members_by_party(self, party_ids: Iterable[str]) -> dict[str, Member]:
        out = {}
        for p in set(party_ids):
            m = await self.member_by_party(p)
            if m is not None:
                out[p] = m
        return out

    async def parties_and_comp_ids(
        self, party_ids: Iterable[str]
    ) -> tuple[dict[str, str], dict[str, list[str]]]:
        found = await self.members_by_party(party_ids)
        members = {p: m.member_id for p, m in found.items()}
        return members, {m.member_id: sorted(m.comp_ids) for m in found.values()}

    async def comp_ids_by_member(self, member_ids: Iterable[str]) -> dict[str, list[str]]:
        out = {}
        for i in set(member_ids):
            m = self.s.members.get(i)
            out[i] = [] if m is None else sorted(m.comp_ids)
        return out

    async def risk(self, member_id: str, account_id: str, *, lock: bool = False) -> RiskRow:
        return self.s.risk.get((member_id, account_id), RiskRow(Decimal(0), None, 0))

    async def risk_many(
        self, keys: Iterable[tuple[str, str]], *, lock: bool = False
    ) -> dict[tuple[str, str], RiskRow]:
        return {k: self.s.risk[k] for k in set(keys) if k in self.s.risk}

    async def put_risk(self, member_id: str, account_id: str, risk: RiskRow, at: datetime) -> None:
        self.s.risk[(member_id, account_id)] = risk

    async def put_risk_many(
        self, states: Mapping[tuple[str, str], RiskRow], existing: Iterable[tuple[str, str]], at: datetime
    ) -> None:
        self.s.risk.update(states)

    async def figures(self, member_ids: Iterable[str]) -> dict[str, MemberFigures]:
        out = {i: MemberFigures({}, {}, {}) for i in set(member_ids)}
        for (m, a), risk in self.s.risk.items():
            if m in out:
                out[m].margins[a] = risk.margin
        for (m, a), holdings in sorted(self.s.collateral.items()):
            if m in out:
                kept = [h for h in sorted(holdings, key=lambda h: h.asset_id) if h.quantity != 0]
                if kept:
                    out[m].holdings[a] = kept
        for (m, _order), r in self.s.reservations.items():
            if m in out:
                out[m].reserved[r.account_id] = out[m].reserved.get(r.account_id, Decimal(0)) + r.amount
        return out

    async def tolerance_pool(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for m in self.s.members.values():
            if m.is_active:
                out[m.base_currency] = out.get(m.base_currency, Decimal(0)) + m.tolerance_limit
        return out

    async def reservation(self, member_id: str, order_id: str) -> Decimal | None:
        found = self.s.reservations.get((member_id, order_id))
        return None if found is None else found.amount

    async def reserve(
        self,
        member_id: str,
        account_id: str,
        order_id: str,
        amount: Decimal,
        business_date: date,
        at: datetime,
    ) -> None:
        if (member_id, order_id) in self.s.reservations:
            raise ValueError(f"order {order_id} of {member_id} is reserved already")
        self.s.reservations[(member_id, order_id)] = ReservationRecord(account_id, amount, business_date)

    async def release(self, member_id: str, order_id: str) -> bool:
        return self.s.reservations.pop((member_id, order_id), None) is not None

    async def expire_reservations(self, business_date: date) -> int:
        gone = [k for k, r in self.s.reservations.items() if r.business_date <= business_date]
        for k in gone:
            del self.s.reservations[k]
        return len(gone)


def ccp_id(c: ClearedRecord) -> str:
    return c.row.ccp_trade_id
