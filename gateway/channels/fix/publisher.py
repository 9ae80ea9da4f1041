"""Outbox -> FIX sessions: each member's statuses in order; a member logged out keeps its own for its next logon.

Members logged out are left out of the read, so a long backlog of one never holds up the others. A
recipient the publisher cannot serve (a CompID no member has, a member that is no party of the trade)
keeps its items in the outbox and the rest of the batch goes on. A failed pass is logged and retried
with a growing delay; a commit of the clearing core, or a member's logon, wakes the loop at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from gateway.backoff import Backoff
from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.recipients import Recipients
from gateway.clearing.ports import DeliveryChannel, OutboxItem
from gateway.logs import event
from gateway.ops.metrics import Metrics
from gateway.waiting import wait_event

YIELD_EVERY = 64  # statuses sent between two turns of the event loop (about 50 KB)
BATCH = 5000  # statuses read per pass; a logged-out member's backlog must not hide the others'

log = logging.getLogger(__name__)


class FixOutbox(Protocol):
    async def pending(
        self, channel: DeliveryChannel, limit: int, *, exclude: Collection[str] = ()
    ) -> Sequence[OutboxItem]: ...

    async def mark_delivered(self, ids: Sequence[int]) -> None: ...


@dataclass
class FixPublisher:
    outbox: FixOutbox
    fix: FixAcceptor
    recipients: Recipients
    metrics: Metrics
    poll_interval_s: float
    retry_initial_s: float
    retry_max_s: float
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        """Deliver until cancelled; a pass that fails is retried after a delay that doubles up to the max."""
        retry = Backoff(self.retry_initial_s, self.retry_max_s)
        while True:
            try:
                await self.deliver_once()
                retry.reset()
            except Exception:
                log.exception(
                    "FIX publisher failed; retrying in %.1fs",
                    retry.delay,
                    extra=event("fix.publisher_failed", retry_s=retry.delay),
                )
                await retry.wait()

    async def deliver_once(self) -> None:
        """One pass: read what logged-on members are owed, send it, then wait for more when nothing is left."""
        fix = self.fix
        logged_out = {m.comp_id for m in fix.config.sessions} - set(fix.logged_on)
        items = await self.outbox.pending(DeliveryChannel.FIX, BATCH, exclude=logged_out)
        self.metrics.outbox_backlog.labels("fix").set(len(items))
        waiting: set[str] = set()
        sent: list[OutboxItem] = []
        await self.recipients.learn(items)
        for n, item in enumerate(items, 1):
            if item.recipient in waiting:
                continue  # keep this member's statuses in order
            if n % YIELD_EVERY == 0:
                # quickfix's send blocks once its socket is full, and only the event loop (the logon
                # gate) empties that socket: let it run before a batch can fill it.
                await asyncio.sleep(0)
            member = self.recipients.member_id(item)
            if member is None:
                log.error(
                    "FIX recipient %s is no member's CompID; status kept in the outbox",
                    item.recipient,
                    extra=event(
                        "fix.status_kept",
                        identity=item.recipient,
                        submission_id=item.update.submission_id,
                    ),
                )
                waiting.add(item.recipient)
                continue
            # The other member's accounts, trade ids and shortfall figures are not this member's.
            try:
                view, _ = self.recipients.view(item)
            except LookupError:
                log.exception(
                    "FIX status for %s kept in the outbox",
                    item.recipient,
                    extra=event(
                        "fix.status_kept",
                        identity=item.recipient,
                        member=member,
                        submission_id=item.update.submission_id,
                    ),
                )
                waiting.add(item.recipient)
                continue
            if fix.deliver(item if view is item.update else replace(item, update=view)):
                sent.append(item)
            else:
                waiting.add(item.recipient)
        if sent:
            await self.outbox.mark_delivered([i.id for i in sent])
            for i in sent:
                self.metrics.statuses_out.labels("fix", i.update.status.value).inc()
                self.metrics.observe_status(i.update.submission_id, i.update.status, i.update.at)
        if len(sent) < len(items) or not items:
            await wait_event(self.wakeup, self.poll_interval_s)
            self.wakeup.clear()
