"""The clearing decision: values in, decisions out. Pure: no database, no clock, no I/O.

A clearing pass reads everything it needs up front into a ``Batch`` (the submissions' members, the versions
of their trades, the accounts' risk states, collateral and reservations, the time of the pass), then asks
``decide`` about each submission in turn. Each decision is a ``Transition`` (the new stage and, when the
published status changes, the status and who is owed it), together with what it does to the state later
trades are decided against (the accounts' risk, the novated pair). The caller writes them all at once.

The few decisions of the receipt path (who must affirm a member's report, the refusal of a duplicate UTI,
which earlier versions a correction withdraws, the refusals of end of day) are here too, so that every
rule of the workflow is read and tested in one place. Who is owed a status is written once: ``recipients``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from gateway.clearing import affirmation
from gateway.clearing import figures as credit_figures
from gateway.clearing.addons import member_impact
from gateway.clearing.credit import CreditChecker, CreditPosition
from gateway.clearing.credit import decide as decide_credit
from gateway.clearing.novation import cleared_row, novate
from gateway.clearing.sub_block import decide_sub_block
from gateway.domain.clearing import Channel, DeliveryChannel, RecipientRole, Submission
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError, Issue, NotEligible
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, Trade
from gateway.domain.workflow import (
    TERMINAL,
    ClearedRow,
    Recipient,
    Stage,
    SubmissionRow,
    Transition,
    VersionRow,
)
from gateway.refdata.figures import MemberFigures, RiskRow
from gateway.refdata.fx import FxRates
from gateway.refdata.model import Member
from gateway.rules.eligibility import Side, resolve_sides, validate_dates
from gateway.rules.hours import ServiceHours, Timing
from gateway.rules.products import ProductTable
from gateway.rules.settings import ClearingSettings, ShortfallAction

NO_RISK = RiskRow(Decimal(0), None, 0)
"""The risk state of an account with no cleared trade yet."""


@dataclass(frozen=True, slots=True)
class Policy:
    """What the decisions are taken by: the configured rules, the reference data that does not change
    during a pass, and the margin model (``checker``; None: this service can store and report, not clear)."""

    settings: ClearingSettings
    hours: ServiceHours
    products: ProductTable
    fx: FxRates
    ccp: Party
    is_venue: Callable[[str], bool]
    checker: CreditChecker | None

    def margin_model(self) -> CreditChecker:
        if self.checker is None:
            raise RuntimeError("no credit checker configured: this service can store and report, not clear")
        return self.checker


# ---------------------------------------------------------------- who is owed a status


def recipients(sub: SubmissionRow, comp_ids: Mapping[str, Sequence[str]]) -> tuple[Recipient, ...]:
    """Everyone owed a submission's statuses: its source's MQTT topic, its members' MQTT topics, then their
    FIX sessions (``comp_ids``: each member's CompIDs, in CompID order).

    A trade reported over FIX is answered on its session (AR) and its members' sessions and topics, not on a
    source topic: its CompID has no MQTT status topic, and the source's view (both sides) must not be
    published where a member's user could be allowed to read it.
    """
    out: list[Recipient] = []
    if sub.channel is not Channel.FIX:
        out.append(Recipient(DeliveryChannel.MQTT, RecipientRole.SOURCE, sub.source))
    out += [Recipient(DeliveryChannel.MQTT, RecipientRole.MEMBER, m) for m in sub.members]
    out += [
        Recipient(DeliveryChannel.FIX, RecipientRole.MEMBER, c)
        for m in sub.members
        for c in comp_ids.get(m, ())
    ]
    return tuple(out)


def source_again(sub: Submission) -> Recipient | None:
    """Who is answered again when a known message or trade version arrives once more: the source's topic
    for what came over MQTT (its members were told already; FIX answers on the session itself)."""
    if sub.channel is Channel.MQTT_FPML:
        return Recipient(DeliveryChannel.MQTT, RecipientRole.SOURCE, sub.source)
    return None


# ---------------------------------------------------------------- receipt


def parties_of(sub: Submission) -> tuple[Party, ...]:
    """The parties whose members and CompIDs storing ``sub`` reads (the reporter's, for a member's report)."""
    if sub.reporter_party is None:
        return sub.trade.parties
    return (*sub.trade.parties, Party(sub.reporter_party))


def affirm_member(sub: Submission, members: Mapping[str, str]) -> str | None:
    """The member that must affirm a member's own report before it is processed: the other side's member,
    when that is another member (``members``: member id by party id). None: nobody needs to affirm it."""
    if sub.reporter_party is None:
        return None
    other = affirmation.counterparty(sub.trade, sub.reporter_party)
    other_member = None if other is None else members.get(other.party_id)
    if other_member is not None and other_member != members.get(sub.reporter_party):
        return other_member
    return None


def affirms(sub: Submission, holder: SubmissionRow, members: Mapping[str, str]) -> bool:
    """Whether ``sub``, refused by ``holder``'s live UTI, is the counterparty's own report of the trade alleged
    against it (which then affirms that trade) rather than a duplicate."""
    return (
        sub.reporter_party is not None
        and holder.affirm_member is not None
        and holder.source != sub.source
        and members.get(sub.reporter_party) == holder.affirm_member
    )


def duplicate_uti(holder: SubmissionRow, ccp_trade_ids: Sequence[str] = ()) -> NotEligible:
    """The refusal of a second trade with ``holder``'s live UTI, naming ``holder`` (and its CCP trade ids
    once novated)."""
    cleared = f", CCP trade ids {' and '.join(ccp_trade_ids)}" if ccp_trade_ids else ""
    state = "alleged" if holder.stage is Stage.ALLEGED else holder.status.value
    return NotEligible(
        [
            Issue(
                ReasonCode.ELIG_DUPLICATE_UTI,
                "tradeHeader.uti",
                f"UTI {holder.trade.identifiers.uti} is live as submission {holder.ref} ({state}{cleared})",
            )
        ]
    )


def correction_may_take(sub: Submission, holder: SubmissionRow | None) -> bool:
    """A correction keeps its own trade's UTI; it may not take one live as another trade."""
    return holder is None or (holder.source, holder.source_trade_id) == (
        sub.source,
        sub.trade.identifiers.source_trade_id,
    )


