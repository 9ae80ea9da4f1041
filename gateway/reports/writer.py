"""Writes a business date's reports: per member, every CSV kind, the PDF statement and ``SHA256SUMS`` under
``<dir>/<member>/<date>/``, then the member's notification (``report_notices``) with the files' names and
sha256. Writing again gives the same files and owes no new notification unless a file changed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.clock import Clock
from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from gateway.reports import files, records
from gateway.reports.kind import Row, Scope
from gateway.reports.kinds import BY_NAME, KINDS
from gateway.reports.statement import StatementData, render_pdf, statement_html
from gateway.rules.hours import ServiceHours
from gateway.store import refdata_repo

STATEMENT = "statement"  # the PDF's kind: ``statement.pdf``
CHART_DAYS = 31  # the margin chart's period, in calendar days up to the business date
NOTICE_KIND = "memberReports"


@dataclass(frozen=True, slots=True)
class WrittenFile:
    name: str
    sha256: str
    rows: int | None  # a CSV's data rows; None for the PDF


def file_name(kind: str) -> str:
    return f"{kind}.pdf" if kind == STATEMENT else f"{kind}.csv"


def notice_payload(member_id: str, business_date: date, written: Sequence[WrittenFile]) -> bytes:
    body = {
        "kind": NOTICE_KIND,
        "member": member_id,
        "business_date": business_date.isoformat(),
        "files": [
            {"name": f.name, "sha256": f.sha256} | ({} if f.rows is None else {"rows": f.rows})
            for f in written
        ],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


class ReportWriter:
    """The reports of ``[reports] dir`` on the gateway database (``DayReports`` for end of day)."""

    def __init__(
        self,
        engine: AsyncEngine,
        root: Path,
        hours: ServiceHours,
        clock: Clock,
        *,
        on_notice: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.root = root
        self.hours = hours
        self.clock = clock
        self.on_notice = on_notice  # the notice publisher's wake-up

    def folder(self, member_id: str, business_date: date) -> Path:
        return self.root / member_id / business_date.isoformat()

    async def write_day(self, business_date: date) -> int:
        """Every member's reports of the day and their notifications; returns how many members."""
        async with self.engine.begin() as conn:
            await records.take_margin(conn, business_date)
            members = await records.members(conn)
        owed = False
        for member_id, name in members:
            written = await self._write_member(member_id, name, business_date)
            notice = records.Notice(
                member_id, business_date, notice_payload(member_id, business_date, written)
            )
            async with self.engine.begin() as conn:
                owed |= await records.put_notice(conn, notice, self.clock.now())
        if owed and self.on_notice is not None:
            self.on_notice()
        return len(members)

    async def report(self, member_id: str, business_date: date, kind: str) -> Path:
        """The file of one report, written first (with the member's other reports of the day) if absent.

        Refused as ``check_request`` says."""
        member_name = await check_request(self.engine, member_id, business_date, kind)
        path = self.folder(member_id, business_date) / file_name(kind)
        if path.is_file():
            return path
        async with self.engine.begin() as conn:
            if not await records.margin_taken(conn, business_date):
                await records.take_margin(conn, business_date)
        await self._write_member(member_id, member_name, business_date)
        return path

    def _scope(self, member_id: str, business_date: date) -> Scope:
        previous = business_date - timedelta(days=1)
        while not self.hours.is_business_day(previous):
            previous -= timedelta(days=1)
        return Scope(
            member_id, business_date, self.hours.close_of(previous), self.hours.close_of(business_date)
        )

    async def _write_member(self, member_id: str, name: str, business_date: date) -> list[WrittenFile]:
        scope = self._scope(member_id, business_date)
        async with self.engine.connect() as conn:
            tables = await _read(conn, scope)
            series = await records.margin_series(
                conn, member_id, business_date - timedelta(days=CHART_DAYS), business_date
            )
        folder = self.folder(member_id, business_date)
        written: list[WrittenFile] = []
        for kind in KINDS:
            data = files.csv_bytes(kind.columns, tables[kind.name])
            await asyncio.to_thread(files.write_atomic, folder / file_name(kind.name), data)
            written.append(WrittenFile(file_name(kind.name), files.sha256(data), len(tables[kind.name])))
        statement = StatementData(
            member_id=member_id,
            member_name=name,
            business_date=business_date,
            counts={k.name: len(tables[k.name]) for k in KINDS},
            margin=tables["margin"],
            collateral=tables["collateral"],
            im_history=series,
            vm_by_currency=_vm_by_currency(tables["margin"]),
        )
        pdf = await asyncio.to_thread(_statement_pdf, statement)  # charts and rendering: off the event loop
        await asyncio.to_thread(files.write_atomic, folder / file_name(STATEMENT), pdf)
        written.append(WrittenFile(file_name(STATEMENT), files.sha256(pdf), None))
        sums = files.sums_bytes([(f.name, f.sha256) for f in written])
        await asyncio.to_thread(files.write_atomic, folder / files.SUMS, sums)
        return written


async def check_request(engine: AsyncEngine, member_id: str, business_date: date, kind: str) -> str:
    """The member's name if a report of ``kind`` for it and ``business_date`` can be had: an unknown member
    is REF_UNKNOWN_MEMBER, an unknown kind RPT_UNKNOWN_KIND, a date without an end of day RPT_UNKNOWN_DATE."""
    async with engine.connect() as conn:
        member = await refdata_repo.get_member(conn, member_id)
        if member is None:
            raise InputRejected.of(
                ReasonCode.REF_UNKNOWN_MEMBER,
                "--member",
                f"no member {member_id!r}: check the id (clearing-gateway participant list)",
            )
        if kind != STATEMENT and kind not in BY_NAME:
            known = ", ".join([*BY_NAME, STATEMENT])
            raise InputRejected.of(
                ReasonCode.RPT_UNKNOWN_KIND, "--kind", f"no report kind {kind!r}: one of {known}"
            )
        if not await records.day_known(conn, business_date):
            raise InputRejected.of(
                ReasonCode.RPT_UNKNOWN_DATE,
                "--date",
                f"no end of day was run for {business_date.isoformat()}: no reports of that date",
            )
    return member.name


async def _read(conn: AsyncConnection, scope: Scope) -> dict[str, list[Row]]:
    return {kind.name: await kind.rows(conn, scope) for kind in KINDS}


def _statement_pdf(data: StatementData) -> bytes:
    return render_pdf(statement_html(data))


def _vm_by_currency(margin: Sequence[Row]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for r in margin:
        currency, vm = r[3], r[5]
        assert isinstance(currency, str)
        assert isinstance(vm, Decimal)
        out[currency] = out.get(currency, Decimal(0)) + vm
    return out
