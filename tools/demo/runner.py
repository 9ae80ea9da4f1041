"""The demo, end to end on the embedded defaults: one process, nothing to install.

Onboard three members and lodge collateral, synthesise market data, start the gateway (in-process
broker, SQLite, FIX), let a trade source publish a day of FpML over MQTT while Bank C reports its own
trades over FIX (alleged to Bank A or Bank B, whose FIX sessions accept them), make a collateral call for the trade left pending, run end of day, let the source ask for lifecycle
events on trades it cleared (``lifecycle_day``: terminations, an increase, a trade-id update, an economic
amendment, a de-clear, one refused), and write the CCP position file the members reconcile against.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path

import aiomqtt

from gateway.admin.fixings import FixingsStore
from gateway.admin.reference import ReferenceData, cash
from gateway.clock import Clock
from gateway.config import (
    BrokerMode,
    FixConfig,
    FpmlConfig,
    GatewayConfig,
    MqttConfig,
    OpsConfig,
    RiskConfig,
    StoreConfig,
)
from gateway.domain.enums import AccountType
from gateway.domain.trade import Trade
from gateway.loopback import free_port
from gateway.position_export import export_positions
from gateway.refdata.model import Account, Member
from gateway.risk.market.fixings import read_fixings
from gateway.rules.hours import ServiceHours
from gateway.rules.settings import ClearingSettings
from gateway.shifted_clock import ShiftedClock
from gateway.waiting import wait_event
from tools.demo.compression_phase import CompressionShown, run_compression
from tools.demo.fix_member import FixMember
from tools.demo.lifecycle_day import lifecycle_events
from tools.demo.lifecycle_phase import EventResult, run_events
from tools.demo.observer import Observer, Seen, fix_session
from tools.demo.requests import request_clearing
from tools.demo.scenario import MEMBERS, SOURCE, DemoMember, DemoTrade, Intent, Route, demo_day

Progress = Callable[[str, int, int], None]
"""(phase description, done, total)."""

WAIT_S = 120.0  # an upper bound for each phase, so a broken run ends with a report instead of hanging
COLLATERAL_CALL_AUD = Decimal(25_000_000)
PACE_S = 0.15  # between submissions: a busy venue, below the pipeline's capacity (the benchmark floods)


@dataclass(frozen=True, slots=True)
class MemberFigures:
    member: str
    collateral: Decimal  # after haircuts, all accounts (AUD)
    initial_margin: Decimal
    excess: Decimal
    tolerance_limit: Decimal

    @property
    def headroom(self) -> Decimal:
        uncovered = max(Decimal(0), self.initial_margin - self.collateral)
        return max(self.excess, Decimal(0)) + max(self.tolerance_limit - uncovered, Decimal(0))


@dataclass(frozen=True, slots=True)
class TradeResult:
    trade_id: str
    intent: Intent
    route: Route
    outcome: str  # cleared, refused, rejected (messageRejected or a FIX reject), pending, no answer
    codes: tuple[str, ...]  # the reasons of the outcome (a refusal's, a rejection's, a pending status's)
    statuses: tuple[str, ...]  # what the submitter saw, in order
    latency_ms: float | None  # submission to final status, seen by the submitter
    pending_codes: tuple[str, ...] = ()  # why it waited before its outcome (a collateral call, ...)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every reason the submitter was given for this trade, first seen first."""
        return tuple(dict.fromkeys((*self.pending_codes, *self.codes)))