def economics_mismatch(holder: SubmissionRow, report: Trade) -> NotEligible | None:
    """The counterparty's report of an alleged trade must be the same trade: the refusal naming what
    differs, or None when it matches."""
    differ = affirmation.differences(holder.trade, report)
    if not differ:
        return None
    return NotEligible(
        [
            Issue(
                ReasonCode.ELIG_ECONOMICS_MISMATCH,
                "tradeHeader.uti",
                f"UTI {holder.trade.identifiers.uti} is alleged as submission {holder.ref} "
                f"with other terms: {'; '.join(differ)}",
            )
        ]
    )


def superseded(correction: SubmissionRow, earlier: Sequence[SubmissionRow]) -> list[SubmissionRow]:
    """The earlier versions a stored correction withdraws: those still in progress (novated, refused and
    withdrawn ones are left alone)."""
    return [
        e
        for e in earlier
        if e.id != correction.id and e.source_version < correction.source_version and e.stage not in TERMINAL
    ]


def superseded_reason(correction: SubmissionRow) -> Issue:
    return Issue(
        ReasonCode.LIFE_SUPERSEDED,
        "tradeHeader.version",
        f"replaced by corrected version {correction.source_version} ({correction.ref})",
    )


def independent(submissions: Sequence[Submission]) -> bool:
    """Whether a group can be stored in one statement: no correction, no member's own report (it may be
    alleged), and no two submissions with the same message id, the same trade version or the same UTI."""
    messages: set[tuple[str, str]] = set()
    versions: set[tuple[str, str, int]] = set()
    utis: set[str] = set()
    for sub in submissions:
        ids = sub.trade.identifiers
        message = (sub.source, sub.message_id)
        version = (sub.source, ids.source_trade_id, ids.source_version)
        if sub.is_correction or sub.reporter_party is not None or message in messages or version in versions:
            return False
        if ids.uti is not None:
            if ids.uti in utis:
                return False
            utis.add(ids.uti)
        messages.add(message)
        versions.add(version)
    return True


def end_of_day_reasons(sub: SubmissionRow, business_date: date, earlier: Sequence[Issue]) -> list[Issue]:
    """Why end of day refuses a trade still live (``earlier``: the reasons of its last status, kept)."""
    first = (
        Issue(
            ReasonCode.LIFE_NOT_AFFIRMED_BY_EOD,
            "businessDate",
            f"not affirmed by the counterparty by the end of {business_date}; report it again",
        )
        if sub.stage is Stage.ALLEGED
        else Issue(
            ReasonCode.LIFE_NOT_REGISTERED_BY_EOD,
            "businessDate",
            f"not registered by the end of {business_date}; resubmit",
        )
    )
    return [first, *earlier]


