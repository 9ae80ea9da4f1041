"""The gateway process: every component in one asyncio TaskGroup, with named tasks.

    MQTT intake (FpML)  ─┐                          ┌─> MQTT publisher ─> ccp/out/{source}, ccp/member/{member}
    FIX acceptor        ─┼─> ClearingService ─> outbox ┤
                         │   (pipeline task)        └─> FIX publisher  ─> members' FIX sessions
    ops HTTP (/healthz, /metrics)

``Gateway`` builds the components from a ``GatewayConfig``; ``run`` starts the tasks and returns when
``stop`` is set (SIGTERM/SIGINT in ``clearing-gateway serve``). A task that fails takes the process
down with it (the TaskGroup cancels the others) rather than leaving a half-working gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.channels.mqtt.broker.embedded import EmbeddedBroker
from gateway.channels.mqtt.client import mqtt_client
from gateway.channels.mqtt.intake.handler import FpmlIntake, parse_fpml_message
from gateway.channels.mqtt.intake.loop import MqttIntake
from gateway.channels.mqtt.publisher import OutboxPublisher
from gateway.clearing.credit import CreditChecker
from gateway.clearing.pipeline import ClearingService
from gateway.clearing.ports import DeliveryChannel, OutboxItem, RecipientRole, StatusUpdate
from gateway.clearing.visibility import member_view
from gateway.clock import Clock, SystemClock
from gateway.config import BrokerMode, GatewayConfig
from gateway.domain.errors import GatewayError
from gateway.domain.messages import InboundMessage
from gateway.formats.fpml.write import CcpIdentity, status_update_to_fpml
from gateway.ops.health import Health, State
from gateway.ops.http import OpsServer, Probe
from gateway.ops.metrics import Metrics
from gateway.refdata.source_directory import SourceDirectory
from gateway.rules.products import ProductTable
from gateway.rules.settings import ClearingSettings
from gateway.waiting import wait_event

if TYPE_CHECKING:
    from fpml_schemas import LoadedSchema
    from gateway.channels.fix.acceptor import FixAcceptor
    from gateway.channels.fix.config import AcceptorConfig

FIX_YIELD_EVERY = 64  # statuses sent between two turns of the event loop (about 50 KB)
FIX_BATCH = 5000  # statuses read per pass; a logged-out member's backlog must not hide the others'

log = logging.getLogger(__name__)


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
    fix: FixAcceptor | None = None
    fix_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # the approved trade sources, read at start and every sources.refresh_s (never per message)
    sources: SourceDirectory = field(default_factory=SourceDirectory)
    _fed_acl: str | None = field(default=None, repr=False)

    member_parties: dict[str, tuple[str, ...]] = field(default_factory=dict)  # member id -> its party ids
    comp_members: dict[str, str] = field(default_factory=dict)  # FIX CompID -> member id
    # CompIDs the reference data gained after start: quickfix has no session for them until a restart
    fix_without_session: tuple[str, ...] = ()

    async def learn_members(self, items: Sequence[OutboxItem]) -> None:
        """Load the members the outbox names (by member id on MQTT, CompID on FIX) that this process has not seen."""
        known = self.member_parties.keys() | self.comp_members.keys()
        if not {i.recipient for i in items if i.role is RecipientRole.MEMBER} - known:
            return
        from gateway.refdata.admin import ReferenceData

        for member in await ReferenceData(self.engine, clock=self.clock).list_participants():
            self.member_parties[member.member_id] = member.party_ids
            for comp_id in member.comp_ids:
                self.comp_members[comp_id] = member.member_id

    def member_view(self, item: OutboxItem) -> tuple[StatusUpdate, str | None]:
        """What a recipient may see (``gateway.clearing.visibility``, for MQTT and FIX alike): a source sees
        the whole update, a member its own side and figures only; with the member's party id."""
        if item.role is not RecipientRole.MEMBER:
            return item.update, None
        update = item.update
        member_id = (
            item.recipient if item.channel is DeliveryChannel.MQTT else self.comp_members[item.recipient]
        )
        trade_parties = {p.party_id for p in update.trade.parties}
        own = [p for p in self.member_parties.get(member_id, ()) if p in trade_parties]
        if not own:
            raise LookupError(f"member {member_id} is not a party of submission {update.submission_id}")
        ccp = self.clearing.settings.ccp.party_id
        return member_view(update, member_id=member_id, member_party=own[0], ccp_party_id=ccp), own[0]

    def render(self, item: OutboxItem) -> bytes:
        s = self.clearing.settings.ccp
        update, member_party = self.member_view(item)
        return status_update_to_fpml(
            update,
            ccp=CcpIdentity(s.party_id, name=s.name),
            recipient=item.recipient,
            member_party=member_party,
            pretty=False,
        )

    async def probe_db(self) -> str | None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None

    async def probe_fix(self) -> str | None:
        """FIX is up while the acceptor listens; the detail says which member sessions are logged on, and
        which CompIDs added since start wait for a restart to get a session."""
        if self.fix is None:
            raise RuntimeError("the FIX acceptor is not running")
        sessions = sorted(m.comp_id for m in self.fix.config.members)
        on = self.fix.logged_on
        listed = ", ".join(f"{c}{'' if c in on else ' (logged out)'}" for c in sessions)
        detail = f"port {self.fix.config.port}: {len(on)} of {len(sessions)} sessions logged on: {listed}"
        if self.fix_without_session:
            detail += f"; no session until a restart: {', '.join(self.fix_without_session)}"
        return detail

    async def refresh_sources(self) -> None:
        """Read the trade sources again (MQTT intake, sub-block venues, the embedded broker's topic rules)
        and pass their FIX sessions' status on."""
        await self.sources.refresh(self.engine)
        self.feed_broker_acl()
        await self.refresh_fix_members()

    def feed_broker_acl(self) -> None:
        """The embedded broker's topic rules from the registered sources (unless ``[mqtt] acl_file`` holds
        them): a source added, suspended or reinstated is granted or refused its intake topic at the next
        refresh, as the production broker is after ``source acl`` and SIGHUP."""
        if self.broker is None or self.config.mqtt.acl_file is not None:
            return
        from gateway.channels.mqtt.broker.defaults import embedded_paths, generated_acl, write_generated

        text = generated_acl(self.sources.sources, self.config.mqtt)
        if text == self._fed_acl:
            return
        self.broker.reload_acl(text)
        self._fed_acl = text
        try:
            write_generated(embedded_paths(self.config.mqtt, self.config.data_dir)[1], text)
        except OSError as exc:  # the rules in force are the broker's; the file is for reading only
            log.warning("the embedded broker's topic rules could not be written out: %s", exc)

    async def source_watch(self, every_s: float) -> None:
        """``refresh_sources`` every ``every_s`` seconds; a failed read keeps the last table."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.refresh_sources()
            except Exception:
                log.exception("trade sources could not be read; the last ones read hold")

    async def refresh_fix_members(self) -> None:
        """Members' status from the reference data to the FIX acceptor's Logon check (a member suspended
        or reinstated after start is treated as it now is), and the CompIDs added since start noted."""
        fix = self.fix
        if fix is None or self.config.fix.config_file is not None:
            return  # an acceptor file of its own is the whole truth about its sessions
        from gateway.refdata.admin import ReferenceData

        members = await ReferenceData(self.engine, clock=self.clock).list_participants()
        active = {comp_id: m.is_active for m in members for comp_id in m.comp_ids}
        # a source's FIX session may log on while the source is active (sources as last read)
        active.update({s.fix_comp_id: s.is_active for s in self.sources.sources if s.fix_comp_id})
        fix.set_member_status(active)
        sessions = {m.comp_id for m in fix.config.members}
        added = tuple(sorted(set(active) - sessions))
        if added != self.fix_without_session and added:
            log.warning(
                "FIX: %s have a CompID but no FIX session until the gateway restarts", ", ".join(added)
            )
        self.fix_without_session = added

    async def fix_member_watch(self, every_s: float) -> None:
        """``refresh_fix_members`` every ``every_s`` seconds; a failed read keeps the last status."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.refresh_fix_members()
            except Exception:
                log.exception("FIX: members' status could not be read; the last one read holds")

    def intake(self) -> MqttIntake:
        cfg = self.config
        from gateway.formats.fpml.read import FpmlOptions, parse_fpml

        options = FpmlOptions(schema_dir=cfg.fpml.schema_dir)

        def parse(data: bytes) -> InboundMessage:
            return parse_fpml(data, options=options).message

        handler = FpmlIntake(
            port=self.clearing,
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
            worker_parse=partial(parse_fpml_message, schema_dir=cfg.fpml.schema_dir),
            worker_schema_dir=cfg.fpml.schema_dir,
        )

    def mqtt_publisher(self) -> OutboxPublisher:
        cfg = self.config
        return OutboxPublisher(
            outbox=self.clearing,
            render=self.render,
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
            prepare=self.learn_members,
        )

    async def fix_publisher(self, fix: FixAcceptor) -> None:
        """Outbox -> FIX sessions: in order per member; a member logged out keeps its items for its next logon."""
        cfg = self.config.publish
        delay = cfg.retry_initial_ms / 1000
        while True:
            try:
                # Members logged out keep their statuses for their next logon; leave them out of the read
                # so that a long backlog of one member never holds up the others.
                logged_out = {m.comp_id for m in fix.config.members} - set(fix.logged_on)
                items = await self.clearing.pending(DeliveryChannel.FIX, FIX_BATCH, exclude=logged_out)
                self.metrics.outbox_backlog.labels("fix").set(len(items))
                waiting: set[str] = set()
                sent: list[OutboxItem] = []
                await self.learn_members(items)
                for n, item in enumerate(items, 1):
                    if item.recipient in waiting:
                        continue  # keep this member's statuses in order
                    if n % FIX_YIELD_EVERY == 0:
                        # quickfix's send blocks once its socket is full, and only this loop (the logon
                        # gate) empties that socket: let it run before a batch can fill it.
                        await asyncio.sleep(0)
                    member = self.comp_members.get(item.recipient)
                    if member is None:
                        log.error(
                            "FIX recipient %s is no member's CompID; status kept in the outbox",
                            item.recipient,
                        )
                        waiting.add(item.recipient)
                        continue
                    # The other member's accounts, trade ids and shortfall figures are not this member's.
                    try:
                        view, _ = self.member_view(item)
                    except LookupError:
                        log.exception("FIX status for %s kept in the outbox", item.recipient)
                        waiting.add(item.recipient)
                        continue
                    if fix.deliver(item if view is item.update else replace(item, update=view)):
                        sent.append(item)
                    else:
                        waiting.add(item.recipient)
                if sent:
                    await self.clearing.mark_delivered([i.id for i in sent])
                    for i in sent:
                        self.metrics.statuses_out.labels("fix", i.update.status.value).inc()
                        self.metrics.observe_status(i.update.submission_id, i.update.status, i.update.at)
                delay = cfg.retry_initial_ms / 1000
                if len(sent) < len(items) or not items:
                    await wait_event(self.fix_wakeup, cfg.poll_interval_ms / 1000)
                    self.fix_wakeup.clear()
            except Exception:
                log.exception("FIX publisher failed; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, cfg.retry_max_ms / 1000)

    async def run(self, stop: asyncio.Event, started: asyncio.Event | None = None) -> None:
        """Run every task until ``stop`` is set; ``started`` is set once intake is subscribed."""
        await self.refresh_sources()  # sources registered since open_gateway count from the first message
        intake = self.intake()
        publisher = self.mqtt_publisher()
        # Publishers are woken by the clearing core's commits instead of waiting for their next poll.
        self.clearing.watch_outbox(publisher.wakeup)
        self.clearing.watch_outbox(self.fix_wakeup)

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
            )
            if started is not None:
                started.set()

        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.clearing.run(stop, poll_seconds=1.0), name="pipeline")
                tg.create_task(intake.run(), name="mqtt-intake")
                tg.create_task(self.source_watch(self.config.sources.refresh_s), name="sources")
                tg.create_task(publisher.run(), name="mqtt-publisher")
                if self.ops is not None:
                    tg.create_task(self.ops.serve_forever(), name="ops-http")
                if self.fix is not None:
                    tg.create_task(self.fix_publisher(self.fix), name="fix-publisher")
                    if self.config.fix.member_refresh_s > 0:
                        tg.create_task(
                            self.fix_member_watch(self.config.fix.member_refresh_s), name="fix-members"
                        )
                tg.create_task(announce(), name="announce")
                tg.create_task(until_stopped(), name="stop-watch")
        except* _Stopped:
            log.info("gateway stopped")


