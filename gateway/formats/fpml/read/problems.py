"""Collecting every issue of a document instead of stopping at the first."""

from __future__ import annotations

from gateway.domain.errors import Issue, TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.read.xml import Element, path_of

MAX_ISSUES = 100  # per trade or document part: a hostile document cannot make the answer huge


class Problems:
    """An append-only list of issues; locations are element paths computed only when something is wrong.

    Each distinct issue is kept once, up to MAX_ISSUES; beyond that they are only counted (``dropped``).
    """

    __slots__ = ("_count", "_seen", "dropped", "issues")

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self._seen: set[Issue] = set()
        self._count = 0  # every add, repeated or not: readers compare it to see whether they hit a problem
        self.dropped = 0

    def add(self, code: ReasonCode, where: Element | str, message: str) -> None:
        """Record an issue once (a shared element, e.g. referenced business centres, is reported once)."""
        self._count += 1
        if len(self.issues) >= MAX_ISSUES:
            self.dropped += 1
            return
        path = where if isinstance(where, str) else path_of(where)
        issue = Issue(code, path, message)
        if issue not in self._seen:
            self._seen.add(issue)
            self.issues.append(issue)

    def missing(self, parent: Element, name: str, what: str | None = None) -> None:
        self.add(ReasonCode.FPML_MISSING_FIELD, f"{path_of(parent)}/{name}", f"{what or name} is required")

    def from_invalid(self, exc: TradeInvalid, base: Element, where: dict[str, str] | None = None) -> None:
        """Re-home the issues of a domain invariant onto the element they came from: ``where`` maps the
        domain's field names (``stream.notional``) to paths below ``base``."""
        base_path = path_of(base)
        for issue in exc.issues:
            field = issue.path.split(".", 1)[-1]
            relative = (where or {}).get(field, field)
            self.add(issue.code, f"{base_path}/{relative}", issue.message)

    def __len__(self) -> int:
        return self._count


def bounded(issues: list[Issue], dropped: int, limit: int = 2 * MAX_ISSUES) -> list[Issue]:
    """At most ``limit`` issues; the rest summed up in one closing issue."""
    extra = dropped + max(0, len(issues) - limit)
    kept = issues[:limit]
    if extra and kept:
        kept.append(Issue(kept[-1].code, "/", f"{extra} further issues are not listed"))
    return kept
