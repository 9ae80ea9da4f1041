"""Compression of a member's cleared trades: what is asked, and what it did. Values only (no I/O).

A ``CompressionRequest`` names a member's account and its cleared sides (or all its live sides); the
clearing core (``gateway/clearing/compression.py``) groups them by ``RiskBucket``, terminates them and
creates per bucket at most one ``Residual`` facing the CCP; the ``CompressionResult`` carries the figures
of the compression report (notional and risk before and after, per bucket and in total).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from gateway.domain.errors import Issue
from gateway.domain.trade import Trade


@dataclass(frozen=True, slots=True, order=True)
class RiskBucket:
    """Where a side's risk is counted: its currency, its floating index (with tenor) and maturity bucket."""

    currency: str
    floating_index: str  # e.g. "AUD-BBR-BBSW 6M"
    maturity: str  # e.g. "2Y-5Y", "30Y+"

    @property
    def label(self) -> str:
        return f"{self.currency} {self.floating_index} {self.maturity}"


@dataclass(frozen=True, slots=True)
class CompressionRequest:
    """A compression of one member account's cleared sides.

    ``ccp_trade_ids`` None means every live side of the account (the CCP's run with ``--all``).
    ``consenting`` are the other members that agreed to have their own sides of the same trades terminated
    with the member's (then those trades end on both sides and no residual carries them)."""

    run_id: str  # unique per run: the events' message ids and the residuals' ids derive from it
    member_id: str
    account_id: str
    requested_by: str  # the CCP's party id for its own run, else the member or trade source asking
    ccp_trade_ids: tuple[str, ...] | None = None
    consenting: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BucketFigures:
    """One bucket before and after: gross notional, PV01 (value of +1bp, bucket currency) and NPV, all
    as the member holds its sides."""

    bucket: RiskBucket
    trades_before: int
    trades_after: int
    notional_before: Decimal
    notional_after: Decimal
    pv01_before: Decimal
    pv01_after: Decimal
    npv_before: Decimal
    npv_after: Decimal


@dataclass(frozen=True, slots=True)
class Residual:
    """A trade a compression creates: the member's side facing the CCP, carrying a bucket's net risk."""

    ccp_trade_id: str
    bucket: RiskBucket
    party_id: str  # the member's party in it
    trade: Trade  # member - CCP


@dataclass(frozen=True, slots=True)
class TerminatedSide:
    """A side a compression terminates: its CCP trade id, member, notional and bucket."""

    ccp_trade_id: str
    member_id: str
    account_id: str
    notional: Decimal
    currency: str
    bucket: RiskBucket | None  # None: a counterparty's side terminated with the member's by consent


@dataclass(frozen=True, slots=True)
class CompressionResult:
    request: CompressionRequest
    business_date: date
    terminated: tuple[TerminatedSide, ...]
    created: tuple[Residual, ...]
    buckets: tuple[BucketFigures, ...]
    # a run over the whole account leaves a bucket no residual can carry within the tolerance as it was
    # (each its COMP_RISK_OUTSIDE_TOLERANCE issue); a run over named trades is refused instead
    left: tuple[Issue, ...] = ()

    @property
    def member_terminated(self) -> tuple[TerminatedSide, ...]:
        return tuple(s for s in self.terminated if s.bucket is not None)

    def totals(self) -> dict[str, dict[str, Decimal]]:
        """Per currency: notional, PV01 and NPV before and after (the report's total lines)."""
        out: dict[str, dict[str, Decimal]] = {}
        for b in self.buckets:
            row = out.setdefault(
                b.bucket.currency,
                {
                    k: Decimal(0)
                    for k in (
                        "notional_before",
                        "notional_after",
                        "pv01_before",
                        "pv01_after",
                        "npv_before",
                        "npv_after",
                    )
                },
            )
            row["notional_before"] += b.notional_before
            row["notional_after"] += b.notional_after
            row["pv01_before"] += b.pv01_before
            row["pv01_after"] += b.pv01_after
            row["npv_before"] += b.npv_before
            row["npv_after"] += b.npv_after
        return out
