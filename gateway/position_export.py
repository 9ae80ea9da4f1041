"""The CCP position file: the positions as they stood at a business date's end of day, written in the
layout clearing-recon reads.

One code path for ``clearing-gateway export positions`` and the demo's end-of-day file. The rows are the
published query ``gateway.domain.positions_asof`` over the views ``member_positions``, ``position_states``
and ``position_npvs``, written as the view's columns in their order: the same rows ``clearing-recon run
--db URL --date D`` reads, so the file of D reconciles against the database as of D.
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
        rows = await cleared_repo.positions_as_of(conn, member, account, business_date)
    return write_positions(rows, out)
