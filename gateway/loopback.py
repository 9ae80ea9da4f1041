"""A free loopback TCP port that no outgoing connection will take before it is bound.

Asking the kernel for port 0 returns a port from the ephemeral range, which is also where every outgoing
connection of the machine gets its local port: between closing the probe and binding for real, a
database or broker connection can take it ("address already in use"). A port below that range is only
ever taken by an explicit bind.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10_000
_TRIES = 50


def _ephemeral_start() -> int | None:
    try:
        return int(_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def free_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` free now and outside the ephemeral range when that range is known."""
    start = _ephemeral_start()
    if start is not None and start > _LOWEST:
        rng = random.SystemRandom()
        for _ in range(_TRIES):
            port = rng.randrange(_LOWEST, start)
            with socket.socket() as s:
                try:
                    s.bind((host, port))
                except OSError:
                    continue
                return port
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
