"""gateway/logs.py on a captured stream: one format for structlog events, ``logging`` calls and libraries."""

from __future__ import annotations

import io
import json
import logging
import warnings
from datetime import datetime
from pathlib import Path

import pytest
import structlog

from gateway import logs, security_log
from gateway.config import ConfigError, LoggingConfig, config_from_dict, load_config
from gateway.domain.reasons import ReasonCode


def _lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_lines_carry_time_level_logger_event_and_fields() -> None:
    out = io.StringIO()
    assert logs.configure(logs.LogFormat.JSON, logging.INFO, out) is logs.LogFormat.JSON
    structlog.get_logger("gateway.clearing.pipeline").info(
        "clearing.rejected", submission_id="S1", reasons=["X"]
    )
    logging.getLogger("gateway.intake").info(
        "trade %s received", "T-1", extra=logs.event("intake.received", trade_id="T-1", submission_id="S1")
    )
    logging.getLogger("amqtt.broker").warning("a library's own %s", "text")
    first, second, third = (json.loads(line) for line in _lines(out))
    assert list(first)[:4] == ["timestamp", "level", "logger", "event"]
    assert first["event"] == "clearing.rejected"
    assert (first["level"], first["logger"]) == ("info", "gateway.clearing.pipeline")
    assert (first["submission_id"], first["reasons"]) == ("S1", ["X"])
    stamp = datetime.fromisoformat(first["timestamp"])
    assert first["timestamp"].endswith("Z")
    assert stamp.utcoffset() is not None
    assert not stamp.utcoffset()
    assert second["event"] == "intake.received"
    assert (second["trade_id"], second["submission_id"], second["logger"]) == ("T-1", "S1", "gateway.intake")
    assert (third["event"], third["logger"], third["level"]) == (
        "a library's own text",
        "amqtt.broker",
        "warning",
    )


def test_a_security_refusal_is_the_event_refused_with_its_reason_code() -> None:
    out = io.StringIO()
    logs.configure(logs.LogFormat.JSON, logging.INFO, out)
    security_log.refused("mqtt", "EVIL", ReasonCode.AUTH_UNKNOWN_SOURCE, "topic ccp/in/EVIL/fpml")
    (line,) = (json.loads(x) for x in _lines(out))
    assert line["event"] == "refused"
    assert (line["channel"], line["identity"], line["reason"]) == ("mqtt", "EVIL", "AUTH_UNKNOWN_SOURCE")
    assert line["detail"] == "topic ccp/in/EVIL/fpml"
    assert line["logger"] == security_log.LOGGER_NAME


def test_a_failure_is_one_json_line_with_its_traceback() -> None:
    out = io.StringIO()
    logs.configure(logs.LogFormat.JSON, logging.INFO, out)
    try:
        {}["missing"]
    except KeyError:
        logging.getLogger("gateway.app").exception("publisher failed")
        structlog.get_logger("gateway.clearing.pipeline").exception(
            "clearing.process_failed", submission_id="S9"
        )
    plain, structured = (json.loads(x) for x in _lines(out))
    assert plain["level"] == "error"
    assert "KeyError: 'missing'" in plain["exception"]
    assert structured["submission_id"] == "S9"
    assert "KeyError" in structured["exception"]


def test_console_lines_are_for_people_with_the_event_and_key_value_fields() -> None:
    out = io.StringIO()
    assert logs.configure(logs.LogFormat.CONSOLE, logging.INFO, out) is logs.LogFormat.CONSOLE
    security_log.refused("fix", "BANKX", ReasonCode.AUTH_UNKNOWN_SOURCE, "Logon")
    structlog.get_logger("gateway.clearing.pipeline").info("clearing.novated", submission_id="S0000000007")
    refused, novated = _lines(out)
    for line in (refused, novated):
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
    assert "refused" in refused
    assert "reason=AUTH_UNKNOWN_SOURCE" in refused
    assert "identity=BANKX" in refused
    assert "[warning" in refused
    assert "clearing.novated" in novated
    assert "submission_id=S0000000007" in novated
    assert "\x1b[" not in refused  # no colour codes when the stream is not a terminal


def test_below_the_level_nothing_is_written() -> None:
    out = io.StringIO()
    logs.configure(logs.LogFormat.JSON, logging.WARNING, out)
    structlog.get_logger("gateway.clearing.pipeline").info("clearing.novated", submission_id="S1")
    logging.getLogger("gateway.intake").info("received", extra=logs.event("intake.received"))
    logging.getLogger("gateway.intake").warning("kept", extra=logs.event("intake.store_failed"))
    assert [json.loads(x)["event"] for x in _lines(out)] == ["intake.store_failed"]


