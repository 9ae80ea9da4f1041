"""``clearing-gateway serve`` refuses what it cannot run with a clear message and no traceback."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

import gateway.cli.cmd_serve  # noqa: F401 - registers the command
from fpml_schemas import ENV_VAR
from gateway.cli.app import app


def _serve(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["serve", "--config", str(config)])
    return result.exit_code, result.output


def test_a_bad_key_is_named_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "g.toml"
    config.write_text("[mqtt]\nport = 'eighteen'\n")
    code, out = _serve(config)
    assert code == 2
    assert "mqtt.port: expected an integer" in out
    assert "Traceback" not in out


def test_a_port_in_use_is_reported_and_exits_1(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = tmp_path / "g.toml"
        config.write_text(f'[mqtt]\nmode = "embedded"\nport = {port}\n[fix]\nenabled = false\n')
        code, out = _serve(config)
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out
    assert "Traceback" not in out


def test_missing_market_data_says_how_to_make_some(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "g.toml"
    config.write_text(f"[mqtt]\nport = {port}\n[fix]\nenabled = false\n[ops]\nport = 0\n")
    code, out = _serve(config)
    assert code == 1
    assert "no market data in" in out
    assert "market synth" in out
    assert "Traceback" not in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_configured_schema_dir_that_is_missing_stops_serve_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not an INTERNAL_ERROR rejection of every message behind a /healthz that says ok: no start at all."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    config = tmp_path / "g.toml"
    config.write_text(
        f'[mqtt]\nport = {_free_port()}\n[fix]\nenabled = false\n[ops]\nport = 0\n[fpml]\nschema_dir = "nowhere"\n'
    )
    code, out = _serve(config)
    assert code == 1
    assert "Traceback" not in out
    assert len(out.strip().splitlines()) == 1
    assert "clearing-gateway: error: [fpml] schema_dir: the FpML schema set cannot be used" in out
    assert out.strip().endswith("(OPS_CANNOT_START)")
    assert str(tmp_path / "nowhere") in out


def test_the_schema_env_var_pointing_nowhere_stops_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone"))
    config = tmp_path / "g.toml"
    config.write_text(f"[mqtt]\nport = {_free_port()}\n[fix]\nenabled = false\n[ops]\nport = 0\n")
    code, out = _serve(config)
    assert code == 1
    assert "the FpML schema set cannot be used" in out
    assert "gone" in out
    assert "Traceback" not in out


def test_the_schema_dir_option_overrides_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    config = tmp_path / "g.toml"
    config.write_text(f"[mqtt]\nport = {_free_port()}\n[fix]\nenabled = false\n[ops]\nport = 0\n")
    result = CliRunner().invoke(
        app, ["serve", "--config", str(config), "--schema-dir", str(tmp_path / "absent")]
    )
    assert result.exit_code == 2  # a mistyped option: refused before anything starts
    assert "'--schema-dir'" in result.output
    assert "absent" in result.output
    not_a_schema_set = tmp_path / "empty"
    not_a_schema_set.mkdir()
    result = CliRunner().invoke(
        app, ["serve", "--config", str(config), "--schema-dir", str(not_a_schema_set)]
    )
    assert result.exit_code == 1
    assert "the FpML schema set cannot be used" in result.output
    assert "empty" in result.output


def test_serve_logs_which_schema_set_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    config = tmp_path / "g.toml"
    config.write_text(f"[mqtt]\nport = {_free_port()}\n[fix]\nenabled = false\n[ops]\nport = 0\n")
    with caplog.at_level(logging.INFO, logger="gateway.app"):
        code, out = _serve(config)
    assert code == 1  # no market data here; the schema set was settled before that
    assert "no market data in" in out
    assert any(
        "FpML messages are validated against clearing-profile" in r.getMessage() for r in caplog.records
    )
