"""The demo's summary, for someone who has never seen the gateway: what happened, why, where the data is.

Sections: outcomes; the reasons of the trades that were given any; the lifecycle events asked after the
day's registrations; why there are more statuses than trades (per recipient, and one trade step by step);
the members' margin; the schema set; files and next commands.
"""

from __future__ import annotations

import shlex
from decimal import Decimal
from typing import TYPE_CHECKING

from rich import box
from rich.markup import escape
from rich.table import Table

from tools.demo.explain import Recipient, per_recipient, sequence, worked_trade
from tools.demo.observer import Channel
from tools.demo.scenario import MEMBERS

if TYPE_CHECKING:
    from rich.console import Console

    from tools.demo.lifecycle_phase import EventResult
    from tools.demo.runner import DemoReport, TradeResult

REASONS_TITLE = "Refusal and pending reasons"
EVENTS_TITLE = "Lifecycle events (after the day's registrations)"
OPERATIONS_DB = "var/gateway.db"  # where the operations commands look without --db


def _money(x: Decimal) -> str:
    return f"{x:,.0f}"


def _millions(x: Decimal) -> str:
    """``x`` in millions where it is whole millions (``12m``), else in full."""
    if x == 0:
        return "0"
    return f"{x / 1_000_000:,.0f}m" if x % 1_000_000 == 0 else _money(x)


def _path(text: str) -> str:
    return shlex.quote(text)


def _fix_members() -> dict[str, str]:
    return {m.fix_comp_id: m.member_id for m in MEMBERS if m.fix_comp_id}


def render(console: Console, r: DemoReport) -> None:
    """Print the whole summary of ``r``."""
    console.print(
        f"\n[bold]Business date {r.business_date}[/bold]: {len(r.results)} trades in {r.elapsed_s:.1f}s",
        highlight=False,
    )
    console.print(f"FpML messages validated against: {r.schema}", markup=False, highlight=False)
    _outcomes(console, r)
    _reasons(console, r.results)
    _events(console, r.events)
    _compression(console, r)
    _statuses(console, r)
    _members(console, r)
    latency = r.latency_percentiles()
    if latency:
        figures = ", ".join(f"{k} {v:.0f} ms" for k, v in latency.items())
        console.print(f"Submission to final status, straight-through trades: {figures}", highlight=False)
    _files(console, r)


def _outcomes(console: Console, r: DemoReport) -> None:
    table = Table(title="Outcomes")
    for col in ("intended", "route", "outcome", "trades"):
        table.add_column(col, justify="right" if col == "trades" else "left")
    groups: dict[tuple[str, str, str, bool], int] = {}
    for t in r.results:
        key = (t.intent.value, t.route.value, t.outcome, r.intended(t))
        groups[key] = groups.get(key, 0) + 1
    for (intent, route, outcome, ok), n in sorted(groups.items()):
        table.add_row(intent, route, outcome, str(n), style="" if ok else "yellow")
    console.print(table)


def _reasons(console: Console, results: tuple[TradeResult, ...]) -> None:
    """Only the trades the gateway gave reasons for: a refusal, a rejection, a wait (even one that cleared),
    each reason under the status that carried it."""
    given = [t for t in results if t.reasons]
    if given:
        table = Table(title=REASONS_TITLE, box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, expand=True)
        table.add_column("trade", no_wrap=True)
        table.add_column("meant to be", ratio=1)
        table.add_column("what its submitter was told, and why", ratio=2)
        for t in given:
            table.add_row(t.trade_id, t.intent.value, "\n".join(_told(t)), end_section=True)
        console.print(table)
    silent = [t.trade_id for t in results if not t.reasons and t.outcome != "cleared"]
    if silent:
        console.print(
            f"[yellow]No reason given for {len(silent)} trade(s) ({', '.join(silent[:10])}): "
            "no final status reached the submitter[/yellow]",
            highlight=False,
        )


