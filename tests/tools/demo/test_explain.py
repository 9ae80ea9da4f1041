"""Counting statuses per recipient (each under exactly one recipient, whatever the topic root), and the
operations commands' default database the summary names."""

from __future__ import annotations

from tools.demo.explain import per_recipient, recipient_of, sequence
from tools.demo.observer import Channel, Seen, fix_session

MEMBERS = {"BANKA_FIX": "BANKA"}


def _seen(where: str, kind: str, status: str = "", codes: tuple[str, ...] = ()) -> Seen:
    return Seen(where, kind, status, codes, 0.0)


def test_recipients_are_named_by_their_topic_under_any_root_and_by_member_for_fix() -> None:
    source = recipient_of("uat/ccp/out/MARKITWIRE/fpml", MEMBERS)
    assert (source.participant, source.role, source.channel) == ("MARKITWIRE", "trade source", Channel.MQTT)
    member = recipient_of("uat/ccp/member/BANKA/fpml", MEMBERS)
    assert (member.participant, member.role) == ("BANKA", "member")
    fix = recipient_of(fix_session("BANKA_FIX"), MEMBERS)
    assert (fix.participant, fix.channel, fix.where) == ("BANKA", Channel.FIX, "BANKA_FIX")


def test_each_status_counts_once_under_its_recipient_source_first() -> None:
    seen = [
        ("T1", _seen("ccp/member/BANKA/fpml", "clearingAcknowledgement")),
        ("T1", _seen("ccp/out/SRC/fpml", "clearingAcknowledgement")),
        ("T1", _seen(fix_session("BANKA_FIX"), "AE", "PendingNew")),
        ("T1", _seen("ccp/out/SRC/fpml", "clearingStatus", "Pending", ("RISK_INSUFFICIENT_COLLATERAL",))),
        ("T1", _seen("ccp/out/SRC/fpml", "clearingConfirmed")),
        ("T2", _seen("ccp/out/SRC/fpml", "messageRejected", "", ("SCHEMA_INVALID",))),
    ]
    counts = per_recipient(seen, MEMBERS)
    assert [(c.recipient.participant, c.recipient.channel) for c in counts] == [
        ("SRC", Channel.MQTT),
        ("BANKA", Channel.MQTT),
        ("BANKA", Channel.FIX),
    ]
    assert counts[0].by_status == (("Received", 1), ("Pending", 1), ("Cleared", 1), ("messageRejected", 1))
    assert sum(c.total for c in counts) == len(seen)
    steps = dict(sequence(seen, "T1", MEMBERS))
    by_where = {r.where: labels for r, labels in steps.items()}
    assert by_where["ccp/out/SRC/fpml"] == ("Received", "Pending (RISK_INSUFFICIENT_COLLATERAL)", "Cleared")
    assert by_where["BANKA_FIX"] == ("AE PendingNew",)


def test_the_summary_names_the_database_the_operations_commands_read_by_default() -> None:
    from gateway.cli.cmd_admin import DEFAULT_DB
    from tools.demo.summary import OPERATIONS_DB

    assert DEFAULT_DB.removeprefix("sqlite+aiosqlite:///").removeprefix("./") == OPERATIONS_DB
