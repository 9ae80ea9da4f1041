"""The path of one MQTT trade through the running gateway, file by file, as JSON.

``python -m tools.trace_path`` (or ``clearing-gateway bench path``) starts the gateway as the demo wires
it (embedded MQTT broker, SQLite, FIX acceptor, the risk engine on synthetic market data), clears one
trade between Bank A and Bank B to warm it up (imports, compiled schemas, caches), then publishes a
second ``requestClearing`` and records, with ``sys.setprofile`` on every thread, each call of a function
in the project's own files (``gateway/``, ``fpml_schemas/``) from the first call in the MQTT intake after
the message arrives until the MQTT publisher's ``_publish`` has returned the ``clearingConfirmed`` of
that trade for the source and both members (the broker has acknowledged them).

Calls made by tasks that are not on the path (the reference-data timer, the FIX publisher, the ops
server, the tool's own observer) are left out, by task name. A resumed coroutine counts as a call.

Printed: the files in order of their first call, the top-level folders they are in (``gateway/<first
folder>``, ``gateway`` for a module directly in the package, ``fpml_schemas``), both counts, the call that
started and the call that ended the trace, and per file its first function, its calls and the threads.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import aiomqtt

import fpml_schemas
import gateway
from gateway.clock import Clock
from gateway.config import (
    BrokerMode,
    FixConfig,
    GatewayConfig,
    MqttConfig,
    OpsConfig,
    RiskConfig,
    StoreConfig,
)
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.trade import Trade
from gateway.logs import LEVELS
from gateway.loopback import free_port
from gateway.rules.hours import ServiceHours
from gateway.rules.settings import ClearingSettings
from gateway.shifted_clock import ShiftedClock
from tools.demo.observer import Observer
from tools.demo.requests import request_clearing
from tools.demo.runner import demo_start, demo_users, onboard, prepare, store_url
from tools.demo.scenario import MEMBERS, SOURCE, ab_trades

WAIT_S = 120.0  # an upper bound for each trade: a broken path ends with an error, not a hang
START_DIR = "gateway/channels/mqtt/intake/"  # the trace starts at the first call here
END_FUNCTION = ("gateway/channels/mqtt/publisher.py", "OutboxPublisher._publish")
# Tasks of the running gateway (and of this tool) whose calls are not on one trade's MQTT path.
OFF_PATH_TASKS = frozenset(
    {"reference-data", "fix-publisher", "ops-http", "announce", "stop-watch", "observer"}
)


def project_roots() -> dict[Path, str]:
    """Directories of the project's own code, each with the name its files are reported under."""
    return {
        Path(gateway.__file__).resolve().parent: "gateway",
        Path(fpml_schemas.__file__).resolve().parent: "fpml_schemas",
    }


def folder_of(path: str) -> str:
    """The top-level folder a project file is counted in: ``gateway/channels``, ``gateway``, ``fpml_schemas``."""
    parts = path.split("/")
    if parts[0] == "gateway" and len(parts) > 2:
        return f"gateway/{parts[1]}"
    return parts[0]


@dataclass
class FileCalls:
    first_function: str
    calls: int = 0
    threads: set[str] = field(default_factory=set)


