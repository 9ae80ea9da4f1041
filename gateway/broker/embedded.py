"""An in-process MQTT 3.1.1 broker (amqtt) for the embedded configuration.

It lives as long as the ``async with`` block, in the gateway's own event loop, so it is meant for a
single machine (the demo, a developer laptop). Its sessions are in memory: production uses Mosquitto,
whose persistent sessions survive a gateway restart (see deploy/).
"""

from __future__ import annotations

import logging
import socket
from types import TracebackType
from typing import Any

_LISTENER = "default"


def _check_free(host: str, port: int) -> None:
    """Raise ``OSError`` now if the port is taken, rather than let the broker log a traceback."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


class EmbeddedBroker:
    """``async with EmbeddedBroker(host, port) as broker``: ``broker.port`` is the bound port (0 picks one)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 1883) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {port}")
        self.host = host
        self.port = port
        self._broker: Any = None

    @property
    def running(self) -> bool:
        return self._broker is not None

    async def __aenter__(self) -> EmbeddedBroker:
        from amqtt.broker import Broker

        if self.port != 0:
            _check_free(self.host, self.port)

        # amqtt logs every packet at INFO; the gateway's own logs say what matters.
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        logging.getLogger("transitions").setLevel(logging.WARNING)
        config: dict[str, Any] = {
            "listeners": {
                _LISTENER: {"type": "tcp", "bind": f"{self.host}:{self.port}", "max_connections": 0}
            },
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        broker = Broker(config)
        await broker.start()
        self._broker = broker
        if self.port == 0:
            server = broker._servers[_LISTENER].instance
            self.port = int(server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            await broker.shutdown()
