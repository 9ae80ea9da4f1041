"""``clearing-gateway bench fix``: TradeCaptureReport -> Ack round trips over loopback.

Two acceptors are measured in the same run with the same dictionaries, validation settings, FileStore
and FileLog: ours (quickfix -> asyncio -> parse -> canonical trade -> ``ClearingPort.submit`` -> AR) with
a port that acknowledges at once, and a bare quickfix echo acceptor that answers each AE with a fixed AR
from inside its fromApp callback. One client sends an AE, waits for the AR, sends the next.
Ours is measured twice per round, alternately: through the logon gate (the port members use) and
straight to quickfix's internal port, so the gate's cost is measured in the same run.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import quickfix

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.fix.config import AcceptorConfig, FixSession, settings_text
from gateway.channels.fix.engine import QuickfixEngine, quickfix_quiet, start_named
from gateway.clearing.ports import Affirmation, CreditDecision, Position, StatusUpdate, Submission
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.formats.fix.wire import SOH, split
from gateway.loopback import free_port


class AckPort:
    """A ClearingPort for benchmarks only: every submission is received at once, nothing is stored."""

    def __init__(self) -> None:
        self.count = 0

    async def submit(self, submission: Submission) -> StatusUpdate:
        self.count += 1
        return StatusUpdate(
            sequence=1,
            submission_id=f"B{self.count}",
            source=submission.source,
            channel=submission.channel,
            status=ClearingStatusCode.RECEIVED,
            trade=submission.trade,
            at=submission.received_at,
            in_reply_to=submission.message_id,
        )

    def _refuse(self) -> GatewayError:
        return GatewayError([Issue(ReasonCode.INTERNAL_ERROR, "bench", "not offered by the benchmark port")])

    async def withdraw(self, source: str, source_trade_id: str, at: datetime, reason: str) -> StatusUpdate:
        raise self._refuse()

    async def affirm(self, affirmation: Affirmation) -> StatusUpdate:
        raise self._refuse()

    async def credit_check(self, member: str, account: str, trade: Trade, order_id: str) -> CreditDecision:
        raise self._refuse()

    async def release_credit(self, member: str, order_id: str) -> None:
        raise self._refuse()

    async def positions(self, member: str, account: str | None, business_date: date) -> Sequence[Position]:
        return []


class EchoApplication(quickfix.Application):  # type: ignore[misc]
    """The baseline: answers each AE with a fixed AR from the quickfix thread, nothing else."""

    def onCreate(self, sessionID: Any) -> None:
        pass

    def onLogon(self, sessionID: Any) -> None:
        pass

    def onLogout(self, sessionID: Any) -> None:
        pass

    def toAdmin(self, message: Any, sessionID: Any) -> None:
        pass

    def fromAdmin(self, message: Any, sessionID: Any) -> None:
        pass

    def toApp(self, message: Any, sessionID: Any) -> None:
        pass

    def fromApp(self, message: Any, sessionID: Any) -> None:
        try:
            reply = quickfix.Message()
            reply.getHeader().setField(35, "AR")
            reply.setField(571, message.getField(571))
            reply.setField(1523, "0")
            reply.setField(167, "IRS")
            quickfix.Session.sendToTarget(reply, sessionID)
        except BaseException:  # noqa: S110 - a benchmark baseline must not kill its session either
            pass


BENCH_TRADE_BODY = (
    "1003=BENCH-1|167=IRS|762=IRS|40049=2|40050=0|40052=1|40053=2|40054=50000000|40055=EUR|40907=20260107|"
    "40065=20360107|40066=4|40961=1|40067=EUTA|40073=4|40958=1|40074=EUTA|40082=1|40083=Yr|40738=0|40742=1|"
    "40751=4|40947=1|40752=EUTA|40753=1|40754=Yr|40784=0.0525|40050=0|40052=2|40053=1|40054=50000000|"
    "40055=EUR|40907=20260107|40065=20360107|40066=4|40961=1|40067=EUTA|40073=4|40958=1|40074=EUTA|40082=6|"
    "40083=Mo|40738=0|40742=6|40751=4|40947=1|40752=EUTA|40753=6|40754=Mo|40764=6|40765=Mo|40777=-2|"
    "40778=D|40779=0|40789=EUR-EURIBOR-Telerate|40792=6|40791=Mo|75=20260105|552=2|54=1|453=1|"
    "448=549300VBWWV6BYQOWM67|447=N|452=1|1=HOUSE|54=2|453=1|448=529900DTJ5A7S5UCBB52|447=N|452=1|1=HOUSE|"
)


class _Client:
    """A minimal FIX initiator over asyncio streams (header, checksum, framing by BodyLength)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.seq = 1
        self.buffer = b""

    async def send(self, msg_type: str, body: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]
        head = f"35={msg_type}|49=MEMBER1|56=CCP|34={self.seq}|52={stamp}|"
        inner = (head + body).replace("|", SOH)
        length = len(inner.encode())
        text = f"8=FIXT.1.1{SOH}9={length}{SOH}{inner}"
        checksum = sum(text.encode()) % 256
        self.writer.write(f"{text}10={checksum:03d}{SOH}".encode())
        self.seq += 1

    async def receive(self) -> dict[int, str]:
        while True:
            end = self.buffer.find(b"\x0110=")
            if end >= 0 and self.buffer.find(SOH.encode(), end + 4) >= 0:
                stop = self.buffer.find(SOH.encode(), end + 4) + 1
                raw, self.buffer = self.buffer[:stop], self.buffer[stop:]
                return dict(split(raw.decode(), {}))
            chunk = await self.reader.read(65536)
            if not chunk:
                raise ConnectionError("acceptor closed the connection")
            self.buffer += chunk


