"""Who may connect to the embedded broker and what each user may publish and read.

``BrokerAccess`` holds the users (a Mosquitto password file, gateway/channels/mqtt/broker/passwd.py) and the topic rules
(Mosquitto ACL text, gateway/channels/mqtt/broker/acl.py). Each decision that refuses something leaves the one log line
of gateway/security_log.py (channel ``mqtt``, the user name as identity, a reason code). Both can change
while the broker runs: ``reload_acl(text)`` replaces the rules at once (the reference data feeds it),
and files given as paths are read again when they change (checked on each CONNECT).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from gateway import security_log
from gateway.channels.mqtt.broker.acl import Acl
from gateway.channels.mqtt.broker.passwd import PasswordFile
from gateway.domain.reasons import ReasonCode

CHANNEL = "mqtt"
log = logging.getLogger(__name__)


class _Watched:
    """A file whose (mtime, size) is remembered, to read it again only when it changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: tuple[int, int] | None = None

    def changed(self) -> bool:
        try:
            st = self.path.stat()
        except OSError:
            return False
        key = (st.st_mtime_ns, st.st_size)
        if key == self.seen:
            return False
        self.seen = key
        return True


class BrokerAccess:
    """The embedded broker's users and topic rules; every refusal is logged here."""

    def __init__(
        self,
        passwords: PasswordFile,
        acl: Acl,
        *,
        password_file: Path | None = None,
        acl_file: Path | None = None,
    ) -> None:
        self._passwords = passwords
        self._acl = acl
        self._password_file = _Watched(password_file) if password_file else None
        self._acl_file = _Watched(acl_file) if acl_file else None
        for watched in (self._password_file, self._acl_file):
            if watched is not None:
                watched.changed()  # what was just loaded is the baseline

    @classmethod
    def from_files(cls, password_file: Path, acl_file: Path) -> BrokerAccess:
        return cls(
            PasswordFile.load(password_file),
            Acl.parse(acl_file.read_text(encoding="utf-8")),
            password_file=password_file,
            acl_file=acl_file,
        )

    @property
    def acl(self) -> Acl:
        return self._acl

    def reload_acl(self, text: str) -> None:
        """Replace the topic rules with ``text`` (``AclError`` if it cannot be read; the old rules then stay).

        From then on the rules are the ones given here: the ACL file is no longer watched, so a feed
        (the reference data's sources) is never overwritten by an older file.
        """
        self._acl = Acl.parse(text)
        self._acl_file = None
        log.info("MQTT topic rules replaced")

    def refresh(self) -> None:
        """Read the password and ACL files again if they changed; a broken file keeps the previous state."""
        if self._password_file is not None and self._password_file.changed():
            try:
                self._passwords = PasswordFile.load(self._password_file.path)
                log.info("MQTT users read again from %s", self._password_file.path)
            except (OSError, ValueError) as exc:
                log.error("MQTT password file %s not reloaded: %s", self._password_file.path, exc)
        if self._acl_file is not None and self._acl_file.changed():
            try:
                self._acl = Acl.parse(self._acl_file.path.read_text(encoding="utf-8"))
                log.info("MQTT topic rules read again from %s", self._acl_file.path)
            except (OSError, ValueError) as exc:
                log.error("MQTT ACL file %s not reloaded: %s", self._acl_file.path, exc)

    async def authenticate(self, user: str | None, password: str | None, client_id: str | None) -> bool:
        """True for a known user with its password; anything else is refused and logged."""
        self.refresh()
        if not user:
            security_log.refused(
                CHANNEL,
                None,
                ReasonCode.MQTT_NOT_AUTHENTICATED,
                f"anonymous connection (client id {client_id!r})",
            )
            return False
        passwords = self._passwords
        # PBKDF2 takes milliseconds: off the event loop, so a guessing client does not stall the others
        if await asyncio.to_thread(passwords.verify, user, password):
            return True
        security_log.refused(
            CHANNEL,
            user,
            ReasonCode.MQTT_NOT_AUTHENTICATED,
            f"unknown user or wrong password (client id {client_id!r})",
        )
        return False

    def client_id_refused(self, user: str, client_id: str, owner: str | None) -> None:
        security_log.refused(
            CHANNEL,
            user,
            ReasonCode.MQTT_CLIENT_ID_TAKEN,
            f"client id {client_id!r} is held by user {owner!r}",
        )

    def may_publish(self, user: str | None, client_id: str | None, topic: str) -> bool:
        if self._acl.allows_publish(user, client_id, topic):
            return True
        security_log.refused(CHANNEL, user, ReasonCode.MQTT_TOPIC_DENIED, f"publish on {topic!r} dropped")
        return False

    def may_subscribe(self, user: str | None, client_id: str | None, topic_filter: str) -> bool:
        if self._acl.allows_subscribe(user, client_id, topic_filter):
            return True
        security_log.refused(
            CHANNEL, user, ReasonCode.MQTT_TOPIC_DENIED, f"subscription to {topic_filter!r} refused"
        )
        return False

    def may_receive(self, user: str | None, client_id: str | None, topic: str) -> bool:
        if self._acl.allows_receive(user, client_id, topic):
            return True
        security_log.refused(
            CHANNEL, user, ReasonCode.MQTT_TOPIC_DENIED, f"message on {topic!r} not delivered"
        )
        return False