@dataclass(frozen=True, slots=True)
class DemoReport:
    business_date: date
    workdir: Path
    results: tuple[TradeResult, ...]
    members: tuple[MemberFigures, ...]
    positions_file: Path
    position_rows: int
    elapsed_s: float
    schema: str = ""  # the schema set that validated the FpML messages, e.g. "clearing-profile"
    # every status each recipient received: (trade id, what and where), per trade in order of receipt
    seen: tuple[tuple[str, Seen], ...] = ()
    events: tuple[EventResult, ...] = ()  # the lifecycle phase, in the order its events were sent
    compression: CompressionShown | None = None  # the CCP's compression run after the lifecycle phase

    @property
    def statuses_seen(self) -> int:
        """Every status every recipient received (MQTT topics and FIX sessions)."""
        return len(self.seen)

    @property
    def database(self) -> Path:
        return self.workdir / "gateway.db"

    @property
    def database_url(self) -> str:
        return store_url(self.workdir)

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(r.outcome for r in self.results)

    @property
    def refusal_reasons(self) -> Counter[str]:
        return Counter(code for r in self.results if r.outcome in ("refused", "rejected") for code in r.codes)

    def latency_percentiles(self) -> dict[str, float]:
        values = sorted(
            r.latency_ms for r in self.results if r.latency_ms is not None and r.intent is Intent.CLEAR
        )
        if not values:
            return {}

        def pct(p: float) -> float:
            return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))]

        return {"p50": pct(50), "p90": pct(90), "p99": pct(99), "max": values[-1]}

    @staticmethod
    def intended(result: TradeResult) -> bool:
        """Did ``result`` end as its trade was meant to?"""
        return result.outcome == _EXPECTED[result.intent]

    @property
    def as_intended(self) -> bool:
        """Every trade and every lifecycle event ended as the day meant."""
        compressed = self.compression is None or self.compression.intended
        return (
            all(self.intended(r) for r in self.results)
            and all(e.intended for e in self.events)
            and compressed
        )


_EXPECTED = {
    Intent.CLEAR: "cleared",
    Intent.COLLATERAL_CALL: "cleared",
    Intent.INELIGIBLE: "refused",
    Intent.CREDIT: "refused",
    Intent.BACKLOAD: "pending",
}


def store_url(workdir: Path) -> str:
    """The demo's SQLite database in ``workdir``, as the ``--db`` of the operations commands takes it."""
    return f"sqlite+aiosqlite:///{workdir / 'gateway.db'}"


def demo_start(settings: ClearingSettings, today: date) -> datetime:
    """10:30 in the service's time zone on the latest business day up to ``today``."""
    hours = ServiceHours(settings.service_hours, settings.backload)
    d = today
    while True:
        at = datetime.combine(d, dtime(10, 30), hours.tz).astimezone(UTC)
        if hours.is_open(at):
            return at
        d -= timedelta(days=1)


def _previous_business_day(settings: ClearingSettings, d: date) -> date:
    hours = ServiceHours(settings.service_hours, settings.backload)
    d -= timedelta(days=1)
    while not hours.is_business_day(d):
        d -= timedelta(days=1)
    return d


def prepare(workdir: Path, business_date: date, settings: ClearingSettings) -> Path:
    """A fresh day in ``workdir`` (database and FIX state removed); market data made once per as-of date."""
    from gateway.risk.market.synth import write_market

    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.glob("gateway.db*"):
        stale.unlink()
    shutil.rmtree(workdir / "fix", ignore_errors=True)
    market = workdir / "market"
    as_of = _previous_business_day(settings, business_date)
    stamp = market / ".as_of"
    made_for = f"{as_of.isoformat()} {business_date.isoformat()}"  # its fixings run to the demo's day
    if not (market / "fixings.csv").is_file() or not stamp.is_file() or stamp.read_text() != made_for:
        shutil.rmtree(market, ignore_errors=True)
        write_market(market, as_of, fixings_through=business_date)
        stamp.write_text(made_for)
    return market


def demo_users(workdir: Path) -> dict[str, str]:
    """The demo's broker users (its trade source and the members) with new random
    passwords, in the embedded broker's password file (the source's intake grant comes from its
    registration as a trade source, ``onboard``)."""
    from gateway.channels.mqtt.broker.passwd import PasswordFile, new_password

    password_file = workdir / "mqtt" / "passwd"
    users = [SOURCE, *(m.member_id for m in MEMBERS)]
    credentials = {user: new_password() for user in users}
    passwords = PasswordFile.load(password_file) if password_file.exists() else PasswordFile()
    for user, password in credentials.items():
        passwords.add(user, password)
    passwords.save(password_file)
    return credentials


