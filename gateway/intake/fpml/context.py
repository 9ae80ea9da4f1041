"""What the readers of one document share: its id index, its parties, and the issue list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party
from gateway.intake.fpml.problems import Problems
from gateway.intake.fpml.xml import Element, child, child_text, children, local_name, text_of

LEI_SCHEME_SUFFIX = "iso17442"


_WITH_ID = etree.XPath("//*[@id]")
_ID_ATTRS = etree.XPath("//@id")  # smart strings: each knows its element
_HREFS = etree.XPath("//@href", smart_strings=False)


def index_ids(root: Element) -> dict[str, Element]:
    """Every element with an id, as a plain dict."""
    found = _WITH_ID(root)
    assert isinstance(found, list)
    return {el.get("id", ""): el for el in found if isinstance(el, etree._Element)}


class IdIndex:
    """id -> element, built from one XPath over the id attributes; elements are fetched on demand."""

    __slots__ = ("_attrs",)

    def __init__(self, root: Element) -> None:
        found = _ID_ATTRS(root)
        assert isinstance(found, list)
        self._attrs: dict[str, Any] = {str(a): a for a in found}

    def get(self, key: str) -> Element | None:
        attr = self._attrs.get(key)
        if attr is None:
            return None
        parent: Element | None = attr.getparent()
        return parent

    def missing(self, root: Element) -> bool:
        """Whether some href of the document names no id."""
        hrefs = _HREFS(root)
        assert isinstance(hrefs, list)
        return not set(hrefs) <= self._attrs.keys()


@dataclass(slots=True)
class DocContext:
    root: Element
    ids: IdIndex
    sent_by: str | None = None
    correlation_id: str | None = None
    _parties: dict[str, Party] = field(default_factory=dict)

    def target(self, ref: Element, problems: Problems, expect: str | None = None) -> Element | None:
        """The element a ``...Reference href`` points at (the rules layer reports dangling ones)."""
        href = ref.get("href")
        el = self.ids.get(href or "")
        if el is None:
            what = expect or "element"
            problems.add(ReasonCode.FPML_HREF_UNRESOLVED, ref, f"href {href!r} does not point at a {what}")
            return None
        if expect is not None and local_name(el) != expect:
            problems.add(
                ReasonCode.FPML_HREF_UNRESOLVED,
                ref,
                f"href {href!r} points at a {local_name(el)}, not a {expect}",
            )
            return None
        return el

    def party(self, party_el: Element, problems: Problems) -> Party | None:
        """The canonical party of a ``party`` element: its LEI where it has one, else its first partyId."""
        key = party_el.get("id", "")
        hit = self._parties.get(key)
        if hit is not None:
            return hit
        ids = children(party_el, "partyId")
        chosen = next(
            (p for p in ids if (p.get("partyIdScheme") or "").endswith(LEI_SCHEME_SUFFIX) and text_of(p)),
            next((p for p in ids if text_of(p)), None),
        )
        if chosen is None:
            problems.missing(party_el, "partyId")
            return None
        party = Party(
            party_id=text_of(chosen) or "",
            scheme=chosen.get("partyIdScheme"),
            name=child_text(party_el, "partyName"),
        )
        self._parties[key] = party
        return party

    def account_of(self, account_el: Element) -> str | None:
        return child_text(account_el, "accountId")

    def accounts_for(self, party_key: str) -> list[Element]:
        """Accounts whose beneficiary is the party with xml id ``party_key``."""
        out = []
        for account in children(self.root, "account"):
            beneficiary = child(account, "accountBeneficiary")
            if beneficiary is not None and beneficiary.get("href") == party_key:
                out.append(account)
        return out
