"""Mosquitto password files, read and written without Mosquitto.

One line per user, ``NAME:HASH``. The hash is the one ``mosquitto_passwd`` writes by default,
``$7$<iterations>$<salt, base64>$<PBKDF2-HMAC-SHA512 of the password, base64>``; the older
``$6$<salt>$<SHA-512 of password + salt>`` (``mosquitto_passwd -H sha512``) is read too. So one file
serves the production Mosquitto and the embedded broker, and a newcomer without Mosquitto can add users
(``clearing-gateway mqtt user add``). Passwords are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PBKDF2_ITERATIONS = 20_000  # mosquitto_passwd writes 101; the file carries the count, so both read either
SALT_BYTES = 12  # as mosquitto_passwd
_FORBIDDEN_IN_NAME = frozenset("/+#:\n\r\x00")


class PasswordFileError(ValueError):
    """A password file line or a user name that cannot be used; the message says which line or why."""


@dataclass(frozen=True, slots=True)
class PasswordHash:
    """One stored hash: ``kind`` 7 (PBKDF2-HMAC-SHA512) or 6 (salted SHA-512)."""

    kind: int
    iterations: int
    salt: bytes
    digest: bytes

    def render(self) -> str:
        salt = base64.b64encode(self.salt).decode("ascii")
        digest = base64.b64encode(self.digest).decode("ascii")
        if self.kind == 6:
            return f"$6${salt}${digest}"
        return f"$7${self.iterations}${salt}${digest}"

    def matches(self, password: str) -> bool:
        computed = _digest(self.kind, password.encode("utf-8"), self.salt, self.iterations)
        return hmac.compare_digest(computed, self.digest)


def _digest(kind: int, password: bytes, salt: bytes, iterations: int) -> bytes:
    if kind == 6:
        return hashlib.sha512(password + salt).digest()
    return hashlib.pbkdf2_hmac("sha512", password, salt, iterations)


def hash_password(
    password: str, *, iterations: int = PBKDF2_ITERATIONS, salt: bytes | None = None
) -> PasswordHash:
    """A new ``$7$`` hash of ``password`` with a random salt."""
    if not password:
        raise PasswordFileError("the password must not be empty")
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    return PasswordHash(7, iterations, salt, _digest(7, password.encode("utf-8"), salt, iterations))


def parse_hash(text: str) -> PasswordHash:
    """Read ``$7$...`` or ``$6$...``; ``PasswordFileError`` for anything else."""
    parts = text.split("$")
    try:
        if len(parts) == 5 and parts[0] == "" and parts[1] == "7":
            iterations = int(parts[2])
            if iterations < 1:
                raise PasswordFileError(f"iteration count must be positive, got {iterations}")
            salt, digest = (
                base64.b64decode(parts[3], validate=True),
                base64.b64decode(parts[4], validate=True),
            )
            return PasswordHash(7, iterations, salt, digest)
        if len(parts) == 4 and parts[0] == "" and parts[1] == "6":
            salt, digest = (
                base64.b64decode(parts[2], validate=True),
                base64.b64decode(parts[3], validate=True),
            )
            return PasswordHash(6, 0, salt, digest)
    except (ValueError, binascii.Error) as exc:
        if isinstance(exc, PasswordFileError):
            raise
        raise PasswordFileError(f"unreadable hash ({exc})") from None
    raise PasswordFileError(
        "not a $7$ (PBKDF2-SHA512) or $6$ (SHA-512) hash; plain-text passwords are not accepted"
    )


def check_name(name: str) -> str:
    """A user name is a topic id: not empty, no '/', '+', '#', ':' or line breaks."""
    if not name or any(c in _FORBIDDEN_IN_NAME for c in name):
        raise PasswordFileError(
            f"invalid user name {name!r}: it must not be empty or contain / + # : or a line break"
        )
    return name


def parse_password_file(text: str) -> dict[str, PasswordHash]:
    """Every ``NAME:HASH`` line; blank lines and ``#`` comments are skipped."""
    users: dict[str, PasswordHash] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        if not sep:
            raise PasswordFileError(f"line {number}: expected NAME:HASH")
        try:
            users[check_name(name)] = parse_hash(stored)
        except PasswordFileError as exc:
            raise PasswordFileError(f"line {number} ({name}): {exc}") from None
    return users


def render_password_file(users: Mapping[str, PasswordHash]) -> str:
    return "".join(f"{name}:{h.render()}\n" for name, h in users.items())


class PasswordFile:
    """The users of one password file; ``verify`` answers a CONNECT, ``add`` and ``save`` manage entries."""

    def __init__(self, users: Mapping[str, PasswordHash] | None = None) -> None:
        self._users: dict[str, PasswordHash] = dict(users or {})
        # a hash that every unknown user is checked against, so a wrong name costs as much as a wrong password
        self._decoy = hash_password(secrets.token_hex(8))

    @classmethod
    def with_passwords(cls, passwords: Mapping[str, str]) -> PasswordFile:
        """A file holding these users and (plain) passwords, hashed: tests and tools."""
        users = cls()
        for name, password in passwords.items():
            users.add(name, password)
        return users

    @classmethod
    def load(cls, path: Path) -> PasswordFile:
        return cls(parse_password_file(path.read_text(encoding="utf-8")))

    @property
    def users(self) -> tuple[str, ...]:
        return tuple(self._users)

    def verify(self, user: str | None, password: str | None) -> bool:
        """True only for a known user with its password; the work done does not tell which part was wrong."""
        stored = self._users.get(user) if user else None
        candidate = password if password is not None else ""
        ok = (stored or self._decoy).matches(candidate)
        return ok and stored is not None and password is not None

    def add(self, user: str, password: str) -> None:
        """Add ``user`` or replace its password."""
        self._users[check_name(user)] = hash_password(password)

    def save(self, path: Path) -> None:
        """Write the file (mode 0600) by replacing it, so a reader never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(render_password_file(self._users))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def new_password() -> str:
    """A random password for a generated user (144 bits, URL-safe)."""
    return secrets.token_urlsafe(18)