# ---------------------------------------------------------------- the clearing pass


@dataclass(frozen=True, slots=True)
class Novated:
    """A novation decided in a pass: the submission and its two cleared trades (A-CCP, CCP-B)."""

    row_id: int
    ref: str
    ccp_trade_ids: tuple[str, str]
    cleared: tuple[Trade, Trade]


@dataclass(frozen=True, slots=True)
class Plan:
    """The parts of a decision that depend on the submission and the reference data only."""

    timing: Timing
    trade: Trade
    issues: list[Issue]
    party_issues: list[Issue]
    sides: tuple[Side, Side] | None


@dataclass(slots=True)
class Batch:
    """The state of one clearing pass: what was read up front, and what the trades decided so far."""

    now: datetime
    open_now: bool
    members: dict[str, Member] = field(default_factory=dict)  # by party id
    versions: dict[tuple[str, str], list[VersionRow]] = field(default_factory=dict)
    comp_ids: dict[str, list[str]] = field(default_factory=dict)
    book: dict[tuple[str, str], RiskRow] = field(default_factory=dict)  # accounts' risk, as decided
    figures: dict[str, MemberFigures] = field(default_factory=dict)
    fixed_figures: dict[tuple[str, str], tuple[dict[str, Decimal], dict[str, Decimal]]] = field(
        default_factory=dict
    )
    pool: dict[str, Decimal] = field(default_factory=dict)  # active members' limits by base currency
    transitions: list[Transition] = field(default_factory=list)
    stages: dict[int, Stage] = field(default_factory=dict)  # submission id -> stage decided in this batch
    touched: set[tuple[str, str]] = field(default_factory=set)
    cleared: list[tuple[int, ClearedRow]] = field(default_factory=list)
    cleared_dates: dict[int, date] = field(default_factory=dict)
    novated: list[Novated] = field(default_factory=list)

    def members_by_id(self) -> dict[str, Member]:
        return {m.member_id: m for m in self.members.values()}

    def add(
        self,
        transition: Transition,
        *,
        states: Mapping[tuple[str, str], RiskRow] | None = None,
        cleared: Sequence[ClearedRow] = (),
        novated: Novated | None = None,
    ) -> None:
        """One trade's decision, with every effect it has on the state later trades are decided against."""
        sub = transition.sub
        self.transitions.append(transition)
        self.stages[sub.id] = transition.stage
        for key, state in (states or {}).items():
            self.book[key] = state
            self.touched.add(key)
        if cleared:
            assert transition.business_date is not None
            self.cleared += [(sub.id, row) for row in cleared]
            self.cleared_dates[sub.id] = transition.business_date
        if novated is not None:
            self.novated.append(novated)


def transition(
    sub: SubmissionRow,
    batch: Batch,
    stage: Stage,
    status: ClearingStatusCode | None,
    reasons: Sequence[Issue] = (),
    *,
    due_at: datetime | None = None,
    business_date: date | None = None,
    backload: bool | None = None,
    ccp_trade_ids: tuple[str, ...] = (),
) -> Transition:
    """A decision for ``sub``; a new status (``status`` not None) is owed to its ``recipients``."""
    return Transition(
        sub=sub,
        stage=stage,
        at=batch.now,
        due_at=sub.due_at if due_at is None else due_at,
        business_date=sub.business_date if business_date is None else business_date,
        backload=sub.backload if backload is None else backload,
        status=status,
        reasons=tuple(reasons),
        ccp_trade_ids=ccp_trade_ids,
        recipients=() if status is None else recipients(sub, batch.comp_ids),
    )


def refuse(sub: SubmissionRow, batch: Batch, reasons: Sequence[Issue]) -> None:
    batch.add(transition(sub, batch, Stage.REJECTED, ClearingStatusCode.REJECTED, reasons))


def internal_error(sub: SubmissionRow, batch: Batch, exc: Exception) -> None:
    """A trade whose decision failed on a defect is refused, saying so; the others are unaffected."""
    refuse(sub, batch, [Issue(ReasonCode.INTERNAL_ERROR, "trade", f"{type(exc).__name__}: {exc}")])


