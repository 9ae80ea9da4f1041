"""End of day's valuation of the book, page by page (pure): the live cleared sides of a page valued in one
batch, each side held by its account with its sign and the FX rate into the account's base currency, and
each account's P&L vector and margin at the end (``BookValuation``).

A novation's two sides (A-CCP and CCP-B) are one trade seen from its two ends: while no event has set
them apart, the trade is valued once, from the first side, and the second side's NPV and P&L are the
exact negatives (a sign flip is exact in floating point).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from gateway.clearing.ports import LiveSide
from gateway.clearing.revaluation import BookValuation, PortfolioValuer
from gateway.domain.enums import AccountType
from gateway.domain.trade import Trade
from gateway.refdata.figures import RiskRow

AccountKey = tuple[str, str]  # (member, account)
_DTYPE = np.dtype("<f8")


@dataclass(frozen=True, slots=True)
class AccountTerms:
    """What valuation needs of an account from the reference data."""

    base_currency: str
    account_type: AccountType


@dataclass(frozen=True, slots=True)
class PageValues:
    """What one page of sides gives to write: every side's latest NPV (None when not valued), the NPV
    history rows of the valued ones, and the sides that could not be valued with why."""

    npvs: tuple[tuple[str, Decimal | None], ...]
    history: tuple[tuple[str, Decimal, str], ...]  # (CCP trade id, NPV, currency)
    failures: tuple[tuple[str, str], ...]

    @property
    def valued(self) -> int:
        return len(self.history)


def _other(document: Mapping[str, Any], party_id: str) -> str | None:
    ids = [p["party_id"] for p in document["parties"]]
    return ids[1] if ids[0] == party_id else ids[0] if ids[1] == party_id else None


def mirrored(first: LiveSide, second: LiveSide) -> bool:
    """``second``'s trade is ``first``'s with its member in the CCP's place and the CCP in the other
    member's: ``second``'s side is then the CCP's side of ``first``'s trade, the opposite of ``first``'s.
    Compared on the stored documents, so the second side need not be decoded."""
    a, b = first.document, second.document
    ccp = _other(a, first.party_id)
    if ccp is None or ccp != _other(b, second.party_id) or ccp == second.party_id:
        return False
    if a["product"] != b["product"] or len(a["streams"]) != len(b["streams"]):
        return False
    to = {first.party_id: ccp, ccp: second.party_id}
    return all(
        s["payer"] in to
        and s["receiver"] in to
        and {**s, "payer": to[s["payer"]], "receiver": to[s["receiver"]]} == t
        for s, t in zip(a["streams"], b["streams"], strict=True)
    )


class BookRun:
    """One end of day's accounts (in (member, account) order), the valuer's book and what pages add."""

    def __init__(
        self,
        accounts: Mapping[AccountKey, AccountTerms],
        valuer: PortfolioValuer,
        book: BookValuation,
        as_of: date,
    ):
        self.keys = sorted(accounts)
        self.accounts = dict(accounts)
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.valuer = valuer
        self.book = book
        self.as_of = as_of  # the business date: its market's FX converts P&L into each account's currency
        self.sides = dict.fromkeys(self.keys, 0)
        self.broken: dict[AccountKey, str] = {}  # accounts a page could not be valued for: no risk written
        self._rates: dict[tuple[str, str], float] = {}

    def rate(self, currency: str, base: str) -> float:
        found = self._rates.get((currency, base))
        if found is None:
            found = self._rates[(currency, base)] = self.valuer.fx_rate(currency, base, self.as_of)
        return found

    def risk_rows(self) -> dict[AccountKey, RiskRow]:
        """Each account's margin and P&L vector (accounts a page failed for are left out)."""
        return {
            k: RiskRow(margin, pnl.astype(_DTYPE).tobytes(), self.sides[k])
            for k, (pnl, margin) in zip(self.keys, self.book.finish(), strict=True)
            if k not in self.broken
        }


def value_page(run: BookRun, page: Sequence[LiveSide]) -> PageValues:
    """Value a page of sides in one batch (those of accounts ``run`` knows), each held by its account."""
    sides = [s for s in page if (s.member_id, s.account_id) in run.index]
    units: list[tuple[Trade, str]] = []
    holdings: list[tuple[int, int, float]] = []
    unit_of: list[tuple[int, int]] = []  # per side: (unit, sign)
    i = 0
    while i < len(sides):
        s = sides[i]
        pair = [s]
        nxt = sides[i + 1] if i + 1 < len(sides) else None
        if nxt is not None and nxt.submission_id == s.submission_id and mirrored(s, nxt):
            pair.append(nxt)
        u = len(units)
        trade = s.trade()
        units.append((trade, s.party_id))
        for sign, side in zip((1, -1), pair, strict=False):
            key = (side.member_id, side.account_id)
            rate = run.rate(trade.currency, run.accounts[key].base_currency)
            holdings.append((u, run.index[key], sign * rate))
            unit_of.append((u, sign))
        i += len(pair)
    values = run.book.add(units, holdings)
    why = {u: f"{issue.code}: {issue.message}" for u, issue in values.failures}
    npvs: list[tuple[str, Decimal | None]] = []
    history: list[tuple[str, Decimal, str]] = []
    failures: list[tuple[str, str]] = []
    for s, (u, sign) in zip(sides, unit_of, strict=True):
        v = values.npvs[u]
        npv = None if v is None else v if sign > 0 else -v
        npvs.append((s.ccp_trade_id, npv))
        if npv is not None:
            history.append((s.ccp_trade_id, npv, units[u][0].currency))
        if u in why:
            failures.append((s.ccp_trade_id, why[u]))
        run.sides[(s.member_id, s.account_id)] += 1
    return PageValues(tuple(npvs), tuple(history), tuple(failures))
