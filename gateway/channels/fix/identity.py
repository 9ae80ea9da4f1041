"""Refusals of who a FIX session is (not of what it sent): each leaves a line in the security log."""

from __future__ import annotations

from collections.abc import Sequence

from gateway import security_log
from gateway.channels.fix.config import FixSession
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode

IDENTITY_REFUSALS = frozenset(
    {ReasonCode.ELIG_ACCOUNT_NOT_YOURS, ReasonCode.ELIG_NOT_COUNTERPARTY, ReasonCode.ELIG_UNKNOWN_PARTY}
)


def log_identity_refusals(member: FixSession, issues: Sequence[Issue]) -> None:
    for issue in issues:
        if issue.code in IDENTITY_REFUSALS:
            security_log.refused("fix", member.comp_id, issue.code, f"{issue.path}: {issue.message}")
