"""Compression of a member's cleared trades: the rules, the buckets and the residual trades. Pure (no I/O;
trades are valued through the ``Valuer`` handed in, in production the risk engine's ``EngineValuer``).

The CCP is the counterparty of every cleared side, so a compression acts on the requesting member's own
sides facing the CCP: they are terminated and, per risk bucket (currency, floating index with tenor,
maturity bucket of ``CompressionSettings``), one residual trade between the member and the CCP carries
what the bucket's sides carried (its PV01 within the tolerance, its NPV within the tolerance). The other
members' sides of the same trades still face the CCP and do not change; the CCP, which held the opposite
of each terminated side, now holds the opposite of the residual, so its book stays flat per bucket.

A counterparty's side changes only with its consent: naming it refuses the compression
(COMP_CONSENT_MISSING) unless that member is among the request's ``consenting``; then the trade ends on
both sides (a tear-up agreed by both) and no residual carries it, since the two sides cancel.

Checked in this order, every failed rule naming its own reason: each named side is the member's, in the
request's account (COMP_MIXED_ACCOUNTS), or the counterparty's side of one of the member's trades with
its consent (COMP_CONSENT_MISSING), else COMP_NOT_MEMBERS_TRADE; each is live (LIFE_TRADE_NOT_LIVE) and a
fixed against floating swap (COMP_NOT_COMPRESSIBLE); at least two of the member's sides, two of them in
one bucket (COMP_TOO_FEW_TRADES); then each bucket's residual within the tolerance
(COMP_RISK_OUTSIDE_TOLERANCE). A bucket holding one side only is left as it is (a residual would merely
replace it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from gateway.clearing.novation import CCP_TRADE_ID_SCHEME, position_terms
from gateway.domain.compression import (
    BucketFigures,
    CompressionRequest,
    CompressionResult,
    Residual,
    RiskBucket,
    TerminatedSide,
)
from gateway.domain.enums import PositionStatus
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.events import SideState
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PartyTradeId, Trade, TradeIdentifiers
from gateway.risk.engine import RiskEngine
from gateway.risk.kernel import parallel_pv01
from gateway.rules.settings import CompressionSettings

_CENT = Decimal("0.01")
_RATE = Decimal("0.0000000001")
_SOLVE_ROUNDS = 6
_STEP = Decimal("0.0001")


class Valuer(Protocol):
    """NPV and PV01 (value of +1bp on every curve pillar) of each trade as ``party`` holds it."""

    def measure(self, items: Sequence[tuple[Trade, str]]) -> list[tuple[float, float]]: ...


class EngineValuer:
    """The risk engine's valuation: one compilation per call, NPV and parallel PV01 per trade."""

    def __init__(self, engine: RiskEngine) -> None:
        self.engine = engine

    def measure(self, items: Sequence[tuple[Trade, str]]) -> list[tuple[float, float]]:
        if not items:
            return []
        terms = self.engine.terms([t for t, _ in items], [p for _, p in items])
        npv, pv01 = terms.npv(), parallel_pv01(terms)
        return [(float(npv[i]), float(pv01[i])) for i in range(len(items))]


@dataclass(frozen=True, slots=True)
class NamedSide:
    """A side the request names, with the other member's side of the same trade (None for a residual of an
    earlier compression: a trade between the member and the CCP alone)."""

    side: SideState
    other: SideState | None


def maturity_bucket(maturity: date, business_date: date, edges: Sequence[Decimal]) -> str:
    """The maturity bucket of a side: its years to maturity cut at ``edges`` (e.g. "2Y-5Y", "30Y+")."""
    years = Decimal((maturity - business_date).days) / Decimal("365.25")
    low = Decimal(0)
    for edge in edges:
        if years < edge:
            return f"{_years(low)}Y-{_years(edge)}Y"
        low = edge
    return f"{_years(low)}Y+"


def bucket_of(side: SideState, business_date: date, settings: CompressionSettings) -> RiskBucket:
    terms = position_terms(side.trade, side.party_id)
    index = f"{terms.floating_index} {terms.index_tenor}" if terms.index_tenor else str(terms.floating_index)
    return RiskBucket(
        terms.currency,
        index,
        maturity_bucket(terms.maturity_date, business_date, settings.maturity_edges_years),
    )


