"""The gateway process, wiring only: every component in one asyncio TaskGroup, with named tasks.

    MQTT intake (FpML)  ─┐                          ┌─> MQTT publisher ─> ccp/out/{source}, ccp/member/{member}
    FIX acceptor        ─┼─> ClearingService ─> outbox ┤
                         │   (pipeline task)        └─> FIX publisher  ─> members' FIX sessions
    reference-data watch (sources, members) ─> broker topic rules, FIX Logon check
    ops HTTP (/healthz, /metrics)

``open_gateway`` builds the components from a ``GatewayConfig``; ``Gateway.run`` starts the tasks and
returns when ``stop`` is set (SIGTERM/SIGINT in ``clearing-gateway serve``). A task that fails takes the
process down with it (the TaskGroup cancels the others) rather than leaving a half-working gateway.
What each task does lives with its component: the channels (``gateway.channels``), what a recipient may
see (``gateway.channels.recipients``), the reference data (``gateway.admin.watch``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.market_watch import MarketDropWatch
from gateway.admin.member_directory import MemberDirectory
from gateway.admin.source_directory import SourceDirectory
from gateway.admin.watch import ReferenceWatch, watch_period
from gateway.channels.mqtt.broker.defaults import AclFeed
from gateway.channels.mqtt.broker.embedded import EmbeddedBroker
from gateway.channels.mqtt.client import mqtt_client
from gateway.channels.mqtt.intake.handler import FpmlIntake
from gateway.channels.mqtt.intake.loop import HEALTH_KEY as INTAKE_HEALTH
from gateway.channels.mqtt.intake.loop import MqttIntake
from gateway.channels.mqtt.publisher import HEALTH_KEY as PUBLISHER_HEALTH
from gateway.channels.mqtt.publisher import OutboxPublisher
from gateway.channels.mqtt.report_notices import ReportNoticePublisher
from gateway.channels.recipients import Recipients
from gateway.clearing.calls import CallSettings
from gateway.clearing.credit import CreditChecker
from gateway.clearing.service import ClearingService
from gateway.clock import Clock, SystemClock
from gateway.config import BrokerMode, GatewayConfig
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.read import parse_fpml_message
from gateway.formats.fpml.write import CcpIdentity
from gateway.logs import event
from gateway.ops.health import Health, State
from gateway.ops.http import OpsServer, Probe
from gateway.ops.metrics import Metrics
from gateway.refdata.overnight import CsvOvernightRates
from gateway.reports.writer import ReportWriter
from gateway.rules.products import ProductTable
from gateway.rules.settings import ClearingSettings
from gateway.store.calls_repo import SqlCalls
from gateway.store.clearing_store import SqlClearingStore

if TYPE_CHECKING:
    from fpml_schemas import LoadedSchema
    from gateway.admin.fixings import StoredOvernightRates
    from gateway.channels.fix.acceptor import FixAcceptor
    from gateway.channels.fix.config import AcceptorConfig
    from gateway.channels.fix.publisher import FixPublisher
    from gateway.channels.fix.sessions import SessionStatus
    from gateway.risk.market.fixings import FixingTable

log = logging.getLogger(__name__)

FIXINGS_LOOKBACK = timedelta(days=400)


class _Stopped(Exception):
    """Raised inside the TaskGroup to end every task when the gateway is asked to stop."""


@dataclass
class Gateway:
    """The running components; ``clearing`` is the ClearingPort and the Outbox."""

    config: GatewayConfig
    clock: Clock
    metrics: Metrics
    health: Health
    engine: AsyncEngine
    clearing: ClearingService
    ops: OpsServer | None
    broker: EmbeddedBroker | None
    mqtt_port: int
    recipients: Recipients
    reference: ReferenceWatch  # sources and members, read at start and on one timer (never per message)
    fix: FixAcceptor | None = None
    fix_sessions: SessionStatus | None = None
    fix_publisher: FixPublisher | None = None
    market: MarketDropWatch | None = None  # the daily market data drop, when configured
    reports: ReportWriter | None = None  # the members' daily reports, when [reports] dir is set

    @property
    def sources(self) -> SourceDirectory:
        return self.reference.sources

    async def probe_db(self) -> str | None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None

    def reference_every_s(self) -> float:
        """The reference-data watch's period (``watch_period``); the FIX members' only while sessions follow."""
        follows = self.fix_sessions is not None and self.fix_sessions.follow
        return watch_period(
            self.config.sources.refresh_s, self.config.fix.member_refresh_s if follows else None
        )

    def intake(self) -> MqttIntake:
        cfg = self.config
        parse = partial(parse_fpml_message, schema_dir=cfg.fpml.schema_dir)
        handler = FpmlIntake(
            port=self.clearing,
            events=self.clearing,
            parse=parse,
            clock=self.clock,
            sources=self.sources,
            max_attempts=cfg.mqtt.max_attempts,
            retry_initial_s=cfg.publish.retry_initial_ms / 1000,
            retry_max_s=cfg.publish.retry_max_ms / 1000,
        )
        return MqttIntake(
            intake=handler,
            connect=partial(
                mqtt_client,
                cfg.mqtt,
                identifier=cfg.mqtt.client_id,
                persistent=True,
                manual_ack=True,
                port=self.mqtt_port,
            ),
            ccp_id=self.clearing.settings.ccp.party_id,
            clock=self.clock,
            metrics=self.metrics,
            health=self.health,
            concurrency=cfg.mqtt.intake_concurrency,
            topic_root=cfg.mqtt.topic_root,
            read_thread=cfg.mqtt.read_thread,
            read_processes=cfg.mqtt.read_processes,
            worker_parse=parse,
            worker_schema_dir=cfg.fpml.schema_dir,
        )

    def mqtt_publisher(self) -> OutboxPublisher:
        cfg = self.config
        return OutboxPublisher(
            outbox=self.clearing,
            render=self.recipients.fpml,
            connect=partial(
                mqtt_client, cfg.mqtt, identifier=f"{cfg.mqtt.client_id}-pub", port=self.mqtt_port
            ),
            metrics=self.metrics,
            health=self.health,
            batch_size=cfg.publish.batch_size,
            poll_interval_s=cfg.publish.poll_interval_ms / 1000,
            idle_poll_max_s=cfg.publish.idle_poll_max_ms / 1000,
            retry_initial_s=cfg.publish.retry_initial_ms / 1000,
            retry_max_s=cfg.publish.retry_max_ms / 1000,
            topic_root=cfg.mqtt.topic_root,
            prepare=self.recipients.learn,
        )

    def report_notices(self) -> ReportNoticePublisher | None:
        """The publisher of the members' report notifications, woken by the report writer."""
        if self.reports is None:
            return None
        cfg = self.config
        notices = ReportNoticePublisher(
            engine=self.engine,
            connect=partial(
                mqtt_client, cfg.mqtt, identifier=f"{cfg.mqtt.client_id}-reports", port=self.mqtt_port
            ),
            clock=self.clock,
            topic_root=cfg.mqtt.topic_root,
            retry_initial_s=cfg.publish.retry_initial_ms / 1000,
            retry_max_s=cfg.publish.retry_max_ms / 1000,
        )
        self.reports.on_notice = notices.wakeup.set
        return notices

    async def run(self, stop: asyncio.Event, started: asyncio.Event | None = None) -> None:
        """Run every task until ``stop`` is set; ``started`` is set once intake is subscribed."""
        await self.reference.refresh()  # sources registered since open_gateway count from the first message
        intake = self.intake()
        publisher = self.mqtt_publisher()
        notices = self.report_notices()
        # Publishers are woken by the clearing core's commits instead of waiting for their next poll.
        self.clearing.watch_outbox(publisher.wakeup)
        if self.fix_publisher is not None:
            self.clearing.watch_outbox(self.fix_publisher.wakeup)

        async def until_stopped() -> None:
            await stop.wait()
            raise _Stopped

        async def announce() -> None:
            await intake.subscribed.wait()
            assert self.ops is not None
            log.info(
                "gateway ready: MQTT %s:%d, ops http://%s:%d",
                self.config.mqtt.host,
                self.mqtt_port,
                self.ops.host,
                self.ops.port,
                extra=event(
                    "gateway.ready",
                    mqtt=f"{self.config.mqtt.host}:{self.mqtt_port}",
                    ops=f"http://{self.ops.host}:{self.ops.port}",
                ),
            )
            if started is not None:
                started.set()

        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(
                    self.clearing.run(stop, poll_seconds=1.0, end_of_day_at_close=self.config.eod.at_close),
                    name="pipeline",
                )
                tg.create_task(intake.run(), name="mqtt-intake")
                tg.create_task(self.reference.run(self.reference_every_s()), name="reference-data")
                tg.create_task(publisher.run(), name="mqtt-publisher")
                if notices is not None:
                    tg.create_task(notices.run(), name="report-notices")
                if self.market is not None:
                    every_s = self.config.risk.market_poll_ms / 1000
                    tg.create_task(self.market.run(every_s), name="market-drop")
                if self.ops is not None:
                    tg.create_task(self.ops.serve_forever(), name="ops-http")
                if self.fix_publisher is not None:
                    tg.create_task(self.fix_publisher.run(), name="fix-publisher")
                tg.create_task(announce(), name="announce")
                tg.create_task(until_stopped(), name="stop-watch")
        except* _Stopped:
            log.info("gateway stopped", extra=event("gateway.stopped"))


