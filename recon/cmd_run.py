"""``clearing-recon run`` and ``clearing-recon ack``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from recon.cli import app

EXIT_UNUSABLE = 2
EXIT_NOT_PUBLISHED = 1
_SHOWN_PROBLEMS = 20


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)") from None


@app.command("run")
def run(
    business_date: Annotated[str, typer.Option("--date", help="Business date reconciled (YYYY-MM-DD).")],
    member: Annotated[str, typer.Option(help="Clearing member id.")],
    member_book: Annotated[Path, typer.Option("--member-book", help="The member's book (CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="Folder for breaks.csv, summary.json, report.html, report.pdf.")],
    ccp_positions: Annotated[
        Path | None, typer.Option("--ccp-positions", help="CCP position file (standard layout).")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Gateway database (async SQLAlchemy URL) holding ccp_positions."),
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="TOML mapping of the member's layout.")] = None,
    tolerances: Annotated[Path | None, typer.Option(help="TOML numeric tolerances per field.")] = None,
    store: Annotated[
        str, typer.Option(help="Break store: SQLite path or SQLAlchemy URL.")
    ] = "var/recon/breaks.db",
    calendar: Annotated[str, typer.Option(help="Business-day calendar for ageing.")] = "WeekendsOnly",
    mqtt: Annotated[str | None, typer.Option(help="Publish the summary to this broker (HOST:PORT).")] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf.")] = True,
) -> None:
    """Reconcile one member's book against the CCP's positions. Exit 0 when reconciled, 2 for unusable input."""
    from gateway.clock import SystemClock
    from gateway.domain.errors import InputRejected
    from recon.run import RunRequest, run_member

    request = RunRequest(
        business_date=_date(business_date),
        member=member,
        member_book=member_book,
        out=out,
        ccp_positions=ccp_positions,
        db_url=db,
        mapping=mapping,
        tolerances=tolerances,
        store=store,
        calendar=calendar,
        mqtt=mqtt,
        pdf=pdf,
    )
    try:
        outcome = run_member(request, SystemClock())
    except InputRejected as exc:
        for issue in exc.issues:
            typer.echo(f"error: {issue.path}: {issue.message} ({issue.code})", err=True)
        typer.echo("nothing reconciled: fix the input and run again", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from None
    s = outcome.summary
    for problem in outcome.problems[:_SHOWN_PROBLEMS]:
        typer.echo(f"unreadable: {problem}", err=True)
    if len(outcome.problems) > _SHOWN_PROBLEMS:
        typer.echo(
            f"... {len(outcome.problems) - _SHOWN_PROBLEMS} more unreadable cells in breaks.csv", err=True
        )
    counts = ", ".join(f"{k} {v}" for k, v in s["by_type"].items() if v)
    typer.echo(
        f"{s['member']} {s['business_date']}: matched {s['matched']} (rate {s['match_rate']:.4f}), "
        f"{s['breaks']} open breaks{': ' + counts if counts else ''}; closed today {s['closed_today']}"
    )
    typer.echo(f"outputs in {out}")
    if outcome.publish_error:
        typer.echo(f"error: {outcome.publish_error}", err=True)
        raise typer.Exit(EXIT_NOT_PUBLISHED)


@app.command("ack")
def ack(
    break_id: Annotated[str, typer.Argument(help="The break's id (breaks.csv, report).")],
    comment: Annotated[str, typer.Option(help="Why it is acceptable or who is fixing it.")],
    by: Annotated[str, typer.Option(help="Who acknowledges.")] = "operations",
    store: Annotated[
        str, typer.Option(help="Break store: SQLite path or SQLAlchemy URL.")
    ] = "var/recon/breaks.db",
) -> None:
    """Acknowledge a break with a comment; it stays open (and ageing) until it no longer appears."""
    from gateway.clock import SystemClock
    from gateway.domain.errors import InputRejected
    from recon.store import BreakStore

    if not comment.strip():
        typer.echo("error: --comment: a comment is required", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    breaks = BreakStore(store)
    try:
        done = breaks.acknowledge(break_id, comment.strip(), by, SystemClock().now())
    except InputRejected as exc:
        typer.echo(f"error: {exc.issues[0].path}: {exc.issues[0].message}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from None
    finally:
        breaks.close()
    state = "open" if done.open else "closed"
    typer.echo(
        f"acknowledged {done.break_id} ({done.member} {done.break_type}, {state}) at {done.at.isoformat()}"
    )


@app.command("breaks")
def breaks(
    member: Annotated[str, typer.Option(help="Clearing member id.")],
    store: Annotated[
        str, typer.Option(help="Break store: SQLite path or SQLAlchemy URL.")
    ] = "var/recon/breaks.db",
) -> None:
    """List a member's open breaks from the store (oldest first), as CSV on standard output."""
    import csv
    import sys

    from recon.store import BreakStore

    columns = (
        "break_id",
        "break_type",
        "trade_id",
        "uti",
        "field",
        "member_value",
        "ccp_value",
        "first_seen",
        "last_seen",
        "acknowledged",
        "comment",
    )
    found = BreakStore(store)
    try:
        rows = found.open_breaks(member)
    finally:
        found.close()
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
