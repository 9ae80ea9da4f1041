"""The CCP position file: the positions live on a business date, written in the layout clearing-recon reads.

One code path for ``clearing-gateway export positions`` and the demo's end-of-day file. The rows are the
database view ``member_positions`` (through the store's positions), written as its columns in its order
(``gateway.domain.clearing.POSITION_COLUMNS``): the file reconciles against ``clearing-recon run --db``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine


async def export_positions(
    engine: AsyncEngine,
    out: Path,
    business_date: date,
    *,
    member: str | None = None,
    account: str | None = None,
) -> int:
    """Write the positions of ``member`` (every member if None), ``account`` of it if given, to ``out``
    (Parquet for ``.parquet``, CSV otherwise); the number of rows written. An unknown member or an
    account the member does not have is refused (``REF_UNKNOWN_MEMBER`` / ``REF_UNKNOWN_ACCOUNT``)
    before anything is written."""
    from gateway.admin.reference import account_of, known_member
    from gateway.store import cleared_repo
    from gateway.store.engine import reading
    from recon.formats import write_positions

    async with reading(engine) as conn:
        if member is not None:
            known = await known_member(conn, member, "--member")
            if account is not None:
                account_of(known, account)
        rows = await cleared_repo.positions(conn, member, account, business_date)
    return write_positions(rows, out)
