"""One timer for the reference data the running gateway holds: the trade sources and the members.

Each pass reads both tables once, then tells every listener (the embedded broker's topic rules, the FIX
sessions' Logon check), so a source or member added, suspended or reinstated takes effect everywhere at
the same pass. A read that fails is logged and the last tables read hold until the next pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.member_directory import MemberDirectory
from gateway.admin.source_directory import SourceDirectory
from gateway.refdata.model import Member
from gateway.refdata.sources import TradeSource

log = logging.getLogger(__name__)

Listener = Callable[[Sequence[TradeSource], Sequence[Member]], None]


def watch_period(sources_refresh_s: float, fix_member_refresh_s: float | None = None) -> float:
    """Seconds between two passes: the sources' period, or the FIX members' when that is given, above
    zero and shorter (0 means the FIX sessions do not follow the reference data after start)."""
    if fix_member_refresh_s is not None and 0 < fix_member_refresh_s < sources_refresh_s:
        return fix_member_refresh_s
    return sources_refresh_s


@dataclass
class ReferenceWatch:
    engine: AsyncEngine
    sources: SourceDirectory
    members: MemberDirectory
    listeners: list[Listener]

    async def refresh(self) -> None:
        """Read the sources and the members again and pass them to every listener."""
        await self.sources.refresh(self.engine)
        members = await self.members.refresh(self.engine)
        for listener in self.listeners:
            listener(self.sources.sources, members)

    async def run(self, every_s: float) -> None:
        """``refresh`` every ``every_s`` seconds, until cancelled."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.refresh()
            except Exception:
                log.exception("reference data could not be read; the sources and members last read hold")
