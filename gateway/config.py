"""Service configuration: one TOML file read into frozen, validated dataclasses.

Every key has a default so the gateway runs with no file at all (the embedded set-up: SQLite under
``./var``, an in-process MQTT broker and FIX on 127.0.0.1). Unknown keys and wrong types are refused
with a ``ConfigError`` that names the key, e.g. ``mqtt.port: expected an integer, got 'x'``.
Secrets never live in the file: ``password_env`` names the environment variable holding them.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from gateway.domain.identifiers import check_root
from gateway.logs import LogFormat, LogSettingError, parse_format, parse_level


# The FIX acceptor's mutual TLS (gateway/channels/fix/tls.py applies it at the logon gate).
@dataclass(frozen=True, slots=True)
class TlsConfig:
    certfile: Path  # the CCP's server certificate (PEM, chain after it)
    keyfile: Path
    cafile: Path  # the CA (or CAs) issuing member certificates
    # certificate name -> the CompIDs it may log on as (besides a CompID equal to the name itself)
    names: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def allows(self, cert_names: Iterable[str], comp_id: str) -> bool:
        """True if one of ``cert_names`` is ``comp_id`` or is mapped to it."""
        mapped = dict(self.names)
        return any(name == comp_id or comp_id in mapped.get(name, ()) for name in cert_names)

    @staticmethod
    def mapping(raw: Mapping[str, Iterable[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple(sorted((name, tuple(comp_ids)) for name, comp_ids in raw.items()))


class ConfigError(ValueError):
    """A configuration value that cannot be used; ``key`` is its dotted TOML path."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


class BrokerMode(StrEnum):
    EMBEDDED = "embedded"  # an in-process broker (amqtt) on mqtt.host:mqtt.port
    EXTERNAL = "external"  # connect to a broker run elsewhere (Mosquitto in production)


@dataclass(frozen=True, slots=True)
class MqttConfig:
    mode: BrokerMode = BrokerMode.EMBEDDED
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "clearing-gateway"  # fixed, so the broker keeps our session across restarts
    topic_root: str = "ccp"  # first level(s) of every topic (docs/TOPICS.md), e.g. "uat/ccp"
    username: str | None = None  # embedded mode: the gateway's own user, "gateway" unless set
    password_env: str | None = None
    tls_ca_file: Path | None = None
    # embedded mode: Mosquitto-format password file (default data_dir/mqtt/passwd, created on first start);
    # an ACL file whose rules replace those generated from the registered sources (docs/TOPICS.md "Access")
    password_file: Path | None = None
    acl_file: Path | None = None
    keepalive_s: int = 30
    intake_concurrency: int = 64  # inbound messages being stored at once (each one unacked until stored)
    max_attempts: int = 8  # tries to store one message before it is refused as INTERNAL_ERROR
    read_thread: bool = True  # parse and validate FpML on a thread of its own, beside the event loop
    read_processes: int = 0  # > 0: in that many worker processes instead (other cores), results in order
    # never read from a file: the password the embedded broker gave the gateway's user at start
    secret: str | None = field(default=None, repr=False, compare=False)

    @property
    def password(self) -> str | None:
        if self.password_env:
            return os.environ.get(self.password_env)
        return self.secret


@dataclass(frozen=True, slots=True)
class StoreConfig:
    url: str = "sqlite+aiosqlite:///var/gateway.db"
    password_env: str | None = None  # the database password, kept out of the URL and the file

    @property
    def dsn(self) -> str:
        """``url`` with the password from ``password_env`` filled in."""
        if not self.password_env:
            return self.url
        from sqlalchemy.engine.url import make_url

        url = make_url(self.url).set(password=os.environ.get(self.password_env, ""))
        return url.render_as_string(hide_password=False)


