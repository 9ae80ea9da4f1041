"""The FIX sessions and the reference data: which sessions the acceptor opens, and who may log on now.

quickfix's sessions are fixed when the acceptor starts: one per member CompID and one per trade source's
FIX CompID. Whether a session may log on follows the reference data as the watch reads it (a member
suspended or reinstated after start is treated as it now is); a CompID added after start has no session
until a restart, which the health detail says.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.fix.config import AcceptorConfig, FixSession
from gateway.config import FixConfig
from gateway.refdata.model import Member
from gateway.refdata.sources import TradeSource

log = logging.getLogger(__name__)


def acceptor_config(
    fix: FixConfig, ccp_party_id: str, members: Sequence[Member], sources: Sequence[TradeSource]
) -> AcceptorConfig:
    """One session per member CompID and one per trade source's ``--fix-comp-id`` (``trade_source``)."""
    sessions = tuple(
        FixSession(
            comp_id=comp_id,
            participant=m.party_ids[0],
            accounts=tuple(a.account_id for a in m.accounts),
            enabled=m.is_active,
        )
        for m in members
        for comp_id in m.comp_ids
    )
    sessions += tuple(
        FixSession(
            comp_id=s.fix_comp_id,
            participant=s.party_id or s.source_id,
            enabled=s.is_active,
            trade_source=True,
        )
        for s in sources
        if s.fix_comp_id is not None
    )
    return AcceptorConfig(
        port=fix.port,
        bind_host=fix.bind_host,
        comp_id=fix.comp_id,
        ccp_party_id=ccp_party_id,
        sessions=sessions,
        data_dir=fix.data_dir,
        logon_timeout_s=float(fix.logon_timeout_s),
        max_pending_connections=fix.max_pending_connections,
        tls=fix.tls,
        insecure_plaintext=fix.insecure_plaintext,
    )


class SessionStatus:
    """Passes the members' and sources' status to the acceptor's Logon check; notes CompIDs without a session.

    ``follow=False`` (the acceptor has a configuration file of its own, the whole truth about its sessions)
    leaves the acceptor as configured.
    """

    def __init__(self, fix: FixAcceptor, *, follow: bool = True) -> None:
        self.fix = fix
        self.follow = follow
        self.without_session: tuple[str, ...] = ()

    def apply(self, sources: Sequence[TradeSource], members: Sequence[Member]) -> None:
        if not self.follow:
            return
        active = {comp_id: m.is_active for m in members for comp_id in m.comp_ids}
        # a source's FIX session may log on while the source is active
        active.update({s.fix_comp_id: s.is_active for s in sources if s.fix_comp_id})
        self.fix.set_member_status(active)
        sessions = {m.comp_id for m in self.fix.config.sessions}
        added = tuple(sorted(set(active) - sessions))
        if added != self.without_session and added:
            log.warning(
                "FIX: %s have a CompID but no FIX session until the gateway restarts", ", ".join(added)
            )
        self.without_session = added

    async def probe(self) -> str | None:
        """Health detail: which sessions are logged on, and which CompIDs wait for a restart to get one."""
        sessions = sorted(m.comp_id for m in self.fix.config.sessions)
        on = self.fix.logged_on
        listed = ", ".join(f"{c}{'' if c in on else ' (logged out)'}" for c in sessions)
        detail = f"port {self.fix.config.port}: {len(on)} of {len(sessions)} sessions logged on: {listed}"
        if self.without_session:
            detail += f"; no session until a restart: {', '.join(self.without_session)}"
        return detail
