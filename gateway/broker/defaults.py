"""The embedded broker's files on first start: a password file and the static topic rules.

``serve`` without ``--config`` (and the demo) must work with nothing prepared, yet the broker it starts
admits nobody anonymous. So, in the data directory (``[mqtt] password_file`` / ``acl_file`` elsewhere):

* ``mqtt/passwd`` (mode 0600), Mosquitto's format: created holding the gateway's own user. Unless
  ``[mqtt] password_env`` names its password, the gateway draws a new random one at every start and
  keeps it only in memory (the file holds its hash): no secret of the gateway's lies on disk.
  Trade sources and members are added with ``clearing-gateway mqtt user add``.
* ``mqtt/acl``: the deploy ACL's static rules (deploy/mosquitto/acl) for the gateway's user name and
  topic root, without the catch-all intake grant: a user may publish on its intake topic only where a
  ``user`` section says so (``clearing-gateway mqtt user add NAME --source``, or the reference data).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from gateway.broker.access import BrokerAccess
from gateway.broker.acl import Acl
from gateway.broker.passwd import PasswordFile, check_name, new_password
from gateway.config import MqttConfig

DEFAULT_CONSUMER = "gateway"


def static_acl(consumer: str = DEFAULT_CONSUMER, root: str = "ccp") -> str:
    """The deploy ACL's rules that hold for every installation (no per-source intake grant)."""
    return (
        "# Topic access for the clearing gateway's embedded broker (Mosquitto ACL syntax; see docs/TOPICS.md).\n"
        "# %u is the authenticated user name.\n"
        "#\n"
        "# The gateway reads every trade source's intake topic and writes every status topic.\n"
        f"user {consumer}\n"
        f"topic read {root}/in/+/fpml\n"
        f"topic write {root}/out/+/fpml\n"
        f"topic write {root}/member/+/fpml\n"
        "\n"
        "# Everyone reads its own status topics only. Writing an intake topic is granted per trade source,\n"
        "# in a 'user' section below (clearing-gateway mqtt user add NAME --source).\n"
        f"pattern read {root}/out/%u/fpml\n"
        f"pattern read {root}/member/%u/fpml\n"
    )


def source_acl(user: str, root: str = "ccp") -> str:
    """The lines that let ``user`` publish on its own intake topic (a trade source)."""
    check_name(user)
    return f"\nuser {user}\ntopic write {root}/in/{user}/fpml\n"


def grants_source(acl_text: str, user: str, root: str = "ccp") -> bool:
    return Acl.parse(acl_text).allows_publish(user, None, f"{root}/in/{user}/fpml")


def _write_private(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def ensure_acl_file(path: Path, *, consumer: str = DEFAULT_CONSUMER, root: str = "ccp") -> bool:
    """Create ``path`` with the static rules if it does not exist; True if it was created."""
    if path.exists():
        return False
    _write_private(path, static_acl(consumer, root), 0o644)
    return True


def embedded_paths(cfg: MqttConfig, data_dir: Path) -> tuple[Path, Path]:
    """(password file, ACL file) of the embedded broker: configured, or under ``data_dir/mqtt``."""
    return (
        cfg.password_file or data_dir / "mqtt" / "passwd",
        cfg.acl_file or data_dir / "mqtt" / "acl",
    )


def prepare_embedded(cfg: MqttConfig, data_dir: Path) -> tuple[BrokerAccess, MqttConfig]:
    """Create the files if missing, give the gateway's user its password; the broker's access and the
    MQTT configuration the gateway's own clients connect with."""
    password_file, acl_file = embedded_paths(cfg, data_dir)
    user = cfg.username or DEFAULT_CONSUMER
    ensure_acl_file(acl_file, consumer=user, root=cfg.topic_root)
    password = cfg.password if cfg.password_env else None
    passwords = PasswordFile.load(password_file) if password_file.exists() else PasswordFile()
    if password is None or not passwords.verify(user, password):
        password = password or new_password()
        passwords.add(user, password)
        passwords.save(password_file)
    access = BrokerAccess.from_files(password_file, acl_file)
    return access, replace(cfg, username=user, secret=password)
