"""``clearing-recon sample-book``: a member book with planted breaks, to try ``clearing-recon run`` on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.kit import JsonOption, MemberRequired
from recon.cli import app


@app.command("sample-book")
def sample_book(
    ccp_positions: Annotated[
        Path,
        typer.Option(
            "--ccp-positions",
            help="CCP position file, CSV (clearing-gateway export positions --out X.csv).",
        ),
    ],
    member: MemberRequired,
    out: Annotated[Path, typer.Option("--out", help="The member book to write (.csv).")],
    seed: Annotated[int, typer.Option("--seed", help="Chooses the trades the breaks are planted on.")] = 1,
    as_json: JsonOption = False,
) -> None:
    """Write a member's book from the CCP's positions with four breaks planted (a trade not booked, a
    notional booked wrong, a valuation that differs, a trade the CCP never registered) and list them."""
    from recon.sample_book import write_sample_book

    made = write_sample_book(ccp_positions, member, out, seed=seed)  # bad input: the one error path, exit 2
    planted = [p.to_dict() for p in made.planted]
    if as_json:
        typer.echo(
            json.dumps(
                {"member": made.member, "out": str(out), "rows": made.rows, "planted": planted}, indent=2
            )
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("break_type", "trade_id", "uti", "field", "ccp_value", "member_value")
    for p in planted:
        table.add_row(*p.values())
    console = Console(width=160)
    console.print(f"{made.member}: {made.rows} rows written to {out} (the CCP has {made.ccp_rows}); planted:")
    console.print(table)
