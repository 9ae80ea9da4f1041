"""A small HTTP/1.1 server for operations: ``GET /healthz`` (JSON) and ``GET /metrics`` (Prometheus text).

Health is 200 when every component is up, else 503, so an orchestrator's probe needs no parsing.
``probes`` are checked on each request (the database, for one) with a short timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType

from gateway.ops.health import Health
from gateway.ops.metrics import Metrics

log = logging.getLogger(__name__)
Probe = Callable[[], Awaitable[str | None]]
"""Checks one component; returns a detail for /healthz, raises if the component is not usable."""
PROBE_TIMEOUT_S = 2.0
_MAX_REQUEST_LINE = 8192
_REASONS = {
    200: "OK",
    404: "Not Found",
    405: "Method Not Allowed",
    400: "Bad Request",
    503: "Service Unavailable",
}


class OpsServer:
    """``async with OpsServer(...) as ops``: serving until the block ends; ``ops.port`` is the bound port."""

    def __init__(
        self,
        *,
        health: Health,
        metrics: Metrics,
        host: str = "127.0.0.1",
        port: int = 8080,
        probes: Mapping[str, Probe] | None = None,
    ) -> None:
        self._health = health
        self._metrics = metrics
        self.host = host
        self.port = port
        self._probes = dict(probes or {})
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> OpsServer:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def serve_forever(self) -> None:
        if self._server is None:
            raise RuntimeError("OpsServer is not started")
        await self._server.serve_forever()

    async def _run_probes(self) -> None:
        for name, probe in self._probes.items():
            try:
                detail = await asyncio.wait_for(probe(), PROBE_TIMEOUT_S)
            except Exception as exc:
                self._health.down(name, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            else:
                self._health.up(name, detail or "")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 10)
            while True:  # headers are read and ignored
                header = await asyncio.wait_for(reader.readline(), 10)
                if header in (b"\r\n", b"\n", b""):
                    break
            status, ctype, body = await self._route(line)
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode("ascii") + body)
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            log.exception("ops HTTP request failed")
        finally:
            writer.close()

    async def _route(self, line: bytes) -> tuple[int, str, bytes]:
        parts = line.decode("latin-1").split()
        if len(line) > _MAX_REQUEST_LINE or len(parts) != 3:
            return 400, "text/plain", b"bad request line\n"
        method, target, _ = parts
        path = target.split("?", 1)[0]
        if path not in ("/healthz", "/metrics"):
            return 404, "text/plain", b"try /healthz or /metrics\n"
        if method != "GET":
            return 405, "text/plain", b"GET only\n"
        if path == "/metrics":
            return 200, "text/plain; version=0.0.4; charset=utf-8", self._metrics.render()
        await self._run_probes()
        body = json.dumps(self._health.to_dict(), indent=2).encode() + b"\n"
        return (200 if self._health.healthy else 503), "application/json", body
