"""Acceptor configuration: TOML in, explicit quickfix settings out, every mistake named by its key."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from gateway.channels.fix.bridge import logon_refusal
from gateway.channels.fix.config import AcceptorConfig, FixConfigError, FixSession, settings_text


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fix.toml"
    path.write_text(text)
    return path


def test_toml_with_members_schedule_and_tls_guard(tmp_path: Path) -> None:
    config = AcceptorConfig.from_toml(
        _write(
            tmp_path,
            """
[acceptor]
port = 9878
comp_id = "ASXCCP"
start_time = "06:00:00"
end_time = "21:00:00"
start_day = "mon"
end_day = "fri"
heartbeat_max_s = 30
allowed_remote_addresses = ["127.0.0.1"]
data_dir = "state"

[[members]]
comp_id = "BANKA01"
participant = "549300VBWWV6BYQOWM67"
accounts = ["HOUSE", "CLIENT-7"]

[[members]]
comp_id = "SEF1"
participant = "SEF-LEI"
trade_source = true
""",
        )
    )
    assert config.schedule.start == time(6, 0)
    assert config.session("BANKA01") == FixSession("BANKA01", "549300VBWWV6BYQOWM67", ("HOUSE", "CLIENT-7"))
    assert config.data_dir == tmp_path / "state"
    text = settings_text(config)
    for line in (
        "BeginString=FIXT.1.1",
        "DefaultApplVerID=9",
        "SenderCompID=ASXCCP",
        "StartTime=06:00:00",
        "EndTime=21:00:00",
        "ValidateUserDefinedFields=Y",
        "AllowUnknownMsgFields=N",
        "ResetOnLogon=N",
        "AllowedRemoteAddresses=127.0.0.1",
        "TargetCompID=BANKA01",
        "TargetCompID=SEF1",
    ):
        assert line in text.splitlines()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[acceptor]\nport = "x"\n', "acceptor.port"),
        ("[acceptor]\nprot = 1\n", "acceptor.prot"),
        ('[[members]]\ncomp_id = "A"\n', "members[0].participant"),
        ('[[members]]\ncomp_id = "A B"\nparticipant = "X"\n', "members.comp_id"),
        (
            '[[members]]\ncomp_id = "A"\nparticipant = "X"\n[[members]]\ncomp_id = "A"\nparticipant = "Y"\n',
            "members.comp_id",
        ),
        ('[acceptor]\nstart_time = "25:00"\n', "acceptor.start_time"),
        ("[acceptor]\nheartbeat_min_s = 90\n", "acceptor.heartbeat_min_s"),
        ("[fix]\n", "fix"),
        ('[acceptor]\nstart_day = "someday"\nend_day = "fri"\n', "acceptor.start_day"),
        ('[acceptor]\nend_day = "fri"\n', "acceptor.start_day"),
        ('[acceptor]\nbind_host = "fix.example.com"\n', "acceptor.bind_host"),
        ("[acceptor]\nbind_host = 1\n", "acceptor.bind_host"),
    ],
)
def test_mistakes_are_named_by_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(FixConfigError) as err:
        AcceptorConfig.from_toml(_write(tmp_path, text))
    assert err.value.key == key


def test_default_schedule_is_a_non_stop_session() -> None:
    lines = settings_text(AcceptorConfig()).splitlines()
    assert "NonStopSession=Y" in lines
    assert not [line for line in lines if line.startswith(("StartTime", "EndTime"))]


def test_logon_refusals() -> None:
    config = AcceptorConfig(sessions=(FixSession("A", "LEI-A"), FixSession("S", "LEI-S", enabled=False)))
    assert logon_refusal(config, "A", "30") is None
    assert logon_refusal(config, "S", "30") == "SenderCompID S (LEI-S) is suspended"
    assert logon_refusal(config, "A", "2") == "HeartBtInt 2 outside 5..60 seconds"
    assert logon_refusal(config, "A", None) == "HeartBtInt None is not a number"
    assert logon_refusal(config, "Z", "30") == "SenderCompID Z is not a clearing member of this CCP"


def test_bind_host_defaults_to_loopback_and_is_read_from_toml(tmp_path: Path) -> None:
    assert AcceptorConfig().bind_host == "127.0.0.1"
    config = AcceptorConfig.from_toml(
        _write(tmp_path, '[acceptor]\nbind_host = "10.1.2.3"\ninsecure_plaintext = true\n')
    )
    assert config.bind_host == "10.1.2.3"
    assert "SocketAcceptHost=10.1.2.3" in settings_text(config).splitlines()  # quickfix on its own


def test_behind_the_gate_quickfix_listens_for_the_gate_only() -> None:
    config = AcceptorConfig(
        port=9878,
        bind_host="0.0.0.0",  # noqa: S104 - members connect from elsewhere; quickfix still listens for the gate only
        allowed_remote_addresses=("10.0.0.7",),
        insecure_plaintext=True,
        sessions=(FixSession("A", "LEI-A"),),
    )
    lines = settings_text(config, internal_port=41000).splitlines()
    assert "SocketAcceptPort=41000" in lines
    assert "SocketAcceptHost=127.0.0.1" in lines
    assert "AllowedRemoteAddresses=127.0.0.1" in lines  # the members' addresses are checked by the gate
    assert not [line for line in lines if "9878" in line or "10.0.0.7" in line]


def test_plain_tcp_on_another_interface_needs_tls_or_an_explicit_flag(tmp_path: Path) -> None:
    with pytest.raises(
        FixConfigError, match=r"acceptor\.bind_host: 10\.1\.2\.3 is reachable from other hosts"
    ):
        AcceptorConfig.from_toml(_write(tmp_path, '[acceptor]\nbind_host = "10.1.2.3"\n'))


def test_tls_table_with_a_name_mapping_is_read(tmp_path: Path) -> None:
    for name in ("ccp.crt", "ccp.key", "ca.crt"):
        (tmp_path / name).write_text("x")
    config = AcceptorConfig.from_toml(
        _write(
            tmp_path,
            '[acceptor]\nbind_host = "0.0.0.0"\nlogon_timeout_s = 2.5\nmax_pending_connections = 4\n'
            '[tls]\ncertfile = "ccp.crt"\nkeyfile = "ccp.key"\ncafile = "ca.crt"\n'
            '[tls.names]\n"bank-a.example" = ["BANKA_FIX", "BANKA_FIX2"]\n',
        )
    )
    assert (config.logon_timeout_s, config.max_pending_connections) == (2.5, 4)
    assert config.tls is not None
    assert config.tls.cafile == tmp_path / "ca.crt"
    assert config.tls.allows(("bank-a.example",), "BANKA_FIX2")
    assert config.tls.allows(("BANKB_FIX",), "BANKB_FIX")  # a name that is the CompID itself
    assert not config.tls.allows(("bank-a.example",), "BANKB_FIX")
    with pytest.raises(FixConfigError, match=r"tls.cafile: no such file"):
        AcceptorConfig.from_toml(
            _write(tmp_path, '[tls]\ncertfile = "ccp.crt"\nkeyfile = "ccp.key"\ncafile = "none.crt"\n')
        )
