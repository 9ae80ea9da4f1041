"""Collecting every issue of a document instead of stopping at the first."""

from __future__ import annotations

from gateway.domain.errors import Issue, TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.intake.fpml.xml import Element, path_of


class Problems:
    """An append-only list of issues; locations are element paths computed only when something is wrong."""

    __slots__ = ("_count", "issues")

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self._count = 0  # every add, repeated or not: readers compare it to see whether they hit a problem

    def add(self, code: ReasonCode, where: Element | str, message: str) -> None:
        """Record an issue once (a shared element, e.g. referenced business centres, is reported once)."""
        self._count += 1
        path = where if isinstance(where, str) else path_of(where)
        issue = Issue(code, path, message)
        if issue not in self.issues:
            self.issues.append(issue)

    def missing(self, parent: Element, name: str, what: str | None = None) -> None:
        self.add(ReasonCode.FPML_MISSING_FIELD, f"{path_of(parent)}/{name}", f"{what or name} is required")

    def from_invalid(self, exc: TradeInvalid, base: Element, where: dict[str, str] | None = None) -> None:
        """Re-home the issues of a domain invariant onto the element they came from: ``where`` maps the
        domain's field names (``stream.notional``) to paths below ``base``."""
        base_path = path_of(base)
        self._count += 1
        for issue in exc.issues:
            field = issue.path.split(".", 1)[-1]
            relative = (where or {}).get(field, field)
            self.issues.append(Issue(issue.code, f"{base_path}/{relative}", issue.message))

    def __len__(self) -> int:
        return self._count