@dataclass(frozen=True, slots=True)
class FixConfig:
    """The FIX acceptor. Sessions are those of the members with a FIX CompID in the reference data at start,
    unless ``config_file`` (the acceptor's own TOML: members, schedule, validation) says otherwise; whether
    a member may log on is read again from the reference data every ``member_refresh_s`` seconds (by the
    one reference-data timer, which runs at the shorter of this and ``[sources] refresh_s``)."""

    enabled: bool = True
    port: int = 9878
    bind_host: str = "127.0.0.1"  # an IP address; 0.0.0.0 to accept members from other hosts
    comp_id: str = "CCP"
    data_dir: Path = Path("var/fix")  # quickfix message store and logs
    config_file: Path | None = None
    # how often the members' status (suspended, reinstated) is read again from the reference data for
    # Logons; 0: never (the status at start holds until a restart)
    member_refresh_s: int = 5
    logon_timeout_s: int = 10  # a connection that has not sent its Logon by then is closed
    max_pending_connections: int = 32  # connections not yet logged on; one more is closed at once
    # [fix.tls]: mutual TLS at the gate, each member certificate bound to its CompIDs ([fix.tls.names])
    tls: TlsConfig | None = None
    insecure_plaintext: bool = False  # plain TCP on a non-loopback bind_host (refused unless set)


@dataclass(frozen=True, slots=True)
class OpsConfig:
    """``/healthz`` and ``/metrics``: on loopback unless configured (expose them through a proxy that
    authenticates). The operator token is read from the environment variable ``token_env``: with it,
    ``/healthz`` answers ``Authorization: Bearer <token>`` with every component's detail (members' FIX
    logon states); without it (or with the variable unset) only ok / not ok."""

    host: str = "127.0.0.1"
    port: int = 8080  # 0 picks a free port (tests)
    token_env: str = "CLEARING_OPS_TOKEN"  # noqa: S105 - the name of the variable, not a secret


@dataclass(frozen=True, slots=True)
class SourcesConfig:
    """The approved trade sources are read from the reference data at start and every ``refresh_s``
    seconds (a source added, suspended or reinstated counts from the next read; no read per message)."""

    refresh_s: int = 5


@dataclass(frozen=True, slots=True)
class PublishConfig:
    batch_size: int = 500
    poll_interval_ms: int = 20  # first poll after the outbox was found empty; each empty poll doubles it
    # ... up to this. The clearing core wakes the publishers when it commits outbox items, so polling is
    # only for items other processes write (the eod command, a second instance on the same database).
    idle_poll_max_ms: int = 1000
    retry_initial_ms: int = 200
    retry_max_ms: int = 10_000


@dataclass(frozen=True, slots=True)
class FpmlConfig:
    # the official FpML 5.10 confirmation-view set; None: CLEARING_FPML_SCHEMA_DIR if set, else the
    # project's own clearing profile (fpml_schemas/clearing-profile.xsd)
    schema_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class RiskConfig:
    market_data_dir: Path = Path("var/market")
    # the daily drop: one folder per business date (YYYY-MM-DD) with that day's curves, history row, FX
    # and fixings, watched by the running service (None: the market data read at start hold)
    market_drop_dir: Path | None = None
    market_poll_ms: int = 5_000  # how often the drop folder is listed
    max_move_bp: int = 500  # a pillar moving more than this in a day refuses the drop
    max_fx_move_pct: int = 20  # an FX rate moving more than this (percent) in a day refuses the drop
    # numpy's BLAS threads in the gateway process (0: the library's default, a spinning thread per core);
    # the pass's matrices are small, and spare cores serve the database and the broker better
    blas_threads: int = 1


@dataclass(frozen=True, slots=True)
class ClearingConfig:
    """The clearing rules; None means the tables shipped in gateway/rules (CCP identity, hours, products)."""

    settings_file: Path | None = None
    products_file: Path | None = None


@dataclass(frozen=True, slots=True)
class EodConfig:
    """End of day run by ``serve`` at the close, and where PAI's overnight fixings come from."""

    at_close: bool = True  # the service runs end of day once per business date after the close
    overnight_rates: Path | None = None  # CSV index,date,rate_percent (gateway/refdata/overnight.py)


