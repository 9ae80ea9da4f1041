"""``clearing-gateway export positions``: the CCP's positions in the standard position layout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli.app import app
from gateway.cli.cmd_admin import emit, open_db, run
from gateway.cli.cmd_eod import parse_date
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption, MemberOption, paths_as_options, refuse, sub_app

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
        from gateway.store import clearing_repo
        from gateway.store.engine import reading
        from recon.formats import write_positions

        engine = await open_db(db)
        try:
            if member is not None:
                from gateway.refdata.admin import ReferenceData

                with paths_as_options({"member": "--member"}):  # an unknown member: refused, not 0 rows
                    await ReferenceData(engine).get(member)
            async with reading(engine) as conn:
                rows = await clearing_repo.positions(conn, member, account, day)
        finally:
            await engine.dispose()
        try:
            written = write_positions(rows, out)
        except OSError as exc:
            raise refuse("--out", f"cannot write {out}: {exc.strerror or exc}: check the folder") from None
        return {"business_date": day.isoformat(), "member": member, "rows": written, "out": str(out)}

    emit(run(body), as_json, ["business_date", "member", "rows", "out"])