@dataclass
class PathTracer:
    """A profile function that records project calls between a start in ``start_dir`` and ``ended``.

    ``is_end(frame, arg)`` is asked on each return from ``end_function``; the first True ends the trace.
    """

    roots: dict[Path, str]
    start_dir: str
    end_function: tuple[str, str]
    is_end: Callable[[Any], bool]
    off_path_tasks: frozenset[str] = OFF_PATH_TASKS
    armed: bool = False
    recording: bool = False
    ended: threading.Event = field(default_factory=threading.Event)
    files: dict[str, FileCalls] = field(default_factory=dict)  # in order of first call
    start: tuple[str, str] | None = None
    end: tuple[str, str] | None = None
    module_bodies: list[str] = field(default_factory=list)  # imports seen in the window (should be none)
    loop_thread: int | None = None
    loop: asyncio.AbstractEventLoop | None = None
    _names: dict[str, str | None] = field(default_factory=dict)  # code file -> project path or None

    def _project_path(self, filename: str) -> str | None:
        try:
            return self._names[filename]
        except KeyError:
            pass
        name: str | None = None
        resolved = Path(filename).resolve()
        for root, label in self.roots.items():
            if resolved.is_relative_to(root):
                name = f"{label}/{resolved.relative_to(root).as_posix()}"
                break
        self._names[filename] = name
        return name

    def _off_path(self) -> bool:
        if self.loop is None or threading.get_ident() != self.loop_thread:
            return False
        task = asyncio.current_task(self.loop)
        return task is not None and task.get_name() in self.off_path_tasks

    def profile(self, frame: FrameType, what: str, arg: Any) -> None:
        if not self.armed or self.ended.is_set():
            return
        if what == "call":
            code = frame.f_code
            path = self._project_path(code.co_filename)
            if path is None:
                return
            if not self.recording:
                if not path.startswith(self.start_dir):
                    return
                self.recording = True
                self.start = (path, code.co_qualname)
            if self._off_path():
                return
            calls = self.files.get(path)
            if calls is None:
                calls = self.files[path] = FileCalls(code.co_qualname)
            calls.calls += 1
            calls.threads.add(threading.current_thread().name)
            if code.co_name == "<module>":
                self.module_bodies.append(path)
        elif what == "return" and self.recording:
            code = frame.f_code
            if (self._project_path(code.co_filename), code.co_qualname) == self.end_function and self.is_end(
                arg
            ):
                self.end = self.end_function
                self.recording = False
                self.ended.set()

    def arm(self) -> None:
        """Start watching this thread too: the trace begins at the next call in ``start_dir``."""
        self.armed = True
        sys.setprofile(self.profile)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Profile every thread started from now on (the FpML reader, executor threads); ``arm`` adds this one."""
        self.loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()
        threading.setprofile(self.profile)
        try:
            yield
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]

    def report(self) -> dict[str, Any]:
        files = list(self.files)
        folders = list(dict.fromkeys(folder_of(f) for f in files))
        return {
            "files": files,
            "file_count": len(files),
            "folders": folders,
            "folder_count": len(folders),
            "start": _call(self.start),
            "end": _call(self.end),
            "call_events": sum(c.calls for c in self.files.values()),
            "imports_in_window": self.module_bodies,
            "per_file": [
                {
                    "file": f,
                    "folder": folder_of(f),
                    "first_function": c.first_function,
                    "calls": c.calls,
                    "threads": sorted(c.threads),
                }
                for f, c in self.files.items()
            ],
        }


def _call(where: tuple[str, str] | None) -> dict[str, str] | None:
    return None if where is None else {"file": where[0], "function": where[1]}


def cleared_for(trade_id: str, recipients: set[str]) -> Callable[[Any], bool]:
    """An end test for ``OutboxPublisher._publish``'s return value: True once the Cleared status of
    ``trade_id`` has been published to every one of ``recipients`` (over one or several batches).

    A coroutine's yields are reported as returns too; only the finished call returns a list."""
    published: set[str] = set()

    def is_end(value: Any) -> bool:
        if not isinstance(value, list):
            return False
        for item in value:
            update = item.update
            if (
                update.status is ClearingStatusCode.CLEARED
                and update.trade.identifiers.source_trade_id == trade_id
            ):
                published.add(item.recipient)
        return recipients <= published

    return is_end


def _topics() -> dict[str, str]:
    return {SOURCE: f"ccp/out/{SOURCE}/fpml"} | {
        m.member_id: f"ccp/member/{m.member_id}/fpml" for m in MEMBERS
    }


