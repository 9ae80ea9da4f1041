"""What the readers of one document share: its id index, its parties, and the issue list."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party
from gateway.formats.fpml.read.problems import Problems
from gateway.formats.fpml.read.xml import (
    NS,
    Element,
    child,
    child_text,
    children,
    group_children,
    local_name,
    q,
    text_of,
)

LEI_SCHEME_SUFFIX = "iso17442"


_WITH_ID = etree.XPath("//*[@id]")
# element axes only: a quarter cheaper than //@href, which also walks every text node
_HREFS = etree.XPath("descendant-or-self::*/@href", smart_strings=False)


def index_ids(root: Element) -> dict[str, Element]:
    """Every element with an id, as a plain dict."""
    found = _WITH_ID(root)
    assert isinstance(found, list)
    return {el.get("id", ""): el for el in found if isinstance(el, etree._Element)}


_IDS = etree.XPath("descendant-or-self::*/@id", smart_strings=False)
_FOLLOWED = (f"{{{NS}}}party", f"{{{NS}}}account", f"{{{NS}}}businessCenters")


class IdIndex:
    """id -> element for what the normaliser follows (parties, accounts, business centres), plus a cheap
    test that every href of the document names some id."""

    __slots__ = ("_by_id",)

    def __init__(self, root: Element) -> None:
        self._by_id: dict[str, Element] = {}
        for el in root.iter(*_FOLLOWED):  # a walk in C that yields only these elements
            key = el.get("id")
            if key is not None and key not in self._by_id:
                self._by_id[key] = el

    def get(self, key: str) -> Element | None:
        return self._by_id.get(key)

    def missing(self, root: Element) -> bool:
        """Whether some href of the document names no id (plain strings: no element is touched)."""
        hrefs = _HREFS(root)
        ids = _IDS(root)
        assert isinstance(hrefs, list)
        assert isinstance(ids, list)
        return not set(hrefs) <= set(ids)


_NONE: list[Element] = []
_PARTY_ID, _PARTY_NAME = q("partyId"), q("partyName")


@dataclass(slots=True)
class DocContext:
    root: Element
    ids: IdIndex
    sent_by: str | None = None
    correlation_id: str | None = None
    # the root's children by Clark name (``xml.group_children``): the message readers look up many
    # names on the root, whose children include every party and account
    top: dict[str, list[Element]] | None = None
    _parties: dict[str, Party] = field(default_factory=dict)
    centres: dict[str, tuple[str, ...]] = field(default_factory=dict)  # href -> its centres, once read
    _positions: dict[str, int] | None = None

    def first(self, holder: Element, name: str) -> Element | None:
        """``xml.child(holder, name)``; from the root index when ``holder`` is the root."""
        if holder is self.root and self.top is not None:
            found = self.top.get(q(name))
            return found[0] if found else None
        return child(holder, name)

    def every(self, holder: Element, name: str) -> list[Element]:
        """``xml.children(holder, name)`` (not to be changed by the caller); indexed for the root."""
        if holder is self.root and self.top is not None:
            return self.top.get(q(name), _NONE)
        return children(holder, name)

    def party_position(self, key: str) -> int:
        """Where the party with xml id ``key`` stands among the document's ``party`` elements."""
        if self._positions is None:
            parties = self.every(self.root, "party")
            self._positions = {p.get("id", ""): i for i, p in enumerate(parties)}
        return self._positions.get(key, len(self._positions))

    def target(self, ref: Element, problems: Problems, expect: str | None = None) -> Element | None:
        """The element a ``...Reference href`` points at (the rules layer reports dangling ones)."""
        href = ref.get("href")
        el = self.ids.get(href or "")
        if el is None:
            what = expect or "element"
            problems.add(ReasonCode.FPML_HREF_UNRESOLVED, ref, f"href {href!r} does not point at a {what}")
            return None
        if expect is not None and el.tag != q(expect):  # the index holds FpML elements only
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
        own = group_children(party_el)
        chosen = first = None  # the first partyId with text in the LEI scheme, else the first with text
        chosen_text = first_text = None
        for p in own.get(_PARTY_ID, _NONE):
            value = text_of(p)
            if not value:
                continue
            if first is None:
                first, first_text = p, value
            if (p.get("partyIdScheme") or "").endswith(LEI_SCHEME_SUFFIX):
                chosen, chosen_text = p, value
                break
        if chosen is None:
            chosen, chosen_text = first, first_text
        if chosen is None:
            problems.missing(party_el, "partyId")
            return None
        names = own.get(_PARTY_NAME)
        party = Party(
            party_id=chosen_text or "",
            scheme=chosen.get("partyIdScheme"),
            name=text_of(names[0]) if names else None,
        )
        self._parties[key] = party
        return party

    def account_of(self, account_el: Element) -> str | None:
        return child_text(account_el, "accountId")

    def accounts_for(self, party_key: str) -> list[Element]:
        """Accounts whose beneficiary is the party with xml id ``party_key``."""
        out = []
        for account in self.every(self.root, "account"):
            beneficiary = child(account, "accountBeneficiary")
            if beneficiary is not None and beneficiary.get("href") == party_key:
                out.append(account)
        return out
