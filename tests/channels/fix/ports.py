"""Stand-ins for the clearing service, which is being built concurrently in gateway/clearing.

``MemoryClearingPort`` keeps submissions in memory; ``SqliteClearingPort`` keeps them in a SQLite file so
a killed and restarted acceptor process finds them again. Both de-duplicate the way the real service
does: a known (source, message_id) or (source, trade id, version) answers with the existing outcome.
The real service replaces both once it lands; nothing in gateway/ depends on them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from gateway.clearing.ports import Channel, CreditDecision, Position, StatusUpdate, Submission
from gateway.domain.codec import dumps, loads
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade


def _unknown(what: str) -> GatewayError:
    return GatewayError([Issue(ReasonCode.FIX_UNKNOWN_TRADE, "id", f"no such {what}")])


@dataclass
class MemoryClearingPort:
    """In-memory clearing port: receipt on submit, withdraw until novated, credit with a fixed headroom."""

    headroom: Decimal = Decimal(1_000_000)
    margin_rate: Decimal = Decimal("0.0001")  # incremental margin per unit of notional
    updates: dict[tuple[str, str], StatusUpdate] = field(default_factory=dict)
    by_trade: dict[tuple[str, str, int], tuple[str, str]] = field(default_factory=dict)
    submissions: list[Submission] = field(default_factory=list)
    reserved: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    decisions: dict[tuple[str, str], CreditDecision] = field(default_factory=dict)
    released: list[tuple[str, str]] = field(default_factory=list)
    position_book: dict[str, list[Position]] = field(default_factory=dict)
    novated: set[str] = field(default_factory=set)

    async def submit(self, submission: Submission) -> StatusUpdate:
        key = (submission.source, submission.message_id)
        if key in self.updates:
            return self.updates[key]
        ids = submission.trade.identifiers
        business = (submission.source, ids.source_trade_id, ids.source_version)
        if business in self.by_trade:
            return self.updates[self.by_trade[business]]
        self.submissions.append(submission)
        update = StatusUpdate(
            sequence=1,
            submission_id=f"S{len(self.submissions)}",
            source=submission.source,
            channel=submission.channel,
            status=ClearingStatusCode.RECEIVED,
            trade=submission.trade,
            at=submission.received_at,
            in_reply_to=submission.message_id,
        )
        self.updates[key] = update
        self.by_trade[business] = key
        return update

    def latest(self, source: str, trade_id: str) -> tuple[tuple[str, str], StatusUpdate] | None:
        found = None
        for (src, tid, _), key in self.by_trade.items():
            if src == source and tid == trade_id:
                found = (key, self.updates[key])
        return found

    async def withdraw(self, source: str, source_trade_id: str, at: datetime, reason: str) -> StatusUpdate:
        found = self.latest(source, source_trade_id)
        if found is None:
            raise _unknown("trade")
        key, update = found
        if update.status is ClearingStatusCode.WITHDRAWN:
            return update
        if update.submission_id in self.novated:
            raise GatewayError([Issue(ReasonCode.LIFE_ALREADY_NOVATED, "TradeID(1003)", "already novated")])
        withdrawn = StatusUpdate(
            sequence=update.sequence + 1,
            submission_id=update.submission_id,
            source=source,
            channel=update.channel,
            status=ClearingStatusCode.WITHDRAWN,
            trade=update.trade,
            at=at,
            reasons=(Issue(ReasonCode.LIFE_RETRACTED, "trade", reason),),
            in_reply_to=update.in_reply_to,
        )
        self.updates[key] = withdrawn
        return withdrawn

    async def credit_check(self, member: str, account: str, trade: Trade, order_id: str) -> CreditDecision:
        key = (member, order_id)
        if key in self.decisions:
            return self.decisions[key]
        margin = (trade.notional * self.margin_rate).quantize(Decimal("0.01"))
        used = sum((v for (m, _), v in self.reserved.items() if m == member), Decimal(0))
        headroom = self.headroom - used
        approved = margin <= headroom
        decision = CreditDecision(
            approved=approved,
            member=member,
            account=account,
            incremental_margin=margin,
            headroom_before=headroom,
            shortfall=Decimal(0) if approved else margin - headroom,
            reasons=()
            if approved
            else (
                Issue(ReasonCode.RISK_INSUFFICIENT_COLLATERAL, "credit", f"shortfall {margin - headroom}"),
            ),
        )
        if approved:
            self.reserved[key] = margin
        self.decisions[key] = decision
        return decision

    async def release_credit(self, member: str, order_id: str) -> None:
        if (member, order_id) not in self.reserved:
            raise _unknown("order")
        del self.reserved[(member, order_id)]
        self.released.append((member, order_id))

    async def positions(self, member: str, account: str | None, business_date: date) -> Sequence[Position]:
        return [p for p in self.position_book.get(member, []) if account is None or p.account == account]


class SqliteClearingPort:
    """A durable stand-in: every submission is committed to SQLite before ``submit`` returns."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS submission (id INTEGER PRIMARY KEY, source TEXT, message_id TEXT,"
            " trade_id TEXT, version INTEGER, received_at TEXT, trade TEXT, UNIQUE(source, message_id),"
            " UNIQUE(source, trade_id, version))"
        )

    def _update(self, row: tuple[Any, ...]) -> StatusUpdate:
        sid, source, message_id, received_at, trade = row
        return StatusUpdate(
            sequence=1,
            submission_id=f"S{sid}",
            source=source,
            channel=Channel.FIX,
            status=ClearingStatusCode.RECEIVED,
            trade=loads(trade),
            at=datetime.fromisoformat(received_at),
            in_reply_to=message_id,
        )

    def _find(self, source: str, message_id: str, trade_id: str, version: int) -> StatusUpdate | None:
        row = self.db.execute(
            "SELECT id, source, message_id, received_at, trade FROM submission"
            " WHERE (source=? AND message_id=?) OR (source=? AND trade_id=? AND version=?)",
            (source, message_id, source, trade_id, version),
        ).fetchone()
        return None if row is None else self._update(row)

    async def submit(self, submission: Submission) -> StatusUpdate:
        ids = submission.trade.identifiers
        found = self._find(submission.source, submission.message_id, ids.source_trade_id, ids.source_version)
        if found is not None:
            return found
        self.db.execute(
            "INSERT INTO submission (source, message_id, trade_id, version, received_at, trade) VALUES (?,?,?,?,?,?)",
            (
                submission.source,
                submission.message_id,
                ids.source_trade_id,
                ids.source_version,
                submission.received_at.isoformat(),
                dumps(submission.trade),
            ),
        )
        found = self._find(submission.source, submission.message_id, ids.source_trade_id, ids.source_version)
        if found is None:
            raise RuntimeError("submission vanished after insert")
        return found

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM submission").fetchone()[0])

    async def withdraw(self, source: str, source_trade_id: str, at: datetime, reason: str) -> StatusUpdate:
        raise _unknown("trade")

    async def credit_check(self, member: str, account: str, trade: Trade, order_id: str) -> CreditDecision:
        raise GatewayError([Issue(ReasonCode.INTERNAL_ERROR, "credit", "not offered by this stand-in")])

    async def release_credit(self, member: str, order_id: str) -> None:
        raise _unknown("order")

    async def positions(self, member: str, account: str | None, business_date: date) -> Sequence[Position]:
        return []


def make_sqlite_port(config: Any) -> SqliteClearingPort:
    """Factory for ``python -m gateway.channels.fix --port-factory``: the database lives in the data dir."""
    Path(config.data_dir).mkdir(parents=True, exist_ok=True)
    return SqliteClearingPort(Path(config.data_dir) / "submissions.sqlite")
