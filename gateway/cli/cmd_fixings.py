"""``clearing-gateway fixings load|list``: the published fixings valuation sets fixed coupons from.

``load FILE`` reads a CSV of ``index,date,rate`` (every row checked, a refusal names the line and the
field) and stores it at once: a re-load of the same rates changes nothing, a different rate for a stored
index and date is refused (MKT_FIXING_CONFLICT) unless ``--replace``. Loads are audited.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli.app import app
from gateway.cli.audit import OperatorOption, audited
from gateway.cli.cmd_admin import emit, open_db
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption, sub_app

fixings_app = sub_app("Published fixings of floating rate indices: load a CSV, list what is stored.")
app.add_typer(fixings_app, name="fixings")

_COLUMNS = ["index", "fixing_date", "rate", "source", "loaded_at"]


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from None


@fixings_app.command("load")
def fixings_load(
    file: Annotated[
        Path, typer.Argument(help="CSV with the header index,date,rate.", exists=True, dir_okay=False)
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace stored rates that differ (a published correction).")
    ] = False,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
) -> None:
    """Load fixings; the whole file or nothing."""
    args = {"file": str(file), "replace": replace}

    async def body() -> dict[str, Any]:
        from gateway.admin.fixings import FixingsStore
        from gateway.risk.market.fixings import read_fixings

        rows = read_fixings(file)
        engine = await open_db(db)
        try:
            result = await FixingsStore(engine).load(rows, file.name, replace=replace)
        finally:
            await engine.dispose()
        return result.to_dict()

    row = audited(db, operator, "fixings load", args, body)
    emit(row if as_json else [row], as_json, ["source", "added", "unchanged", "replaced"])


@fixings_app.command("list")
def fixings_list(
    index: Annotated[str | None, typer.Option("--index", help="One index, as a curve is named.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First fixing date, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last fixing date, YYYY-MM-DD.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Stored fixings by index and date."""
    from gateway.cli.running import run

    first, last = _day(start, "--from"), _day(end, "--to")

    async def body() -> list[dict[str, Any]]:
        from gateway.admin.fixings import FixingsStore
        from gateway.risk.market.fixings import canonical_index

        name = None if index is None else canonical_index(index, "--index")
        engine = await open_db(db)
        try:
            found = await FixingsStore(engine).between(name, first, last)
        finally:
            await engine.dispose()
        return [
            {
                "index": s.fixing.index,
                "fixing_date": s.fixing.fixing_date.isoformat(),
                "rate": str(s.fixing.rate.normalize()),
                "source": s.source,
                "loaded_at": s.loaded_at.isoformat(),
            }
            for s in found
        ]

    emit(run(body), as_json, _COLUMNS)