def plan(policy: Policy, sub: SubmissionRow, batch: Batch) -> Plan:
    """Validate, normalise and check the scope and the parties: what does not depend on the batch's state."""
    hours = policy.hours
    timing = hours.timing(sub.received_at, sub.trade.trade_date)
    # validate: business rules the intake schema cannot check
    issues = validate_dates(
        sub.trade, timing.business_date if not timing.backload else hours.business_date(sub.received_at)
    )
    # normalise: one spelling per index
    trade = policy.products.normalise(sub.trade)
    # eligibility: scope, parties and accounts (versions are checked in turn, in decide)
    issues += policy.products.check(trade)
    sides, party_issues = resolve_sides(trade, batch.members)
    return Plan(timing, trade, issues, party_issues, sides)


def reaches_credit_check(p: Plan | Exception, batch: Batch) -> bool:
    """Whether a planned trade may reach the credit check in this pass (its accounts are read up front)."""
    return isinstance(p, Plan) and p.sides is not None and batch.open_now and p.timing.due_at <= batch.now


def version_issues(sub: SubmissionRow, batch: Batch) -> list[Issue]:
    """The other live versions of ``sub``'s trade (as this batch has left them) that refuse it."""
    issues = []
    for other in batch.versions.get((sub.source, sub.source_trade_id), ()):
        stage = batch.stages.get(other.id, other.stage)
        if other.id == sub.id or stage in (Stage.REJECTED, Stage.WITHDRAWN):
            continue
        if other.source_version > sub.source_version:
            issues.append(
                Issue(
                    ReasonCode.ELIG_STALE_VERSION,
                    "tradeHeader.version",
                    f"version {other.source_version} of {sub.source_trade_id} is already submitted ({other.ref})",
                )
            )
        elif stage is Stage.CLEARED:
            issues.append(
                Issue(
                    ReasonCode.LIFE_ALREADY_NOVATED,
                    "tradeHeader.version",
                    f"version {other.source_version} of {sub.source_trade_id} is already novated ({other.ref})",
                )
            )
        else:
            issues.append(
                Issue(
                    ReasonCode.ELIG_DUPLICATE,
                    "tradeHeader.tradeId",
                    f"version {other.source_version} of {sub.source_trade_id} is in progress ({other.ref}); "
                    "send a correction to replace it",
                )
            )
    return issues


def decide(policy: Policy, sub: SubmissionRow, p: Plan, batch: Batch) -> None:
    """One trade, in the pipeline order, against the batch's state; its effects are added at the end only."""
    now = batch.now
    trade, timing, sides = p.trade, p.timing, p.sides
    issues = [*p.issues, *version_issues(sub, batch), *p.party_issues]
    if issues or sides is None:
        refuse(sub, batch, issues)
        return

    # timing: outside service hours -> queued to the open; old trade date -> backload queue
    if timing.due_at > now:
        queue(policy, sub, trade, timing, batch)
        return
    if not batch.open_now:
        return  # due, but the window closed before it was reached: picked up at the next open

    business_date = policy.hours.business_date(now)
    if sub.backload:
        business_date = max(business_date, sub.business_date or business_date)

    # risk: incremental margin per member side; a sub-block trade skips the check only from a venue
    # source and below the block threshold, else the status says why the flag was not honoured
    sub_block = decide_sub_block(
        trade, from_venue=policy.is_venue(sub.source), thresholds=policy.settings.block_thresholds
    )
    checker = policy.margin_model()
    states: dict[tuple[str, str], RiskRow] = {}  # this trade's effects, added to the batch at the end
    impacts = []
    refusals: list[Issue] = []
    shortfalls: list[Issue] = []
    for side in sides:
        key = (side.member.member_id, side.account.account_id)
        try:
            before = states.get(key) or batch.book[key]
            impact = member_impact(
                policy.settings.credit,
                policy.fx,
                side.member,
                side.account.base_currency,
                checker.margin_impact(
                    trade,
                    side.party_id,
                    side.account.base_currency,
                    before.pnl_vector,
                    business_date,
                    side.account.account_type,
                ),
            )
        except GatewayError as exc:
            refusals += exc.issues
            continue
        impacts.append(side)
        if not sub_block.skip_credit_check:
            position = batch_position(policy, side.member, side.account.account_id, batch, states)
            decision = decide_credit(
                side.member.member_id, side.account.account_id, impact.incremental_margin, position
            )
            if not decision.approved:
                shortfalls += decision.reasons
        states[key] = RiskRow(impact.margin_after, impact.pnl_after, before.trade_count + 1)
    if refusals:
        refuse(sub, batch, refusals)
        return
    if shortfalls:
        if sub_block.reason is not None:
            shortfalls.insert(0, sub_block.reason)
        short(policy, sub, batch, shortfalls, business_date)
        return
    register(policy, sub, trade, impacts, states, batch, business_date)