def residual_id(prefix: str, business_date: date, run_id: str, n: int) -> str:
    """The CCP trade id of a run's ``n``-th residual: ``{prefix}-{date}-R{10 hex of the run's SHA-256}{n:03d}``."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:10].upper()
    return f"{prefix}-{business_date:%Y%m%d}-R{digest}{n:03d}"


def check(request: CompressionRequest, named: Sequence[NamedSide], business_date: date) -> list[Issue]:
    """Every rule but the risk tolerance."""
    issues: list[Issue] = []
    own: set[str] = set()
    for n, item in enumerate(named):
        side, other = item.side, item.other
        path = f"trades[{n}]"
        if side.member_id == request.member_id:
            mine = side
        elif other is not None and other.member_id == request.member_id:
            if side.member_id not in request.consenting:
                issues.append(
                    Issue(
                        ReasonCode.COMP_CONSENT_MISSING,
                        path,
                        f"{side.ccp_trade_id} is {side.member_id}'s side of a trade with {request.member_id}; "
                        f"it changes only with {side.member_id}'s consent",
                    )
                )
                continue
            mine = other
        else:
            issues.append(
                Issue(
                    ReasonCode.COMP_NOT_MEMBERS_TRADE,
                    path,
                    f"{side.ccp_trade_id} is a side of {side.member_id}, not of {request.member_id}",
                )
            )
            continue
        if mine.account_id != request.account_id:
            issues.append(
                Issue(
                    ReasonCode.COMP_MIXED_ACCOUNTS,
                    path,
                    f"{mine.ccp_trade_id} is in {mine.member_id}/{mine.account_id}, "
                    f"the compression in {request.member_id}/{request.account_id}",
                )
            )
            continue
        # the member's own side must be live (the other member's may have ended in its own compression),
        # and a counterparty's side named with consent too
        for s in (mine,) if mine is side else (side, mine):
            gone = _not_live(s, business_date)
            if gone is not None:
                issues.append(Issue(ReasonCode.LIFE_TRADE_NOT_LIVE, path, gone))
                break
        else:
            if not compressible(mine):
                issues.append(
                    Issue(
                        ReasonCode.COMP_NOT_COMPRESSIBLE,
                        path,
                        f"{mine.ccp_trade_id} is not a swap of a fixed leg against one floating index",
                    )
                )
            own.add(mine.ccp_trade_id)
    if len(own) < 2 and not any(i.code is ReasonCode.COMP_CONSENT_MISSING for i in issues):
        issues.append(
            Issue(
                ReasonCode.COMP_TOO_FEW_TRADES,
                "trades",
                f"{len(own)} live side(s) of {request.member_id}/{request.account_id}: a compression needs two",
            )
        )
    return issues


def compress(
    request: CompressionRequest,
    named: Sequence[NamedSide],
    *,
    business_date: date,
    settings: CompressionSettings,
    valuer: Valuer,
    ccp_party_id: str,
    new_id: Callable[[int], str],
) -> CompressionResult:
    """The compression's terminated sides, residual trades and figures; GatewayError with every reason
    when a rule fails (nothing is to be written then)."""
    if request.ccp_trade_ids is None:  # a run over the whole account takes the swaps it can compress
        named = [n for n in named if compressible(n.side)]
    issues = check(request, named, business_date)
    if issues:
        raise GatewayError(issues)
    mine: dict[str, SideState] = {}
    torn: dict[str, SideState] = {}  # the counterparties' sides ended with the member's, by consent
    mutual: set[str] = set()  # the member's sides of those trades (no residual carries them)
    for item in named:
        if item.side.member_id == request.member_id:
            mine[item.side.ccp_trade_id] = item.side
        elif item.other is not None:
            mine[item.other.ccp_trade_id] = item.other
            torn[item.side.ccp_trade_id] = item.side
            mutual.add(item.other.ccp_trade_id)
    ordered = sorted(mine.values(), key=lambda s: s.ccp_trade_id)
    measures = valuer.measure([(s.trade, s.party_id) for s in ordered])
    groups: dict[RiskBucket, list[tuple[SideState, float, float]]] = {}
    for side, (npv, pv01) in zip(ordered, measures, strict=True):
        groups.setdefault(bucket_of(side, business_date, settings), []).append((side, npv, pv01))
    figures: list[BucketFigures] = []
    created: list[Residual] = []
    failed: list[Issue] = []
    alone: set[str] = set()  # the one side of a bucket: a residual would only replace it, so it stays
    left: list[Issue] = []  # why a run over the whole account left a bucket as it was
    for bucket in sorted(groups):
        rows = groups[bucket]
        kept = [r for r in rows if r[0].ccp_trade_id not in mutual]
        if len(rows) == 1 and len(kept) == 1:
            alone.add(rows[0][0].ccp_trade_id)
            figures.append(_unchanged(bucket, rows))
            continue
        target_pv01 = sum(r[2] for r in kept)
        target_npv = sum(r[1] for r in kept)
        tol_pv01 = max(
            float(settings.pv01_tolerance), float(settings.pv01_tolerance_fraction) * abs(target_pv01)
        )
        tol_npv = float(settings.npv_tolerance)
        residual: Residual | None = None
        after = (0.0, 0.0)
        if kept and abs(target_pv01) > tol_pv01:
            # the longest maturity carries the most PV01 per unit of notional: the residual's notional is
            # then at most about the bucket's gross notional (less, the more its sides offset)
            template = max(kept, key=lambda r: (r[0].trade.maturity_date, abs(r[2])))[0]
            trade, after = _solve(
                template,
                target_pv01,
                target_npv,
                valuer,
                ccp_party_id,
                new_id(len(created) + 1),
                business_date,
            )
            residual = Residual(trade.identifiers.source_trade_id, bucket, template.party_id, trade)
        if abs(after[1] - target_pv01) > tol_pv01 or abs(after[0] - target_npv) > tol_npv:
            issue = Issue(
                ReasonCode.COMP_RISK_OUTSIDE_TOLERANCE,
                f"bucket[{bucket.label}]",
                f"PV01 {target_pv01:,.2f} and NPV {target_npv:,.2f} would become {after[1]:,.2f} and "
                f"{after[0]:,.2f}: allowed {tol_pv01:,.2f} and {tol_npv:,.2f}",
            )
            if request.ccp_trade_ids is not None or len(kept) != len(rows):
                failed.append(issue)  # the trades named were to go together: the run is refused
            else:  # a run over the whole account leaves this bucket as it is and says why
                left.append(issue)
                alone.update(r[0].ccp_trade_id for r in rows)
                figures.append(_unchanged(bucket, rows))
                continue
        if residual is not None:
            created.append(residual)
        figures.append(
            BucketFigures(
                bucket=bucket,
                trades_before=len(rows),
                trades_after=0 if residual is None else 1,
                notional_before=sum((r[0].notional for r in rows), Decimal(0)),
                notional_after=Decimal(0) if residual is None else _notional(residual.trade),
                pv01_before=_money(sum(r[2] for r in rows)),
                pv01_after=_money(after[1]),
                npv_before=_money(sum(r[1] for r in rows)),
                npv_after=_money(after[0]),
            )
        )
    if failed:
        raise GatewayError(failed)
    if len(alone) == len(ordered):
        nothing = Issue(
            ReasonCode.COMP_TOO_FEW_TRADES,
            "trades",
            "no risk bucket holds two sides a residual can replace: there is nothing to compress",
        )
        raise GatewayError([nothing, *left])
    terminated = [
        _terminated(s, bucket_of(s, business_date, settings)) for s in ordered if s.ccp_trade_id not in alone
    ]
    terminated += [_terminated(s, None) for s in sorted(torn.values(), key=lambda s: s.ccp_trade_id)]
    return CompressionResult(
        request, business_date, tuple(terminated), tuple(created), tuple(figures), tuple(left)
    )


def compressible(side: SideState) -> bool:
    """A swap of a fixed leg against one floating index (what a residual can replicate)."""
    terms = position_terms(side.trade, side.party_id)
    return terms.fixed_rate is not None and terms.floating_index is not None and len(side.trade.streams) == 2


def terminated_side(side: SideState) -> SideState:
    """A side as a compression leaves it: TERMINATED, notional zero."""
    return dataclasses.replace(side, notional=Decimal(0), status=PositionStatus.TERMINATED)


# ---------------------------------------------------------------- the residual


def _solve(
    template: SideState,
    target_pv01: float,
    target_npv: float,
    valuer: Valuer,
    ccp: str,
    ccp_trade_id: str,
    business_date: date,
) -> tuple[Trade, tuple[float, float]]:
    """The residual on the template's terms. Both its PV01 and its NPV are the notional times a figure per
    unit that depends on the fixed rate alone, so the rate is the one whose NPV per unit of PV01 is the
    bucket's (a secant search: the ratio is nearly linear in the rate), and the notional then gives the
    bucket's PV01. The rate is near par when the bucket's trades are; it carries the bucket's NPV."""
    if target_pv01 == 0:
        raise ValueError("a flat bucket has no residual")
    terms = position_terms(template.trade, template.party_id)
    unit = Decimal(1_000_000)
    start = terms.fixed_rate or Decimal(0)
    probe = valuer.measure(
        [(_residual_trade(template, ccp, ccp_trade_id, unit, True, start, business_date), template.party_id)]
    )[0]
    pay = (probe[1] >= 0) == (target_pv01 >= 0)  # paying fixed gains when rates rise: PV01 of its sign
    goal = target_npv / target_pv01

    def per_unit(rate: Decimal) -> tuple[float, float]:
        trade = _residual_trade(template, ccp, ccp_trade_id, unit, pay, rate, business_date)
        npv, pv01 = valuer.measure([(trade, template.party_id)])[0]
        return npv, pv01

    # NPV and PV01 per unit are (very nearly) linear in the rate: solve npv = goal x pv01 on the line through
    # two points, again from the answer until it stops moving
    rate = start
    for _ in range(_SOLVE_ROUNDS):
        (n0, p0), (n1, p1) = per_unit(rate), per_unit(rate + _STEP)
        slope_n, slope_p = (n1 - n0) / float(_STEP), (p1 - p0) / float(_STEP)
        denominator = slope_n - goal * slope_p
        move = (goal * p0 - n0) / denominator if denominator else 0.0
        if not math.isfinite(move) or abs(move) > 1:  # no rate does it: the tolerance check refuses
            break
        rate = (rate + Decimal(repr(move))).quantize(_RATE)
        if abs(move) < 1e-9:
            break
    r1 = rate
    pv01_per_unit = per_unit(r1)[1]
    if (pv01_per_unit >= 0) != (target_pv01 >= 0):  # far from par the PV01 of a side can change sign:
        pay = not pay  # the other direction negates NPV and PV01 alike, keeping their ratio
    notional = (unit * Decimal(repr(abs(target_pv01 / pv01_per_unit)))).quantize(_CENT)
    trade = _residual_trade(template, ccp, ccp_trade_id, notional, pay, r1, business_date)
    return trade, valuer.measure([(trade, template.party_id)])[0]


