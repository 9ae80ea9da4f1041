"""The embedded broker's files on first start, and its topic rules from the reference data.

``serve`` without ``--config`` (and the demo) must work with nothing prepared, yet the broker it starts
admits nobody anonymous. So, in the data directory (``[mqtt] password_file`` elsewhere):

* ``mqtt/passwd`` (mode 0600), Mosquitto's format: created holding the gateway's own user. Unless
  ``[mqtt] password_env`` names its password, the gateway draws a new random one at every start and
  keeps it only in memory (the file holds its hash): no secret of the gateway's lies on disk.
  Trade sources and members are added with ``clearing-gateway mqtt user add``.
* the topic rules are the production broker's: ``gateway.channels.mqtt.broker.acl_file.acl_file`` renders them from the
  registered trade sources (the gateway's user reads intake and writes statuses, a member reads its own
  status topic, an active source writes its own intake topic and reads its answers; no pattern grants an
  intake topic). The gateway feeds them to the broker at start and whenever the sources change, and
  writes them to ``mqtt/acl`` for operators to read. With ``[mqtt] acl_file`` configured the rules are
  that file's instead (read again when it changes), and nothing is generated.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.channels.mqtt.broker.access import BrokerAccess
from gateway.channels.mqtt.broker.acl import Acl
from gateway.channels.mqtt.broker.acl_file import acl_file as render_acl
from gateway.channels.mqtt.broker.passwd import PasswordFile, new_password
from gateway.config import MqttConfig
from gateway.refdata.model import Member
from gateway.refdata.sources import TradeSource

if TYPE_CHECKING:
    from gateway.channels.mqtt.broker.embedded import EmbeddedBroker

log = logging.getLogger(__name__)

DEFAULT_CONSUMER = "gateway"


def generated_acl(sources: Iterable[TradeSource], cfg: MqttConfig) -> str:
    """The embedded broker's rules for ``sources``: the same text ``clearing-gateway source acl`` writes."""
    return render_acl(sources, cfg.topic_root, cfg.username or DEFAULT_CONSUMER)


def embedded_paths(cfg: MqttConfig, data_dir: Path) -> tuple[Path, Path]:
    """(password file, ACL file) of the embedded broker: configured, or under ``data_dir/mqtt``."""
    return (
        cfg.password_file or data_dir / "mqtt" / "passwd",
        cfg.acl_file or data_dir / "mqtt" / "acl",
    )


def write_generated(path: Path, text: str) -> None:
    """Write the generated rules where operators look for them (replaced whole, readable by all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o644)
    tmp.replace(path)


def prepare_embedded(
    cfg: MqttConfig, data_dir: Path, sources: Iterable[TradeSource] = ()
) -> tuple[BrokerAccess, MqttConfig]:
    """Create the password file if missing, give the gateway's user its password; the broker's access and
    the MQTT configuration the gateway's own clients connect with. Without ``[mqtt] acl_file`` the rules
    are generated for ``sources`` (the gateway feeds them again whenever the sources change)."""
    password_file, acl_path = embedded_paths(cfg, data_dir)
    user = cfg.username or DEFAULT_CONSUMER
    password = cfg.password if cfg.password_env else None
    passwords = PasswordFile.load(password_file) if password_file.exists() else PasswordFile()
    if password is None or not passwords.verify(user, password):
        password = password or new_password()
        passwords.add(user, password)
        passwords.save(password_file)
    mqtt_cfg = replace(cfg, username=user, secret=password)
    if cfg.acl_file is not None:
        return BrokerAccess.from_files(password_file, cfg.acl_file), mqtt_cfg
    text = generated_acl(sources, mqtt_cfg)
    write_generated(acl_path, text)
    access = BrokerAccess(PasswordFile.load(password_file), Acl.parse(text), password_file=password_file)
    return access, mqtt_cfg


class AclFeed:
    """The embedded broker's topic rules from the trade sources as last read.

    A source added, suspended or reinstated is granted or refused its intake topic at the next reading, as
    the production broker is after ``source acl`` and SIGHUP. With ``[mqtt] acl_file`` configured the
    rules are that file's and nothing is fed. The rules in force are the broker's; the file written next
    to it is for operators to read, so a failure to write it is only logged.
    """

    def __init__(self, broker: EmbeddedBroker | None, cfg: MqttConfig, data_dir: Path) -> None:
        self._broker = broker if cfg.acl_file is None else None
        self._cfg = cfg
        self._data_dir = data_dir
        self._fed: str | None = None

    def apply(self, sources: Sequence[TradeSource], members: Sequence[Member] = ()) -> None:
        if self._broker is None:
            return
        text = generated_acl(sources, self._cfg)
        if text == self._fed:
            return
        self._broker.reload_acl(text)
        self._fed = text
        try:
            write_generated(embedded_paths(self._cfg, self._data_dir)[1], text)
        except OSError as exc:
            log.warning("the embedded broker's topic rules could not be written out: %s", exc)