def queue(policy: Policy, sub: SubmissionRow, trade: Trade, timing: Timing, batch: Batch) -> None:
    """Not due yet: queued to the open, or to its backload date (told once, when it is first queued)."""
    stage = Stage.QUEUED_BACKLOAD if timing.backload else Stage.QUEUED_HOURS
    if sub.stage is stage:
        return
    reason = (
        Issue(
            ReasonCode.LIFE_BACKLOAD_QUEUED,
            "tradeHeader.tradeDate",
            f"trade date {trade.trade_date} is more than "
            f"{policy.settings.backload.stale_after_business_days} business days old: "
            f"backloading on {timing.business_date}",
        )
        if timing.backload
        else Issue(
            ReasonCode.ELIG_OUTSIDE_SERVICE_HOURS,
            "receivedAt",
            f"received outside service hours; queued for the open at {timing.due_at.isoformat()}",
        )
    )
    batch.add(
        transition(
            sub,
            batch,
            stage,
            ClearingStatusCode.PENDING,
            [reason],
            due_at=timing.due_at,
            business_date=timing.business_date,
            backload=timing.backload,
        )
    )


def short(
    policy: Policy, sub: SubmissionRow, batch: Batch, shortfalls: list[Issue], business_date: date
) -> None:
    """Short of collateral: refused, or pending until collateral is lodged (as the settings say)."""
    if policy.settings.credit.on_shortfall is ShortfallAction.REFUSE:
        refuse(sub, batch, shortfalls)
    elif sub.stage is Stage.PENDING_COLLATERAL:
        # still short: wait on, without a new status
        batch.add(transition(sub, batch, Stage.PENDING_COLLATERAL, None))
    else:
        batch.add(
            transition(
                sub,
                batch,
                Stage.PENDING_COLLATERAL,
                ClearingStatusCode.PENDING,
                shortfalls,
                business_date=business_date,
            )
        )


def ccp_trade_ids(policy: Policy, sub: SubmissionRow, business_date: date) -> tuple[str, str]:
    prefix = policy.settings.ccp.trade_id_prefix
    return (
        f"{prefix}-{business_date:%Y%m%d}-{sub.id:08d}-1",
        f"{prefix}-{business_date:%Y%m%d}-{sub.id:08d}-2",
    )


def register(
    policy: Policy,
    sub: SubmissionRow,
    trade: Trade,
    sides: Sequence[Side],
    states: Mapping[tuple[str, str], RiskRow],
    batch: Batch,
    business_date: date,
) -> None:
    """Cleared: the two trades with the CCP, the accounts' risk state and the status go with the batch."""
    ids = ccp_trade_ids(policy, sub, business_date)
    cleared = novate(trade, policy.ccp, ids)
    rows = [
        cleared_row(cleared_trade, ccp_id, side.member.member_id, side.account.account_id, side.party_id)
        for side, ccp_id, cleared_trade in zip(sides, ids, cleared, strict=True)
    ]
    cleared_status = transition(
        sub, batch, Stage.CLEARED, ClearingStatusCode.CLEARED, business_date=business_date, ccp_trade_ids=ids
    )
    batch.add(cleared_status, states=states, cleared=rows, novated=Novated(sub.id, sub.ref, ids, cleared))


# ---------------------------------------------------------------- credit figures


def batch_position(
    policy: Policy,
    member: Member,
    account_id: str,
    batch: Batch,
    states: Mapping[tuple[str, str], RiskRow],
) -> CreditPosition:
    """The figures of one account and its member's tolerance, as the batch has left them."""
    figures = batch.figures.get(member.member_id) or MemberFigures({}, {}, {})
    overrides = {
        a.account_id: (states.get(k) or batch.book.get(k))
        for a in member.accounts
        for k in [(member.member_id, a.account_id)]
    }
    key = (member.member_id, account_id)
    fixed = batch.fixed_figures.get(key)
    if fixed is None:  # collateral and reservations do not change during a pass
        fixed = batch.fixed_figures[key] = credit_figures.fixed_figures(
            policy.fx, member, account_id, figures
        )
    cap = policy.settings.credit.tolerance_pool_cap
    return credit_figures.credit_position(
        policy.fx, cap, member, account_id, figures, overrides, batch.pool, fixed
    )
