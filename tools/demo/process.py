"""``clearing-gateway serve`` as a child process: what the benchmark and the crash test drive.

Synchronous on purpose (call it through ``asyncio.to_thread`` from async code): starting, probing
``/healthz``, stopping with SIGTERM or killing with SIGKILL.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType


class GatewayProcess:
    def __init__(self, config_file: Path, ops_port: int, log: Path) -> None:
        self.config_file = config_file
        self.ops_port = ops_port
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli.main", "serve", "--config", str(self.config_file)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def healthy(self) -> bool:
        with contextlib.suppress(OSError):
            url = f"http://127.0.0.1:{self.ops_port}/healthz"
            with urllib.request.urlopen(url, timeout=1) as r:
                return bool(r.status == 200)
        return False

    def wait_healthy(self, within_s: float = 120) -> None:
        """Block until /healthz says 200; ``RuntimeError`` with the log's tail if the process dies or stalls."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                raise RuntimeError(f"the gateway exited ({code}):\n{self.tail()}")
            if self.healthy():
                return
            time.sleep(0.2)
        raise RuntimeError(f"the gateway did not become healthy in {within_s}s:\n{self.tail()}")

    def tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, within_s: float = 30) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(within_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> GatewayProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
