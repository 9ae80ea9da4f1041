"""The demo's summary, for someone who has never seen the gateway: what happened, why, where the data is.

Sections: outcomes; the reasons of the trades that were given any; why there are more statuses than trades
(per recipient, and one trade step by step); the members' margin; the schema set; files and next commands.
"""

from __future__ import annotations

import shlex
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from gateway.demo.explain import per_recipient, sequence, worked_trade
from gateway.demo.observer import Channel
from gateway.demo.scenario import MEMBERS

if TYPE_CHECKING:
    from rich.console import Console

    from gateway.demo.runner import DemoReport, TradeResult

REASONS_TITLE = "Refusal and pending reasons"
OPERATIONS_DB = "var/gateway.db"  # where the operations commands look without --db


def _money(x: Decimal) -> str:
    return f"{x:,.0f}"


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
    """Only the trades the gateway gave reasons for: a refusal, a rejection, a wait (even one that cleared)."""
    given = [t for t in results if t.reasons]
    if given:
        table = Table(title=REASONS_TITLE)
        for col in ("trade", "intended", "statuses the submitter saw", "outcome", "reason codes"):
            table.add_column(col)
        for t in given:
            table.add_row(t.trade_id, t.intent.value, " → ".join(t.statuses), t.outcome, _explained(t))
        console.print(table)
    silent = [t.trade_id for t in results if not t.reasons and t.outcome != "cleared"]
    if silent:
        console.print(
            f"[yellow]No reason given for {len(silent)} trade(s) ({', '.join(silent[:10])}): "
            "no final status reached the submitter[/yellow]",
            highlight=False,
        )


def _explained(t: TradeResult) -> str:
    """The reasons of the outcome, and apart from them why the trade waited before it."""
    if t.outcome == "pending":
        return ", ".join(t.codes)
    shown = [] if t.outcome == "cleared" else list(t.codes)
    waited = [c for c in t.pending_codes if c not in shown]
    if waited:
        shown.append(f"{', '.join(waited)} (while pending)")
    return ", ".join(shown)


def _statuses(console: Console, r: DemoReport) -> None:
    members = _fix_members()
    counts = per_recipient(r.seen, members)
    total = sum(c.total for c in counts)
    console.print(
        f"\n[bold]Why {total} statuses for {len(r.results)} trades[/bold]: each trade is told to everyone "
        "concerned, at every step. The trade source hears about the trades it submitted on "
        "ccp/out/{source}/fpml; each member hears about its own side on ccp/member/{member}/fpml and, "
        "if it has a FIX session, as TradeCaptureReports (AE; AR acknowledges a report it sent). A trade "
        "goes Received, Pending while it waits (collateral, a backload), then Cleared or Refused; one a "
        "member reports over FIX is AwaitingAcceptance until the other member accepts it.",
        highlight=False,
    )
    table = Table(title="Statuses per recipient")
    for col in ("recipient", "as", "on", "statuses", "of which"):
        table.add_column(col, justify="right" if col == "statuses" else "left")
    for c in counts:
        rec = c.recipient
        on = rec.where if rec.channel is Channel.MQTT else f"FIX session {rec.where}"
        detail = ", ".join(f"{status} {n}" for status, n in c.by_status)
        table.add_row(rec.participant, rec.role, on, str(c.total), detail)
    table.add_row("all", "", "", str(total), f"{len(r.results)} trades", style="bold")
    console.print(table)
    example = worked_trade(r.results)
    if example is None:
        return
    console.print(
        f"Trade {example.trade_id} ({example.intent.value}), status by status to each recipient:",
        highlight=False,
    )
    steps = Table(show_header=False, box=None, padding=(0, 1, 0, 2))
    for rec, labels in sequence(r.seen, example.trade_id, members):
        who = f"{rec.participant} ({'FIX' if rec.channel is Channel.FIX else rec.role})"
        steps.add_row(who, " → ".join(labels))
    console.print(steps)


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
    day = r.business_date.isoformat()
    db = _path(r.database_url)
    positions = str(r.positions_file)
    console.print(f"\n[bold]Where the day is[/bold] (all under {escape(str(r.workdir))}):", highlight=False)
    rows = (
        (
            "database",
            f"{r.database} (SQLite; the operations commands read {OPERATIONS_DB} unless given --db)",
        ),
        (
            "CCP positions",
            f"{positions} ({r.position_rows} rows, as `clearing-gateway export positions` writes)",
        ),
        ("market data", str(r.workdir / "market")),
        ("FIX sessions", f"{r.workdir / 'fix'} (message logs and sequence store)"),
        ("broker users", f"{r.workdir / 'mqtt'} (password file and topic rules)"),
    )
    files = Table(show_header=False, box=None, padding=(0, 1, 0, 2))
    for name, where in rows:
        files.add_row(name, escape(where))
    console.print(files)
    console.print("[bold]Next[/bold], from this folder:", highlight=False)
    commands = (
        f"clearing-gateway trade list --db {db}",
        f"clearing-gateway export positions --date {day} --member BANKA --out BANKA-positions.csv --db {db}",
        f"clearing-recon run --date {day} --member BANKA --member-book YOUR-BANKA-BOOK.csv "
        f"--ccp-positions {_path(positions)} --out {_path(str(r.workdir / 'recon' / 'BANKA'))}",
    )
    for command in commands:
        console.print("  " + command, markup=False, highlight=False, soft_wrap=True)
