"""Packages, all or nothing: the legs of a package are decided together. Values in, decisions out; pure.

A package (an FpML ``tradePackage``, FIX reports sharing a PackageID) is named by ``(source, package_id)``.
Its legs are its live submissions, and for a source trade with none live its latest version (a correction of
one leg withdraws the version it replaces and takes its place). The clearing pass hands ``decide_package``
every leg, whichever of them was due, and the legs are then:

- held (stage QUEUED_PACKAGE, no new status) until every leg has arrived and is affirmed, and refused
  whole with PACKAGE_INCOMPLETE once ``[packages] complete_within_s`` has passed since the first arrived
  (at once when more trades arrived than the package's size);
- refused whole when any leg fails a rule: that leg with its own reasons, every leg with
  PACKAGE_LEG_REFUSED naming the failing leg(s); likewise when a leg was refused or withdrawn before;
- queued whole (service hours, backloading) to the latest time any leg is due;
- credit checked once per member account, on the combined margin impact of every leg that account is
  party to (the legs' P&L added up, one incremental margin); a shortfall makes every leg wait (or be
  refused, as ``on_shortfall`` says), and the package is decided again whole on the next lodgement;
- novated together, in the pass's one transaction.

No leg of a package is ever novated without the others (``tests/clearing/test_packages.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from gateway.clearing import decide
from gateway.clearing.addons import member_impact
from gateway.clearing.credit import decide as decide_credit
from gateway.clearing.sub_block import decide_sub_block
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.workflow import TERMINAL, Stage, SubmissionRow
from gateway.refdata.figures import RiskRow
from gateway.rules.eligibility import Side

PackageKey = tuple[str, str]  # (source, package_id)


def key_of(sub: SubmissionRow) -> PackageKey | None:
    """The package ``sub`` is a leg of, or None."""
    return None if sub.package_id is None else (sub.source, sub.package_id)


@dataclass(frozen=True, slots=True)
class Package:
    """One package as the pass found it: its current legs, oldest first, and how many it should have."""

    key: PackageKey
    legs: tuple[SubmissionRow, ...]
    size: int

    @property
    def name(self) -> str:
        return self.key[1]

    @property
    def trades(self) -> int:
        """How many of its source trades have arrived."""
        return len({r.source_trade_id for r in self.legs})

    @classmethod
    def of(cls, key: PackageKey, rows: Sequence[SubmissionRow]) -> Package:
        """The package from every submission stored under ``key``: each live submission, and for a source
        trade with none live its latest version (so a refused or withdrawn leg refuses the package)."""
        live = [r for r in rows if r.stage not in TERMINAL]
        has_live = {r.source_trade_id for r in live}
        latest: dict[str, SubmissionRow] = {}
        for r in rows:
            if r.source_trade_id in has_live:
                continue
            seen = latest.get(r.source_trade_id)
            if seen is None or (r.source_version, r.id) > (seen.source_version, seen.id):
                latest[r.source_trade_id] = r
        legs = tuple(sorted([*live, *latest.values()], key=lambda r: r.id))
        sizes = [r.trade.package.size for r in legs if r.trade.package is not None]
        return cls(key, legs, max(sizes) if sizes else len({r.source_trade_id for r in legs}))


def _leg(sub: SubmissionRow) -> str:
    return f"{sub.source_trade_id} ({sub.ref})"


def _stage(sub: SubmissionRow, batch: decide.Batch) -> Stage:
    return batch.stages.get(sub.id, sub.stage)


def leg_refused(package: Package, failed: Sequence[SubmissionRow], why: str = "refused") -> Issue:
    """The package-level reason every leg of a refused package carries, naming the failing leg(s)."""
    names = ", ".join(_leg(f) for f in failed)
    return Issue(
        ReasonCode.PACKAGE_LEG_REFUSED,
        "tradePackage",
        f"package {package.name} is refused whole: leg {names} {why}",
    )


def _refuse_all(
    package: Package,
    legs: Sequence[SubmissionRow],
    batch: decide.Batch,
    own: Mapping[int, Sequence[Issue]],
    common: Issue,
) -> None:
    """Every live leg refused: its own reasons (if any), then the package's."""
    for leg in legs:
        decide.refuse(leg, batch, [*own.get(leg.id, ()), common])


