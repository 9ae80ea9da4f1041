"""What one clearing member may see of a status: its own credit figures, never another member's.

Credit reasons carry the path ``member[M].account[A]`` and name the shortfall. A publisher sending a status
to member M calls ``reasons_for_member`` so that another member's figures are replaced by a plain
statement that the counterparty's side is not yet covered. The trade source sees every reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.domain.errors import Issue

_PREFIX = "member["


def reasons_for_member(reasons: Iterable[Issue], member_id: str) -> tuple[Issue, ...]:
    own = f"{_PREFIX}{member_id}]"
    out: list[Issue] = []
    for issue in reasons:
        if issue.path.startswith(_PREFIX) and not issue.path.startswith(own):
            redacted = Issue(issue.code, "counterparty", "the counterparty's side is not yet covered")
            if redacted not in out:
                out.append(redacted)
        else:
            out.append(issue)
    return tuple(out)
