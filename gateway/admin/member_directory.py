"""The members as the running gateway sees them: read from the reference data, then dictionary look-ups.

The publishers ask it who a recipient is (a member id on MQTT, a FIX CompID on FIX) and which party ids a
member trades under; the reference-data watch reads it again on its timer, and a recipient it has not
seen yet makes it read at once (a member added since the last read gets its statuses without waiting).
A member once read stays known: statuses already owed to it are still delivered.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.refdata.model import Member


class MemberDirectory:
    def __init__(self, members: Iterable[Member] = ()) -> None:
        self._members: dict[str, Member] = {}
        self._by_comp_id: dict[str, str] = {}
        self.add(members)

    def add(self, members: Iterable[Member]) -> None:
        """Take these members as they now are (a member already known is replaced by its new reading)."""
        listed = list(members)
        members_now = {**self._members, **{m.member_id: m for m in listed}}
        by_comp = {**self._by_comp_id, **{c: m.member_id for m in listed for c in m.comp_ids}}
        self._members, self._by_comp_id = members_now, by_comp  # readers see the old table or the new one

    async def refresh(self, engine: AsyncEngine) -> tuple[Member, ...]:
        """Read every member again; the members as read."""
        from gateway.admin.reference import ReferenceData

        members = tuple(await ReferenceData(engine).list_participants())
        self.add(members)
        return members

    async def learn(self, engine: AsyncEngine, names: Iterable[str]) -> None:
        """Read the members again when one of ``names`` (member ids or CompIDs) is not known yet."""
        if any(not self.knows(n) for n in names):
            await self.refresh(engine)

    def knows(self, name: str) -> bool:
        return name in self._members or name in self._by_comp_id

    def member_for_comp_id(self, comp_id: str) -> str | None:
        return self._by_comp_id.get(comp_id)

    def party_ids(self, member_id: str) -> tuple[str, ...]:
        found = self._members.get(member_id)
        return found.party_ids if found is not None else ()

    @property
    def members(self) -> tuple[Member, ...]:
        return tuple(self._members.values())
