"""End of day's valuation of the book, page by page (pure): the live cleared sides of a page valued in one
batch, each account's scenario P&L built up from its sides' rows, and each account's margin at the end.

A novation's two sides (A-CCP and CCP-B) are one trade seen from its two ends: while no event has set
them apart, the trade is valued once, from the first side, and the second side's NPV and P&L are the
exact negatives (a sign flip is exact in floating point).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from gateway.clearing.ports import LiveSide
from gateway.clearing.revaluation import PortfolioValuer
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


def _other(trade: Trade, party_id: str) -> str | None:
    ids = [p.party_id for p in trade.parties]
    return ids[1] if ids[0] == party_id else ids[0] if ids[1] == party_id else None


def mirrored(first: LiveSide, second: LiveSide) -> bool:
    """``second``'s trade is ``first``'s with its member in the CCP's place and the CCP in the other
    member's: ``second``'s side is then the CCP's side of ``first``'s trade, the opposite of ``first``'s."""
    a, b = first.trade, second.trade
    ccp = _other(a, first.party_id)
    if ccp is None or ccp != _other(b, second.party_id) or ccp == second.party_id:
        return False
    if a.product != b.product or len(a.streams) != len(b.streams):
        return False
    to = {first.party_id: ccp, ccp: second.party_id}
    return all(
        dataclasses.replace(s, payer=to[s.payer], receiver=to[s.receiver]) == t
        for s, t in zip(a.streams, b.streams, strict=True)
    )


class BookTotals:
    """The accounts' scenario P&L as pages add to it (in each account's base currency)."""

    def __init__(self, accounts: Mapping[AccountKey, AccountTerms], valuer: PortfolioValuer) -> None:
        self.accounts = dict(accounts)
        self.pnl = {k: np.zeros(valuer.scenario_count(a.account_type)) for k, a in self.accounts.items()}
        self.sides = dict.fromkeys(self.accounts, 0)
        self.broken: dict[AccountKey, str] = {}  # accounts a page could not be valued for: no risk written
        self._rates: dict[tuple[str, str], float] = {}

    def rate(self, valuer: PortfolioValuer, currency: str, base: str) -> float:
        found = self._rates.get((currency, base))
        if found is None:
            found = self._rates[(currency, base)] = valuer.fx_rate(currency, base)
        return found

    def risk_rows(self, valuer: PortfolioValuer) -> dict[AccountKey, RiskRow]:
        """Each account's margin and P&L vector (accounts a page failed for are left out)."""
        return {
            k: RiskRow(
                valuer.account_margin(v, self.accounts[k].account_type),
                v.astype(_DTYPE).tobytes(),
                self.sides[k],
            )
            for k, v in self.pnl.items()
            if k not in self.broken
        }


def value_page(
    valuer: PortfolioValuer, page: Sequence[LiveSide], book: BookTotals, as_of: date
) -> PageValues:
    """Value a page of sides in one batch (those of accounts ``book`` knows) and add their P&L to it."""
    sides = [s for s in page if (s.member_id, s.account_id) in book.accounts]
    units: list[tuple[Trade, str]] = []
    kinds: list[set[AccountType]] = []
    unit_of = np.zeros(len(sides), dtype=np.int64)
    sign = np.ones(len(sides))
    i = 0
    while i < len(sides):
        s = sides[i]
        unit_of[i] = len(units)
        units.append((s.trade, s.party_id))
        kinds.append({book.accounts[(s.member_id, s.account_id)].account_type})
        nxt = sides[i + 1] if i + 1 < len(sides) else None
        if nxt is not None and nxt.submission_id == s.submission_id and mirrored(s, nxt):
            unit_of[i + 1], sign[i + 1] = unit_of[i], -1.0
            kinds[-1].add(book.accounts[(nxt.member_id, nxt.account_id)].account_type)
            i += 2
        else:
            i += 1
    values = valuer.value_trades(units, kinds, as_of)
    why = {u: f"{issue.code}: {issue.message}" for u, issue in values.failures}
    npvs: list[tuple[str, Decimal | None]] = []
    history: list[tuple[str, Decimal, str]] = []
    failures: list[tuple[str, str]] = []
    for n, s in enumerate(sides):
        u = int(unit_of[n])
        v = values.npvs[u]
        npv = None if v is None else v if sign[n] > 0 else -v
        npvs.append((s.ccp_trade_id, npv))
        if npv is not None:
            history.append((s.ccp_trade_id, npv, s.trade.currency))
        if u in why:
            failures.append((s.ccp_trade_id, why[u]))
    keys = [(s.member_id, s.account_id) for s in sides]
    for k in keys:
        book.sides[k] += 1
    for at, rows in values.pnl.items():
        chosen = [n for n, k in enumerate(keys) if book.accounts[k].account_type is at]
        if not chosen:
            continue
        chosen.sort(key=lambda n: keys[n])  # stable: each account's sides stay in page order
        scale = np.array(
            [
                sign[n] * book.rate(valuer, sides[n].trade.currency, book.accounts[keys[n]].base_currency)
                for n in chosen
            ]
        )
        scaled = rows[unit_of[chosen]] * scale[:, None]
        starts = [j for j, n in enumerate(chosen) if j == 0 or keys[n] != keys[chosen[j - 1]]]
        for j, part in zip(starts, np.add.reduceat(scaled, starts, axis=0), strict=True):
            book.pnl[keys[chosen[j]]] += part
    return PageValues(tuple(npvs), tuple(history), tuple(failures))