class StartupError(Exception):
    """The gateway cannot start; the message says what to fix (a port in use, no market data, ...)."""


def credit_checker(config: GatewayConfig) -> CreditChecker:
    """The production margin model over the market data in ``risk.market_data_dir``."""
    from gateway.clearing.risk_checker import RiskCreditChecker

    directory = config.risk.market_data_dir
    if not (directory / "market.toml").is_file():
        raise StartupError(
            f"no market data in {directory}: load some there, or for a trial run "
            f"`clearing-gateway market synth --out {directory}`"
        )
    try:
        return RiskCreditChecker.from_market_dir(directory)
    except GatewayError as exc:
        raise StartupError(f"market data in {directory} cannot be used: {exc}") from None


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
            f"the FpML schema set cannot be used: {exc} (point [fpml] schema_dir, --schema-dir or "
            f"CLEARING_FPML_SCHEMA_DIR at the FpML 5.10 confirmation view, or unset it to use the "
            f"clearing profile)"
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

        log.warning("SIMULATED business time starting at %s (not for production)", config.simulated_start)
        clock = ShiftedClock(config.simulated_start)
    clock = clock or SystemClock()
    schema = fpml_schema(config)
    log.info("FpML messages are validated against %s (%s)", schema.label, schema.main)
    if schema.official:  # pinned: later messages use this set whatever the working directory
        config = replace(config, fpml=replace(config.fpml, schema_dir=schema.main.parent))
    health = Health(clock)
    metrics = Metrics()
    async with contextlib.AsyncExitStack() as stack:
        try:
            engine = await open_store(config.store.dsn)
        except Exception as exc:
            raise StartupError(
                f"the database {_safe_url(config.store.url)} cannot be opened: {exc}"
            ) from None
        stack.push_async_callback(engine.dispose)
        c = config.clearing
        try:
            settings = ClearingSettings.load(c.settings_file)
            products = ProductTable.load(c.products_file)
        except GatewayError as exc:
            raise StartupError(f"clearing rules cannot be used: {exc}") from None
        sources = SourceDirectory()
        try:
            await sources.refresh(engine)
        except Exception as exc:
            raise StartupError(f"the trade sources cannot be read: {exc}") from None
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
                    f"the embedded MQTT broker's users or topic rules cannot be used: {exc}"
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
                    f"the embedded MQTT broker cannot listen on {where} ({exc}); choose another [mqtt] port "
                    'in a --config file, or mode = "external" to use the broker already running there'
                ) from None
            mqtt_port = broker.port
            health.up("broker", f"embedded on {config.mqtt.host}:{mqtt_port}")
        checker = credit if credit is not None else credit_checker(config)
        clearing = ClearingService(
            engine, checker, clock=clock, settings=settings, products=products, is_venue=sources.is_venue
        )
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
            sources=sources,
        )
        gateway.feed_broker_acl()
        if not config.fix.enabled:
            health.set("fix", State.DISABLED, "not enabled")
        else:
            fix_config = await acceptor_config(config, clearing, sources)
            if not fix_config.members:
                health.set("fix", State.DISABLED, "no member has a FIX CompID")
            else:
                gateway.fix = await stack.enter_async_context(
                    _start_fix(fix_config, clearing, clock, gateway)
                )
                health.up("fix", f"port {fix_config.port}, {len(fix_config.members)} sessions")
        probes: dict[str, Probe] = {"db": gateway.probe_db}
        if gateway.fix is not None:
            probes["fix"] = gateway.probe_fix
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
            raise StartupError(f"the ops server cannot listen on {where}: {exc}") from None
        yield gateway


