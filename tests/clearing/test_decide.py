"""The clearing decisions, taken on values alone: no database, no broker, no clock.

Each test builds the state a pass would have read (members, versions, accounts' risk and collateral, the
time of the pass), asks ``decide`` about one submission and reads the transition that comes out.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from gateway.admin.reference import cash
from gateway.clearing import decide
from gateway.clearing.figures import credit_position
from gateway.domain.clearing import Channel, DeliveryChannel, RecipientRole, Submission
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import Party, Trade
from gateway.domain.workflow import Recipient, Stage, SubmissionRow, Transition, VersionRow
from gateway.refdata.figures import MemberFigures
from gateway.refdata.fx import FxRates
from gateway.refdata.model import Member
from gateway.rules.hours import ServiceHours
from gateway.rules.products import ProductTable
from gateway.rules.settings import ClearingSettings, CreditSettings, ShortfallAction
from tests.clearing.conftest import LEI_C, OPEN_NOW, TODAY, aud_irs, member
from tests.clearing.doubles import LinearMargin
from tests.strategies import LEI_A, LEI_B

BANKA = member("BANKA", LEI_A, ("BANKA_FIX", "BANKA_FIX2"))
BANKB = member("BANKB", LEI_B)
# A 10m AUD 5y swap under the linear model: PV01 5,000, initial margin 250,000 per side.
MARGIN = Decimal(250_000)


def policy(
    *,
    on_shortfall: ShortfallAction = ShortfallAction.PEND,
    venue: bool = False,
    checker: LinearMargin | None = None,
) -> decide.Policy:
    loaded = ClearingSettings.load()
    settings = dataclasses.replace(
        loaded, credit=dataclasses.replace(loaded.credit, on_shortfall=on_shortfall)
    )
    return decide.Policy(
        settings=settings,
        hours=ServiceHours(settings.service_hours, settings.backload),
        products=ProductTable.load(),
        fx=FxRates.load(),
        ccp=Party("CCP"),
        is_venue=lambda _source: venue,
        checker=checker or LinearMargin(),
    )


def row(
    trade: Trade | None = None,
    *,
    row_id: int = 7,
    channel: Channel = Channel.MQTT_FPML,
    stage: Stage = Stage.RECEIVED,
    received_at: datetime = OPEN_NOW,
    members: tuple[str | None, str | None] = ("BANKA", "BANKB"),
) -> SubmissionRow:
    trade = trade or aud_irs()
    ids = trade.identifiers
    return SubmissionRow(
        id=row_id,
        source="MARKITWIRE" if channel is not Channel.FIX else "VENUE_FIX",
        channel=channel,
        message_id=f"MSG-{row_id}",
        source_trade_id=ids.source_trade_id,
        source_version=ids.source_version,
        is_correction=False,
        correlation_id=None,
        received_at=received_at,
        trade=trade,
        member_a=members[0],
        member_b=members[1],
        sub_block=trade.sub_block,
        stage=stage,
        status=S.RECEIVED if stage is Stage.RECEIVED else S.PENDING,
        last_sequence=1,
        due_at=received_at,
        business_date=TODAY,
        backload=False,
    )


def batch(
    *,
    now: datetime = OPEN_NOW,
    collateral: Decimal = Decimal(100_000_000),
    versions: dict[tuple[str, str], list[VersionRow]] | None = None,
    known: tuple[Member, ...] = (BANKA, BANKB),
) -> decide.Batch:
    b = decide.Batch(now=now, open_now=policy().hours.is_open(now))
    b.members = {p: m for m in known for p in m.party_ids}
    b.comp_ids = {m.member_id: list(m.comp_ids) for m in known}
    b.versions = versions or {}
    for m in known:
        for a in m.accounts:
            b.book[(m.member_id, a.account_id)] = decide.NO_RISK
        b.figures[m.member_id] = MemberFigures({}, {"HOUSE": [cash("AUD", collateral)]}, {})
    return b


def run(p: decide.Policy, sub: SubmissionRow, b: decide.Batch) -> Transition:
    """Plan and decide ``sub``; the one transition it produced."""
    before = len(b.transitions)
    decide.decide(p, sub, decide.plan(p, sub, b), b)
    assert len(b.transitions) == before + 1
    return b.transitions[-1]


def codes(t: Transition) -> list[R]:
    return [i.code for i in t.reasons]


# ---------------------------------------------------------------- the pass


def test_a_covered_trade_is_novated_into_two_ccp_trades_and_moves_both_accounts() -> None:
    b = batch()
    t = run(policy(), row(), b)
    assert (t.stage, t.status) == (Stage.CLEARED, S.CLEARED)
    assert t.ccp_trade_ids == ("CCP-20260107-00000007-1", "CCP-20260107-00000007-2")
    assert t.business_date == TODAY
    (novated,) = b.novated
    a_ccp, ccp_b = novated.cleared
    assert [p.party_id for p in a_ccp.parties] == [LEI_A, "CCP"]
    assert [p.party_id for p in ccp_b.parties] == ["CCP", LEI_B]
    assert [(c.member_id, c.account_id, c.direction) for _, c in b.cleared] == [
        ("BANKA", "HOUSE", "PAY"),
        ("BANKB", "HOUSE", "RECEIVE"),
    ]
    assert b.book[("BANKA", "HOUSE")].margin == MARGIN
    assert b.book[("BANKB", "HOUSE")].trade_count == 1
    assert b.touched == {("BANKA", "HOUSE"), ("BANKB", "HOUSE")}


def test_a_second_trade_in_the_pass_is_checked_against_what_the_first_used() -> None:
    # collateral for one trade's margin, not two: the first clears, the second waits for collateral
    b = batch(collateral=MARGIN + Decimal(1_000))
    p = policy()
    first = run(p, row(aud_irs("MW-1"), row_id=1), b)
    second = run(p, row(aud_irs("MW-2"), row_id=2), b)
    assert first.status is S.CLEARED
    assert (second.stage, second.status) == (Stage.PENDING_COLLATERAL, S.PENDING)
    assert set(codes(second)) == {R.RISK_INSUFFICIENT_COLLATERAL}


def test_short_of_collateral_waits_pending_then_is_not_told_again() -> None:
    p = policy()
    t = run(p, row(), batch(collateral=Decimal(1_000)))
    assert (t.stage, t.status) == (Stage.PENDING_COLLATERAL, S.PENDING)
    assert codes(t) == [R.RISK_INSUFFICIENT_COLLATERAL, R.RISK_INSUFFICIENT_COLLATERAL]
    assert "short by" in t.reasons[0].message
    again = run(p, row(stage=Stage.PENDING_COLLATERAL), batch(collateral=Decimal(1_000)))
    assert (again.stage, again.status, again.recipients) == (Stage.PENDING_COLLATERAL, None, ())


def test_short_of_collateral_is_refused_when_the_settings_say_refuse() -> None:
    t = run(policy(on_shortfall=ShortfallAction.REFUSE), row(), batch(collateral=Decimal(1_000)))
    assert (t.stage, t.status) == (Stage.REJECTED, S.REJECTED)
    assert R.RISK_INSUFFICIENT_COLLATERAL in codes(t)


def test_a_trade_the_model_cannot_value_is_refused_with_the_models_reason() -> None:
    t = run(policy(checker=LinearMargin(unpriceable_currency="AUD")), row(), batch())
    assert (t.stage, t.status) == (Stage.REJECTED, S.REJECTED)
    assert codes(t) == [R.RISK_UNPRICEABLE, R.RISK_UNPRICEABLE]


def test_a_party_that_is_no_member_is_refused_naming_the_party() -> None:
    trade = aud_irs()
    stranger = dataclasses.replace(trade.parties[1], party_id=LEI_C)
    trade = dataclasses.replace(
        trade,
        parties=(trade.parties[0], stranger),
        streams=tuple(
            dataclasses.replace(
                s,
                payer=LEI_C if s.payer == LEI_B else s.payer,
                receiver=LEI_C if s.receiver == LEI_B else s.receiver,
            )
            for s in trade.streams
        ),
    )
    t = run(policy(), row(trade, members=("BANKA", None)), batch())
    assert (t.stage, t.status) == (Stage.REJECTED, S.REJECTED)
    assert R.ELIG_UNKNOWN_PARTY in codes(t)
    assert any(LEI_C in i.message for i in t.reasons)


def test_a_trade_out_of_scope_is_refused_before_any_margin_is_computed() -> None:
    checker = LinearMargin()
    t = run(policy(checker=checker), row(aud_irs(index="AUD-NO-SUCH-INDEX")), batch())
    assert t.status is S.REJECTED
    assert codes(t) == [R.ELIG_INDEX_NOT_ELIGIBLE]
    assert t.reasons[0].path == "streams[1].floatingRateIndex"
    assert checker.calls == 0


def test_outside_service_hours_the_trade_is_queued_for_the_open_and_told_once() -> None:
    night = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # 23:00 in Sydney: closed
    p = policy()
    t = run(p, row(received_at=night), batch(now=night))
    assert (t.stage, t.status) == (Stage.QUEUED_HOURS, S.PENDING)
    assert codes(t) == [R.ELIG_OUTSIDE_SERVICE_HOURS]
    assert t.due_at is not None
    assert t.due_at > night
    b = batch(now=night)
    decide.decide(p, row(received_at=night, stage=Stage.QUEUED_HOURS), decide.plan(p, row(), b), b)
    assert b.transitions == []  # already queued: nothing new to say


def test_an_old_trade_date_is_queued_for_backloading() -> None:
    old = aud_irs(trade_date=TODAY - timedelta(days=14))
    t = run(policy(), row(old), batch())
    assert (t.stage, t.status, t.backload) == (Stage.QUEUED_BACKLOAD, S.PENDING, True)
    assert codes(t) == [R.LIFE_BACKLOAD_QUEUED]


# ---------------------------------------------------------------- versions and corrections


def _versions(*others: VersionRow) -> dict[tuple[str, str], list[VersionRow]]:
    return {("MARKITWIRE", "MW-1"): [*others, VersionRow(7, 1, Stage.RECEIVED)]}


@pytest.mark.parametrize(
    ("other", "code"),
    [
        (VersionRow(3, 2, Stage.RECEIVED), R.ELIG_STALE_VERSION),
        (VersionRow(3, 1, Stage.CLEARED), R.LIFE_ALREADY_NOVATED),
        (VersionRow(3, 1, Stage.PENDING_COLLATERAL), R.ELIG_DUPLICATE),
    ],
)
def test_another_live_version_refuses_the_trade(other: VersionRow, code: R) -> None:
    t = run(policy(), row(), batch(versions=_versions(other)))
    assert (t.stage, codes(t)) == (Stage.REJECTED, [code])
    assert "S0000000003" in t.reasons[0].message


def test_a_withdrawn_or_refused_version_does_not_count() -> None:
    gone = _versions(VersionRow(3, 2, Stage.WITHDRAWN), VersionRow(4, 1, Stage.REJECTED))
    assert run(policy(), row(), batch(versions=gone)).status is S.CLEARED


def test_a_version_decided_earlier_in_the_pass_counts_as_decided() -> None:
    def pass_with_both() -> decide.Batch:
        v1, v2 = VersionRow(3, 1, Stage.RECEIVED), VersionRow(7, 2, Stage.RECEIVED)
        return batch(versions={("MARKITWIRE", "MW-1"): [v1, v2]})

    p = policy()
    v2 = row(aud_irs(version=2), row_id=7)
    assert codes(run(p, v2, pass_with_both())) == [R.ELIG_DUPLICATE]  # version 1 still in progress
    b = pass_with_both()
    decide.internal_error(row(row_id=3), b, ValueError("boom"))  # version 1 refused earlier in this pass
    assert run(p, v2, b).status is S.CLEARED


def test_a_correction_withdraws_only_the_earlier_versions_in_progress() -> None:
    v1 = row(aud_irs(version=1), row_id=1)
    v2 = row(aud_irs(version=2), row_id=2, stage=Stage.PENDING_COLLATERAL)
    v3 = row(aud_irs(version=3), row_id=3, stage=Stage.REJECTED)
    correction = row(aud_irs(version=4), row_id=4)
    later = row(aud_irs(version=5), row_id=5)
    assert decide.superseded(correction, [v1, v2, v3, correction, later]) == [v1, v2]
    reason = decide.superseded_reason(correction)
    assert (reason.code, reason.message) == (
        R.LIFE_SUPERSEDED,
        "replaced by corrected version 4 (S0000000004)",
    )


def test_a_correction_keeps_its_own_utis_but_not_another_trades() -> None:
    mine = row(aud_irs("MW-1"), row_id=1)
    other = row(aud_irs("MW-9"), row_id=9)
    sub = _submission(aud_irs("MW-1", version=2))
    assert decide.correction_may_take(sub, None)
    assert decide.correction_may_take(sub, mine)
    assert not decide.correction_may_take(sub, other)


# ---------------------------------------------------------------- duplicate UTI, two-sided reports


def test_a_duplicate_uti_is_refused_naming_the_holder_and_its_ccp_trades() -> None:
    holder = dataclasses.replace(row(), stage=Stage.CLEARED, status=S.CLEARED)
    refusal = decide.duplicate_uti(holder, ["CCP-1", "CCP-2"])
    (issue,) = refusal.issues
    assert (issue.code, issue.path) == (R.ELIG_DUPLICATE_UTI, "tradeHeader.uti")
    assert (
        issue.message
        == "UTI UTI-MW-1-1 is live as submission S0000000007 (Cleared, CCP trade ids CCP-1 and CCP-2)"
    )
    alleged = dataclasses.replace(row(), stage=Stage.ALLEGED)
    assert "(alleged)" in decide.duplicate_uti(alleged).issues[0].message


def _submission(
    trade: Trade, *, reporter: str | None = None, channel: Channel = Channel.MQTT_FPML
) -> Submission:
    return Submission(
        channel=channel,
        source="MARKITWIRE" if reporter is None else f"{reporter}_FIX",
        message_id="M-1",
        received_at=OPEN_NOW,
        trade=trade,
        reporter_party=reporter,
    )


def test_a_members_report_is_affirmed_by_the_other_member_and_an_approved_sources_is_not() -> None:
    members = {LEI_A: "BANKA", LEI_B: "BANKB"}
    assert decide.affirm_member(_submission(aud_irs(), reporter=LEI_A), members) == "BANKB"
    assert decide.affirm_member(_submission(aud_irs()), members) is None
    # both sides of one member: nobody else to affirm it
    assert (
        decide.affirm_member(_submission(aud_irs(), reporter=LEI_A), {LEI_A: "BANKA", LEI_B: "BANKA"}) is None
    )


def test_the_counterpartys_own_report_affirms_and_anyone_elses_is_a_duplicate() -> None:
    members = {LEI_A: "BANKA", LEI_B: "BANKB"}
    holder = dataclasses.replace(
        row(channel=Channel.FIX), source="BANKA_FIX", stage=Stage.ALLEGED, affirm_member="BANKB"
    )
    assert decide.affirms(_submission(aud_irs(), reporter=LEI_B), holder, members)
    assert not decide.affirms(_submission(aud_irs(), reporter=LEI_A), holder, members)
    assert not decide.affirms(_submission(aud_irs()), holder, members)


def test_a_counterparty_report_with_other_economics_is_refused_naming_the_difference() -> None:
    holder = dataclasses.replace(row(), stage=Stage.ALLEGED, affirm_member="BANKB")
    assert decide.economics_mismatch(holder, aud_irs()) is None
    refusal = decide.economics_mismatch(holder, aud_irs(notional=Decimal(20_000_000)))
    assert refusal is not None
    (issue,) = refusal.issues
    assert issue.code is R.ELIG_ECONOMICS_MISMATCH
    assert "S0000000007" in issue.message
    assert "notional" in issue.message.lower()


def test_a_group_that_repeats_itself_is_not_stored_in_one_statement() -> None:
    one, two = _submission(aud_irs("MW-1")), _submission(aud_irs("MW-2"))
    two = dataclasses.replace(two, message_id="M-2")
    assert decide.independent([one, two])
    assert not decide.independent([one, dataclasses.replace(one, trade=aud_irs("MW-3"))])  # same message id
    assert not decide.independent([one, dataclasses.replace(two, is_correction=True)])
    assert not decide.independent([one, dataclasses.replace(two, reporter_party=LEI_A)])


# ---------------------------------------------------------------- sub-block


def _sub_block(notional: Decimal) -> SubmissionRow:
    return row(aud_irs(sub_block=True, notional=notional))


def test_a_venues_sub_block_trade_skips_the_credit_check() -> None:
    t = run(policy(venue=True), _sub_block(Decimal(10_000_000)), batch(collateral=Decimal(1_000)))
    assert (t.stage, t.status, t.reasons) == (Stage.CLEARED, S.CLEARED, ())


def test_a_sub_block_flag_not_honoured_says_why_with_the_shortfall() -> None:
    t = run(policy(venue=False), _sub_block(Decimal(10_000_000)), batch(collateral=Decimal(1_000)))
    assert t.status is S.PENDING
    assert codes(t)[0] is R.RISK_SUB_BLOCK_NOT_HONOURED
    assert "not a registered venue" in t.reasons[0].message
    assert R.RISK_INSUFFICIENT_COLLATERAL in codes(t)


def test_a_venues_block_sized_trade_is_credit_checked() -> None:
    t = run(policy(venue=True), _sub_block(Decimal(300_000_000)), batch(collateral=Decimal(1_000)))
    assert t.status is S.PENDING
    assert codes(t)[0] is R.RISK_SUB_BLOCK_NOT_HONOURED
    assert "block threshold" in t.reasons[0].message


# ---------------------------------------------------------------- recipients


def test_an_mqtt_source_is_answered_on_its_topic_then_the_members_topics_then_their_sessions() -> None:
    got = decide.recipients(row(), {"BANKA": ["BANKA_FIX", "BANKA_FIX2"], "BANKB": []})
    assert got == (
        Recipient(DeliveryChannel.MQTT, RecipientRole.SOURCE, "MARKITWIRE"),
        Recipient(DeliveryChannel.MQTT, RecipientRole.MEMBER, "BANKA"),
        Recipient(DeliveryChannel.MQTT, RecipientRole.MEMBER, "BANKB"),
        Recipient(DeliveryChannel.FIX, RecipientRole.MEMBER, "BANKA_FIX"),
        Recipient(DeliveryChannel.FIX, RecipientRole.MEMBER, "BANKA_FIX2"),
    )


def test_a_fix_report_has_no_source_topic_and_one_member_on_both_sides_is_told_once() -> None:
    got = decide.recipients(row(channel=Channel.FIX, members=("BANKA", "BANKA")), {"BANKA": ["BANKA_FIX"]})
    assert got == (
        Recipient(DeliveryChannel.MQTT, RecipientRole.MEMBER, "BANKA"),
        Recipient(DeliveryChannel.FIX, RecipientRole.MEMBER, "BANKA_FIX"),
    )


def test_every_new_status_of_the_pass_is_owed_to_the_same_recipients_and_a_silent_one_to_nobody() -> None:
    b = batch()
    t = run(policy(), row(channel=Channel.FIX), b)
    assert list(t.recipients) == list(decide.recipients(row(channel=Channel.FIX), b.comp_ids))
    assert decide.transition(row(), b, Stage.PENDING_COLLATERAL, None).recipients == ()


def test_a_repeat_is_answered_again_on_the_mqtt_source_topic_only() -> None:
    assert decide.source_again(_submission(aud_irs())) == Recipient(
        DeliveryChannel.MQTT, RecipientRole.SOURCE, "MARKITWIRE"
    )
    assert decide.source_again(_submission(aud_irs(), channel=Channel.FIX)) is None


# ---------------------------------------------------------------- end of day, defects


def test_end_of_day_refuses_an_alleged_trade_as_not_affirmed_and_others_as_not_registered() -> None:
    day = date(2026, 1, 7)
    alleged = decide.end_of_day_reasons(dataclasses.replace(row(), stage=Stage.ALLEGED), day, [])
    queued = decide.end_of_day_reasons(row(stage=Stage.PENDING_COLLATERAL), day, [])
    assert [i.code for i in alleged] == [R.LIFE_NOT_AFFIRMED_BY_EOD]
    assert [i.code for i in queued] == [R.LIFE_NOT_REGISTERED_BY_EOD]


def test_a_defect_in_one_decision_refuses_that_trade_saying_so() -> None:
    b = batch()
    decide.internal_error(row(), b, ValueError("boom"))
    (t,) = b.transitions
    assert (t.stage, t.status, codes(t)) == (Stage.REJECTED, S.REJECTED, [R.INTERNAL_ERROR])
    assert t.reasons[0].message == "ValueError: boom"


def test_a_service_without_a_margin_model_cannot_clear() -> None:
    p = dataclasses.replace(policy(), checker=None)
    with pytest.raises(RuntimeError, match="no credit checker"):
        decide.decide(p, row(), decide.plan(p, row(), batch()), batch())


def test_the_credit_position_counts_tolerance_only_up_to_the_pool_cap() -> None:
    tolerant = dataclasses.replace(BANKA, tolerance_limit=Decimal(1_000_000))
    figures = MemberFigures({"HOUSE": Decimal(300_000)}, {"HOUSE": [cash("AUD", Decimal(200_000))]}, {})
    p = policy()
    pos = credit_position(
        p.fx,
        p.settings.credit.tolerance_pool_cap,
        tolerant,
        "HOUSE",
        figures,
        {},
        pool={"AUD": Decimal(1_000_000)},
    )
    assert (pos.collateral_value, pos.margin, pos.tolerance_used) == (
        Decimal(200_000),
        Decimal(300_000),
        Decimal(100_000),
    )
    assert pos.tolerance_limit == Decimal(1_000_000) * CreditSettings().tolerance_pool_cap
