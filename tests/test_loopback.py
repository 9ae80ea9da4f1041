"""A free loopback port outside the range outgoing connections take their local ports from."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gateway import loopback


def test_the_port_is_free_and_below_the_ephemeral_range() -> None:
    start = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    port = loopback.free_port()
    assert port < start
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # free: binds


def test_without_the_range_the_kernel_chooses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(loopback, "_RANGE", tmp_path / "missing")
    port = loopback.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_a_taken_port_is_never_returned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The only candidate below the range is taken: the kernel chooses instead."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setattr(loopback, "_LOWEST", busy)
        range_file = tmp_path / "range"
        range_file.write_text(f"{busy + 1}\t60999\n")  # one candidate: busy
        monkeypatch.setattr(loopback, "_RANGE", range_file)
        port = loopback.free_port()
        assert port != busy
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
