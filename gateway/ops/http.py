"""A small HTTP/1.1 server for operations: ``GET /healthz`` (JSON) and ``GET /metrics`` (Prometheus text).

Health is 200 when every component is up, else 503, so an orchestrator's probe needs no parsing.
``probes`` are checked on each request (the database, for one) with a short timeout.

``/healthz`` without credentials says only ``ok`` or ``degraded``; with ``Authorization: Bearer <token>``
(the operator token, from the environment variable named by ``[ops] token_env``) it lists every
component with its detail (members' CompIDs and FIX logon states). A wrong token, or any token when none
is configured, is refused with 401 and a security log line (channel ``http``, the peer's address).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType

from gateway import security_log
from gateway.domain.reasons import ReasonCode
from gateway.ops.health import Health
from gateway.ops.metrics import Metrics

log = logging.getLogger(__name__)
Probe = Callable[[], Awaitable[str | None]]
"""Checks one component; returns a detail for /healthz, raises if the component is not usable."""
PROBE_TIMEOUT_S = 2.0
_MAX_REQUEST_LINE = 8192
_REASONS = {
    200: "OK",
    401: "Unauthorized",
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
        token: str | None = None,
    ) -> None:
        self._health = health
        self._metrics = metrics
        self.host = host
        self.port = port
        self._probes = dict(probes or {})
        self._token = token.encode() if token else None
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
            authorization: bytes | None = None
            for _ in range(100):  # headers: only Authorization is read
                header = await asyncio.wait_for(reader.readline(), 10)
                if header in (b"\r\n", b"\n", b""):
                    break
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"authorization":
                    authorization = value.strip()
            peer = writer.get_extra_info("peername")
            who = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else "-"
            status, ctype, body = await self._route(line, authorization, who)
            extra = 'WWW-Authenticate: Bearer realm="ops"\r\n' if status == 401 else ""
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {ctype}\r\n{extra}"
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

    def _operator(self, authorization: bytes | None, who: str) -> bool | None:
        """True: the operator's token; False: no credentials; None: refused (wrong token, or none configured)."""
        if authorization is None:
            return False
        scheme, _, given = authorization.partition(b" ")
        if (
            self._token is not None
            and scheme.lower() == b"bearer"
            and hmac.compare_digest(given.strip(), self._token)
        ):
            return True
        detail = "wrong operator token" if self._token is not None else "no operator token is configured"
        security_log.refused("http", who, ReasonCode.AUTH_OPERATOR_UNAUTHENTICATED, f"/healthz: {detail}")
        return None

    async def _route(
        self, line: bytes, authorization: bytes | None = None, who: str = "-"
    ) -> tuple[int, str, bytes]:
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
        operator = self._operator(authorization, who)
        if operator is None:
            return 401, "text/plain", b"operator token refused\n"
        await self._run_probes()
        report = self._health.to_dict() if operator else {"status": self._health.to_dict()["status"]}
        body = json.dumps(report, indent=2).encode() + b"\n"
        return (200 if self._health.healthy else 503), "application/json", body
