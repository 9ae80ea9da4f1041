"""The fixed inputs whose FpML output is kept byte for byte in ``tests/golden/fpml_out``.

``test_golden.py`` compares; ``regenerate.py`` rewrites the files after a deliberate change of output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from gateway.clearing.lifecycle import resized
from gateway.clearing.novation import CCP_TRADE_ID_SCHEME
from gateway.clearing.ports import Channel, StatusUpdate
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.events import (
    EventEffect,
    EventKind,
    EventNote,
    EventOutcome,
    EventTerms,
    Fee,
    Money,
    NotionalChange,
    TradeRef,
)
from gateway.domain.messages import ClearingStatusReport, MessageHeader
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PartyTradeId, Trade
from gateway.domain.workflow import submission_ref
from gateway.formats.fpml.write import CcpIdentity, clearing_status, status_update_to_fpml, trade_document
from tests.formats.fpml.write import shapes

GOLDEN_DIR = Path(__file__).resolve().parents[3] / "golden" / "fpml_out"
AT = datetime(2026, 3, 16, 9, 30, 15, 250000, tzinfo=UTC)
CCP = CcpIdentity(shapes.LEI_CCP, name="Example Clearing House", address="EXCLEAR")


def update(status: ClearingStatusCode, trade: Trade | None = None, **changes: object) -> StatusUpdate:
    """A status update of the IRS example submitted by the trade source as message SRC-1."""
    fields: dict[str, object] = {
        "sequence": 1,
        "submission_id": "SUB-42",
        "source": shapes.SOURCE,
        "channel": Channel.MQTT_FPML,
        "status": status,
        "trade": trade or shapes.irs(),
        "at": AT,
        "correlation_id": "CORR-42",
        "in_reply_to": "SRC-1",
    }
    fields.update(changes)
    return StatusUpdate(**fields)  # type: ignore[arg-type]


def cleared_update(trade: Trade) -> StatusUpdate:
    return update(
        ClearingStatusCode.CLEARED,
        trade,
        sequence=3,
        cleared=shapes.novate(trade),
        ccp_trade_ids=("CCP-1-A", "CCP-1-B"),
        clearing_business_date=date(2026, 3, 16),
    )


def _refused() -> bytes:
    reasons = (
        Issue(
            ReasonCode.ELIG_MATURITY_TOO_LONG, "trade/swap/swapStream[1]/calculationPeriodDates", "31Y > 30Y"
        ),
        Issue(ReasonCode.ELIG_UNKNOWN_ACCOUNT, "party[2]/account", "CLIENT-7 is not an account of Bank B"),
    )
    return status_update_to_fpml(
        update(ClearingStatusCode.REJECTED, sequence=2, reasons=reasons), ccp=CCP, recipient=shapes.SOURCE
    )


def _status_by_ids() -> bytes:
    report = ClearingStatusReport(
        header=MessageHeader("CCP-77", "EXCLEAR", ("MARKITWIRE",), AT, "SRC-9"),
        status=ClearingStatusCode.PENDING,
        trade=None,
        correlation_id="CORR-9",
        sequence_number=2,
        reasons=(Issue(ReasonCode.RISK_INSUFFICIENT_COLLATERAL, "party[1]", "short by AUD 1,250,000"),),
        trade_ids=(PartyTradeId(shapes.SOURCE, "MW-900"), PartyTradeId(shapes.LEI_A, "A-900")),
        status_applies_to=(shapes.LEI_A,),
    )
    return clearing_status(report, source=shapes.SOURCE)


def termination_terms(*, full: bool = False, fee: bool = True) -> EventTerms:
    """A termination of the IRS example (notional 125m) named by its A-CCP trade id: partial to 50m with a
    fee paid by Bank A, or full."""
    outstanding = Decimal(0) if full else Decimal("50000000")
    return EventTerms(
        kind=EventKind.TERMINATION,
        trade=TradeRef(ccp_trade_id="CCP-1-A"),
        parties=(shapes.LEI_A, shapes.LEI_B),
        agreement_date=date(2026, 3, 16),
        effective_date=date(2026, 3, 17),
        notional=NotionalChange(Money(Decimal("125000000") - outstanding, "AUD"), Money(outstanding, "AUD")),
        fee=Fee(shapes.LEI_A, shapes.LEI_B, Money(Decimal("15250.75"), "AUD"), date(2026, 3, 18))
        if fee
        else None,
    )


def increase_terms() -> EventTerms:
    """An increase of the IRS example from 125m to 150m, without a fee."""
    return replace(
        termination_terms(fee=False),
        kind=EventKind.INCREASE,
        notional=NotionalChange(Money(Decimal("25000000"), "AUD"), Money(Decimal("150000000"), "AUD")),
    )


def reference_terms() -> EventTerms:
    """Bank A's new own id for its side of the cleared IRS example."""
    return replace(
        termination_terms(fee=False),
        kind=EventKind.REFERENCE_UPDATE,
        notional=None,
        party_trade_ids=(PartyTradeId(shapes.LEI_A, "A-BOOK-77", "urn:bank-a:book"),),
    )