async def acceptor_config(
    config: GatewayConfig, clearing: ClearingService, sources: SourceDirectory | None = None
) -> AcceptorConfig:
    """The FIX acceptor's configuration: its own file if given, else one session per member CompID and one
    per trade source's ``--fix-comp-id`` (an approved trade source session: ``trade_source``)."""
    from gateway.channels.fix.config import AcceptorConfig, FixConfigError
    from gateway.channels.fix.config import Member as FixMember
    from gateway.refdata.admin import ReferenceData

    if config.fix.config_file is not None:
        try:
            return AcceptorConfig.from_toml(config.fix.config_file)
        except (FixConfigError, OSError, ValueError) as exc:
            raise StartupError(f"FIX configuration {config.fix.config_file}: {exc}") from None
    members = await ReferenceData(clearing.engine).list_participants()
    sessions = tuple(
        FixMember(
            comp_id=comp_id,
            participant=m.party_ids[0],
            accounts=tuple(a.account_id for a in m.accounts),
            enabled=m.is_active,
        )
        for m in members
        for comp_id in m.comp_ids
    )
    sessions += tuple(
        FixMember(
            comp_id=s.fix_comp_id,
            participant=s.party_id or s.source_id,
            enabled=s.is_active,
            trade_source=True,
        )
        for s in (sources.sources if sources is not None else ())
        if s.fix_comp_id is not None
    )
    return AcceptorConfig(
        port=config.fix.port,
        bind_host=config.fix.bind_host,
        comp_id=config.fix.comp_id,
        ccp_party_id=clearing.settings.ccp.party_id,
        members=sessions,
        data_dir=config.fix.data_dir,
        logon_timeout_s=float(config.fix.logon_timeout_s),
        max_pending_connections=config.fix.max_pending_connections,
        tls=config.fix.tls,
        insecure_plaintext=config.fix.insecure_plaintext,
    )