async def _round_trips(port: int, count: int) -> dict[str, float]:
    """Rate and median/p90 round trip (microseconds) of ``count`` sequential AE -> AR exchanges."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    client = _Client(reader, writer)
    await client.send("A", "98=0|108=30|141=Y|1137=9|")  # each measurement starts its sequence at 1
    logon = await client.receive()
    if logon.get(35) != "A":
        raise RuntimeError(f"logon refused: {logon}")
    warmup = max(count // 10, 10)
    started = 0.0
    latencies: list[float] = []
    for i in range(warmup + count):
        if i == warmup:
            started = time.perf_counter()
        sent = time.perf_counter()
        await client.send("AE", f"571=B{i}|487=0|856=0|60=20260105-09:00:00.000|{BENCH_TRADE_BODY}")
        reply = await client.receive()
        while reply.get(35) != "AR":
            reply = await client.receive()
        if i >= warmup:
            latencies.append(time.perf_counter() - sent)
    elapsed = time.perf_counter() - started
    await client.send("5", "")
    writer.close()
    latencies.sort()
    return {
        "round_trips_per_s": count / elapsed,
        "median_us": latencies[len(latencies) // 2] * 1e6,
        "p90_us": latencies[int(len(latencies) * 0.9)] * 1e6,
    }


def _config(data: Path) -> AcceptorConfig:
    return AcceptorConfig(
        port=free_port("127.0.0.1"),
        sessions=(FixSession("MEMBER1", "549300VBWWV6BYQOWM67", trade_source=True),),
        data_dir=data,
    )


async def _measure(port: int, count: int) -> dict[str, float]:
    """Round trips per second seen by a client in its own process (as a member's engine would be)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.bench.fix",
        str(port),
        str(count),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark client failed with exit status {proc.returncode}")
    result: dict[str, float] = json.loads(out)
    return result


async def _gateway_rate(
    data: Path, count: int, timings: list[dict[str, float]], gate_first: bool
) -> tuple[dict[str, float], dict[str, float]]:
    """(through the gate, straight to quickfix), measured one after the other on one acceptor."""
    config = _config(data)
    async with FixAcceptor(config, AckPort()) as acceptor:
        ports = [config.port, acceptor.internal_port]
        results = {p: await _measure(p, count) for p in (ports if gate_first else ports[::-1])}
        timings.append(acceptor.timings.medians_us())
        return results[config.port], results[acceptor.internal_port]


async def _echo_rate(data: Path, count: int) -> dict[str, float]:
    config = _config(data)
    for d in (config.store_dir, config.log_dir):
        d.mkdir(parents=True, exist_ok=True)
    (data / "acceptor.cfg").write_text(settings_text(config), encoding="utf-8")
    settings = quickfix.SessionSettings(str(data / "acceptor.cfg"))
    app = EchoApplication()
    store, log = quickfix.FileStoreFactory(settings), quickfix.FileLogFactory(settings)
    acceptor = quickfix.ThreadedSocketAcceptor(app, store, settings, log)
    await asyncio.to_thread(start_named, acceptor)
    try:
        return await _measure(config.port, count)
    finally:
        # the client has gone; stop only once quickfix has finished with its connection (see acceptor.py)
        await quickfix_quiet(QuickfixEngine.started + 1, 5.0)
        await asyncio.to_thread(acceptor.stop, True)
        del acceptor
        gc.collect()


@dataclass(frozen=True, slots=True)
class FixBenchResult:
    messages: int
    gateway_round_trips_per_s: float
    echo_round_trips_per_s: float
    gateway_median_us: dict[str, float]  # handoff (quickfix thread -> event loop), handle, send
    gateway_rtt_us: dict[str, float]
    echo_rtt_us: dict[str, float]
    direct_round_trips_per_s: float  # ours without the logon gate (straight to quickfix's port)
    direct_rtt_us: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.gateway_round_trips_per_s / self.echo_round_trips_per_s

    def as_dict(self) -> dict[str, object]:
        return {
            "benchmark": "fix",
            "messages": self.messages,
            "gateway_round_trips_per_s": round(self.gateway_round_trips_per_s, 1),
            "echo_round_trips_per_s": round(self.echo_round_trips_per_s, 1),
            "ratio": round(self.ratio, 3),
            "gateway_rtt_us": self.gateway_rtt_us,
            "echo_rtt_us": self.echo_rtt_us,
            "direct_round_trips_per_s": round(self.direct_round_trips_per_s, 1),
            "direct_rtt_us": self.direct_rtt_us,
            "gate_cost": round(1 - self.gateway_round_trips_per_s / self.direct_round_trips_per_s, 3),
            "gateway_median_us": self.gateway_median_us,
            "target_ratio": 0.5,
            "meets_target": self.ratio >= 0.5,
        }


async def run(count: int, rounds: int = 5) -> FixBenchResult:
    """Echo and ours alternate in ``rounds`` rounds (so load from elsewhere hits both alike), each round
    in a fresh directory; rates are total messages over total time, latencies the rounds' medians."""
    per_round = max(count // rounds, 1)
    echo: list[dict[str, float]] = []
    ours: list[dict[str, float]] = []
    direct: list[dict[str, float]] = []
    timings: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="fix-bench-") as tmp:
        for r in range(rounds):
            echo.append(await _echo_rate(Path(tmp) / f"echo-{r}", per_round))
            gated, straight = await _gateway_rate(Path(tmp) / f"gateway-{r}", per_round, timings, r % 2 == 0)
            ours.append(gated)
            direct.append(straight)
    total = per_round * rounds

    def rate(results: list[dict[str, float]]) -> float:
        return total / sum(per_round / x["round_trips_per_s"] for x in results)

    def median(results: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(x[key] for x in results), 1)

    return FixBenchResult(
        messages=total,
        gateway_round_trips_per_s=rate(ours),
        echo_round_trips_per_s=rate(echo),
        gateway_median_us={k: median(timings, k) for k in timings[0]},
        gateway_rtt_us={"median": median(ours, "median_us"), "p90": median(ours, "p90_us")},
        echo_rtt_us={"median": median(echo, "median_us"), "p90": median(echo, "p90_us")},
        direct_round_trips_per_s=rate(direct),
        direct_rtt_us={"median": median(direct, "median_us"), "p90": median(direct, "p90_us")},
    )


def _client_main(argv: list[str]) -> int:
    """``python -m tools.bench.fix PORT COUNT``: the client side, printing one JSON line."""
    port, count = int(argv[0]), int(argv[1])
    print(json.dumps(asyncio.run(_round_trips(port, count))))
    return 0


if __name__ == "__main__":
    raise SystemExit(_client_main(sys.argv[1:]))
