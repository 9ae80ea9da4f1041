"""``clearing-gateway mqtt user add|list``: a newcomer makes broker users without Mosquitto installed,
and the file it writes is one the real Mosquitto accepts."""

from __future__ import annotations

import shutil
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from typer.testing import CliRunner

import gateway.cli.cmd_mqtt  # noqa: F401 - registers the command
from gateway.channels.mqtt.broker.passwd import PasswordFile
from gateway.cli.app import app
from gateway.loopback import free_port
from tests.conftest import services_required


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["mqtt", "user", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_add_prints_a_generated_password_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    code, out, err = _run("add", "MW", "--file", str(path))
    assert code == 0, err
    name, _, password = out.strip().partition("=")
    assert name == "MW"
    assert len(password) >= 20
    assert password not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PasswordFile.load(path).verify("MW", password)

    code, out, err = _run(
        "add", "BANKA", "--file", str(path), "--password-env", "A_PW", env={"A_PW": "from-env"}
    )
    assert code == 0, err
    assert out == ""  # nothing to print: the password was the operator's
    users = PasswordFile.load(path)
    assert users.verify("BANKA", "from-env")
    assert users.verify("MW", password)
    assert _run("list", "--file", str(path))[1].split() == ["MW", "BANKA"]


@pytest.mark.parametrize("name", ["a/b", "a+", "#", "a:b", ""])
def test_a_name_that_is_not_a_topic_id_is_refused(tmp_path: Path, name: str) -> None:
    code, _, _ = _run("add", name, "--file", str(tmp_path / "passwd"))
    assert code == 2
    assert not (tmp_path / "passwd").exists()


def test_an_unset_password_variable_is_refused(tmp_path: Path) -> None:
    code, _, err = _run("add", "MW", "--file", str(tmp_path / "passwd"), "--password-env", "NOT_SET_ANYWHERE")
    assert code == 2
    assert "NOT_SET_ANYWHERE" in err


def _connect(port: int, user: str, password: str) -> paho.ReasonCode | int:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"t-{user}")
    client.username_pw_set(user, password)
    result: list[paho.ReasonCode] = []
    client.on_connect = lambda _c, _u, _f, rc, _p: result.append(rc)
    client.connect("127.0.0.1", port)
    deadline = time.monotonic() + 10
    while not result and time.monotonic() < deadline:
        client.loop(0.1)
    client.disconnect()
    return result[0] if result else -1


def test_the_real_mosquitto_accepts_the_file_the_cli_writes() -> None:
    if shutil.which("mosquitto") is None:
        if services_required():
            pytest.fail("mosquitto is required under CI")
        pytest.skip("mosquitto is not installed")
    with tempfile.TemporaryDirectory(prefix="passwd-test-") as folder:
        tmp = Path(folder)
        tmp.chmod(0o755)  # run as root, mosquitto reads the file as its own user
        passwd = tmp / "passwd"
        code, out, _ = _run("add", "MW", "--file", str(passwd))
        assert code == 0
        password = out.strip().partition("=")[2]
        passwd.chmod(0o644)
        port = free_port()
        (tmp / "m.conf").write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwd}\n"
        )
        proc = subprocess.Popen(
            ["mosquitto", "-c", str(tmp / "m.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                assert proc.poll() is None, "mosquitto exited"
                assert time.monotonic() < deadline, "mosquitto did not listen"
                time.sleep(0.05)
            assert _connect(port, "MW", password) == 0
            assert _connect(port, "MW", password + "x") != 0
        finally:
            proc.terminate()
            proc.wait(10)
            if proc.stdout:
                proc.stdout.close()