def _residual_trade(
    template: SideState,
    ccp: str,
    ccp_trade_id: str,
    notional: Decimal,
    member_pays_fixed: bool,
    rate: Decimal,
    business_date: date,
) -> Trade:
    member = template.party_id
    streams = []
    for s in template.trade.streams:
        fixed = s.fixed_rate is not None
        member_pays = fixed == member_pays_fixed
        streams.append(
            dataclasses.replace(
                s,
                notional=notional,
                notional_steps=(),
                fixed_rate=rate if fixed else None,
                fixed_rate_steps=(),
                payer=member if member_pays else ccp,
                receiver=ccp if member_pays else member,
            )
        )
    ids = TradeIdentifiers(
        source_trade_id=ccp_trade_id,
        source_version=1,
        uti=f"{ccp}{ccp_trade_id}",
        party_trade_ids=(PartyTradeId(ccp, ccp_trade_id, CCP_TRADE_ID_SCHEME),),
    )
    return dataclasses.replace(
        template.trade,
        identifiers=ids,
        trade_date=business_date,
        streams=tuple(streams),
        execution_venue=None,
        sub_block=False,
        package=None,
    )


# ---------------------------------------------------------------- helpers


def _not_live(side: SideState, business_date: date) -> str | None:
    if side.status is not PositionStatus.CLEARED:
        return f"cleared trade {side.ccp_trade_id} is {side.status.value.lower()}"
    if side.trade.maturity_date < business_date:
        return f"cleared trade {side.ccp_trade_id} matured on {side.trade.maturity_date}"
    return None


def _terminated(side: SideState, bucket: RiskBucket | None) -> TerminatedSide:
    return TerminatedSide(
        side.ccp_trade_id, side.member_id, side.account_id, side.notional, side.trade.currency, bucket
    )


def _unchanged(bucket: RiskBucket, rows: Sequence[tuple[SideState, float, float]]) -> BucketFigures:
    notional = sum((r[0].notional for r in rows), Decimal(0))
    npv, pv01 = _money(sum(r[1] for r in rows)), _money(sum(r[2] for r in rows))
    return BucketFigures(bucket, len(rows), len(rows), notional, notional, pv01, pv01, npv, npv)


def _notional(trade: Trade) -> Decimal:
    return trade.streams[0].notional


def _money(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(_CENT)


def _years(x: Decimal) -> str:
    return str(int(x)) if x == x.to_integral_value() else str(x.normalize())