def amendment_terms() -> EventTerms:
    """An amendment of the IRS example: its fixed rate to 4.1% on 150m, named by the source's own trade id
    (the amended trade is its version 2)."""
    trade = shapes.irs()
    streams = tuple(
        replace(
            s, notional=Decimal("150000000"), fixed_rate=None if s.fixed_rate is None else Decimal("0.041")
        )
        for s in trade.streams
    )
    ids = replace(trade.identifiers, source_version=2)
    amended = replace(trade, streams=streams, identifiers=ids)
    return replace(
        termination_terms(fee=False),
        kind=EventKind.AMENDMENT,
        trade=TradeRef(source_trade_id=ids.source_trade_id),
        notional=None,
        amended=amended,
    )


def event_update(
    status: ClearingStatusCode, terms: EventTerms, *, sequence: int, reasons: tuple[Issue, ...] = ()
) -> StatusUpdate:
    """A status of the termination ``terms`` of the cleared IRS example, sent by the source as EVT-1."""
    trade = shapes.irs()
    cleared = shapes.novate(trade)
    if (
        terms.kind is EventKind.INCREASE
        and status is ClearingStatusCode.CLEARED
        and terms.notional is not None
    ):
        after = terms.notional.outstanding.amount
        cleared = (resized(cleared[0], after, trade.notional), resized(cleared[1], after, trade.notional))
    ccp_ids = ("CCP-1-A", "CCP-1-B")
    replaced = None
    if (
        terms.kind is EventKind.AMENDMENT
        and status is ClearingStatusCode.CLEARED
        and terms.amended is not None
    ):
        ccp_ids, replaced = ("CCP-1-A1-1", "CCP-1-A1-2"), ccp_ids
        cleared = shapes.novate(terms.amended, ccp_ids)
    if terms.kind is EventKind.REFERENCE_UPDATE and status is ClearingStatusCode.CLEARED:
        a = cleared[0]
        kept = tuple(p for p in a.identifiers.party_trade_ids if p.party_id != shapes.LEI_A)
        ids = replace(a.identifiers, party_trade_ids=(*terms.party_trade_ids, *kept))
        cleared = (replace(a, identifiers=ids), cleared[1])
    outcome = EventOutcome.REFUSED if reasons else EventOutcome.CONFIRMED
    if status is ClearingStatusCode.PENDING:
        outcome = EventOutcome.PENDING
    effect = None
    if status is ClearingStatusCode.CLEARED:
        left = Decimal(0) if terms.kind is EventKind.DECLEAR else Decimal("125000000")
        if terms.notional is not None:
            left = terms.notional.outstanding.amount
        if terms.amended is not None:
            left = terms.amended.notional
        effect = EventEffect(Decimal("125000000"), left, "AUD", replaced)
    note = EventNote(7, terms, outcome, ccp_ids, cleared, effect)
    return update(
        status,
        trade,
        sequence=sequence,
        submission_id=submission_ref(42),
        reasons=reasons,
        ccp_trade_ids=("CCP-1-A", "CCP-1-B"),
        correlation_id="EVT-CORR-1",
        in_reply_to="EVT-1",
        event=note,
    )


