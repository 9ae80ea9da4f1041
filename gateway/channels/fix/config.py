"""FIX acceptor configuration: members and their CompIDs, schedule, heartbeat bounds, files, limits.

Read from a TOML file (``[acceptor]`` plus one ``[[members]]`` table per clearing member); unknown keys
and wrong types are refused with ``FixConfigError`` naming the key. ``settings_text`` renders the
quickfix session settings, one session per member, with every validation setting spelt out.

    [acceptor]
    port = 9878                        # FIX, with mutual TLS when [tls] is given
    bind_host = "127.0.0.1"            # the address the port listens on; "0.0.0.0" for every interface
    comp_id = "CCP"
    ccp_party_id = "CCP-LEI"
    data_dir = "/var/lib/clearing/fix" # FileStore (sequence numbers) and FileLog
    start_time = "05:30:00"            # UTC
    end_time = "21:30:00"
    start_day = "mon"                  # optional: a weekly window instead of a daily one
    end_day = "fri"
    heartbeat_min_s = 5
    heartbeat_max_s = 60
    allowed_remote_addresses = []
    logon_timeout_s = 10               # a connection that has not sent its Logon by then is closed
    max_pending_connections = 32       # connections not yet logged on; the next one is closed at once
    # insecure_plaintext = true        # plain TCP on a non-loopback bind_host (no [tls]): never in production

    [tls]                              # mutual TLS at the gate; a certificate's name must be the CompID
    certfile = "ccp-server.crt"
    keyfile = "ccp-server.key"
    cafile = "member-ca.crt"           # the CA issuing member certificates
    [tls.names]                        # certificate name (CN or SAN) -> the CompIDs it may log on as
    BANKA = ["BANKA01"]

    [[members]]
    comp_id = "BANKA01"
    participant = "549300VBWWV6BYQOWM67"  # LEI
    accounts = ["HOUSE", "CLIENT-7"]
    # enabled = false                    # suspended: Logon refused with the reason
    # trade_source = true                # an approved venue reporting other members' trades
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from fix_specs import APP_DICTIONARY, TRANSPORT_DICTIONARY
from gateway.config import TlsConfig

_COMP_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")


class FixConfigError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key}: {message}")


@dataclass(frozen=True, slots=True)
class FixSession:
    """One FIX session the acceptor accepts: the SenderCompID of a clearing member (or of an approved trade
    source), the party it speaks for and what it may do. The member itself is ``gateway.refdata.model.Member``."""

    comp_id: str
    participant: str  # the member's party id (LEI): the trades it may report must name it as a side
    accounts: tuple[str, ...] = ()  # clearing accounts it may use; empty means any
    enabled: bool = True  # a suspended member's Logon is refused with a reason
    trade_source: bool = False  # an approved trade source may report trades between other members

    def __post_init__(self) -> None:
        if not _COMP_ID.match(self.comp_id):
            raise FixConfigError("members.comp_id", f"{self.comp_id!r} is not a valid CompID")
        if not self.participant.strip():
            raise FixConfigError("members.participant", "is empty")


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Schedule:
    """Session window in UTC: daily from ``start`` to ``end`` (00:00-00:00, the default, means always up), or weekly
    from ``start_day`` ``start`` to ``end_day`` ``end`` when both days are given (e.g. mon..fri)."""

    start: time = time(0, 0)
    end: time = time(0, 0)
    start_day: str | None = None
    end_day: str | None = None

    def __post_init__(self) -> None:
        for key, day in (("acceptor.start_day", self.start_day), ("acceptor.end_day", self.end_day)):
            if day is not None and day.lower()[:3] not in _DAYS:
                raise FixConfigError(key, f"{day!r} is not a weekday (mon..sun)")
        if (self.start_day is None) != (self.end_day is None):
            raise FixConfigError("acceptor.start_day", "give both start_day and end_day, or neither")


@dataclass(frozen=True, slots=True)
class AcceptorConfig:
    port: int = 9878
    bind_host: str = "127.0.0.1"  # listening address (an IP literal); "0.0.0.0" or "::" for every interface
    comp_id: str = "CCP"
    ccp_party_id: str = "CCP"  # the CCP's party id: the counterparty in a pre-trade credit check
    sessions: tuple[FixSession, ...] = ()  # the ``[[members]]`` tables of the file
    data_dir: Path = Path("var/fix")  # quickfix FileStore (sequence numbers, resend store) and FileLog
    schedule: Schedule = field(default_factory=Schedule)
    heartbeat_min_s: int = 5
    heartbeat_max_s: int = 60
    max_latency_s: int = 120
    max_message_bytes: int = 1_048_576  # larger application messages are refused with a business reject
    # Bytes the gate holds for a member that is not reading its socket; past this it is disconnected
    # (its messages stay in the store and are resent when it logs on again).
    max_unread_bytes: int = 8 * 1_048_576
    allowed_remote_addresses: tuple[str, ...] = ()  # peers the gate lets in; empty: any
    # A connection must have sent its Logon within this time (TLS handshake included), or it is closed.
    logon_timeout_s: float = 10.0
    # Connections not yet logged on (handshaking or waiting for the Logon); one more is closed at once.
    max_pending_connections: int = 32
    tls: TlsConfig | None = None  # mutual TLS at the gate, certificate bound to the CompID
    insecure_plaintext: bool = False  # plain TCP on a non-loopback bind_host: refused unless this is set
    transport_dictionary: Path = TRANSPORT_DICTIONARY
    app_dictionary: Path = APP_DICTIONARY

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise FixConfigError("acceptor.port", f"{self.port} is not a TCP port")
        try:
            ipaddress.ip_address(self.bind_host)
        except ValueError:
            raise FixConfigError("acceptor.bind_host", f"{self.bind_host!r} is not an IP address") from None
        if not _COMP_ID.match(self.comp_id):
            raise FixConfigError("acceptor.comp_id", f"{self.comp_id!r} is not a valid CompID")
        seen: set[str] = set()
        for m in self.sessions:
            if m.comp_id in seen:
                raise FixConfigError("members.comp_id", f"{m.comp_id} appears twice")
            if m.comp_id == self.comp_id:
                raise FixConfigError("members.comp_id", f"{m.comp_id} is the acceptor's own CompID")
            seen.add(m.comp_id)
        if not 1 <= self.heartbeat_min_s <= self.heartbeat_max_s:
            raise FixConfigError("acceptor.heartbeat_min_s", "must be >= 1 and <= heartbeat_max_s")
        if self.max_message_bytes < 1024:
            raise FixConfigError("acceptor.max_message_bytes", "must be at least 1024")
        if self.max_unread_bytes < 65536:
            raise FixConfigError("acceptor.max_unread_bytes", "must be at least 65536")
        if not 0 < self.logon_timeout_s <= 600:
            raise FixConfigError("acceptor.logon_timeout_s", "must be more than 0 and at most 600 seconds")
        if not 1 <= self.max_pending_connections <= 10_000:
            raise FixConfigError("acceptor.max_pending_connections", "must be between 1 and 10000")
        if (
            self.tls is None
            and not self.insecure_plaintext
            and not ipaddress.ip_address(self.bind_host).is_loopback
        ):
            raise FixConfigError(
                "acceptor.bind_host",
                f"{self.bind_host} is reachable from other hosts: give [tls] (a certificate binds each CompID) "
                "or set insecure_plaintext = true",
            )

    def session(self, comp_id: str) -> FixSession | None:
        """The session of SenderCompID ``comp_id``, or None when the acceptor has none."""
        for m in self.sessions:
            if m.comp_id == comp_id:
                return m
        return None

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "log"

    @classmethod
    def from_toml(cls, path: Path) -> AcceptorConfig:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        return cls.from_mapping(data, base=path.parent)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], base: Path = Path()) -> AcceptorConfig:
        unknown = set(data) - {"acceptor", "members", "tls"}
        if unknown:
            raise FixConfigError(sorted(unknown)[0], "unknown section")
        a = _Table(data.get("acceptor", {}), "acceptor")
        d = cls()
        sessions = tuple(_session(m, i) for i, m in enumerate(data.get("members", [])))
        config = cls(
            port=a.integer("port", d.port),
            bind_host=a.string("bind_host", d.bind_host),
            comp_id=a.string("comp_id", d.comp_id),
            ccp_party_id=a.string("ccp_party_id", d.ccp_party_id),
            sessions=sessions,
            data_dir=a.path("data_dir", d.data_dir, base),
            schedule=Schedule(
                a.clock("start_time", time(0, 0)),
                a.clock("end_time", time(0, 0)),
                a.optional("start_day"),
                a.optional("end_day"),
            ),
            heartbeat_min_s=a.integer("heartbeat_min_s", d.heartbeat_min_s),
            heartbeat_max_s=a.integer("heartbeat_max_s", d.heartbeat_max_s),
            max_latency_s=a.integer("max_latency_s", d.max_latency_s),
            max_message_bytes=a.integer("max_message_bytes", d.max_message_bytes),
            allowed_remote_addresses=tuple(a.strings("allowed_remote_addresses")),
            logon_timeout_s=a.number("logon_timeout_s", d.logon_timeout_s),
            max_pending_connections=a.integer("max_pending_connections", d.max_pending_connections),
            tls=_tls(data.get("tls"), base),
            insecure_plaintext=a.boolean("insecure_plaintext", d.insecure_plaintext),
            transport_dictionary=a.path("transport_dictionary", d.transport_dictionary, base),
            app_dictionary=a.path("app_dictionary", d.app_dictionary, base),
        )
        a.finish()
        return config


def _tls(raw: Any, base: Path) -> TlsConfig | None:
    if raw is None:
        return None
    t = _Table(raw, "tls")
    names_raw = t.table("names")
    names: dict[str, list[str]] = {}
    for name in list(names_raw):
        names[name] = _comp_ids_of(names_raw, name)
    tls = TlsConfig(
        certfile=t.path("certfile", None, base),
        keyfile=t.path("keyfile", None, base),
        cafile=t.path("cafile", None, base),
        names=TlsConfig.mapping(names),
    )
    t.finish()
    for key, path in (("certfile", tls.certfile), ("keyfile", tls.keyfile), ("cafile", tls.cafile)):
        if not path.is_file():
            raise FixConfigError(f"tls.{key}", f"no such file: {path}")
    return tls


def _comp_ids_of(table: dict[str, Any], name: str) -> list[str]:
    value = table[name]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(x, str) and _COMP_ID.match(x) for x in value):
        raise FixConfigError(f"tls.names.{name}", f"expected a list of CompIDs, got {value!r}")
    return value


def _session(raw: Any, index: int) -> FixSession:
    if not isinstance(raw, dict):
        raise FixConfigError(f"members[{index}]", "must be a table")
    t = _Table(raw, f"members[{index}]")
    session = FixSession(
        comp_id=t.string("comp_id", None),
        participant=t.string("participant", None),
        accounts=tuple(t.strings("accounts")),
        enabled=t.boolean("enabled", True),
        trade_source=t.boolean("trade_source", False),
    )
    t.finish()
    return session


class _Table:
    def __init__(self, data: Any, prefix: str) -> None:
        if not isinstance(data, dict):
            raise FixConfigError(prefix, "must be a table")
        self.data = data
        self.prefix = prefix
        self.read: set[str] = set()

    def _get(self, key: str) -> Any:
        self.read.add(key)
        return self.data.get(key)

    def string(self, key: str, default: str | None) -> str:
        v = self._get(key)
        if v is None:
            if default is None:
                raise FixConfigError(f"{self.prefix}.{key}", "is required")
            return default
        if not isinstance(v, str):
            raise FixConfigError(f"{self.prefix}.{key}", f"expected a string, got {v!r}")
        return v

    def optional(self, key: str) -> str | None:
        v = self._get(key)
        if v is not None and not isinstance(v, str):
            raise FixConfigError(f"{self.prefix}.{key}", f"expected a string, got {v!r}")
        return v

    def strings(self, key: str) -> list[str]:
        v = self._get(key)
        if v is None:
            return []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise FixConfigError(f"{self.prefix}.{key}", f"expected a list of strings, got {v!r}")
        return v

    def number(self, key: str, default: float) -> float:
        v = self._get(key)
        if v is None:
            return default
        if not isinstance(v, int | float) or isinstance(v, bool):
            raise FixConfigError(f"{self.prefix}.{key}", f"expected a number, got {v!r}")
        return float(v)

    def table(self, key: str) -> dict[str, Any]:
        v = self._get(key)
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise FixConfigError(f"{self.prefix}.{key}", "must be a table")
        return v

    def integer(self, key: str, default: int) -> int:
        v = self._get(key)
        if v is None:
            return default
        if not isinstance(v, int) or isinstance(v, bool):
            raise FixConfigError(f"{self.prefix}.{key}", f"expected an integer, got {v!r}")
        return v

    def boolean(self, key: str, default: bool) -> bool:
        v = self._get(key)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise FixConfigError(f"{self.prefix}.{key}", f"expected true or false, got {v!r}")
        return v

    def path(self, key: str, default: Path | None, base: Path) -> Path:
        v = self._get(key)
        if v is None:
            if default is None:
                raise FixConfigError(f"{self.prefix}.{key}", "is required")
            return default
        if not isinstance(v, str):
            raise FixConfigError(f"{self.prefix}.{key}", f"expected a path, got {v!r}")
        p = Path(v)
        return p if p.is_absolute() else base / p

    def clock(self, key: str, default: time) -> time:
        v = self._get(key)
        if v is None:
            return default
        try:
            return time.fromisoformat(v) if isinstance(v, str) else v if isinstance(v, time) else _bad()
        except ValueError:
            raise FixConfigError(f"{self.prefix}.{key}", f"expected HH:MM:SS, got {v!r}") from None

    def finish(self) -> None:
        unknown = set(self.data) - self.read
        if unknown:
            raise FixConfigError(f"{self.prefix}.{sorted(unknown)[0]}", "unknown key")


def _bad() -> time:
    raise ValueError("not a time")


def _schedule_lines(schedule: Schedule) -> list[str]:
    """Always up (the default) is a non-stop session: sequence numbers are never reset by the clock.
    A window resets them when a new window starts, as FIX daily and weekly sessions do."""
    if schedule == Schedule():
        return ["NonStopSession=Y"]
    lines = [
        f"StartTime={schedule.start.strftime('%H:%M:%S')}",
        f"EndTime={schedule.end.strftime('%H:%M:%S')}",
        "UseLocalTime=N",
    ]
    if schedule.start_day and schedule.end_day:
        lines += [f"StartDay={schedule.start_day}", f"EndDay={schedule.end_day}"]
    return lines


def settings_text(config: AcceptorConfig, *, internal_port: int | None = None) -> str:
    """The quickfix SessionSettings for ``config``: one [SESSION] per member, validation explicit.

    With ``internal_port`` quickfix sits behind the logon gate (``gate.py``): it listens on that port for
    the gate alone, which owns ``config.port``, ``config.bind_host`` and ``allowed_remote_addresses``.
    Without it quickfix listens on ``config.port`` itself (the benchmark's bare echo acceptor).
    ``SocketAcceptHost`` is written for engines that read it; the quickfix 1.16 build from PyPI does not
    (it listens on every interface whatever the setting says), which is one reason the gate exists.
    """
    behind_gate = internal_port is not None
    allowed = ("127.0.0.1",) if behind_gate else config.allowed_remote_addresses
    lines = [
        "[DEFAULT]",
        "ConnectionType=acceptor",
        f"SocketAcceptPort={internal_port if behind_gate else config.port}",
        f"SocketAcceptHost={'127.0.0.1' if behind_gate else config.bind_host}",
        "SocketReuseAddress=Y",
        "SocketNodelay=Y",
        "BeginString=FIXT.1.1",
        "DefaultApplVerID=9",
        f"SenderCompID={config.comp_id}",
        *_schedule_lines(config.schedule),
        "UseDataDictionary=Y",
        f"TransportDataDictionary={config.transport_dictionary.resolve()}",
        f"AppDataDictionary={config.app_dictionary.resolve()}",
        "ValidateLengthAndChecksum=Y",
        "ValidateFieldsOutOfOrder=Y",
        "ValidateFieldsHaveValues=Y",
        "ValidateUserDefinedFields=Y",
        "AllowUnknownMsgFields=N",
        "PreserveMessageFieldsOrder=N",
        "CheckCompID=Y",
        "CheckLatency=Y",
        f"MaxLatency={config.max_latency_s}",
        "PersistMessages=Y",
        "ResetOnLogon=N",
        "ResetOnLogout=N",
        "ResetOnDisconnect=N",
        "RefreshOnLogon=Y",
        "MillisecondsInTimeStamp=Y",
        f"FileStorePath={config.store_dir.resolve()}",
        f"FileLogPath={config.log_dir.resolve()}",
    ]
    if allowed:
        lines.append(f"AllowedRemoteAddresses={','.join(allowed)}")
    for m in config.sessions:
        lines += ["", "[SESSION]", f"TargetCompID={m.comp_id}"]
    return "\n".join(lines) + "\n"
