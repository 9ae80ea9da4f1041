"""A ``messageRejected`` from the gateway is a trade's final answer in the demo, with its reason shown."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console

from gateway.channels.mqtt.rejection import message_rejected
from gateway.clearing.ports import Channel, StatusUpdate
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.formats.fix import replies
from gateway.formats.fpml.write import status_update_to_fpml
from gateway.formats.fpml.write.status import CcpIdentity
from tools.demo.observer import Observer, fix_session
from tools.demo.runner import DemoReport, _resting, _result
from tools.demo.scenario import SOURCE, Intent, Route, demo_day
from tools.demo.summary import render

TOPIC = f"ccp/out/{SOURCE}/fpml"


def _rejection(in_reply_to: str) -> bytes:
    return message_rejected(
        message_id="CCP-R-1",
        sent_by="CCP",
        send_to=SOURCE,
        at=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
        issues=[Issue(ReasonCode.SCHEMA_INVALID, "/requestClearing/trade", "not valid")],
        in_reply_to=in_reply_to,
    )


def test_a_rejected_message_ends_its_trades_wait_with_the_reason() -> None:
    day = demo_day(date(2026, 3, 2), trades=2)
    dt = next(d for d in day if d.route is Route.FPML_MQTT and d.intent is Intent.CREDIT)
    tid = dt.trade.identifiers.source_trade_id
    observer = Observer()
    observer.sent(f"{SOURCE}-000003", tid)
    assert not _resting(observer, dt, TOPIC)

    observer.seen(TOPIC, _rejection(f"{SOURCE}-000003"))

    assert _resting(observer, dt, TOPIC)  # the phase stops waiting for it at once
    final = observer.final(tid, TOPIC)
    assert final is not None
    assert final.kind == "messageRejected"
    result = _result(observer, dt, TOPIC, {tid: final.at})
    assert result.outcome == "rejected"
    assert result.codes == ("SCHEMA_INVALID",)


def test_the_summary_lists_a_rejected_trade_and_its_reason() -> None:
    day = demo_day(date(2026, 3, 2), trades=1)
    dt = next(d for d in day if d.intent is Intent.CLEAR and d.route is Route.FPML_MQTT)
    tid = dt.trade.identifiers.source_trade_id
    observer = Observer()
    observer.sent("m-1", tid)
    observer.seen(TOPIC, _rejection("m-1"))
    report = DemoReport(
        business_date=date(2026, 3, 2),
        workdir=Path("var/demo"),
        results=(_result(observer, dt, TOPIC, {}),),
        members=(),
        positions_file=Path("var/demo/ccp-positions.csv"),
        position_rows=0,
        elapsed_s=1.0,
        schema="clearing-profile (clearing-profile.xsd)",
    )
    assert not report.as_intended
    assert report.refusal_reasons["SCHEMA_INVALID"] == 1
    console = Console(record=True, width=120)
    render(console, report)
    text = console.export_text()
    reasons = text[text.index("Refusal and pending reasons") : text.index("Why ")]
    row = " ".join(reasons[reasons.index(tid) :].split())
    assert row.startswith(f"{tid} cleared straight through messageRejected rejected: SCHEMA_INVALID")
    assert "validated against: clearing-profile" in text


def test_a_rejection_of_an_unknown_message_is_not_filed_under_a_demo_trade() -> None:
    observer = Observer()
    observer.sent("m-1", "T-1")
    observer.seen(TOPIC, _rejection("m-2"))
    assert observer.final("T-1", TOPIC) is None


def test_a_refusal_ends_an_ineligible_trades_wait_with_its_reason() -> None:
    day = demo_day(date(2026, 3, 2), trades=1)
    dt = next(d for d in day if d.intent is Intent.INELIGIBLE)
    refused = StatusUpdate(
        sequence=2,
        submission_id="S1",
        source=SOURCE,
        channel=Channel.MQTT_FPML,
        status=ClearingStatusCode.REJECTED,
        trade=dt.trade,
        at=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
        reasons=(Issue(ReasonCode.ELIG_MATURITY_TOO_LONG, "trade", "longer than the product allows"),),
    )
    observer = Observer()
    assert not _resting(observer, dt, TOPIC)

    observer.seen(TOPIC, status_update_to_fpml(refused, ccp=CcpIdentity("CCP"), recipient=SOURCE))

    assert _resting(observer, dt, TOPIC)
    result = _result(observer, dt, TOPIC, {})
    assert (result.outcome, result.codes) == ("refused", ("ELIG_MATURITY_TOO_LONG",))


def test_a_rejected_fix_report_ends_its_trades_wait_with_the_reason() -> None:
    """Bank C's reports are answered on its FIX session: a TradeCaptureReportAck rejecting one is its
    trade's answer, though no status for it reaches any MQTT topic."""
    day = demo_day(date(2026, 3, 2), trades=6)
    dt = next(d for d in day if d.route is Route.FIX)
    tid = dt.trade.identifiers.source_trade_id
    session = fix_session("BANKC_FIX")
    observer = Observer()
    observer.sent("C-00006", tid)
    assert not _resting(observer, dt, session)

    ack = replies.trade_report_ack(
        report_id="C-00006",
        trade_id=None,  # an unreadable report: only its report id ties the answer to the trade
        trans_type="0",
        at=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
        issues=[Issue(ReasonCode.FIX_MISSING_FIELD, "TradeDate(75)", "is required")],
    )
    fields: dict[int, str] = {}
    for tag, value in ack.pairs():
        fields.setdefault(tag, value)
    observer.seen_fix("BANKC_FIX", "AR", fields)

    assert _resting(observer, dt, session)  # the phase stops waiting for it at once
    result = _result(observer, dt, session, {})
    assert result.outcome == "rejected"
    assert result.statuses == ("Rejected",)
    assert len(result.codes) == 1
    assert "TradeDate(75): is required" in result.codes[0]
    assert observer.final(tid, TOPIC) is None  # filed under the FIX session, not the source's topic
