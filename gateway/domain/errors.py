"""Errors that carry their reason code and where in the input they were found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gateway.domain.reasons import REASONS, ReasonCode, ReasonInfo


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with an input: machine-readable code, where it is (XPath-like path or FIX tag), and prose."""

    code: ReasonCode
    path: str
    message: str

    @property
    def info(self) -> ReasonInfo:
        return REASONS[self.code]

    def to_dict(self) -> dict[str, Any]:
        return {"code": str(self.code), "path": self.path, "message": self.message}


class GatewayError(Exception):
    """Base error: one or more issues, the first one being the headline."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        if not self.issues:
            raise ValueError("GatewayError needs at least one issue")
        super().__init__("; ".join(f"{i.code} at {i.path}: {i.message}" for i in self.issues))

    @classmethod
    def of(cls, code: ReasonCode, path: str, message: str) -> GatewayError:
        return cls([Issue(code, path, message)])

    @property
    def code(self) -> ReasonCode:
        return self.issues[0].code

    @property
    def path(self) -> str:
        return self.issues[0].path


class InputRejected(GatewayError):
    """The input (FpML, FIX, JSON, a file) cannot be accepted as it is."""


class TradeInvalid(InputRejected):
    """A canonical trade would break one of its invariants."""


class NotEligible(GatewayError):
    """A valid trade that the CCP does not clear (scope, parties, hours, duplicates)."""


class MarketDataError(GatewayError):
    """Market data that cannot be used; never priced around."""
