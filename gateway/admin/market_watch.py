"""The running service's watch on the daily market data drop.

Every ``every_s`` the drop folder is listed (names only, and a folder's file sizes and times when it is
read); each folder named by a business date after the day in force is read and checked against that day
(``gateway.risk.market.drop``) on a worker thread, then handed to ``install`` whole. A refused folder is
logged with its reason code, file and field, shown on ``/healthz``, and read again only once its files
change; the day in force stays. Write a drop under another name and rename it to its date when complete:
a rename is atomic, so a half-written drop is never read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from gateway.domain.errors import GatewayError
from gateway.logs import event
from gateway.ops.health import Health
from gateway.risk.market.drop import DropLimits, MarketDay, drop_folders, read_drop, signature

log = logging.getLogger(__name__)

HEALTH_KEY = "market"


@dataclass(frozen=True, slots=True)
class DropOutcome:
    """What one folder came to: installed, or refused with the first issue."""

    business_date: date
    folder: Path
    installed: bool
    code: str = ""
    where: str = ""
    message: str = ""


@dataclass
class MarketDropWatch:
    root: Path
    current: Callable[[], MarketDay]  # the latest day in force
    install: Callable[[MarketDay], None]
    limits: DropLimits = field(default_factory=DropLimits)
    health: Health | None = None
    # runs before ``install`` with each day read (stores its fixings, gives the day the fixings table);
    # installed is the day it returns; a failure refuses the day
    accept: Callable[[MarketDay], Awaitable[MarketDay]] | None = None
    _refused: dict[Path, tuple[tuple[str, int, int], ...]] = field(default_factory=dict)

    def _report(self) -> None:
        if self.health is None:
            return
        day = self.current()
        detail = f"business date {day.business_date} ({day.source})"
        if self._refused:
            last = max(self._refused)
            detail += f"; refused drop {last.name}, see the log (market.drop_refused)"
        self.health.up(HEALTH_KEY, detail)

    async def scan(self) -> list[DropOutcome]:
        """Read every new folder, oldest first; what each came to."""
        outcomes: list[DropOutcome] = []
        for day, folder in drop_folders(self.root):
            previous = self.current()
            if day <= previous.business_date:
                continue
            sig = signature(folder)
            if self._refused.get(folder) == sig:
                continue
            try:
                loaded = await asyncio.to_thread(read_drop, folder, previous, self.limits)
                if self.accept is not None:
                    loaded = await self.accept(loaded)
            except GatewayError as exc:
                issue = exc.issues[0]
                self._refused[folder] = sig
                log.warning(
                    "market data drop %s refused: %s %s: %s (the market data of %s stay in force)",
                    folder.name,
                    issue.code,
                    issue.path,
                    issue.message,
                    previous.business_date,
                    extra=event(
                        "market.drop_refused",
                        business_date=day.isoformat(),
                        folder=str(folder),
                        code=str(issue.code),
                        where=issue.path,
                        reason=issue.message,
                        in_force=previous.business_date.isoformat(),
                    ),
                )
                outcomes.append(DropOutcome(day, folder, False, str(issue.code), issue.path, issue.message))
                continue
            self._refused.pop(folder, None)
            self.install(loaded)
            log.info(
                "market data of %s in force (%s)",
                day,
                folder,
                extra=event("market.day_installed", business_date=day.isoformat(), folder=str(folder)),
            )
            outcomes.append(DropOutcome(day, folder, True))
        self._report()
        return outcomes

    async def run(self, every_s: float) -> None:
        """``scan`` now and every ``every_s`` seconds, until cancelled; an unexpected failure is logged."""
        while True:
            try:
                await self.scan()
            except Exception:
                log.exception("the market data drop %s could not be scanned", self.root)
            await asyncio.sleep(every_s)