async def _confirmed(observer: Observer, trade_id: str, topics: list[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not all(
        (seen := observer.final(trade_id, t)) is not None and seen.kind == "clearingConfirmed" for t in topics
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no clearingConfirmed for {trade_id} on {topics} within {WAIT_S:.0f}s")
        observer.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(observer.changed.wait(), 0.25)


async def trace_path(workdir: Path, *, today: datetime | None = None) -> dict[str, Any]:
    """Warm the gateway with one trade, trace the second; the report of ``PathTracer.report`` and more."""
    from gateway.app import open_gateway

    settings = ClearingSettings.load()
    start = demo_start(settings, (today or datetime.now(UTC)).date())
    clock: Clock = ShiftedClock(start)
    business_date = ServiceHours(settings.service_hours, settings.backload).business_date(start)
    market = prepare(workdir, business_date, settings)
    database = store_url(workdir)
    await onboard(database, clock)
    credentials = demo_users(workdir)
    config = GatewayConfig(
        data_dir=workdir,
        mqtt=MqttConfig(mode=BrokerMode.EMBEDDED, host="127.0.0.1", port=free_port()),
        store=StoreConfig(url=database),
        fix=FixConfig(enabled=True, port=free_port(), comp_id="CCP", data_dir=workdir / "fix"),
        ops=OpsConfig(port=0),
        risk=RiskConfig(market_data_dir=market),
    )
    warm, traced = ab_trades(business_date, 2, seed=13, prefix="PATH")
    members = {m.member_id for m in MEMBERS if m.lei in {p.party_id for p in traced.parties}}
    tracer = PathTracer(
        roots=project_roots(),
        start_dir=START_DIR,
        end_function=END_FUNCTION,
        is_end=cleared_for(traced.identifiers.source_trade_id, {SOURCE, *members}),
    )
    topics = _topics()
    watched = [topics[SOURCE], *(topics[m] for m in sorted(members))]
    with tracer.installed():
        async with open_gateway(config, clock=clock) as gw:
            stop, up = asyncio.Event(), asyncio.Event()
            service = asyncio.create_task(gw.run(stop, up), name="gateway")
            try:
                await asyncio.wait_for(up.wait(), 60)
                observer = Observer()

                def client(user: str, identifier: str) -> aiomqtt.Client:
                    return aiomqtt.Client(
                        "127.0.0.1",
                        gw.mqtt_port,
                        identifier=identifier,
                        username=user,
                        password=credentials[user],
                    )

                async with contextlib.AsyncExitStack() as clients:
                    watches = [
                        (await clients.enter_async_context(client(user, f"path-watch-{user}")), topics[user])
                        for user in (SOURCE, *sorted(members))
                    ]
                    source = await clients.enter_async_context(client(SOURCE, f"path-{SOURCE}"))
                    watcher = asyncio.create_task(observer.run_all(watches), name="observer")
                    await asyncio.sleep(0.2)  # the subscriptions are in place before the first trade
                    await _send(source, warm, clock, 1)
                    await _confirmed(observer, warm.identifiers.source_trade_id, watched)
                    payload = _request(traced, clock, 2)  # written before the trace: the source's work
                    await asyncio.sleep(0.5)  # let the first trade's tail (marks, metrics) settle
                    tracer.arm()
                    await source.publish(f"ccp/in/{SOURCE}/fpml", payload, qos=1)
                    await _confirmed(observer, traced.identifiers.source_trade_id, watched)
                    deadline = time.monotonic() + WAIT_S
                    while not tracer.ended.is_set():
                        if time.monotonic() > deadline:
                            raise RuntimeError("the publisher never returned the traced clearingConfirmed")
                        await asyncio.sleep(0.05)
                    watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watcher
            finally:
                stop.set()
                await asyncio.wait_for(service, 30)
    return {
        "benchmark": "path",
        "trade": traced.identifiers.source_trade_id,
        "business_date": business_date.isoformat(),
        "confirmed_on": watched,
        "python": sys.version.split()[0],
        "folder_rule": "gateway/<first folder>; gateway for a module directly in gateway/; fpml_schemas",
        **tracer.report(),
    }


def _request(trade: Trade, clock: Clock, n: int) -> bytes:
    return request_clearing(trade, source=SOURCE, message_id=f"{SOURCE}-PATH-{n}", at=clock.now())


async def _send(source: aiomqtt.Client, trade: Trade, clock: Clock, n: int) -> None:
    await source.publish(f"ccp/in/{SOURCE}/fpml", _request(trade, clock, n), qos=1)


def run(workdir: Path | None = None, *, log_level: int = logging.INFO) -> dict[str, Any]:
    """Run the trace in ``workdir`` (a fresh temporary directory when None).

    The process logs as ``serve`` does by default (JSON lines at INFO, here on stderr), so the path
    includes the log lines a running gateway writes per trade."""
    from gateway import logs

    logs.configure(logs.LogFormat.JSON, log_level, sys.stderr)
    if workdir is not None:
        return asyncio.run(trace_path(workdir))
    with tempfile.TemporaryDirectory(prefix="trace-path-") as tmp:
        return asyncio.run(trace_path(Path(tmp)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.trace_path", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="keep the database, market data and logs here")
    parser.add_argument(
        "--log-level", default="INFO", choices=LEVELS, help="as serve's --log-level (default INFO)"
    )
    args = parser.parse_args(argv)
    print(json.dumps(run(args.workdir, log_level=getattr(logging, args.log_level)), indent=2))


if __name__ == "__main__":
    main()
