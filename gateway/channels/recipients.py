"""Who an outbox item is for and what that recipient may see, for every channel.

A trade source sees the whole update. A member sees its own side only (``gateway.clearing.visibility``
decides what that is), under the first of its party ids the trade names. On MQTT the recipient is a
member id, on FIX a CompID of the member's; both are looked up in the ``MemberDirectory``, which is read
again when a batch names a recipient it does not know yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.member_directory import MemberDirectory
from gateway.clearing.ports import DeliveryChannel, OutboxItem, RecipientRole, StatusUpdate
from gateway.clearing.visibility import member_view
from gateway.formats.fpml.write import CcpIdentity, status_update_to_fpml


@dataclass(frozen=True)
class Recipients:
    engine: AsyncEngine
    members: MemberDirectory
    ccp: CcpIdentity

    async def learn(self, items: Sequence[OutboxItem]) -> None:
        """Read the members again if ``items`` name a member (by member id or CompID) not read yet."""
        await self.members.learn(self.engine, {i.recipient for i in items if i.role is RecipientRole.MEMBER})

    def member_id(self, item: OutboxItem) -> str | None:
        """The member an item is for (None for a trade source, or a CompID that is no member's)."""
        if item.role is not RecipientRole.MEMBER:
            return None
        if item.channel is DeliveryChannel.MQTT:
            return item.recipient
        return self.members.member_for_comp_id(item.recipient)

    def view(self, item: OutboxItem) -> tuple[StatusUpdate, str | None]:
        """The update as its recipient may see it, and the member's party id (None for a trade source).

        LookupError when the recipient is a member that is no party of the trade, or a CompID no member has.
        """
        if item.role is not RecipientRole.MEMBER:
            return item.update, None
        update = item.update
        member_id = self.member_id(item)
        if member_id is None:
            raise LookupError(f"FIX recipient {item.recipient} is no member's CompID")
        trade_parties = {p.party_id for p in update.trade.parties}
        own = [p for p in self.members.party_ids(member_id) if p in trade_parties]
        if not own:
            raise LookupError(f"member {member_id} is not a party of submission {update.submission_id}")
        view = member_view(update, member_id=member_id, member_party=own[0], ccp_party_id=self.ccp.party_id)
        return view, own[0]

    def fpml(self, item: OutboxItem) -> bytes:
        """The FpML message an item becomes for its recipient (what the MQTT publisher sends)."""
        update, member_party = self.view(item)
        return status_update_to_fpml(
            update, ccp=self.ccp, recipient=item.recipient, member_party=member_party, pretty=False
        )
