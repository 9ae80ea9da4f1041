"""A clearing member's FIX engine, small and independent: logs on, reports trades, keeps what comes back.

It speaks FIXT.1.1 / FIX 5.0 SP2 over plain TCP with the gateway's rules of engagement (the trade
fields are those ``gateway.formats.fix.trade_read`` reads), answers TestRequests and logs out cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from gateway.clock import Clock, SystemClock
from gateway.domain.trade import Trade
from gateway.formats.fix.trade_write import trade_items
from gateway.formats.fix.wire import Item, Out

SOH = "\x01"
_HEADER_TAGS = (35, 49, 56, 34, 52)


def _stamp(clock: Clock) -> str:
    return clock.now().strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


@dataclass
class FixMember:
    host: str
    port: int
    sender: str
    target: str
    clock: Clock  # business time: TransactTime of the reports
    acks: list[dict[int, str]] = field(default_factory=list)  # TradeCaptureReportAck (AR)
    reports: list[dict[int, str]] = field(default_factory=list)  # status TradeCaptureReports (AE)
    # the member's party id, to accept every trade alleged against it (TradeReportType 1) on its house
    # account; None: it only reports
    affirms_as: str | None = None
    accepted: list[str] = field(default_factory=list)  # TradeReportIDs of the reports it accepted
    # told of every AR and AE the session receives: (own CompID, MsgType, fields)
    on_message: Callable[[str, str, dict[int, str]], None] | None = None
    _seq: int = 1
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    _task: asyncio.Task[None] | None = None
    _logged_on: asyncio.Event = field(default_factory=asyncio.Event)
    wall: Clock = field(
        default_factory=SystemClock
    )  # SendingTime: the acceptor checks it against its own clock

    async def __aenter__(self) -> FixMember:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._task = asyncio.create_task(self._read(), name=f"fix-member-{self.sender}")
        self._send(Out("A", ((98, "0"), (108, "30"), (1137, "9"))))
        await asyncio.wait_for(self._logged_on.wait(), 10)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(Exception):
            self._send(Out("5", ()))
            await asyncio.sleep(0.2)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()

    def report_trade(self, trade: Trade, report_id: str) -> None:
        """Send a new TradeCaptureReport (AE) for ``trade``."""
        body: list[Item] = [(571, report_id), (487, "0"), (856, "0"), (60, _stamp(self.clock))]
        body += trade_items(trade)
        self._send(Out("AE", tuple(body)))

    def accept(self, alleged: dict[int, str]) -> None:
        """Accept (856=2) a trade alleged against the member, naming it by the alleged report's id (572),
        with the member's own side only (no account: its house account)."""
        assert self.affirms_as is not None
        ref = alleged.get(572, "")
        party: list[Item] = [(448, self.affirms_as), (447, "N"), (452, "1")]
        parties: Item = (453, [party])
        side: list[Item] = [(54, "1"), parties]
        sides: Item = (552, [side])
        body: list[Item] = [
            *[(571, f"ACC-{ref}"), (1003, alleged.get(1003, "")), (487, "0"), (856, "2"), (572, ref)],
            *[(60, _stamp(self.clock)), (167, "IRS"), (75, alleged.get(75, "")), sides],
        ]
        self._send(Out("AE", tuple(body)))
        self.accepted.append(ref)

    def _send(self, out: Out) -> None:
        if self._writer is None:
            raise ConnectionError("not connected")
        pairs = list(out.pairs())
        header = [
            (35, out.msg_type),
            (49, self.sender),
            (56, self.target),
            (34, str(self._seq)),
            (52, _stamp(self.wall)),
        ]
        self._seq += 1
        body = "".join(f"{t}={v}{SOH}" for t, v in header + [p for p in pairs if p[0] != 35])
        head = f"8=FIXT.1.1{SOH}9={len(body.encode())}{SOH}"
        checksum = sum((head + body).encode()) % 256
        self._writer.write(f"{head}{body}10={checksum:03d}{SOH}".encode())

    async def _read(self) -> None:
        assert self._reader is not None
        buffer = b""
        while True:
            chunk = await self._reader.read(65536)
            if not chunk:
                return
            buffer += chunk
            while True:
                end = buffer.find(b"\x0110=")
                if end < 0 or len(buffer) < end + 8:
                    break
                raw, buffer = buffer[: end + 8], buffer[end + 8 :]
                self._handle(raw.decode("latin-1"))

    def _handle(self, raw: str) -> None:
        fields: dict[int, str] = {}
        for part in raw.split(SOH):
            tag, _, value = part.partition("=")
            if tag.isdigit():
                fields.setdefault(int(tag), value)
        kind = fields.get(35)
        if kind == "A":
            self._logged_on.set()
        elif kind == "1":  # TestRequest: answer with its id
            self._send(Out("0", ((112, fields.get(112, "")),)))
        elif kind == "AR":
            self.acks.append(fields)
        elif kind == "AE":
            self.reports.append(fields)
        if kind in ("AR", "AE") and self.on_message is not None:
            self.on_message(self.sender, kind, fields)
        if kind == "AE" and self.affirms_as is not None and fields.get(856) == "1" and fields.get(572):
            self.accept(fields)
