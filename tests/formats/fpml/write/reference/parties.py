"""The ``party`` and ``account`` elements of a document, from the product's ``PartyTable``."""

from __future__ import annotations

from gateway.formats.fpml.write.parties import PartyTable, default_party_scheme
from gateway.formats.fpml.write.schemes import ACCOUNT_ID
from gateway.formats.fpml.write.xml import xml_text
from tests.formats.fpml.write.reference.xml import Element, sub


def write_parties(parent: Element, parties: PartyTable) -> None:
    """Append every ``party`` then every ``account`` element (the schema's PartiesAndAccounts order)."""
    for xml_id, p in parties.parties():
        el = sub(parent, "party", id=xml_id)
        sub(
            el,
            "partyId",
            xml_text(p.party_id, "party.partyId", coded=True),
            partyIdScheme=p.scheme or default_party_scheme(p.party_id),
        )
        if p.name is not None:
            sub(el, "partyName", xml_text(p.name, "party.partyName", coded=True))
    for xml_id, account, beneficiary in parties.accounts():
        el = sub(parent, "account", id=xml_id)
        sub(el, "accountId", xml_text(account, "party.account", coded=True), accountIdScheme=ACCOUNT_ID)
        sub(el, "accountBeneficiary", href=beneficiary)
