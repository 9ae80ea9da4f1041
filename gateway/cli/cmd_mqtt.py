"""``clearing-gateway mqtt user add|list``: users of the broker's password file, without Mosquitto installed.

The file is Mosquitto's own format (``mosquitto_passwd``), so the same file serves the embedded broker
and a production Mosquitto. Without ``--file`` the command works on the embedded broker's file of
``--config`` (default: the no-config defaults, ``var/mqtt/passwd`` under the working directory).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.app import app
from gateway.cli.kit import refuse, sub_app

mqtt_app = sub_app("The MQTT broker's users (Mosquitto password file format).")
user_app = sub_app("Users of the password file.")
mqtt_app.add_typer(user_app, name="user")
app.add_typer(mqtt_app, name="mqtt")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="The gateway's TOML configuration; without it, the embedded defaults.",
        exists=True,
        dir_okay=False,
    ),
]
FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file", help="The password file (default: the embedded broker's, from the configuration)."
    ),
]


def _files(config: Path | None, file: Path | None) -> Path:
    """The password file the command works on."""
    from gateway.channels.mqtt.broker.defaults import embedded_paths
    from gateway.config import ConfigError, load_config

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise refuse("--config", f"{exc}: correct the configuration file") from None
    return file or embedded_paths(cfg.mqtt, cfg.data_dir)[0]


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The user name: a trade source's or member's topic id.")],
    password_env: Annotated[
        str | None,
        typer.Option(
            "--password-env",
            help="Take the password from this environment variable instead of generating one.",
        ),
    ] = None,
    config: ConfigOption = None,
    file: FileOption = None,
) -> None:
    """Add NAME (or give it a new password). A generated password is printed once, as NAME=PASSWORD."""
    from gateway.channels.mqtt.broker.passwd import PasswordFile, PasswordFileError, check_name, new_password

    password_file = _files(config, file)
    try:
        check_name(name)
    except PasswordFileError as exc:
        raise refuse("NAME", str(exc)) from None
    if password_env is not None:
        password = os.environ.get(password_env, "")
        if not password:
            raise refuse("--password-env", f"environment variable {password_env} is not set or empty")
        generated = False
    else:
        password, generated = new_password(), True
    try:
        users = PasswordFile.load(password_file) if password_file.exists() else PasswordFile()
        users.add(name, password)
        users.save(password_file)
    except (OSError, PasswordFileError) as exc:
        raise refuse("--file", f"cannot update {password_file}: {exc}") from None
    if generated:
        typer.echo(f"{name}={password}")
    typer.echo(f"user {name} written to {password_file}", err=True)


@user_app.command("list")
def user_list(config: ConfigOption = None, file: FileOption = None) -> None:
    """The user names in the password file, one a line."""
    from gateway.channels.mqtt.broker.passwd import PasswordFile, PasswordFileError

    password_file = _files(config, file)
    try:
        users = PasswordFile.load(password_file)
    except (OSError, PasswordFileError) as exc:
        raise refuse("--file", f"cannot read {password_file}: {exc}") from None
    for name in users.users:
        typer.echo(name)