async def onboard(
    store_url: str,
    clock: Clock,
    members: tuple[DemoMember, ...] = MEMBERS,
    sources: tuple[str, ...] = (SOURCE,),
) -> None:
    """Register the approved trade sources (MQTT user = source id), create the members with their house
    accounts and lodge their opening collateral."""
    from gateway.admin.source_admin import TradeSources
    from gateway.refdata.sources import TradeSource
    from gateway.store import open_store

    engine = await open_store(store_url)
    try:
        for source_id in sources:
            await TradeSources(engine, clock=clock).add(TradeSource(source_id, mqtt_user=source_id))
        refdata = ReferenceData(engine, clock=clock)
        for m in members:
            await refdata.add_participant(
                Member(
                    member_id=m.member_id,
                    name=m.name,
                    party_ids=(m.lei,),
                    comp_ids=(m.fix_comp_id,) if m.fix_comp_id else (),
                    accounts=(Account(m.member_id, "HOUSE", AccountType.HOUSE, "AUD"),),
                    base_currency="AUD",
                    tolerance_limit=m.tolerance_aud,
                )
            )
            await refdata.lodge(m.member_id, "HOUSE", cash("AUD", m.collateral_aud))
    finally:
        await engine.dispose()


def _own_account_only(trade: Trade, reporter: str) -> Trade:
    """``trade`` as a member reports it: a member names only its own account."""
    a, b = (p if p.party_id == reporter else dataclasses.replace(p, account=None) for p in trade.parties)
    return dataclasses.replace(trade, parties=(a, b))


def _resting(observer: Observer, dt: DemoTrade, topic: str) -> bool:
    """Has the trade reached the state this phase waits for (final, or pending where it is meant to wait)?"""
    tid = dt.trade.identifiers.source_trade_id
    if observer.final(tid, topic) is not None:
        return True
    waits = dt.intent in (Intent.COLLATERAL_CALL, Intent.CREDIT, Intent.BACKLOAD)
    return waits and "Pending" in observer.statuses(tid, topic)


async def _until(
    observer: Observer, done: Callable[[], int], total: int, phase: str, progress: Progress
) -> None:
    deadline = time.monotonic() + WAIT_S
    while (n := done()) < total and time.monotonic() < deadline:
        progress(phase, n, total)
        observer.changed.clear()
        await wait_event(observer.changed, 0.25)
    progress(phase, done(), total)