def test_auto_is_console_on_a_terminal_and_json_elsewhere() -> None:
    assert logs.resolve(logs.LogFormat.AUTO, io.StringIO()) is logs.LogFormat.JSON
    assert logs.resolve(logs.LogFormat.AUTO, _Terminal()) is logs.LogFormat.CONSOLE
    assert logs.resolve(logs.LogFormat.JSON, _Terminal()) is logs.LogFormat.JSON
    term = _Terminal()
    assert logs.configure(logs.LogFormat.AUTO, logging.INFO, term) is logs.LogFormat.CONSOLE
    logging.getLogger("gateway").info("hello", extra=logs.event("gateway.ready"))
    assert "gateway.ready" in term.getvalue()


def test_a_library_warning_becomes_a_log_line() -> None:
    out = io.StringIO()
    logs.configure(logs.LogFormat.JSON, logging.INFO, out)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("deprecated call", UserWarning, stacklevel=1)
    lines = [json.loads(x) for x in _lines(out)]
    assert any(x["logger"] == "py.warnings" and "deprecated call" in x["event"] for x in lines), lines


def test_configure_again_replaces_only_its_own_handler() -> None:
    other = logging.StreamHandler(io.StringIO())
    root = logging.getLogger()
    root.addHandler(other)
    try:
        first, second = io.StringIO(), io.StringIO()
        logs.configure(logs.LogFormat.JSON, logging.INFO, first)
        logs.configure(logs.LogFormat.JSON, logging.INFO, second)
        logging.getLogger("gateway").warning("once", extra=logs.event("gateway.simulated_time"))
        assert first.getvalue() == ""
        assert len(_lines(second)) == 1
        assert other in root.handlers
    finally:
        root.removeHandler(other)


def test_the_option_wins_over_the_environment_which_wins_over_the_configuration() -> None:
    env = {logs.ENV_VAR: "json"}
    assert logs.choose_format("console", env, logs.LogFormat.AUTO) is logs.LogFormat.CONSOLE
    assert logs.choose_format(None, env, logs.LogFormat.CONSOLE) is logs.LogFormat.JSON
    assert logs.choose_format(None, {}, logs.LogFormat.CONSOLE) is logs.LogFormat.CONSOLE
    assert logs.choose_format(None, {logs.ENV_VAR: " "}, logs.LogFormat.CONSOLE) is logs.LogFormat.CONSOLE


def test_a_wrong_format_names_where_it_came_from_and_the_choices() -> None:
    with pytest.raises(logs.LogSettingError) as env_err:
        logs.choose_format(None, {logs.ENV_VAR: "yaml"}, logs.LogFormat.AUTO)
    assert str(env_err.value) == "CLEARING_LOG_FORMAT: must be one of auto, json, console, got 'yaml'"
    with pytest.raises(logs.LogSettingError) as opt_err:
        logs.choose_format("text", {}, logs.LogFormat.AUTO)
    assert opt_err.value.where == "--log-format"


def test_the_logging_section_of_the_configuration(tmp_path: Path) -> None:
    assert config_from_dict({}).logging == LoggingConfig(logs.LogFormat.AUTO, "INFO")
    chosen = config_from_dict({"logging": {"format": "console", "level": "warning"}}).logging
    assert chosen == LoggingConfig(logs.LogFormat.CONSOLE, "WARNING")
    with pytest.raises(ConfigError) as bad_format:
        config_from_dict({"logging": {"format": "xml"}})
    assert str(bad_format.value) == "logging.format: must be one of auto, json, console, got 'xml'"
    with pytest.raises(ConfigError) as bad_level:
        config_from_dict({"logging": {"level": "LOUD"}})
    assert bad_level.value.key == "logging.level"
    with pytest.raises(ConfigError) as unknown:
        config_from_dict({"logging": {"file": "x.log"}})
    assert unknown.value.key == "logging.file"
    toml = tmp_path / "g.toml"
    toml.write_text('[logging]\nformat = "json"\n')
    assert load_config(toml).logging.format is logs.LogFormat.JSON


def test_a_logging_call_without_an_event_name_shows_its_text_with_the_arguments() -> None:
    out = io.StringIO()
    logs.configure(logs.LogFormat.JSON, logging.INFO, out)
    logging.getLogger("gateway").info("%s of %s", "one", "two")
    logging.getLogger("gateway").info("%(member)s suspended", {"member": "BANKA"})
    logging.getLogger("gateway").info("100% literal")
    assert [json.loads(x)["event"] for x in _lines(out)] == ["one of two", "BANKA suspended", "100% literal"]