def _events(console: Console, events: tuple[EventResult, ...]) -> None:
    """One row per event: what was asked of which trade, how it ended, the notional it left, why refused."""
    if not events:
        return
    table = Table(title=EVENTS_TITLE, box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, expand=True)
    table.add_column("event", ratio=1)
    table.add_column("trade", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("notional AUD", no_wrap=True)
    table.add_column("reason if refused", no_wrap=True)  # a code unbroken, one a line
    for e in events:
        before = _millions(e.event.notional_before)
        after = before if e.notional_after is None else _millions(e.notional_after)  # refused: unchanged
        table.add_row(
            e.event.described,
            e.event.trade_id,
            e.outcome.value,
            f"{before} -> {after}",
            "\n".join(e.codes),
            style="" if e.intended else "yellow",
        )
    console.print(table)
    ok = sum(e.intended for e in events)
    console.print(
        f"Notional before -> after each event. {ok} of {len(events)} events ended as intended.",
        highlight=False,
    )


def _compression(console: Console, r: DemoReport) -> None:
    """The CCP's compression run: per risk bucket, notional and PV01 before and after; the report's files."""
    c = r.compression
    if c is None:
        return
    if c.result is None:
        said = "nothing to compress" if c.intended else "refused"
        style = "" if c.intended else "yellow"
        console.print(
            f"Compression of {c.member}/{c.account}: {said} ({', '.join(c.codes)})",
            style=style,
            highlight=False,
        )
        return
    table = Table(
        title=f"Compression of {c.member}/{c.account}",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
        expand=True,
    )
    table.add_column("risk bucket", ratio=2)
    table.add_column("trades", no_wrap=True)
    table.add_column("notional AUD m", no_wrap=True)
    table.add_column("PV01 before, after", ratio=1)
    table.add_column("NPV before, after", ratio=1)
    for b in c.result.buckets:
        table.add_row(
            b.bucket.label,
            f"{b.trades_before} -> {b.trades_after}",
            f"{b.notional_before / 1_000_000:,.0f} -> {b.notional_after / 1_000_000:,.1f}",
            f"{_money(b.pv01_before)}, {_money(b.pv01_after)}",
            f"{_money(b.npv_before)}, {_money(b.npv_after)}",
        )
    console.print(table)
    before, after = c.notional
    console.print(
        f"{len(c.result.terminated)} trades terminated, {len(c.result.created)} created; notional AUD "
        f"{before / 1_000_000:,.1f}m -> {after / 1_000_000:,.1f}m, PV01 and NPV kept per bucket. "
        f"Report: {c.report_csv}, {c.report_pdf}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _told(t: TradeResult) -> list[str]:
    """The statuses in order, then the reasons of the wait and of the outcome."""
    lines = [" → ".join(t.statuses)]
    lines += [f"pending: {code}" for code in t.pending_codes]
    if t.outcome in ("refused", "rejected"):
        lines += [f"{t.outcome}: {code}" for code in t.codes]
    return lines


# the steps a trade goes through, and the statuses (FpML, or FIX message and status) that tell each
STEPS = (
    ("received", ("Received", "AR Received", "AE PendingNew")),
    ("awaiting", ("AwaitingAcceptance", "AE AwaitingAcceptance", "AR AwaitingAcceptance")),
    ("accepted", ("Accepted", "AR Accepted", "AE Accepted")),
    ("pending", ("Pending", "AE Pending", "AR Pending")),
    ("cleared", ("Cleared", "AE Cleared", "AR Cleared")),
    ("refused", ("Refused", "AE Refused", "Rejected", "AR Rejected", "messageRejected")),
)


def _step(label: str) -> str:
    return next((step for step, labels in STEPS if label in labels), "other")


def _who(rec: Recipient) -> str:
    if rec.role == "trade source":
        return f"{rec.participant} source"
    return f"{rec.participant} {'FIX' if rec.channel is Channel.FIX else 'MQTT'}"


def _statuses(console: Console, r: DemoReport) -> None:
    members = _fix_members()
    counts = per_recipient(r.seen, members)
    total = sum(c.total for c in counts)  # each status is counted under one recipient: r.statuses_seen
    console.print(
        f"\n[bold]Why {total} statuses for {len(r.results)} trades[/bold]: every party to a trade is told "
        "of each step. The trade source on ccp/out/{source}/fpml, each member on "
        "ccp/member/{member}/fpml (its own side only) and on its FIX session (AE reports a status, "
        "AR answers a report the member sent; FIX's PendingNew is received). A trade is received, may wait "
        "(pending: collateral, a backload), then is cleared or refused; one a member reports over FIX "
        "first awaits the other member's acceptance.",
        highlight=False,
    )
    rows = []
    for c in counts:
        by_step: dict[str, int] = {}
        for label, n in c.by_status:
            by_step[_step(label)] = by_step.get(_step(label), 0) + n
        rows.append((_who(c.recipient), by_step, c.total))
    steps = [step for step, _ in STEPS]
    if any("other" in by_step for _, by_step, _ in rows):
        steps.append("other")
    table = Table(title="Statuses per recipient", box=box.SIMPLE_HEAD, padding=(0, 0), pad_edge=False)
    table.add_column("recipient", no_wrap=True)
    for col in (*steps, "total"):
        table.add_column(col, justify="right", no_wrap=True)
    for who, by_step, n in rows:
        table.add_row(who, *(str(by_step.get(step, "")) for step in steps), str(n))
    table.add_row("all", *[""] * len(steps), str(total), style="bold")
    console.print(table)
    example = worked_trade(r.results)
    if example is None:
        return
    console.print(
        f"Trade {example.trade_id} ({example.intent.value}), as each recipient saw it:", highlight=False
    )
    lines = Table(show_header=False, box=None, padding=(0, 1, 0, 2))
    for rec, labels in sequence(r.seen, example.trade_id, members):
        lines.add_row(_who(rec), " → ".join(labels))
    console.print(lines)


def _members(console: Console, r: DemoReport) -> None:
    table = Table(title="Members (AUD)")
    for col in ("member", "collateral", "initial margin", "excess", "tolerance", "headroom"):
        table.add_column(col, justify="right" if col != "member" else "left")
    for m in r.members:
        table.add_row(
            m.member,
            _money(m.collateral),
            _money(m.initial_margin),
            _money(m.excess),
            _money(m.tolerance_limit),
            _money(m.headroom),
        )
    console.print(table)


def _files(console: Console, r: DemoReport) -> None:
    """Where the day's files are, then commands to paste (printed whole: a wrapped path cannot be pasted)."""
    day = r.business_date.isoformat()
    db = _path(r.database_url)
    positions = str(r.positions_file)
    console.print(f"\n[bold]Where the day is[/bold] (all under {escape(str(r.workdir))}):", highlight=False)
    rows = (
        ("database", str(r.database)),
        ("CCP positions", f"{positions} ({r.position_rows} rows)"),
        ("market data", str(r.workdir / "market")),
        ("FIX sessions", f"{r.workdir / 'fix'} (message logs, sequence store)"),
        ("broker users", f"{r.workdir / 'mqtt'} (password file, topic rules)"),
    )
    for name, where in rows:
        console.print(f"  {name:<14} {where}", markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"The operations commands read {OPERATIONS_DB} unless given --db. The position file is what "
        "`clearing-gateway export positions` writes, in the layout clearing-recon reads; reconcile a "
        "member's own book against it (sample-book makes one from it with four breaks planted).",
        markup=False,
        highlight=False,
    )
    console.print("[bold]Next[/bold], from this folder:", highlight=False)
    commands = (
        f"clearing-gateway trade list --db {db}",
        f"clearing-gateway export positions --date {day} --member BANKA --out BANKA-positions.csv --db {db}",
        f"clearing-recon sample-book --ccp-positions {_path(positions)} --member BANKA --out BANKA-book.csv",
        f"clearing-recon run --date {day} --member BANKA --member-book BANKA-book.csv "
        f"--ccp-positions {_path(positions)} --out {_path(str(r.workdir / 'recon' / 'BANKA'))}",
    )
    for command in commands:
        console.print("  " + command, markup=False, highlight=False, soft_wrap=True)
