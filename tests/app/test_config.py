"""Configuration: defaults, the deploy examples, and errors that name the offending key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import BrokerMode, ConfigError, config_from_dict, load_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "config"


def test_the_embedded_brokers_files_are_read_from_the_configuration(tmp_path: Path) -> None:
    cfg = config_from_dict(
        {"mqtt": {"password_file": "etc/passwd", "acl_file": "/abs/acl", "username": "gw"}}, base=tmp_path
    )
    assert cfg.mqtt.password_file == tmp_path / "etc" / "passwd"
    assert cfg.mqtt.acl_file == Path("/abs/acl")
    assert cfg.mqtt.username == "gw"
    assert "secret" not in repr(cfg.mqtt)


def test_no_file_gives_the_embedded_defaults() -> None:
    cfg = load_config(None)
    assert cfg.mqtt.mode is BrokerMode.EMBEDDED
    assert cfg.mqtt.host == "127.0.0.1"
    assert cfg.store.url.startswith("sqlite+aiosqlite:///")
    assert cfg.store.url.endswith("var/gateway.db")
    assert cfg.fix.port == 9878
    assert cfg.fix.bind_host == "127.0.0.1"  # FIX listens on loopback unless told otherwise


@pytest.mark.parametrize("name", ["local.toml", "production.toml"])
def test_deploy_examples_load(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_MQTT_PASSWORD", "secret")
    monkeypatch.setenv("GATEWAY_DB_PASSWORD", "pw")
    cfg = load_config(DEPLOY / name)
    assert cfg.mqtt.client_id == "clearing-gateway"


def test_production_example_uses_mosquitto_and_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_MQTT_PASSWORD", "secret")
    monkeypatch.setenv("GATEWAY_DB_PASSWORD", "p@ss")
    cfg = load_config(DEPLOY / "production.toml")
    assert cfg.mqtt.mode is BrokerMode.EXTERNAL
    assert cfg.store.url.startswith("postgresql+asyncpg://")
    assert "p%40ss@postgres" in cfg.store.dsn
    assert "p@ss" not in cfg.store.url
    assert cfg.mqtt.password == "secret"
    assert cfg.fix.bind_host == "0.0.0.0"  # noqa: S104 - members connect from other hosts
    assert cfg.fix.tls is not None  # so over mutual TLS, each certificate bound to its CompIDs
    assert cfg.fix.tls.cafile == Path("/etc/clearing-gateway/fix/member-ca.crt")
    assert (cfg.fix.logon_timeout_s, cfg.fix.max_pending_connections) == (10, 32)


def test_fix_on_every_interface_needs_tls_or_an_explicit_plaintext_flag() -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict({"fix": {"bind_host": "0.0.0.0"}})  # noqa: S104 - the refusal is the point
    assert err.value.key == "fix.bind_host"
    plain = config_from_dict({"fix": {"bind_host": "0.0.0.0", "insecure_plaintext": True}})  # noqa: S104
    assert plain.fix.tls is None
    tls = config_from_dict(
        {
            "fix": {
                "bind_host": "0.0.0.0",  # noqa: S104
                "tls": {
                    "certfile": "/x/ccp.crt",
                    "keyfile": "/x/ccp.key",
                    "cafile": "/x/ca.crt",
                    "names": {"banka.example": ["BANKA_FIX"]},
                },
            }
        }
    )
    assert tls.fix.tls is not None
    assert tls.fix.tls.allows(("banka.example",), "BANKA_FIX")
    assert not tls.fix.tls.allows(("banka.example",), "BANKB_FIX")


@pytest.mark.parametrize(
    ("doc", "key", "fragment"),
    [
        ({"mqtt": {"port": "1883"}}, "mqtt.port", "expected an integer"),
        ({"mqtt": {"port": 70000}}, "mqtt.port", "between 1 and 65535"),
        ({"mqtt": {"port": True}}, "mqtt.port", "expected an integer"),
        ({"mqtt": {"mode": "cloud"}}, "mqtt.mode", "embedded, external"),
        ({"mqtt": {"hots": "x"}}, "mqtt.hots", "unknown key"),
        ({"colour": "blue"}, "colour", "unknown key"),
        ({"store": {"url": "mysql://x"}}, "store.url", "postgresql+asyncpg"),
        ({"store": "sqlite"}, "store", "expected a table"),
        ({"mqtt": {"host": "  "}}, "mqtt.host", "must not be empty"),
        ({"clearing": {"settings_file": "nowhere.toml"}}, "clearing.settings_file", "no such file"),
        ({"mqtt": {"password_env": "SURELY_NOT_SET_4711"}}, "mqtt.password_env", "is not set"),
        (
            {"mqtt": {"mode": "external", "acl_file": "acl"}},
            "mqtt.acl_file",
            'only used with mode = "embedded"',
        ),
        ({"mqtt": {"mode": "external", "password_file": "p"}}, "mqtt.password_file", "only used with"),
        (
            {"publish": {"retry_initial_ms": 500, "retry_max_ms": 100}},
            "publish.retry_max_ms",
            "retry_initial_ms",
        ),
        ({"fix": {"enabled": "yes"}}, "fix.enabled", "true or false"),
        ({"fix": {"bind_host": "gateway.local"}}, "fix.bind_host", "not an IP address"),
        ({"risk": {"blas_threads": -1}}, "risk.blas_threads", "between 0 and 1024"),
        ({"risk": {"market_poll_ms": 0}}, "risk.market_poll_ms", "between 10 and 3600000"),
        ({"risk": {"max_move_bp": 0}}, "risk.max_move_bp", "between 1 and 100000"),
        ({"mqtt": {"read_thread": 1}}, "mqtt.read_thread", "true or false"),
        ({"publish": {"idle_poll_max_ms": 0}}, "publish.idle_poll_max_ms", "between 1 and 600000"),
        ({"fix": {"member_refresh_s": -1}}, "fix.member_refresh_s", "between 0 and 3600"),
        ({"eod": {"at_close": "yes"}}, "eod.at_close", "true or false"),
        ({"eod": {"overnight_rates": "nowhere.csv"}}, "eod.overnight_rates", "no such file"),
        ({"eod": {"at_open": True}}, "eod.at_open", "unknown key"),
        ({"calls": {"intraday_at": ["8h30"]}}, "calls.intraday_at", "local time HH:MM"),
        ({"calls": {"due_time": "25:00"}}, "calls.due_time", "local time HH:MM"),
        ({"calls": {"intraday_threshold": {"AUD": -1}}}, "calls.intraday_threshold", "non-negative"),
        ({"calls": {"due_after": 1}}, "calls.due_after", "unknown key"),
    ],
)
def test_errors_name_the_key(doc: dict[str, object], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(doc)
    assert info.value.key == key
    assert fragment in str(info.value)


def test_relative_paths_are_taken_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "g.toml").write_text('data_dir = "state"\n[fpml]\nschema_dir = "xsd"\n')
    cfg = load_config(tmp_path / "g.toml")
    assert cfg.data_dir == tmp_path / "state"
    assert cfg.fpml.schema_dir == tmp_path / "xsd"
    assert cfg.store.url == f"sqlite+aiosqlite:///{tmp_path / 'state' / 'gateway.db'}"


def test_end_of_day_at_the_close_is_on_by_default_and_reads_its_rates_file(tmp_path: Path) -> None:
    assert config_from_dict({}).eod.at_close is True
    assert config_from_dict({}).eod.overnight_rates is None
    (tmp_path / "fixings.csv").write_text("index,date,rate_percent\n")
    (tmp_path / "g.toml").write_text('[eod]\nat_close = false\novernight_rates = "fixings.csv"\n')
    cfg = load_config(tmp_path / "g.toml")
    assert cfg.eod.at_close is False
    assert cfg.eod.overnight_rates == tmp_path / "fixings.csv"


def test_margin_calls_settings_have_defaults_and_are_read(tmp_path: Path) -> None:
    from datetime import time
    from decimal import Decimal

    from gateway.app import call_settings

    default = config_from_dict({}).calls
    assert (default.due_after_business_days, default.due_time, default.intraday_at) == (1, time(10, 0), ())
    (tmp_path / "g.toml").write_text(
        '[calls]\ndue_after_business_days = 1\ndue_time = "09:30"\nintraday_at = ["11:00", "08:30"]\n'
        "intraday_threshold = { AUD = 1_000_000 }\nintraday_fraction = 0.1\nintraday_due_minutes = 120\n"
    )
    read = call_settings(load_config(tmp_path / "g.toml"))
    assert read.due_time == time(9, 30)
    assert read.intraday_at == (time(8, 30), time(11, 0))
    assert read.intraday_threshold == {"AUD": Decimal(1_000_000)}
    assert read.intraday_fraction == Decimal("0.1")
    assert read.intraday_due_minutes == 120


def test_unreadable_and_invalid_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[mqtt\nport = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")


def test_simulated_start_must_be_an_offset_date_time() -> None:
    import tomllib

    cfg = config_from_dict(tomllib.loads("simulated_start = 2026-01-07T10:30:00+11:00"))
    assert cfg.simulated_start is not None
    assert cfg.simulated_start.utcoffset() is not None
    with pytest.raises(ConfigError) as info:
        config_from_dict(tomllib.loads("simulated_start = 2026-01-07T10:30:00"))
    assert info.value.key == "simulated_start"


def test_throughput_settings_have_defaults_and_are_read() -> None:
    cfg = load_config(None)
    assert (cfg.risk.blas_threads, cfg.mqtt.read_thread, cfg.publish.idle_poll_max_ms) == (1, True, 1000)
    cfg = config_from_dict(
        {"risk": {"blas_threads": 0}, "mqtt": {"read_thread": False}, "publish": {"idle_poll_max_ms": 250}}
    )
    assert (cfg.risk.blas_threads, cfg.mqtt.read_thread, cfg.publish.idle_poll_max_ms) == (0, False, 250)


def test_the_market_drop_settings_have_defaults_and_are_read(tmp_path: Path) -> None:
    cfg = load_config(None)
    assert cfg.risk.market_drop_dir is None
    assert (cfg.risk.market_poll_ms, cfg.risk.max_move_bp, cfg.risk.max_fx_move_pct) == (5000, 500, 20)
    (tmp_path / "g.toml").write_text(
        '[risk]\nmarket_drop_dir = "drop"\nmarket_poll_ms = 250\nmax_move_bp = 300\nmax_fx_move_pct = 10\n'
    )
    cfg = load_config(tmp_path / "g.toml")
    assert cfg.risk.market_drop_dir == tmp_path / "drop"
    assert (cfg.risk.market_poll_ms, cfg.risk.max_move_bp, cfg.risk.max_fx_move_pct) == (250, 300, 10)


def test_members_status_for_fix_logons_is_read_again_every_five_seconds_unless_told() -> None:
    assert load_config(None).fix.member_refresh_s == 5
    assert config_from_dict({"fix": {"member_refresh_s": 0}}).fix.member_refresh_s == 0  # never


def test_without_a_schema_dir_the_clearing_profile_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's clone has no ../shared: nothing configured means the project's own profile, not an error."""
    from fpml_schemas import ENV_VAR, PROFILE_LABEL
    from gateway.app import fpml_schema

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    cfg = load_config(None)
    assert cfg.fpml.schema_dir is None
    assert fpml_schema(cfg).label == PROFILE_LABEL


def test_a_configured_official_set_is_used(fpml_schema_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fpml_schemas import ENV_VAR, OFFICIAL_LABEL
    from gateway.app import fpml_schema

    monkeypatch.delenv(ENV_VAR, raising=False)
    cfg = config_from_dict({"fpml": {"schema_dir": str(fpml_schema_dir)}}, base=fpml_schema_dir)
    assert fpml_schema(cfg).label == OFFICIAL_LABEL