def deadline(package: Package, complete_within_s: int) -> datetime:
    """When an incomplete package is refused: ``complete_within_s`` after its first leg arrived."""
    return min(r.received_at for r in package.legs) + timedelta(seconds=complete_within_s)


def decide_package(
    policy: decide.Policy,
    package: Package,
    plans: Mapping[int, decide.Plan | Exception],
    batch: decide.Batch,
) -> None:
    """Decide every live leg of ``package`` together (see the module docstring)."""
    live = [r for r in package.legs if _stage(r, batch) not in TERMINAL]
    if not live:
        return
    gone = [r for r in package.legs if _stage(r, batch) in (Stage.REJECTED, Stage.WITHDRAWN)]
    if gone:
        _refuse_all(package, live, batch, {}, leg_refused(package, gone, "was refused or withdrawn"))
        return
    cleared = [r for r in package.legs if _stage(r, batch) is Stage.CLEARED]
    if cleared:  # the package cleared before: a leg arriving later cannot join it
        _refuse_all(package, live, batch, {}, leg_refused(package, cleared, "is already cleared"))
        return

    # every leg arrived (and affirmed, when a member reported it)?
    waiting = [r for r in live if r.stage is Stage.ALLEGED]
    if package.trades != package.size or waiting:
        _incomplete(policy, package, live, waiting, batch)
        return

    # eligibility of every leg; one failure refuses the package
    own: dict[int, list[Issue]] = {}
    for leg in live:
        p = plans[leg.id]
        if isinstance(p, Exception):
            own[leg.id] = [Issue(ReasonCode.INTERNAL_ERROR, "trade", f"{type(p).__name__}: {p}")]
            continue
        issues = [*p.issues, *decide.version_issues(leg, batch), *p.party_issues]
        if issues or p.sides is None:
            own[leg.id] = issues
    if own:
        failed = [r for r in live if r.id in own]
        _refuse_all(package, live, batch, own, leg_refused(package, failed))
        return
    ready = {leg.id: p for leg in live if isinstance(p := plans[leg.id], decide.Plan)}

    # timing: the package waits for its latest leg (service hours, backloading)
    due_at = max(p.timing.due_at for p in ready.values())
    if due_at > batch.now:
        for leg in live:
            p = ready[leg.id]
            decide.queue(policy, leg, p.trade, replace(p.timing, due_at=due_at), batch)
        return
    if not batch.open_now:
        return  # picked up at the next open
    business_date = policy.hours.business_date(batch.now)
    if any(leg.backload for leg in live):
        business_date = max([business_date, *(leg.business_date or business_date for leg in live)])
    _credit(policy, package, live, ready, batch, business_date)


def _incomplete(
    policy: decide.Policy,
    package: Package,
    live: Sequence[SubmissionRow],
    waiting: Sequence[SubmissionRow],
    batch: decide.Batch,
) -> None:
    """Not every leg is here: held until the deadline, then refused whole (at once when more legs arrived
    than the package has: that can never come right)."""
    due = deadline(package, policy.settings.packages.complete_within_s)
    if batch.now >= due or package.trades > package.size:
        missing = package.size - package.trades
        parts = []
        if missing > 0:
            parts.append(f"{missing} of its {package.size} trades never arrived")
        elif missing < 0:
            parts.append(f"{package.trades} trades arrived for a package of {package.size}")
        if waiting:
            parts.append(f"{', '.join(_leg(w) for w in waiting)} not affirmed by the counterparty")
        issue = Issue(
            ReasonCode.PACKAGE_INCOMPLETE,
            "tradePackage",
            f"package {package.name} refused at {batch.now.isoformat()}: {'; '.join(parts)}",
        )
        for leg in live:
            decide.refuse(leg, batch, [issue])
        return
    for leg in live:
        if leg.stage is Stage.ALLEGED:
            continue  # the counterparty's answer makes it due again
        if leg.stage is not Stage.QUEUED_PACKAGE or leg.due_at != due:
            batch.add(decide.transition(leg, batch, Stage.QUEUED_PACKAGE, None, due_at=due))


