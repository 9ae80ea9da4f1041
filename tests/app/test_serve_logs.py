"""What ``clearing-gateway serve`` writes on stderr, read from the real process.

With ``--log-format json`` on the embedded defaults every stderr line is a JSON object: a trade from a
source the reference data does not know leaves a ``refused`` line with its reason code, channel and
identity, and every line about an accepted trade carries its submission id. ``[logging] format``, the
environment variable and the option each choose the format (the option first, then the variable).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
from typer.testing import CliRunner

import gateway.cli.cmd_serve  # noqa: F401 - registers the command
from fpml_schemas import ENV_VAR as SCHEMA_ENV_VAR
from gateway.channels.mqtt.broker.acl_file import acl_file
from gateway.cli.app import app
from gateway.logs import ENV_VAR
from gateway.loopback import free_port
from gateway.refdata.sources import TradeSource
from gateway.rules.hours import ServiceHours
from gateway.rules.settings import ClearingSettings
from gateway.shifted_clock import ShiftedClock
from tools.bench.pipeline import RICH_MEMBERS, payloads
from tools.demo.runner import demo_start, onboard, prepare

SOURCE, STRANGER = "VENUE1", "EVIL"
Line = dict[str, Any]


@dataclass(frozen=True)
class World:
    config: Path
    mqtt_port: int
    ops_port: int
    passwords: dict[str, str]
    trades: dict[str, tuple[str, bytes]]  # source -> (trade id, requestClearing)


def _env(**overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (ENV_VAR, SCHEMA_ENV_VAR)}
    env.update({k: v for k, v in overrides.items() if v is not None})
    return env


def _complete_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return [x for x in text.split("\n")[:-1] if x.strip()]  # the last piece may be half written


def _add_user(config: Path, name: str) -> str:
    added = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "mqtt", "user", "add", name, "--config", str(config)],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in added.stdout.splitlines() if x.startswith(f"{name}="))
    return line.removeprefix(f"{name}=")


class _Serve:
    """``clearing-gateway serve`` as a child process, stderr in a file."""

    def __init__(self, config: Path, stderr: Path, *args: str) -> None:
        self.stderr = stderr
        with stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli.main", "serve", "--config", str(config), *args],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=_env(),
            )

    async def until(self, found: Callable[[list[Line]], bool], what: str) -> None:
        """Wait for the log to show ``what``; fail at once if the process ends first (guard: 3 minutes)."""
        try:
            async with asyncio.timeout(180):
                while True:
                    if self.proc.poll() is not None:
                        raise AssertionError(
                            f"serve exited ({self.proc.returncode}) before {what}:\n{self.tail()}"
                        )
                    lines = [json.loads(x) for x in _complete_lines(self.stderr)]
                    if found(lines):
                        return
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"no {what} in the log:\n{self.tail()}") from None

    def tail(self) -> str:
        return self.stderr.read_text(errors="replace")[-4000:]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """The embedded defaults in ``tmp_path`` with market data, the members and ``SOURCE`` registered.

    ``STRANGER`` is a broker user whose intake topic the broker's rules allow (an ACL file out of step
    with the reference data), but no registered trade source: the gateway itself must refuse it."""
    monkeypatch.chdir(tmp_path)  # the embedded defaults live under ./var
    settings = ClearingSettings.load()
    start = demo_start(settings, datetime.now(UTC).date())
    clock = ShiftedClock(start)
    business_date = ServiceHours(settings.service_hours, settings.backload).business_date(start)
    prepare(tmp_path / "var", business_date, settings)
    store_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'gateway.db'}"
    asyncio.run(onboard(store_url, clock, RICH_MEMBERS, sources=(SOURCE,)))
    acl = tmp_path / "acl"
    acl.write_text(
        acl_file(
            [TradeSource(SOURCE, mqtt_user=SOURCE), TradeSource(STRANGER, mqtt_user=STRANGER)],
            "ccp",
            "gateway",
        )
    )
    mqtt_port, ops_port = free_port(), free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"simulated_start = {start.isoformat()}\n"
        f'[mqtt]\nport = {mqtt_port}\nacl_file = "acl"\n[fix]\nenabled = false\n[ops]\nport = {ops_port}\n'
    )
    passwords = {name: _add_user(config, name) for name in (SOURCE, STRANGER)}
    trades = {
        SOURCE: payloads(SOURCE, business_date, 1, "LOG", clock, seed=11)[0],
        STRANGER: payloads(STRANGER, business_date, 1, "EVIL", clock, seed=12)[0],
    }
    return World(config, mqtt_port, ops_port, passwords, trades)


async def test_json_logs_name_the_refusal_and_follow_a_submission_by_its_id(
    tmp_path: Path, world: World
) -> None:
    trade_id, payload = world.trades[SOURCE]
    serve = _Serve(world.config, tmp_path / "stderr.log", "--log-format", "json")
    try:
        await serve.until(lambda lines: any(x["event"] == "gateway.ready" for x in lines), "gateway.ready")
        async with aiomqtt.Client(
            "127.0.0.1", world.mqtt_port, username=STRANGER, password=world.passwords[STRANGER]
        ) as c:
            await c.publish(f"ccp/in/{STRANGER}/fpml", world.trades[STRANGER][1], qos=1)
        await serve.until(
            lambda lines: any(x["event"] == "refused" and x.get("identity") == STRANGER for x in lines),
            "refusal of the unknown source",
        )
        async with aiomqtt.Client(
            "127.0.0.1", world.mqtt_port, username=SOURCE, password=world.passwords[SOURCE]
        ) as c:
            await c.publish(f"ccp/in/{SOURCE}/fpml", payload, qos=1)
        await serve.until(
            lambda lines: any(
                x["event"].startswith("clearing.") and x.get("trade_id") == trade_id for x in lines
            ),
            f"clearing decision on {trade_id}",
        )
    finally:
        code = serve.stop()
    assert code == 0, serve.tail()

    raw = _complete_lines(serve.stderr)
    lines = [json.loads(x) for x in raw]  # every stderr line is one JSON object
    assert all(isinstance(x, dict) and {"timestamp", "level", "logger", "event"} <= x.keys() for x in lines)

    (refusal,) = [x for x in lines if x["event"] == "refused"]
    assert refusal["reason"] == "AUTH_UNKNOWN_SOURCE"
    assert (refusal["channel"], refusal["identity"]) == ("mqtt", STRANGER)
    assert refusal["level"] == "warning"

    (received,) = [x for x in lines if x["event"] == "intake.received"]
    assert (received["trade_id"], received["source"]) == (trade_id, SOURCE)
    submission_id = received["submission_id"]
    about_trade = [x for x in lines if x.get("trade_id") == trade_id]
    assert all(x["submission_id"] == submission_id for x in about_trade)
    (decision,) = [
        x for x in lines if x["event"].startswith("clearing.") and x.get("submission_id") == submission_id
    ]
    assert decision["event"] == "clearing.novated", decision
    assert (decision["source"], decision["trade_id"], decision["status"]) == (SOURCE, trade_id, "Cleared")
    assert decision["reasons"] == []
    assert len(decision["ccp_trade_ids"]) == 2
    assert not any(x.get("trade_id") == trade_id for x in lines if x["event"] == "refused")


def _schema_line_of(
    tmp_path: Path, *args: str, config_text: str = "", env: str | None = None
) -> tuple[str, str]:
    """Start serve where it cannot run (no market data): the lines it logged first, then its error."""
    config = tmp_path / "g.toml"
    config.write_text(f"[mqtt]\nport = {free_port()}\n[fix]\nenabled = false\n[ops]\nport = 0\n{config_text}")
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "serve", "--config", str(config), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(**{ENV_VAR: env}),
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    *logged, error = done.stderr.strip().splitlines()
    assert error.startswith(
        "clearing-gateway: error: [risk] market_data_dir: no market data in"
    )  # the command's own error stays one line
    (schema_line,) = [x for x in logged if "fpml.schema_set" in x]
    return schema_line, "\n".join(logged)


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


@pytest.mark.parametrize(
    ("config_text", "env", "args", "json_expected"),
    [
        ("", None, (), True),  # auto, and stderr is no terminal here
        ('[logging]\nformat = "console"\n', None, (), False),
        ('[logging]\nformat = "console"\n', "json", (), True),  # the variable beats the file
        ("", "console", (), False),
        ("", "console", ("--log-format", "json"), True),  # the option beats the variable
        ('[logging]\nformat = "json"\n', None, ("--log-format", "console"), False),
    ],
)
def test_the_file_the_variable_and_the_option_choose_the_format(
    tmp_path: Path, config_text: str, env: str | None, args: tuple[str, ...], json_expected: bool
) -> None:
    line, logged = _schema_line_of(tmp_path, *args, config_text=config_text, env=env)
    if json_expected:
        assert all(_is_json(x) for x in logged.splitlines()), logged
        parsed = json.loads(line)
        assert (parsed["event"], parsed["label"], parsed["level"]) == (
            "fpml.schema_set",
            "clearing-profile",
            "info",
        )
    else:
        assert not any(_is_json(x) for x in logged.splitlines()), logged
        assert "[info" in line
        assert "label=clearing-profile" in line  # fields as key=value
        assert "[gateway.app]" in line


def test_a_level_from_the_file_holds_back_info_lines(tmp_path: Path) -> None:
    config = tmp_path / "g.toml"
    config.write_text(
        f'[mqtt]\nport = {free_port()}\n[fix]\nenabled = false\n[ops]\nport = 0\n[logging]\nlevel = "warning"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        check=False,
    )
    assert done.returncode == 1
    assert "fpml.schema_set" not in done.stderr
    assert done.stderr.strip().startswith(
        "clearing-gateway: error: [risk] market_data_dir: no market data in"
    )
    assert done.stderr.strip().endswith("(OPS_CANNOT_START)")


def _words(output: str) -> str:
    """The output's text with the error panel's frame and line breaks taken out."""
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", output).split())


def test_a_wrong_format_is_named_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    by_option = CliRunner().invoke(app, ["serve", "--log-format", "xml"])
    assert by_option.exit_code == 2
    assert "--log-format: must be one of auto, json, console, got 'xml'" in _words(by_option.output)
    monkeypatch.setenv(ENV_VAR, "yaml")
    by_env = CliRunner().invoke(app, ["serve"])
    assert by_env.exit_code == 2
    assert f"{ENV_VAR}: must be one of auto, json, console, got 'yaml'" in _words(by_env.output)
    assert "Traceback" not in by_option.output + by_env.output
