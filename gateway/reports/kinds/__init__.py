"""Every report kind, in the order a member's notification lists them (docs/REPORTS.md).

A kind is one module: its columns and its query. Margin calls and cash flows join this list when their
tables exist."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from gateway.reports.kind import ReportKind
from gateway.reports.kinds import collateral, margin, movements, positions, statuses, trades

KINDS: tuple[ReportKind, ...] = (
    trades.KIND,
    statuses.KIND,
    positions.KIND,
    margin.KIND,
    collateral.KIND,
    movements.KIND,
)
BY_NAME: Mapping[str, ReportKind] = MappingProxyType({k.name: k for k in KINDS})
