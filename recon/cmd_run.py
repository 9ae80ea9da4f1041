"""``clearing-recon run`` and ``clearing-recon ack``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.kit import JsonOption, MemberRequired, refuse
from recon.aggregate import DEFAULT_BUCKETS, MaturityBuckets
from recon.cli import app

EXIT_UNUSABLE = 2
EXIT_NOT_PUBLISHED = 1
_SHOWN_PROBLEMS = 20


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)", param_hint="--date") from None


StoreOption = Annotated[str, typer.Option(help="Break store: SQLite path or SQLAlchemy URL.")]
DEFAULT_STORE = "var/recon/breaks.db"


def existing_store(store: str) -> str:
    """A break store a read command may open: a URL, or a SQLite file that exists (never created here)."""
    if "://" not in store and not Path(store).expanduser().is_file():
        raise refuse(
            "--store", f"no break store at {store}: give the --store of an earlier `clearing-recon run`"
        )
    return store


@app.command("run")
def run(
    business_date: Annotated[str, typer.Option("--date", help="Business date reconciled (YYYY-MM-DD).")],
    member: MemberRequired,
    member_book: Annotated[
        Path,
        typer.Option(
            "--member-book", help="The member's book (CSV or Parquet).", exists=True, dir_okay=False
        ),
    ],
    out: Annotated[Path, typer.Option(help="Folder for breaks.csv, summary.json, report.html, report.pdf.")],
    ccp_positions: Annotated[
        Path | None,
        typer.Option(
            "--ccp-positions", help="CCP position file (standard layout).", exists=True, dir_okay=False
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Gateway database (async SQLAlchemy URL): its view member_positions."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="TOML mapping of the member's layout.", exists=True, dir_okay=False),
    ] = None,
    tolerances: Annotated[
        Path | None,
        typer.Option(help="TOML numeric tolerances per field.", exists=True, dir_okay=False),
    ] = None,
    store: StoreOption = DEFAULT_STORE,
    calendar: Annotated[str, typer.Option(help="Business-day calendar for ageing.")] = "WeekendsOnly",
    mqtt: Annotated[str | None, typer.Option(help="Publish the summary to this broker (HOST:PORT).")] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf.")] = True,
    member_vm: Annotated[
        Path | None,
        typer.Option(
            "--member-vm",
            help="The member's VM figures of the date (CSV, figure layout).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    ccp_vm: Annotated[
        Path | None,
        typer.Option(
            "--ccp-vm",
            help="The CCP's VM figures (CSV); default: --db's member_variation_margin.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    member_cash_flows: Annotated[
        Path | None,
        typer.Option(
            "--member-cash-flows",
            help="The member's cash flows (CSV, figure layout).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    ccp_cash_flows: Annotated[
        Path | None,
        typer.Option(
            "--ccp-cash-flows", help="The CCP's cash flows (CSV, figure layout).", exists=True, dir_okay=False
        ),
    ] = None,
    aggregate: Annotated[
        bool, typer.Option("--aggregate/--no-aggregate", help="Also compare net notional per bucket.")
    ] = False,
    buckets: Annotated[
        str, typer.Option(help="Maturity bucket edges for --aggregate, tenors from the date.")
    ] = ",".join(DEFAULT_BUCKETS),
) -> None:
    """Reconcile one member's book against the CCP's positions. Exit 0 when reconciled, 2 for unusable input."""
    from gateway.cli.kit import check_db_url
    from gateway.clock import SystemClock
    from recon.run import RunRequest, run_member

    if db is not None:
        check_db_url(db)
    try:
        bucket_edges = MaturityBuckets.parse(buckets) if aggregate else None
    except ValueError as exc:
        raise refuse("--buckets", str(exc)) from None
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
        member_vm=member_vm,
        ccp_vm=ccp_vm,
        member_cash_flows=member_cash_flows,
        ccp_cash_flows=ccp_cash_flows,
        aggregate=bucket_edges,
    )
    outcome = run_member(
        request, SystemClock()
    )  # unusable input: one error line each, exit 2, nothing written
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
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Acknowledge a break with a comment; it stays open (and ageing) until it no longer appears."""
    from gateway.clock import SystemClock
    from recon.store import BreakStore

    if not comment.strip():
        raise refuse("--comment", "a comment is required: say why the break is acceptable or who fixes it")
    breaks = BreakStore(existing_store(store))
    try:
        done = breaks.acknowledge(break_id, comment.strip(), by, SystemClock().now())
    finally:
        breaks.close()
    state = "open" if done.open else "closed"
    typer.echo(
        f"acknowledged {done.break_id} ({done.member} {done.break_type}, {state}) at {done.at.isoformat()}"
    )


_BREAK_COLUMNS = (
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


@app.command("breaks")
def breaks(
    member: MemberRequired,
    store: StoreOption = DEFAULT_STORE,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the breaks to this file (.csv).", dir_okay=False)
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List a member's open breaks from the store (oldest first): a table, or JSON; --out FILE.csv for CSV."""
    import csv
    import json

    from recon.store import BreakStore

    if out is not None and out.suffix.lower() != ".csv":
        raise refuse("--out", f"breaks are written as CSV: give a .csv file name, got {out.name!r}")
    found = BreakStore(existing_store(store))
    try:
        rows = [{c: row[c] for c in _BREAK_COLUMNS} for row in found.open_breaks(member)]
    finally:
        found.close()
    if out is not None:
        with out.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(_BREAK_COLUMNS)
            for r in rows:
                writer.writerow(["" if r[c] is None else r[c] for c in _BREAK_COLUMNS])
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*_BREAK_COLUMNS, title=f"{member}: {len(rows)} open breaks")
    for r in rows:
        table.add_row(*("" if r[c] is None else str(r[c]) for c in _BREAK_COLUMNS))
    Console(width=200).print(table)
