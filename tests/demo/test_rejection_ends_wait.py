"""A ``messageRejected`` from the gateway is a trade's final answer in the demo, with its reason shown."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console

from gateway.demo.observer import Observer
from gateway.demo.runner import DemoReport, _resting, _result
from gateway.demo.scenario import SOURCE, Intent, Route, demo_day
from gateway.demo.summary import render
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.publish.mqtt.rejection import message_rejected

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
        statuses_seen=1,
        elapsed_s=1.0,
        schema="clearing-profile (clearing-profile.xsd)",
    )
    assert not report.as_intended
    assert report.refusal_reasons["SCHEMA_INVALID"] == 1
    console = Console(record=True, width=200)
    render(console, report)
    text = console.export_text()
    line = next(ln for ln in text.splitlines() if tid in ln)
    assert "rejected" in line
    assert "SCHEMA_INVALID" in line
    assert "validated against: clearing-profile" in text


def test_a_rejection_of_an_unknown_message_is_not_filed_under_a_demo_trade() -> None:
    observer = Observer()
    observer.sent("m-1", "T-1")
    observer.seen(TOPIC, _rejection("m-2"))
    assert observer.final("T-1", TOPIC) is None
