"""``clearing-gateway export positions``: the CCP's positions in the standard position layout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli.app import app
from gateway.cli.cmd_admin import emit, open_db
from gateway.cli.cmd_eod import parse_date
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption, MemberOption, refuse, sub_app
from gateway.cli.running import run

export_app = sub_app("Exports for members and reconciliation.")
app.add_typer(export_app, name="export")


@export_app.command("positions")
def export_positions(
    business_date: Annotated[str, typer.Option("--date", help="Business date, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="Output file: .csv, or .parquet for typed columns.")],
    member: MemberOption = None,
    account: Annotated[str | None, typer.Option(help="One account of the member.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Cleared trades live on the date, one row per member side, in the layout clearing-recon reads."""
    day = parse_date(business_date)
    if account is not None and member is None:
        raise typer.BadParameter("--account needs --member", param_hint="--account")

    async def body() -> dict[str, Any]:
        from gateway.domain.file_formats import output_format
        from gateway.position_export import export_positions
        from recon.formats import POSITION_FORMATS

        output_format(out, POSITION_FORMATS)  # before the database: a wrong suffix touches nothing
        engine = await open_db(db)
        try:
            written = await export_positions(engine, out, day, member=member, account=account)
        except OSError as exc:
            raise refuse("--out", f"cannot write {out}: {exc.strerror or exc}: check the folder") from None
        finally:
            await engine.dispose()
        return {"business_date": day.isoformat(), "member": member, "rows": written, "out": str(out)}

    emit(run(body), as_json, ["business_date", "member", "rows", "out"])