def _start_fix(
    fix_config: AcceptorConfig, clearing: ClearingService, clock: Clock, gateway: Gateway
) -> FixAcceptor:
    from gateway.channels.fix.acceptor import FixAcceptor

    return FixAcceptor(fix_config, clearing, clock=clock, on_logon=lambda _comp_id: gateway.fix_wakeup.set())


def limit_blas_threads(threads: int) -> bool:
    """Hold numpy's BLAS (OpenBLAS) to ``threads`` threads in this process; True when it was applied.

    OpenBLAS starts a thread per core and, after each matrix product, keeps them spinning for a while. The
    clearing pass multiplies small matrices many times a second, so on a small machine those spinning
    threads take the cores the database and the broker need (measured: about four times the CPU per
    cleared trade with the default on two cores). Before numpy is imported the environment says it;
    after, the loaded library is asked directly (Linux: found in /proc/self/maps).
    """
    import os
    import sys

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(threads)
    if "numpy" not in sys.modules:
        return True
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    except OSError:
        return False
    applied = False
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in (
            "scipy_openblas_set_num_threads64_",
            "openblas_set_num_threads64_",
            "openblas_set_num_threads",
        ):
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(ctypes.c_int(threads))
                applied = True
                break
    return applied


def _safe_url(url: str) -> str:
    from sqlalchemy.engine.url import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


async def serve_until_signalled(config: GatewayConfig) -> None:
    """``clearing-gateway serve``: run until SIGTERM or SIGINT, then stop every task cleanly."""
    import signal

    if config.risk.blas_threads:
        limit_blas_threads(config.risk.blas_threads)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with open_gateway(config) as gateway:
        await gateway.run(stop)