def _credit(
    policy: decide.Policy,
    package: Package,
    live: Sequence[SubmissionRow],
    ready: Mapping[int, decide.Plan],
    batch: decide.Batch,
    business_date: date,
) -> None:
    """One credit check per member account on the combined impact of its legs, then all novated or none."""
    checker = policy.margin_model()
    states: dict[tuple[str, str], RiskRow] = {}  # the package's effects, added to the batch at the end
    accounts: dict[tuple[str, str], Side] = {}  # each account the package touches, in order
    incremental: dict[tuple[str, str], Decimal] = {}  # its legs' incremental margins, added up
    impacts: dict[int, list[Side]] = {}
    refusals: dict[int, list[Issue]] = {}
    sub_blocks = []
    for leg in live:
        p = ready[leg.id]
        sub_blocks.append(
            decide_sub_block(
                p.trade, from_venue=policy.is_venue(leg.source), thresholds=policy.settings.block_thresholds
            )
        )
        assert p.sides is not None
        for side in p.sides:
            key = (side.member.member_id, side.account.account_id)
            try:
                before = states.get(key) or batch.book[key]
                impact = member_impact(
                    policy.settings.credit,
                    policy.fx,
                    side.member,
                    side.account.base_currency,
                    checker.margin_impact(
                        p.trade,
                        side.party_id,
                        side.account.base_currency,
                        before.pnl_vector,
                        business_date,
                        side.account.account_type,
                    ),
                )
            except GatewayError as exc:
                refusals.setdefault(leg.id, []).extend(exc.issues)
                continue
            impacts.setdefault(leg.id, []).append(side)
            accounts.setdefault(key, side)
            incremental[key] = incremental.get(key, Decimal(0)) + impact.incremental_margin
            states[key] = RiskRow(impact.margin_after, impact.pnl_after, before.trade_count + 1)
    if refusals:
        failed = [r for r in live if r.id in refusals]
        _refuse_all(package, live, batch, refusals, leg_refused(package, failed))
        return

    shortfalls: list[Issue] = []
    if not all(s.skip_credit_check for s in sub_blocks):
        checked: dict[tuple[str, str], RiskRow] = {}
        for key, side in accounts.items():
            position = decide.batch_position(policy, side.member, side.account.account_id, batch, checked)
            decision = decide_credit(
                side.member.member_id,
                side.account.account_id,
                incremental[key],
                position,
            )
            if not decision.approved:
                shortfalls += decision.reasons
            checked[key] = states[key]
    if shortfalls:
        not_honoured = [s.reason for s in sub_blocks if s.reason is not None]
        shortfalls = [*not_honoured[:1], *shortfalls]
        for leg in live:
            decide.short(policy, leg, batch, shortfalls, business_date)
        return
    for leg in live:
        decide.register(policy, leg, ready[leg.id].trade, impacts[leg.id], states, batch, business_date)


def waiting_stage(stage: Stage) -> bool:
    """Whether a leg in ``stage`` is still open to be decided with its package."""
    return stage not in TERMINAL and stage is not Stage.ALLEGED


def withdrawn_with(package: Package, withdrawn: SubmissionRow) -> tuple[list[SubmissionRow], Issue]:
    """A retraction of one leg retracts the package: the other live legs, and the reason they are given."""
    others = [r for r in package.legs if r.id != withdrawn.id and r.stage not in TERMINAL]
    return others, leg_refused(package, [withdrawn], "was withdrawn by the submitter")