class StartupError(Exception):
    """The gateway cannot start; ``where`` names the setting at fault and the message says what to fix."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message

    def issue(self) -> Issue:
        """The failure as the command lines report every error (one line, the setting, the code)."""
        return Issue(ReasonCode.OPS_CANNOT_START, self.where, self.message)


def credit_checker(config: GatewayConfig) -> CreditChecker:
    """The production margin model over the market data in ``risk.market_data_dir``."""
    from gateway.clearing.risk_checker import RiskCreditChecker

    directory = config.risk.market_data_dir
    if not (directory / "market.toml").is_file():
        raise StartupError(
            "[risk] market_data_dir",
            f"no market data in {directory}: load some there, or for a trial run "
            f"`clearing-gateway market synth --out {directory}`",
        )
    try:
        return RiskCreditChecker.from_market_dir(directory)
    except GatewayError as exc:
        raise StartupError(
            "[risk] market_data_dir", f"market data in {directory} cannot be used: {exc}"
        ) from None


def overnight_rates(config: GatewayConfig, engine: AsyncEngine) -> CsvOvernightRates | StoredOvernightRates:
    """PAI's overnight fixings: from ``[eod] overnight_rates``, read once at start, or, with no file
    configured, from the fixings store (each end of day reads its business date's)."""
    from gateway.admin.fixings import FixingsStore, StoredOvernightRates

    path = config.eod.overnight_rates
    if path is None:
        return StoredOvernightRates(FixingsStore(engine))
    try:
        return CsvOvernightRates.load(path)
    except GatewayError as exc:
        raise StartupError(
            "[eod] overnight_rates", f"overnight rates in {path} cannot be used: {exc}"
        ) from None


def flags_detail(overdue: dict[str, int]) -> str:
    """``/healthz``'s detail of the margin calls: the members flagged by calls overdue."""
    if not overdue:
        return "no margin call overdue"
    return "overdue: " + ", ".join(f"{m} ({n})" for m, n in sorted(overdue.items()))


def call_settings(config: GatewayConfig) -> CallSettings:
    """``[calls]`` as the clearing core reads it."""
    c = config.calls
    return CallSettings(
        due_after_business_days=c.due_after_business_days,
        due_time=c.due_time,
        intraday_at=c.intraday_at,
        intraday_threshold=dict(c.intraday_threshold),
        intraday_fraction=c.intraday_fraction,
        intraday_due_minutes=c.intraday_due_minutes,
    )


async def fixings_table(engine: AsyncEngine, as_of: date) -> FixingTable:
    """The stored fixings a valuation on ``as_of`` may need (a year and a little of them)."""
    from gateway.admin.fixings import FixingsStore

    return await FixingsStore(engine).table(as_of - FIXINGS_LOOKBACK, as_of)


def market_watch(
    config: GatewayConfig, clearing: ClearingService, health: Health, engine: AsyncEngine
) -> MarketDropWatch | None:
    """The watch on ``[risk] market_drop_dir`` feeding the risk engine's checker, when both are there; each
    day's fixings go to the fixings store first (a conflicting fixing refuses the day), and its FX rates
    value collateral from the next clearing pass on."""
    from gateway.admin.fixings import FixingsStore
    from gateway.clearing.risk_checker import RiskCreditChecker
    from gateway.risk.market.drop import DropLimits, MarketDay

    r = config.risk
    checker = clearing.credit
    if r.market_drop_dir is None or not isinstance(checker, RiskCreditChecker):
        return None
    if not r.market_drop_dir.is_dir():
        raise StartupError(
            "[risk] market_drop_dir", f"the market data drop {r.market_drop_dir} is not a directory"
        )
    store = FixingsStore(engine)

    async def store_fixings(day: MarketDay) -> MarketDay:
        await store.load(day.fixings, f"{day.business_date.isoformat()}/fixings.csv")
        return replace(day, fixing_table=await fixings_table(engine, day.business_date))

    def install(day: MarketDay) -> None:
        checker.install(day)
        clearing.fx = checker.timeline.latest.fx

    return MarketDropWatch(
        root=r.market_drop_dir,
        current=lambda: checker.timeline.latest,
        install=install,
        limits=DropLimits(max_move_bp=float(r.max_move_bp), max_fx_move=r.max_fx_move_pct / 100),
        health=health,
        accept=store_fixings,
    )


def fpml_schema(config: GatewayConfig) -> LoadedSchema:
    """The schema set intake validates FpML against, checked once at start.

    The official set when configured (``[fpml] schema_dir``, ``--schema-dir`` or
    ``CLEARING_FPML_SCHEMA_DIR``), else the project's clearing profile. A configured set that is
    missing, altered or does not compile is a ``StartupError``, never a rejection of every message.
    """
    from fpml_schemas import SchemaSetError, load_schema

    try:
        return load_schema(config.fpml.schema_dir)
    except SchemaSetError as exc:
        raise StartupError(
            "[fpml] schema_dir",
            f"the FpML schema set cannot be used: {exc} (point [fpml] schema_dir, --schema-dir or "
            f"CLEARING_FPML_SCHEMA_DIR at the FpML 5.10 confirmation view, or unset it to use the "
            f"clearing profile)",
        ) from None


@contextlib.asynccontextmanager
async def open_gateway(
    config: GatewayConfig, *, clock: Clock | None = None, credit: CreditChecker | None = None
) -> AsyncIterator[Gateway]:
    """Start the broker (embedded mode), open the store (migrating it) and the ops server.

    ``credit`` replaces the risk engine's margin model (tests); every failure to start is a ``StartupError``.
    """
    from gateway.store import open_store

    if clock is None and config.simulated_start is not None:
        from gateway.shifted_clock import ShiftedClock

        log.warning(
            "SIMULATED business time starting at %s (not for production)",
            config.simulated_start,
            extra=event("gateway.simulated_time", start=config.simulated_start.isoformat()),
        )
        clock = ShiftedClock(config.simulated_start)
    clock = clock or SystemClock()
    schema = fpml_schema(config)
    log.info(
        "FpML messages are validated against %s (%s)",
        schema.label,
        schema.main,
        extra=event("fpml.schema_set", label=schema.label, schema=str(schema.main), official=schema.official),
    )
    if schema.official:  # pinned: later messages use this set whatever the working directory
        config = replace(config, fpml=replace(config.fpml, schema_dir=schema.main.parent))
    health = Health(clock)
    # /healthz says ok only once the intake has subscribed and the publisher is connected (each marks itself
    # up): a source that waits for it never publishes before the gateway's broker session takes its topic
    health.set(INTAKE_HEALTH, State.STARTING, "not subscribed yet")
    health.set(PUBLISHER_HEALTH, State.STARTING, "not connected yet")
    metrics = Metrics()
    async with contextlib.AsyncExitStack() as stack:
        try:
            engine = await open_store(config.store.dsn)
        except Exception as exc:
            raise StartupError(
                "[store] url", f"the database {_safe_url(config.store.url)} cannot be opened: {exc}"
            ) from None
        stack.push_async_callback(engine.dispose)
        c = config.clearing
        try:
            settings = ClearingSettings.load(c.settings_file)
            products = ProductTable.load(c.products_file)
        except GatewayError as exc:
            raise StartupError("[clearing]", f"clearing rules cannot be used: {exc}") from None
        sources = SourceDirectory()
        try:
            await sources.refresh(engine)
        except Exception as exc:
            raise StartupError("[store] url", f"the trade sources cannot be read: {exc}") from None
        # the broker starts once the sources are read: its first rules grant them their intake topics
        broker: EmbeddedBroker | None = None
        mqtt_port = config.mqtt.port
        if config.mqtt.mode is BrokerMode.EMBEDDED:
            from gateway.channels.mqtt.broker.defaults import prepare_embedded

            where = f"{config.mqtt.host}:{config.mqtt.port}"
            try:
                access, mqtt_cfg = prepare_embedded(config.mqtt, config.data_dir, sources.sources)
            except (OSError, ValueError) as exc:
                raise StartupError(
                    "[mqtt]", f"the embedded MQTT broker's users or topic rules cannot be used: {exc}"
                ) from None
            # the gateway's own clients connect as its user, with the password given at start
            config = replace(config, mqtt=mqtt_cfg)
            try:
                broker = await stack.enter_async_context(
                    EmbeddedBroker(
                        access=access,
                        host=config.mqtt.host,
                        port=config.mqtt.port,
                        consumer=mqtt_cfg.username or "gateway",
                        topic_root=mqtt_cfg.topic_root,
                    )
                )
            except Exception as exc:
                raise StartupError(
                    "[mqtt] port",
                    f"the embedded MQTT broker cannot listen on {where} ({exc}); choose another [mqtt] port "
                    'in a --config file, or mode = "external" to use the broker already running there',
                ) from None
            mqtt_port = broker.port
            health.up("broker", f"embedded on {config.mqtt.host}:{mqtt_port}")
        checker = credit if credit is not None else credit_checker(config)
        overnight = overnight_rates(config, engine)
        from gateway.clearing.risk_checker import RiskCreditChecker

        if isinstance(checker, RiskCreditChecker):  # fixed coupons valued on the fixings store
            checker.use_fixings(await fixings_table(engine, checker.timeline.latest.business_date))
        clearing = ClearingService(
            engine,
            checker,
            clock=clock,
            settings=settings,
            products=products,
            is_venue=sources.is_venue,
            is_approved_source=sources.is_approved,
            store=SqlClearingStore(engine),
            overnight_rates=overnight,
            calls=SqlCalls(engine),
            call_settings=call_settings(config),
            on_flags=lambda overdue: health.up("margin_calls", flags_detail(overdue)),
        )
        report_writer = None
        if config.reports.dir is not None:
            report_writer = ReportWriter(engine, config.reports.dir, clearing.hours, clearing.clock)
            clearing.reports = report_writer
        drop_watch = market_watch(config, clearing, health, engine)
        if drop_watch is not None:  # the days dropped while the service was down, before the first pass
            await drop_watch.scan()
        acl_feed = AclFeed(broker, config.mqtt, config.data_dir)
        acl_feed.apply(sources.sources)
        members = MemberDirectory()
        ccp = settings.ccp
        gateway = Gateway(
            config=config,
            clock=clock,
            metrics=metrics,
            health=health,
            engine=engine,
            clearing=clearing,
            ops=None,
            broker=broker,
            mqtt_port=mqtt_port,
            recipients=Recipients(engine, members, CcpIdentity(ccp.party_id, name=ccp.name)),
            reference=ReferenceWatch(engine, sources, members, [acl_feed.apply]),
            market=drop_watch,
            reports=report_writer,
        )
        if not config.fix.enabled:
            health.set("fix", State.DISABLED, "not enabled")
        else:
            fix_config = await acceptor_config(config, clearing, sources)
            if not fix_config.sessions:
                health.set("fix", State.DISABLED, "no member has a FIX CompID")
            else:
                await stack.enter_async_context(_start_fix(gateway, fix_config))
                health.up("fix", f"port {fix_config.port}, {len(fix_config.sessions)} sessions")
        probes: dict[str, Probe] = {"db": gateway.probe_db}
        if gateway.fix_sessions is not None:
            probes["fix"] = gateway.fix_sessions.probe
        ops = OpsServer(
            health=health,
            metrics=metrics,
            host=config.ops.host,
            port=config.ops.port,
            probes=probes,
            token=os.environ.get(config.ops.token_env) or None,
        )
        try:
            gateway.ops = await stack.enter_async_context(ops)
        except OSError as exc:
            where = f"{config.ops.host}:{config.ops.port}"
            raise StartupError("[ops] port", f"the ops server cannot listen on {where}: {exc}") from None
        yield gateway


async def acceptor_config(
    config: GatewayConfig, clearing: ClearingService, sources: SourceDirectory | None = None
) -> AcceptorConfig:
    """The FIX acceptor's configuration: its own file if given, else the sessions the reference data names
    (``gateway.channels.fix.sessions.acceptor_config``)."""
    from gateway.admin.reference import ReferenceData
    from gateway.channels.fix import sessions
    from gateway.channels.fix.config import AcceptorConfig, FixConfigError

    if config.fix.config_file is not None:
        try:
            return AcceptorConfig.from_toml(config.fix.config_file)
        except (FixConfigError, OSError, ValueError) as exc:
            raise StartupError(
                "[fix] config_file", f"FIX configuration {config.fix.config_file}: {exc}"
            ) from None
    members = await ReferenceData(clearing.engine).list_participants()
    listed = sources.sources if sources is not None else ()
    return sessions.acceptor_config(config.fix, clearing.settings.ccp.party_id, members, listed)


@contextlib.asynccontextmanager
async def _start_fix(gateway: Gateway, fix_config: AcceptorConfig) -> AsyncIterator[FixAcceptor]:
    """The FIX acceptor, the Logon check that follows the reference data, and the FIX publisher."""
    from gateway.channels.fix.acceptor import FixAcceptor
    from gateway.channels.fix.publisher import FixPublisher
    from gateway.channels.fix.sessions import SessionStatus

    cfg = gateway.config.publish
    wakeup = asyncio.Event()
    acceptor = FixAcceptor(
        fix_config,
        gateway.clearing,
        clock=gateway.clock,
        on_logon=lambda _comp_id: wakeup.set(),
        events=gateway.clearing,
    )
    async with acceptor as fix:
        gateway.fix = fix
        # an acceptor file of its own is the whole truth about its sessions
        gateway.fix_sessions = SessionStatus(fix, follow=gateway.config.fix.config_file is None)
        gateway.reference.listeners.append(gateway.fix_sessions.apply)
        gateway.fix_publisher = FixPublisher(
            outbox=gateway.clearing,
            fix=fix,
            recipients=gateway.recipients,
            metrics=gateway.metrics,
            poll_interval_s=cfg.poll_interval_ms / 1000,
            retry_initial_s=cfg.retry_initial_ms / 1000,
            retry_max_s=cfg.retry_max_ms / 1000,
            wakeup=wakeup,
        )
        yield fix


def _safe_url(url: str) -> str:
    from sqlalchemy.engine.url import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


async def serve_until_signalled(config: GatewayConfig) -> None:
    """``clearing-gateway serve``: run until SIGTERM or SIGINT, then stop every task cleanly."""
    import signal

    from gateway.blas import limit_blas_threads

    if config.risk.blas_threads:
        limit_blas_threads(config.risk.blas_threads)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with open_gateway(config) as gateway:
        await gateway.run(stop)
