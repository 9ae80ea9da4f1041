"""Both command lines as click command trees, for tests that go over every command."""

from __future__ import annotations

import importlib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from typer.main import get_command
from typer.testing import CliRunner

import gateway.cli.main as gateway_main
import recon.cli as recon_cli
from gateway.cli.app import app as gateway_app

for _name in (*gateway_main._COMMAND_MODULES, *recon_cli._COMMAND_MODULES):
    importlib.import_module(_name)

APPS: dict[str, typer.Typer] = {"clearing-gateway": gateway_app, "clearing-recon": recon_cli.app}
runner = CliRunner()


@dataclass(frozen=True)
class Leaf:
    prog: str
    path: tuple[str, ...]
    command: Any

    @property
    def name(self) -> str:
        return " ".join((self.prog, *self.path))

    def params(self) -> list[Any]:
        return [p for p in self.command.params if p.name not in ("help",)]

    def option(self, flag: str) -> Any | None:
        return next((p for p in self.params() if flag in getattr(p, "opts", ())), None)


def leaves() -> Iterator[Leaf]:
    """Every command of both command lines, found in the click tree (a new command is included)."""
    for prog, app in APPS.items():
        yield from _walk(prog, (), get_command(app))


def _walk(prog: str, path: tuple[str, ...], command: Any) -> Iterator[Leaf]:
    children = getattr(command, "commands", None)
    if children:
        for name, child in children.items():
            yield from _walk(prog, (*path, name), child)
    else:
        yield Leaf(prog, path, command)


def invoke(leaf: Leaf, *args: str) -> Any:
    return runner.invoke(APPS[leaf.prog], [*leaf.path, *args])


def base_type(param: Any) -> Any:
    """The value type of a parameter: ``Path`` for ``Path | None`` and ``list[Path]``."""
    annotation = param.type_descriptor.annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        origin = typing.get_origin(annotation)
    if origin is list:
        annotation = typing.get_args(annotation)[0]
    return annotation


def is_numeric(param: Any) -> bool:
    return base_type(param) in (int, float, Decimal) and not getattr(param, "is_flag", False)


def info(param: Any) -> Any:
    return param.type_descriptor.parameter_info


def is_path(param: Any) -> bool:
    return base_type(param) is Path
