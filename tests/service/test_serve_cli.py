"""``clearing-gateway serve`` refuses what it cannot run with a clear message and no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path


def _serve(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_a_bad_key_is_named_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "g.toml"
    config.write_text("[mqtt]\nport = 'eighteen'\n")
    done = _serve(config, tmp_path)
    assert done.returncode == 2
    assert "mqtt.port: expected an integer" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_reported_and_exits_1(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = tmp_path / "g.toml"
        config.write_text(f'[mqtt]\nmode = "embedded"\nport = {port}\n[fix]\nenabled = false\n')
        done = _serve(config, tmp_path)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_market_data_says_how_to_make_some(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "g.toml"
    config.write_text(f"[mqtt]\nport = {port}\n[fix]\nenabled = false\n[ops]\nport = 0\n")
    done = _serve(config, tmp_path)
    assert done.returncode == 1
    assert "no market data in" in done.stderr
    assert "market synth" in done.stderr
    assert "Traceback" not in done.stderr