async def run_demo(
    workdir: Path,
    *,
    trades: int = 60,
    seed: int = 2026,
    progress: Progress | None = None,
    today: date | None = None,
    schema_dir: Path | None = None,
) -> DemoReport:
    """``schema_dir``: the official FpML set to validate with (else the env var, else the clearing profile)."""
    from gateway.app import fpml_schema, open_gateway

    report_progress: Progress = progress or (lambda _p, _d, _t: None)
    started = time.perf_counter()
    # a configured schema set that cannot be used stops the demo before anything is prepared
    schema = fpml_schema(GatewayConfig(fpml=FpmlConfig(schema_dir=schema_dir)))
    settings = ClearingSettings.load()
    start = demo_start(settings, today or datetime.now(UTC).date())
    clock = ShiftedClock(start)
    business_date = ServiceHours(settings.service_hours, settings.backload).business_date(start)
    report_progress("market data", 0, 1)
    market = prepare(workdir, business_date, settings)
    database = store_url(workdir)
    report_progress("onboarding members", 0, 1)
    await onboard(database, clock)
    mqtt_port, fix_port = free_port(), free_port()
    config = GatewayConfig(
        data_dir=workdir,
        mqtt=MqttConfig(mode=BrokerMode.EMBEDDED, host="127.0.0.1", port=mqtt_port),
        store=StoreConfig(url=database),
        fix=FixConfig(enabled=True, port=fix_port, comp_id="CCP", data_dir=workdir / "fix"),
        ops=OpsConfig(port=0),
        risk=RiskConfig(market_data_dir=market),
        fpml=FpmlConfig(schema_dir=schema_dir),
    )
    day = demo_day(business_date, trades=trades, seed=seed)
    sent_at: dict[str, float] = {}
    fix_source = MEMBERS[2].fix_comp_id or ""
    source_topic = {
        Route.FPML_MQTT: f"ccp/out/{SOURCE}/fpml",
        # Bank C reports over FIX: it is answered on its session (AR, then AE), a rejection included
        Route.FIX: fix_session(fix_source),
    }
    credentials = demo_users(workdir)
    report_progress("starting the gateway", 0, 1)
    async with open_gateway(config, clock=clock) as gateway:
        stop, up = asyncio.Event(), asyncio.Event()
        service = asyncio.create_task(gateway.run(stop, up), name="gateway")
        observer = Observer()
        try:
            await asyncio.wait_for(up.wait(), 60)

            def client(user: str, identifier: str) -> aiomqtt.Client:
                return aiomqtt.Client(
                    "127.0.0.1",
                    gateway.mqtt_port,
                    identifier=identifier,
                    username=user,
                    password=credentials[user],
                )

            # each participant watches its own status topic with its own user (the broker allows no other)
            watched = {SOURCE: f"ccp/out/{SOURCE}/fpml"} | {
                m.member_id: f"ccp/member/{m.member_id}/fpml" for m in MEMBERS
            }
            async with contextlib.AsyncExitStack() as clients:
                watches = [
                    (await clients.enter_async_context(client(user, f"demo-watch-{user}")), topic)
                    for user, topic in watched.items()
                ]
                source = await clients.enter_async_context(client(SOURCE, SOURCE))
                bank_c = await clients.enter_async_context(
                    FixMember("127.0.0.1", fix_port, fix_source, "CCP", clock, on_message=observer.seen_fix)
                )
                # Bank C's reports are alleged to Bank A or Bank B, whose FIX sessions accept them
                for affirming in MEMBERS[:2]:
                    await clients.enter_async_context(
                        FixMember(
                            "127.0.0.1",
                            fix_port,
                            affirming.fix_comp_id or "",
                            "CCP",
                            clock,
                            affirms_as=affirming.lei,
                            on_message=observer.seen_fix,
                        )
                    )
                watcher = asyncio.create_task(observer.run_all(watches), name="observer")
                await asyncio.sleep(0.2)  # the observer's subscriptions are in place before the first trade
                for n, dt in enumerate(day, start=1):
                    tid = dt.trade.identifiers.source_trade_id
                    sent_at[tid] = time.perf_counter()
                    if dt.route is Route.FIX:
                        report_id = f"C-{n:05d}"
                        observer.sent(report_id, tid)  # a reject of the report answers it by report id
                        bank_c.report_trade(_own_account_only(dt.trade, MEMBERS[2].lei), report_id)
                    else:
                        payload = request_clearing(
                            dt.trade, source=SOURCE, message_id=f"{SOURCE}-{n:06d}", at=clock.now()
                        )
                        message_id = f"{SOURCE}-{n:06d}"
                        observer.sent(message_id, tid)  # a messageRejected answers it by message id
                        await source.publish(f"ccp/in/{SOURCE}/fpml", payload, qos=1)
                    report_progress("submitting the day's trades", n, len(day))
                    await asyncio.sleep(PACE_S)

                def resting() -> int:
                    return sum(_resting(observer, dt, source_topic[dt.route]) for dt in day)

                await _until(observer, resting, len(day), "clearing", report_progress)

                # The collateral call: Bank C lodges cash; its pending trade is registered.
                refdata = ReferenceData(gateway.engine, clock=clock, on_lodged=gateway.clearing.wake)
                await refdata.lodge("BANKC", "HOUSE", cash("AUD", COLLATERAL_CALL_AUD))
                calls = [dt for dt in day if dt.intent is Intent.COLLATERAL_CALL]

                def answered() -> int:
                    return sum(
                        observer.final(dt.trade.identifiers.source_trade_id, source_topic[dt.route])
                        is not None
                        for dt in calls
                    )

                await _until(observer, answered, len(calls), "collateral call", report_progress)

                # End of day: what is still pending (backloads excepted) is refused; the day's overnight
                # fixings (synthetic) are published first, as the PAI needs them.
                await FixingsStore(gateway.engine, clock).load(
                    read_fixings(market / "fixings.csv"), "market/fixings.csv"
                )
                await gateway.clearing.end_of_day(business_date)
                eod = [dt for dt in day if dt.intent is Intent.CREDIT]

                def refused() -> int:
                    return sum(
                        observer.final(dt.trade.identifiers.source_trade_id, source_topic[dt.route])
                        is not None
                        for dt in eod
                    )

                await _until(observer, refused, len(eod), "end of day", report_progress)

                # The day's registrations done, the source asks for lifecycle events on trades it cleared.
                cleared = [
                    dt.trade
                    for dt in day
                    if dt.intent is Intent.CLEAR
                    and dt.route is Route.FPML_MQTT
                    and _outcome_of(
                        observer.final(dt.trade.identifiers.source_trade_id, source_topic[dt.route])
                    )
                    == "cleared"
                ]
                events = await run_events(
                    lifecycle_events(cleared, business_date),
                    publisher=source,
                    source=SOURCE,
                    observer=observer,
                    engine=gateway.engine,
                    now=clock.now,
                    progress=report_progress,
                )
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            # The CCP compresses Bank B's swaps (the gateway publishes what it owes Bank B of it meanwhile).
            report_progress("compression", 0, 1)
            compression = await run_compression(database, market, clock, business_date, workdir)
            report_progress("compression", 1, 1)
            positions_file = workdir / f"ccp-positions-{business_date.isoformat()}.csv"
            rows = await export_positions(gateway.engine, positions_file, business_date)
            members = await _figures(gateway.engine, clock)
        finally:
            stop.set()
            await asyncio.wait_for(service, 30)
    results = tuple(_result(observer, dt, source_topic[dt.route], sent_at) for dt in day)
    day_ids = {dt.trade.identifiers.source_trade_id for dt in day}  # the events are shown on their own
    return DemoReport(
        business_date=business_date,
        workdir=workdir,
        results=results,
        members=members,
        positions_file=positions_file,
        position_rows=rows,
        elapsed_s=time.perf_counter() - started,
        schema=f"{schema.label} ({schema.main})",
        seen=tuple((tid, s) for tid, s in observer.all_seen() if tid in day_ids),
        events=events,
        compression=compression,
    )