RESIDUAL_ID = "CCP-20260316-R3F2A9C01B7001"


def compression_terms() -> EventTerms:
    """The IRS example's sides terminated by compression run RUN-1 of Bank A, its risk now carried by the
    residual ``RESIDUAL_ID`` that Bank A holds."""
    return EventTerms(
        kind=EventKind.COMPRESSION,
        trade=TradeRef(ccp_trade_id="CCP-1-A"),
        parties=(shapes.LEI_A, shapes.LEI_B),
        agreement_date=date(2026, 3, 16),
        effective_date=date(2026, 3, 16),
        notional=NotionalChange(Money(Decimal("125000000"), "AUD"), Money(Decimal(0), "AUD")),
        event_id="RUN-1",
        replacement=PartyTradeId(shapes.LEI_A, RESIDUAL_ID, CCP_TRADE_ID_SCHEME),
    )


def residual_update() -> StatusUpdate:
    """The Cleared status of the residual a compression run created for Bank A: 40m of the IRS example's
    terms facing the CCP, replacing Bank A's sides of two trades."""
    (own, _) = shapes.novate(shapes.irs(), (RESIDUAL_ID, RESIDUAL_ID + "-X"))
    own = resized(own, Decimal("40000000"), own.notional)
    terms = EventTerms(
        kind=EventKind.COMPRESSION,
        trade=TradeRef(ccp_trade_id=RESIDUAL_ID),
        parties=(shapes.LEI_A,),
        agreement_date=date(2026, 3, 16),
        effective_date=date(2026, 3, 16),
        notional=None,
        event_id="RUN-1",
        originating=("CCP-1-A", "CCP-2-A"),
    )
    effect = EventEffect(Decimal(0), Decimal("40000000"), "AUD")
    note = EventNote(9, terms, EventOutcome.CONFIRMED, (RESIDUAL_ID, RESIDUAL_ID), (own, own), effect)
    return update(
        ClearingStatusCode.CLEARED,
        own,
        sequence=3,
        source="CCP",
        channel=Channel.CLI,
        submission_id=submission_ref(77),
        ccp_trade_ids=(RESIDUAL_ID, RESIDUAL_ID),
        correlation_id=None,
        in_reply_to=f"RUN-1/{RESIDUAL_ID}",
        event=note,
    )


def _event_refused(member: bool) -> bytes:
    reasons = (
        Issue(
            ReasonCode.LIFE_PAYMENT_DATE_BLACKOUT,
            "effectiveDate",
            "the trade has a scheduled payment on 2026-03-17: no termination on that day",
        ),
    )
    refused = event_update(ClearingStatusCode.REJECTED, termination_terms(), sequence=5, reasons=reasons)
    if member:
        return status_update_to_fpml(refused, ccp=CCP, recipient="BANKB", member_party=shapes.LEI_B)
    return status_update_to_fpml(refused, ccp=CCP, recipient=shapes.SOURCE)


