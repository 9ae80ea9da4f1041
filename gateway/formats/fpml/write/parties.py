"""The parties and accounts of one FpML document, with their document ids.

Every ``partyReference``/``accountReference`` in a document points at a ``party``/``account`` element
written once at its end. Ids are allocated in order of first use (``party1``, ``party2``, ...), so the
same input always gives the same document.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from gateway.domain.trade import Party
from gateway.formats.fpml.write.schemes import LEI, PARTICIPANT, is_lei


@lru_cache(maxsize=4096)
def default_party_scheme(party_id: str) -> str:
    """The ``partyIdScheme`` for a party whose scheme is not given: LEI if it looks like one."""
    return LEI if is_lei(party_id) else PARTICIPANT


@dataclass(frozen=True, slots=True)
class CcpIdentity:
    """Who the CCP is in the messages it sends: its party (LEI), name and message address."""

    party_id: str
    name: str | None = None
    address: str | None = None  # ``sentBy``; the party id when not given
    scheme: str | None = None  # ``partyIdScheme``; LEI when the id looks like one

    @property
    def party(self) -> Party:
        return Party(self.party_id, scheme=self.scheme, name=self.name)

    @property
    def sent_by(self) -> str:
        return self.address or self.party_id


@dataclass(slots=True)
class _Entry:
    xml_id: str
    party: Party


class PartyTable:
    """Allocates document ids to parties and accounts (``render.party_elements`` writes them)."""

    def __init__(self) -> None:
        self._parties: dict[str, _Entry] = {}
        self._accounts: dict[tuple[str, str], str] = {}

    def add(self, party: Party) -> str:
        """Register ``party``; return its document id.

        A party met again keeps its id; a scheme or name it lacked so far is taken from the new sighting.
        """
        entry = self._parties.get(party.party_id)
        if entry is None:
            entry = _Entry(f"party{len(self._parties) + 1}", party)
            self._parties[party.party_id] = entry
        else:
            known = entry.party
            if (known.scheme is None and party.scheme is not None) or (known.name is None and party.name):
                entry.party = Party(
                    known.party_id, known.scheme or party.scheme, known.name or party.name, known.account
                )
        return entry.xml_id

    def ref(self, party_id: str) -> str:
        """Document id of a party known only by its id (a trade source, a party trade id's owner)."""
        entry = self._parties.get(party_id)
        return entry.xml_id if entry is not None else self.add(Party(party_id))

    def account(self, party: Party) -> str | None:
        """Document id of ``party``'s clearing account, or None if the trade names none."""
        if party.account is None:
            return None
        self.add(party)
        key = (party.party_id, party.account)
        xml_id = self._accounts.get(key)
        if xml_id is None:
            xml_id = f"account{len(self._accounts) + 1}"
            self._accounts[key] = xml_id
        return xml_id

    def parties(self) -> Iterator[tuple[str, Party]]:
        """(document id, party) of every party, in order of first use."""
        for entry in self._parties.values():
            yield entry.xml_id, entry.party

    def accounts(self) -> Iterator[tuple[str, str, str]]:
        """(document id, account id, document id of its party) of every account, in order of first use."""
        for (party_id, account), xml_id in self._accounts.items():
            yield xml_id, account, self._parties[party_id].xml_id
