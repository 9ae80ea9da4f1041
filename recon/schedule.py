"""The daily run: every configured member at a set local time on business days, each failure isolated.

Config (TOML)::

    [schedule]
    time = "19:00"                     # local time at which a business day's runs become due
    timezone = "Australia/Sydney"
    calendar = "Australia"             # business days (see gateway.refdata.calendars.NAMED)
    store = "var/recon/breaks.db"
    out = "var/recon/out/{member}/{date}"
    mqtt = "127.0.0.1:1883"            # optional
    ccp_positions = "ccp/{member}_{yyyymmdd}.csv"   # or: db = "postgresql+asyncpg://..."

    [[members]]
    id = "CM1"
    book = "books/CM1_{yyyymmdd}.csv"
    mapping = "maps/cm1.toml"          # optional; also tolerances, ccp_positions, db per member

Relative paths are relative to the config file. ``{member}``, ``{date}`` (ISO) and ``{yyyymmdd}`` are filled in.
A member already reconciled for the day (recorded in the store) is not run again.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.clock import Clock
from gateway.domain.errors import InputRejected
from gateway.refdata.calendars import NamedCalendar
from recon.errors import unusable
from recon.run import RunRequest, run_member
from recon.store import BreakStore


@dataclass(frozen=True, slots=True)
class MemberJob:
    member: str
    book: str
    ccp_positions: str | None
    db: str | None
    mapping: str | None
    tolerances: str | None


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    at: time
    timezone: ZoneInfo
    calendar: str
    store: str
    out: str
    mqtt: str | None
    members: tuple[MemberJob, ...]
    base: Path


@dataclass(frozen=True, slots=True)
class JobResult:
    member: str
    business_date: date
    ok: bool
    detail: str


def load_config(path: Path) -> ScheduleConfig:
    name = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise unusable(name, "file", "schedule config does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise unusable(name, "file", f"not valid TOML: {exc}") from None
    sched: dict[str, Any] = doc.get("schedule", {})
    try:
        at = time.fromisoformat(str(sched.get("time", "19:00")))
    except ValueError:
        raise unusable(name, "schedule.time", "time must be HH:MM") from None
    try:
        zone = ZoneInfo(str(sched.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError):
        raise unusable(name, "schedule.timezone", f"unknown time zone '{sched.get('timezone')}'") from None
    calendar = str(sched.get("calendar", "WeekendsOnly"))
    try:
        NamedCalendar(calendar)
    except ValueError as exc:
        raise unusable(name, "schedule.calendar", str(exc)) from None
    members = []
    entries = doc.get("members", [])
    if not isinstance(entries, list) or not entries:
        raise unusable(name, "members", "list at least one [[members]] entry")
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"members[{i}]"
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("book"):
            raise unusable(name, where, "each member needs 'id' and 'book'")
        if entry["id"] in seen:
            raise unusable(name, where, f"member {entry['id']} is listed twice")
        seen.add(entry["id"])
        ccp = entry.get("ccp_positions", sched.get("ccp_positions"))
        db = entry.get("db", sched.get("db"))
        if (ccp is None) == (db is None):
            raise unusable(name, where, "give exactly one of ccp_positions or db (here or in [schedule])")
        members.append(
            MemberJob(
                str(entry["id"]), str(entry["book"]), ccp, db, entry.get("mapping"), entry.get("tolerances")
            )
        )
    return ScheduleConfig(
        at=at,
        timezone=zone,
        calendar=calendar,
        store=str(sched.get("store", "var/recon/breaks.db")),
        out=str(sched.get("out", "var/recon/out/{member}/{date}")),
        mqtt=sched.get("mqtt"),
        members=tuple(members),
        base=path.resolve().parent,
    )


def due_date(config: ScheduleConfig, now: datetime) -> date | None:
    """The business date whose runs are due at ``now`` (today, local time, once past the set time)."""
    local = now.astimezone(config.timezone)
    if local.time() < config.at or not NamedCalendar(config.calendar).is_business_day(local.date()):
        return None
    return local.date()


def next_due(config: ScheduleConfig, now: datetime) -> datetime:
    """The next moment runs become due after ``now``."""
    calendar = NamedCalendar(config.calendar)
    local = now.astimezone(config.timezone)
    day = local.date()
    for _ in range(370):
        moment = datetime.combine(day, config.at, tzinfo=config.timezone)
        if moment > local and calendar.is_business_day(day):
            return moment
        day += timedelta(days=1)
    raise RuntimeError("no business day within a year")


def _fill(template: str, member: str, day: date, base: Path) -> str:
    text = template.format(member=member, date=day.isoformat(), yyyymmdd=day.strftime("%Y%m%d"))
    return text if "://" in text or Path(text).is_absolute() else str(base / text)


def run_due(config: ScheduleConfig, clock: Clock, *, pdf: bool = True) -> list[JobResult]:
    """Run every member due now and not yet reconciled for the day; one member's failure never stops the rest."""
    day = due_date(config, clock.now())
    if day is None:
        return []
    store_location = _fill(config.store, "", day, config.base) if "://" not in config.store else config.store
    results: list[JobResult] = []
    for job in config.members:
        store = BreakStore(store_location, NamedCalendar(config.calendar))
        try:
            if store.has_reconciled(job.member, day):
                continue
        finally:
            store.close()
        results.append(_run_one(config, job, day, clock, store_location, pdf))
    return results


def _run_one(
    config: ScheduleConfig, job: MemberJob, day: date, clock: Clock, store: str, pdf: bool
) -> JobResult:
    def path(value: str | None) -> Path | None:
        return None if value is None else Path(_fill(value, job.member, day, config.base))

    request = RunRequest(
        business_date=day,
        member=job.member,
        member_book=Path(_fill(job.book, job.member, day, config.base)),
        out=Path(_fill(config.out, job.member, day, config.base)),
        ccp_positions=path(job.ccp_positions),
        db_url=job.db,
        mapping=path(job.mapping),
        tolerances=path(job.tolerances),
        store=store,
        calendar=config.calendar,
        mqtt=config.mqtt,
        pdf=pdf,
    )
    try:
        outcome = run_member(request, clock)
    except InputRejected as exc:
        detail = "; ".join(f"{i.path}: {i.message}" for i in exc.issues)
        _record(store, config, job.member, day, clock, "unusable", detail)
        return JobResult(job.member, day, False, detail)
    except Exception as exc:  # isolate this member: the others still run
        detail = f"{type(exc).__name__}: {exc}"
        _record(store, config, job.member, day, clock, "failed", detail)
        return JobResult(job.member, day, False, detail)
    s = outcome.summary
    detail = f"{s['breaks']} open breaks, match rate {s['match_rate']}"
    if outcome.publish_error:
        detail += f"; {outcome.publish_error}"
    return JobResult(job.member, day, outcome.publish_error is None, detail)


def _record(
    store: str, config: ScheduleConfig, member: str, day: date, clock: Clock, outcome: str, detail: str
) -> None:
    breaks = BreakStore(store, NamedCalendar(config.calendar))
    try:
        breaks.record_run(member, day, clock.now(), outcome, detail)
    finally:
        breaks.close()