@dataclass(frozen=True, slots=True)
class CallsConfig:
    """Margin calls: when an end-of-day call falls due, and the intraday calls (gateway/clearing/calls.py)."""

    due_after_business_days: int = 1  # an end-of-day call is due this many business days later ...
    due_time: time = time(10, 0)  # ... at this local time (the service's time zone)
    intraday_at: tuple[time, ...] = ()  # local times of the intraday calls, e.g. ["08:30", "11:00"]
    intraday_threshold: Mapping[str, Decimal] = field(default_factory=dict)  # minimum excess per currency
    intraday_fraction: Decimal | None = None  # or as a fraction of the account's IM
    intraday_due_minutes: int = 60  # an intraday call is due this long after it is issued


@dataclass(frozen=True, slots=True)
class ReportsConfig:
    """The members' daily reports (docs/REPORTS.md): written at end of day under ``dir``; None: none."""

    dir: Path | None = None


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    """How ``serve`` logs to stderr (``--log-format`` / CLEARING_LOG_FORMAT and ``--log-level`` win)."""

    format: LogFormat = LogFormat.AUTO  # auto: console on a terminal, else JSON lines
    level: str = "INFO"  # DEBUG, INFO, WARNING or ERROR


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    data_dir: Path = Path("var")
    # Replays, demos and benchmarks on a weekend: business time starts here and runs with the wall clock.
    # Never set in production; the gateway logs a warning when it is.
    simulated_start: datetime | None = None
    clearing: ClearingConfig = field(default_factory=ClearingConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    fix: FixConfig = field(default_factory=FixConfig)
    ops: OpsConfig = field(default_factory=OpsConfig)
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    fpml: FpmlConfig = field(default_factory=FpmlConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    eod: EodConfig = field(default_factory=EodConfig)
    calls: CallsConfig = field(default_factory=CallsConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)


T = TypeVar("T")


class _Section:
    """Reads one TOML table, checking types and remembering which keys were used."""

    def __init__(self, data: Mapping[str, Any], prefix: str) -> None:
        self._data = data
        self._prefix = prefix
        self._used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def _get(self, name: str, kind: type[T], what: str, default: T) -> T:
        self._used.add(name)
        if name not in self._data:
            return default
        value = self._data[name]
        # bool is an int in Python; a port of `true` is still a mistake.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(self.key(name), f"expected {what}, got {value!r}")
        return value

    def string(self, name: str, default: str, *, empty_ok: bool = False) -> str:
        value = self._get(name, str, "a string", default)
        if not empty_ok and not value.strip():
            raise ConfigError(self.key(name), "must not be empty")
        return value

    def optional_string(self, name: str) -> str | None:
        value = self._get(name, str, "a string", "")
        return value or None

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        value = self._get(name, int, "an integer", default)
        if not low <= value <= high:
            raise ConfigError(self.key(name), f"must be between {low} and {high}, got {value}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        return self._get(name, bool, "true or false", default)

    def path(self, name: str, default: Path, base: Path) -> Path:
        value = self._get(name, str, "a path string", "")
        if not value:
            return default
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    def optional_path(self, name: str, base: Path) -> Path | None:
        value = self.optional_string(name)
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    def table(self, name: str) -> _Section:
        self._used.add(name)
        value = self._data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(self.key(name), f"expected a table, got {value!r}")
        return _Section(value, f"{self.key(name)}.")

    def finish(self) -> None:
        for name in self._data:
            if name not in self._used:
                raise ConfigError(self.key(name), "unknown key")


def _local_time(section: _Section, name: str, text: object) -> time:
    try:
        return time.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(section.key(name), f"expected a local time HH:MM, got {text!r}") from None


def _calls(c: _Section) -> CallsConfig:
    d = CallsConfig()
    due_time = _local_time(c, "due_time", c.string("due_time", d.due_time.strftime("%H:%M")))
    times = c._get("intraday_at", list, "a list of local times", [])
    thresholds = c._get("intraday_threshold", dict, "a table of amounts by currency", {})
    fraction = c._get("intraday_fraction", float, "a fraction of the IM", -1.0)
    try:
        by_ccy = {str(k): Decimal(str(v)) for k, v in thresholds.items()}
    except ArithmeticError:
        raise ConfigError(c.key("intraday_threshold"), "amounts must be numbers") from None
    if any(not v.is_finite() or v < 0 for v in by_ccy.values()):
        raise ConfigError(c.key("intraday_threshold"), "amounts must be non-negative numbers")
    if fraction != -1.0 and not 0 <= fraction <= 10:
        raise ConfigError(c.key("intraday_fraction"), f"must be between 0 and 10, got {fraction}")
    out = CallsConfig(
        due_after_business_days=c.integer(
            "due_after_business_days", d.due_after_business_days, low=0, high=10
        ),
        due_time=due_time,
        intraday_at=tuple(sorted({_local_time(c, "intraday_at", x) for x in times})),
        intraday_threshold=by_ccy,
        intraday_fraction=None if fraction == -1.0 else Decimal(str(fraction)),
        intraday_due_minutes=c.integer("intraday_due_minutes", d.intraday_due_minutes, low=1, high=1440),
    )
    c.finish()
    return out


_PORT = {"low": 1, "high": 65535}


def _fix_tls(fix: _Section, base: Path) -> TlsConfig | None:
    """``[fix.tls]``: certfile, keyfile, cafile and ``[fix.tls.names]`` (certificate name -> CompIDs)."""
    if "tls" not in fix._data:
        fix._used.add("tls")
        return None
    t = fix.table("tls")
    paths = {}
    for name in ("certfile", "keyfile", "cafile"):
        path = t.optional_path(name, base)
        if path is None:
            raise ConfigError(t.key(name), "is required")
        paths[name] = path
    n = t.table("names")
    names: dict[str, list[str]] = {}
    for cert_name, comp_ids in n._data.items():
        n._used.add(cert_name)
        if isinstance(comp_ids, str):
            comp_ids = [comp_ids]
        if not isinstance(comp_ids, list) or not all(isinstance(c, str) and c for c in comp_ids):
            raise ConfigError(n.key(cert_name), f"expected a list of CompIDs, got {comp_ids!r}")
        names[cert_name] = comp_ids
    t.finish()
    return TlsConfig(names=TlsConfig.mapping(names), **paths)


def config_from_dict(data: Mapping[str, Any], *, base: Path | None = None) -> GatewayConfig:
    """Validate a parsed TOML document; relative paths are taken from ``base`` (the file's directory)."""
    base = base or Path.cwd()
    root = _Section(data, "")
    d = GatewayConfig()
    data_dir = root.path("data_dir", d.data_dir, base)
    root._used.add("simulated_start")
    simulated = data.get("simulated_start")
    if simulated is not None and (not isinstance(simulated, datetime) or simulated.tzinfo is None):
        raise ConfigError(
            "simulated_start",
            f"expected an offset date-time such as 2026-01-07T10:30:00+11:00, got {simulated!r}",
        )

    c = root.table("clearing")
    clearing = ClearingConfig(
        settings_file=c.optional_path("settings_file", base),
        products_file=c.optional_path("products_file", base),
    )
    for name, value in (("settings_file", clearing.settings_file), ("products_file", clearing.products_file)):
        if value is not None and not value.is_file():
            raise ConfigError(c.key(name), f"no such file: {value}")
    c.finish()

    m = root.table("mqtt")
    dm = MqttConfig()
    mode_text = m.string("mode", dm.mode.value)
    try:
        mode = BrokerMode(mode_text)
    except ValueError:
        allowed = ", ".join(x.value for x in BrokerMode)
        raise ConfigError(m.key("mode"), f"must be one of {allowed}, got {mode_text!r}") from None
    mqtt = MqttConfig(
        mode=mode,
        host=m.string("host", dm.host),
        port=m.integer("port", dm.port, **_PORT),
        client_id=m.string("client_id", dm.client_id),
        topic_root=m.string("topic_root", dm.topic_root),
        username=m.optional_string("username"),
        password_env=m.optional_string("password_env"),
        tls_ca_file=m.optional_path("tls_ca_file", base),
        password_file=m.optional_path("password_file", base),
        acl_file=m.optional_path("acl_file", base),
        keepalive_s=m.integer("keepalive_s", dm.keepalive_s, low=5, high=3600),
        intake_concurrency=m.integer("intake_concurrency", dm.intake_concurrency, low=1, high=10_000),
        max_attempts=m.integer("max_attempts", dm.max_attempts, low=1, high=1000),
        read_thread=m.boolean("read_thread", dm.read_thread),
        read_processes=m.integer("read_processes", dm.read_processes, low=0, high=64),
    )
    try:
        check_root(mqtt.topic_root)
    except ValueError as exc:
        raise ConfigError(m.key("topic_root"), str(exc)) from None
    if mqtt.password_env and mqtt.password_env not in os.environ:
        raise ConfigError(m.key("password_env"), f"environment variable {mqtt.password_env} is not set")
    for name in ("password_file", "acl_file"):
        if getattr(mqtt, name) is not None and mqtt.mode is not BrokerMode.EMBEDDED:
            raise ConfigError(
                m.key(name), 'only used with mode = "embedded" (Mosquitto has its own configuration)'
            )
    if mqtt.tls_ca_file is not None and not mqtt.tls_ca_file.is_file():
        raise ConfigError(m.key("tls_ca_file"), f"no such file: {mqtt.tls_ca_file}")
    m.finish()

    s = root.table("store")
    default_url = f"sqlite+aiosqlite:///{data_dir / 'gateway.db'}"
    url = s.string("url", default_url)
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(s.key("url"), "must be a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
    store = StoreConfig(url=url, password_env=s.optional_string("password_env"))
    if store.password_env and store.password_env not in os.environ:
        raise ConfigError(s.key("password_env"), f"environment variable {store.password_env} is not set")
    s.finish()

    f = root.table("fix")
    dfx = FixConfig()
    fix = FixConfig(
        enabled=f.boolean("enabled", dfx.enabled),
        port=f.integer("port", dfx.port, low=0, high=65535),
        bind_host=f.string("bind_host", dfx.bind_host),
        comp_id=f.string("comp_id", dfx.comp_id),
        data_dir=f.path("data_dir", data_dir / "fix", base),
        config_file=f.optional_path("config_file", base),
        member_refresh_s=f.integer("member_refresh_s", dfx.member_refresh_s, low=0, high=3600),
        logon_timeout_s=f.integer("logon_timeout_s", dfx.logon_timeout_s, low=1, high=600),
        max_pending_connections=f.integer(
            "max_pending_connections", dfx.max_pending_connections, low=1, high=10_000
        ),
        tls=_fix_tls(f, base),
        insecure_plaintext=f.boolean("insecure_plaintext", dfx.insecure_plaintext),
    )
    try:
        ipaddress.ip_address(fix.bind_host)
    except ValueError:
        raise ConfigError(f.key("bind_host"), f"not an IP address: {fix.bind_host!r}") from None
    if (
        fix.enabled
        and fix.config_file is None
        and fix.tls is None
        and not fix.insecure_plaintext
        and not ipaddress.ip_address(fix.bind_host).is_loopback
    ):
        raise ConfigError(
            f.key("bind_host"),
            f"{fix.bind_host} is reachable from other hosts: give [fix.tls] (a member certificate binds each "
            "CompID) or set insecure_plaintext = true",
        )
    if fix.config_file is not None and not fix.config_file.is_file():
        raise ConfigError(f.key("config_file"), f"no such file: {fix.config_file}")
    f.finish()

    o = root.table("ops")
    do = OpsConfig()
    ops = OpsConfig(
        host=o.string("host", do.host),
        port=o.integer("port", do.port, low=0, high=65535),
        token_env=o.string("token_env", do.token_env),
    )
    o.finish()

    so = root.table("sources")
    sources = SourcesConfig(refresh_s=so.integer("refresh_s", SourcesConfig().refresh_s, low=1, high=3600))
    so.finish()

    p = root.table("publish")
    dp = PublishConfig()
    publish = PublishConfig(
        batch_size=p.integer("batch_size", dp.batch_size, low=1, high=100_000),
        poll_interval_ms=p.integer("poll_interval_ms", dp.poll_interval_ms, low=1, high=60_000),
        idle_poll_max_ms=p.integer("idle_poll_max_ms", dp.idle_poll_max_ms, low=1, high=600_000),
        retry_initial_ms=p.integer("retry_initial_ms", dp.retry_initial_ms, low=1, high=60_000),
        retry_max_ms=p.integer("retry_max_ms", dp.retry_max_ms, low=1, high=600_000),
    )
    if publish.retry_max_ms < publish.retry_initial_ms:
        raise ConfigError(p.key("retry_max_ms"), "must not be below publish.retry_initial_ms")
    p.finish()

    x = root.table("fpml")
    fpml = FpmlConfig(schema_dir=x.optional_path("schema_dir", base))
    x.finish()

    r = root.table("risk")
    risk = RiskConfig(
        market_data_dir=r.path("market_data_dir", data_dir / "market", base),
        blas_threads=r.integer("blas_threads", RiskConfig().blas_threads, low=0, high=1024),
        market_drop_dir=r.optional_path("market_drop_dir", base),
        market_poll_ms=r.integer("market_poll_ms", RiskConfig().market_poll_ms, low=10, high=3_600_000),
        max_move_bp=r.integer("max_move_bp", RiskConfig().max_move_bp, low=1, high=100_000),
        max_fx_move_pct=r.integer("max_fx_move_pct", RiskConfig().max_fx_move_pct, low=1, high=1_000),
    )
    r.finish()

    e = root.table("eod")
    eod = EodConfig(
        at_close=e.boolean("at_close", EodConfig().at_close),
        overnight_rates=e.optional_path("overnight_rates", base),
    )
    if eod.overnight_rates is not None and not eod.overnight_rates.is_file():
        raise ConfigError(e.key("overnight_rates"), f"no such file: {eod.overnight_rates}")
    e.finish()

    rp = root.table("reports")
    reports = ReportsConfig(dir=rp.optional_path("dir", base))
    rp.finish()

    lg = root.table("logging")
    dl = LoggingConfig()
    try:
        log_format = parse_format(lg.string("format", dl.format.value), lg.key("format"))
        level = lg.string("level", dl.level)
        parse_level(level, lg.key("level"))
    except LogSettingError as exc:
        raise ConfigError(exc.where, exc.message) from None
    log_cfg = LoggingConfig(format=log_format, level=level.strip().upper())
    lg.finish()

    calls_cfg = _calls(root.table("calls"))
    root.finish()
    return GatewayConfig(
        data_dir=data_dir,
        simulated_start=simulated,
        clearing=clearing,
        mqtt=mqtt,
        store=store,
        fix=fix,
        ops=ops,
        sources=sources,
        publish=publish,
        fpml=fpml,
        risk=risk,
        eod=eod,
        calls=calls_cfg,
        reports=reports,
        logging=log_cfg,
    )


def load_config(path: Path | None) -> GatewayConfig:
    """Read ``path`` (TOML), or return the embedded defaults rooted at the working directory."""
    if path is None:
        return config_from_dict({})
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read the configuration file: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    return config_from_dict(data, base=path.resolve().parent)
