"""Mosquitto password files: read what mosquitto_passwd writes, and write what Mosquitto accepts."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from gateway.channels.mqtt.broker.passwd import (
    PasswordFile,
    PasswordFileError,
    hash_password,
    parse_hash,
    parse_password_file,
)
from tests.conftest import services_required


def _need_mosquitto_passwd() -> None:
    if shutil.which("mosquitto_passwd") is None:
        if services_required():
            pytest.fail("mosquitto_passwd is required under CI")
        pytest.skip("mosquitto_passwd is not installed")


@pytest.mark.parametrize("algorithm", ["sha512-pbkdf2", "sha512"])
def test_a_file_made_by_mosquitto_passwd_is_read_and_verified(tmp_path: Path, algorithm: str) -> None:
    _need_mosquitto_passwd()
    path = tmp_path / "passwd"
    path.touch()
    for user, password in (("MW", "mw-secret"), ("BANKA", "pässwörd with spaces")):
        subprocess.run(
            ["mosquitto_passwd", "-H", algorithm, "-b", str(path), user, password],
            check=True,
            capture_output=True,
        )
    text = path.read_text()
    assert text.startswith("MW:$7$" if algorithm == "sha512-pbkdf2" else "MW:$6$")
    users = PasswordFile.load(path)
    assert users.users == ("MW", "BANKA")
    assert users.verify("MW", "mw-secret")
    assert users.verify("BANKA", "pässwörd with spaces")
    assert not users.verify("MW", "mw-secreT")
    assert not users.verify("BANKA", "mw-secret")
    assert not users.verify("NOBODY", "mw-secret")
    assert not users.verify("MW", None)
    assert not users.verify(None, None)


def test_the_written_format_is_mosquittos_and_round_trips(tmp_path: Path) -> None:
    h = hash_password("s3cret", iterations=101, salt=bytes(range(12)))
    rendered = h.render()
    kind, iterations, salt, digest = rendered.split("$")[1:]
    assert (kind, iterations, salt) == ("7", "101", "AAECAwQFBgcICQoL")
    assert len(digest) == 88  # 64 bytes of SHA-512, base64
    assert parse_hash(rendered) == h
    assert h.matches("s3cret")
    assert not h.matches("s3cre")

    users = PasswordFile.with_passwords({"gateway": "g", "MW": "m"})
    path = tmp_path / "sub" / "passwd"
    users.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = PasswordFile.load(path)
    assert again.verify("gateway", "g")
    assert again.verify("MW", "m")
    assert not again.verify("MW", "g")


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("MW:plaintext", "plain-text passwords are not accepted"),
        ("MW", "expected NAME:HASH"),
        ("MW:$7$x$AAAA$AAAA", "unreadable hash"),
        ("MW:$7$0$AAAA$AAAA", "iteration count must be positive"),
        ("M/W:$6$AAAA$AAAA", "invalid user name"),
    ],
)
def test_an_unusable_line_is_refused_with_its_number(line: str, why: str) -> None:
    with pytest.raises(PasswordFileError, match=why) as err:
        parse_password_file(f"# users\n\n{line}\n")
    assert "line 3" in str(err.value)
