"""Reading a rules file: the operator's own, or the one shipped with the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode


def read_rules_text(path: Path | None, packaged: str) -> tuple[str, str]:
    """The text of ``path`` (or of ``packaged`` in gateway/rules when None) and the name errors cite."""
    if path is None:
        return resources.files("gateway.rules").joinpath(packaged).read_text(
            encoding="utf-8"
        ), f"gateway/rules/{packaged}"
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputRejected([Issue(ReasonCode.REF_INVALID_INPUT, str(path), f"cannot read: {exc}")]) from None