def _outcome(final: Seen) -> str:
    """cleared, refused (the trade was decided against) or rejected (the message or report was not taken)."""
    if final.kind == "clearingConfirmed" or final.status == "Cleared":
        return "cleared"
    if final.kind in ("messageRejected", "AR"):
        return "rejected"
    return "refused"


def _outcome_of(final: Seen | None) -> str | None:
    return None if final is None else _outcome(final)


def _result(observer: Observer, dt: DemoTrade, topic: str, sent_at: dict[str, float]) -> TradeResult:
    tid = dt.trade.identifiers.source_trade_id
    final = observer.final(tid, topic)
    statuses = tuple(observer.statuses(tid, topic))
    seen = [s for s in observer.by_trade.get(tid, ()) if s.topic == topic]
    pending = [s for s in seen if s.status == "Pending"]
    waited = tuple(dict.fromkeys(code for s in pending for code in s.codes))
    if final is not None:
        latency = (final.at - sent_at[tid]) * 1000 if tid in sent_at else None
        return TradeResult(tid, dt.intent, dt.route, _outcome(final), final.codes, statuses, latency, waited)
    if pending:
        return TradeResult(tid, dt.intent, dt.route, "pending", pending[-1].codes, statuses, None, waited)
    return TradeResult(tid, dt.intent, dt.route, "no answer", (), statuses, None)


async def _figures(engine: object, clock: ShiftedClock) -> tuple[MemberFigures, ...]:
    from sqlalchemy.ext.asyncio import AsyncEngine

    assert isinstance(engine, AsyncEngine)
    refdata = ReferenceData(engine, clock=clock)
    out = []
    for m in MEMBERS:
        accounts = await refdata.show(m.member_id)
        member = await refdata.get(m.member_id)
        out.append(
            MemberFigures(
                member=m.member_id,
                collateral=sum((a.collateral_value for a in accounts), Decimal(0)),
                initial_margin=sum((a.margin for a in accounts), Decimal(0)),
                excess=sum((a.excess for a in accounts), Decimal(0)),
                tolerance_limit=member.tolerance_limit,
            )
        )
    return tuple(out)