CASES: dict[str, Callable[[], bytes]] = {
    **{
        f"trade-{name}": (lambda build=build: trade_document(build(), source=shapes.SOURCE))  # type: ignore[misc]
        for name, build in shapes.EXAMPLES.items()
    },
    "clearing-acknowledgement": lambda: status_update_to_fpml(
        update(ClearingStatusCode.RECEIVED), ccp=CCP, recipient=shapes.SOURCE
    ),
    "clearing-status-pending": lambda: status_update_to_fpml(
        update(
            ClearingStatusCode.PENDING,
            sequence=2,
            reasons=(Issue(ReasonCode.RISK_INSUFFICIENT_COLLATERAL, "party[1]", "waiting for collateral"),),
        ),
        ccp=CCP,
        recipient=shapes.LEI_A,
    ),
    "clearing-status-by-ids": _status_by_ids,
    "clearing-confirmed-irs": lambda: status_update_to_fpml(
        cleared_update(shapes.irs()), ccp=CCP, recipient=shapes.SOURCE
    ),
    "clearing-confirmed-irs-member": lambda: status_update_to_fpml(
        cleared_update(shapes.irs()), ccp=CCP, recipient="BANKA", member_party=shapes.LEI_A
    ),
    "clearing-confirmed-fra": lambda: status_update_to_fpml(
        cleared_update(shapes.fra()), ccp=CCP, recipient=shapes.LEI_B
    ),
    "clearing-refused": _refused,
    "event-acknowledgement": lambda: status_update_to_fpml(
        event_update(ClearingStatusCode.RECEIVED, termination_terms(), sequence=4),
        ccp=CCP,
        recipient=shapes.SOURCE,
    ),
    "event-confirmed-partial-termination": lambda: status_update_to_fpml(
        event_update(ClearingStatusCode.CLEARED, termination_terms(), sequence=5),
        ccp=CCP,
        recipient=shapes.SOURCE,
    ),
    "event-confirmed-termination-member": lambda: status_update_to_fpml(
        event_update(ClearingStatusCode.CLEARED, termination_terms(full=True, fee=False), sequence=5),
        ccp=CCP,
        recipient="BANKA",
        member_party=shapes.LEI_A,
    ),
    "event-confirmed-declear-member": lambda: status_update_to_fpml(
        event_update(
            ClearingStatusCode.CLEARED,
            replace(termination_terms(), kind=EventKind.DECLEAR, notional=None, fee=None, reason="Bilateral"),
            sequence=5,
        ),
        ccp=CCP,
        recipient="BANKB",
        member_party=shapes.LEI_B,
    ),
    "event-confirmed-increase": lambda: status_update_to_fpml(
        event_update(ClearingStatusCode.CLEARED, increase_terms(), sequence=5),
        ccp=CCP,
        recipient=shapes.SOURCE,
    ),
    "event-confirmed-increase-member": lambda: status_update_to_fpml(
        event_update(ClearingStatusCode.CLEARED, increase_terms(), sequence=5),
        ccp=CCP,
        recipient="BANKA",
        member_party=shapes.LEI_A,
    ),
    "event-confirmed-reference-update": lambda: status_update_to_fpml(
        event_update(ClearingStatusCode.CLEARED, reference_terms(), sequence=5),
        ccp=CCP,
        recipient=shapes.SOURCE,
    ),
    "event-confirmed-amendment": lambda: status_update_to_fpml(
        event_update(ClearingStatusCode.CLEARED, amendment_terms(), sequence=5),
        ccp=CCP,
        recipient=shapes.SOURCE,
    ),
    "event-confirmed-amendment-member": lambda: status_update_to_fpml(
        event_update(ClearingStatusCode.CLEARED, amendment_terms(), sequence=5),
        ccp=CCP,
        recipient="BANKB",
        member_party=shapes.LEI_B,
    ),
    "event-confirmed-compression-member": lambda: status_update_to_fpml(
        event_update(ClearingStatusCode.CLEARED, compression_terms(), sequence=5),
        ccp=CCP,
        recipient="BANKA",
        member_party=shapes.LEI_A,
    ),
    "event-confirmed-compression-residual-member": lambda: status_update_to_fpml(
        residual_update(), ccp=CCP, recipient="BANKA", member_party=shapes.LEI_A
    ),
    "event-refused": lambda: _event_refused(member=False),
    "event-refused-member": lambda: _event_refused(member=True),
}
"""Golden file name (without ``.xml``) -> the function producing its bytes."""
