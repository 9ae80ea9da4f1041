"""A member's lifecycle event report read into ``EventTerms`` (gateway/formats/fix/event_read.py): each kind
from the golden example's shape, and every problem named by its field and rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gateway.domain.errors import InputRejected
from gateway.domain.events import EventKind, Money, NotionalChange, TradeRef
from gateway.domain.reasons import ReasonCode
from gateway.formats.fix.dictionary import default
from gateway.formats.fix.event_read import EventReport, is_event, read_event
from gateway.formats.fix.wire import Out, frame, parse
from tests.channels.fix.script import GOLDEN, parse_pairs
from tests.strategies import LEI_A, LEI_B

GOLDEN_PROPOSAL = parse_pairs((GOLDEN / "event_partial_termination.fix").read_text(encoding="utf-8"))


def _read(pairs: tuple[tuple[int, str], ...], participant: str = LEI_A) -> EventReport:
    raw = frame(Out("AE", pairs[1:]))  # type: ignore[arg-type]
    body = parse(raw, default()).body
    assert is_event(body)
    return read_event(body, default(), participant)


def _with(pairs: tuple[tuple[int, str], ...], **changes: str | None) -> tuple[tuple[int, str], ...]:
    """``pairs`` with tag ``t<N>`` set to a value, or dropped when None."""
    wanted = {int(k[1:]): v for k, v in changes.items()}
    out = [(t, wanted.get(t, v)) for t, v in pairs if not (t in wanted and wanted[t] is None)]
    return tuple((t, v) for t, v in out if v is not None)


def _issues(pairs: tuple[tuple[int, str], ...]) -> list[tuple[ReasonCode, str, str]]:
    with pytest.raises(InputRejected) as caught:
        _read(pairs)
    return [(i.code, i.path, i.message) for i in caught.value.issues]


def test_the_golden_partial_termination_reads_as_its_terms() -> None:
    read = _read(GOLDEN_PROPOSAL)
    terms = read.terms
    assert (terms.kind, terms.trade, terms.parties) == (EventKind.TERMINATION, TradeRef("CCP-A-1"), (LEI_A,))
    assert terms.notional == NotionalChange(
        Money(Decimal(20_000_000), "EUR"), Money(Decimal(30_000_000), "EUR")
    )
    assert (terms.agreement_date, terms.effective_date) == (date(2026, 1, 7), date(2026, 1, 7))
    assert read.fee is not None
    assert (read.fee.amount, read.fee.proposer_pays) == (Money(Decimal(125_000), "EUR"), True)
    assert read.fee.between(LEI_A, LEI_B).payer == LEI_A


def test_the_transaction_type_must_go_with_the_kind() -> None:
    assert _issues(_with(GOLDEN_PROPOSAL, t487="1")) == [
        (
            ReasonCode.FIX_INVALID_VALUE,
            "TradeCaptureReport.TradeReportTransType(487)",
            "TradeContinuation 3 comes with TradeReportTransType 2",
        )
    ]


def test_a_partial_termination_needs_the_notional_left_and_the_change() -> None:
    issues = _issues(_with(GOLDEN_PROPOSAL, t32=None, t2301=None))
    assert [(c, p) for c, p, _ in issues] == [
        (ReasonCode.FIX_MISSING_FIELD, "TradeCaptureReport.LastQty(32)"),
        (ReasonCode.FIX_MISSING_FIELD, "TradeCaptureReport.LastQtyChanged(2301)"),
    ]


def test_a_full_termination_leaves_nothing() -> None:
    full = _with(GOLDEN_PROPOSAL, t487="1", t1937="2")
    assert _issues(full) == [
        (
            ReasonCode.FIX_INVALID_VALUE,
            "TradeCaptureReport.LastQty(32)",
            "a full termination (TradeContinuation 2) leaves 0",
        )
    ]
    terms = _read(_with(full, t32=None, t2301="50000000")).terms
    assert terms.notional is not None
    assert terms.notional.full


def test_a_report_naming_another_partys_side_is_refused() -> None:
    with pytest.raises(InputRejected) as caught:
        _read(GOLDEN_PROPOSAL, participant=LEI_B)  # Bank B sending Bank A's side as its own
    (issue,) = caught.value.issues
    assert issue.code is ReasonCode.ELIG_UNKNOWN_PARTY
    assert issue.message == f"an event report names only {LEI_B}'s own side, not {LEI_A}"


def test_a_trade_id_update_needs_the_new_side_trade_id() -> None:
    update = _with(GOLDEN_PROPOSAL, t1937="30", t32=None, t2301=None, t15=None)
    assert _issues(update)[-1] == (
        ReasonCode.FIX_MISSING_FIELD,
        "SideTradeID(1506)",
        "a trade id update gives your new trade id",
    )


@pytest.mark.parametrize("continuation", ["5", "6"])
def test_a_member_cannot_ask_for_a_netting_the_ccp_only_reports(continuation: str) -> None:
    """NETTING and FULL_NETTING are in the dictionary for a compression run's statuses; proposed, refused."""
    issues = _issues(_with(GOLDEN_PROPOSAL, t1937=continuation, t487="1"))
    assert [(c, p) for c, p, _ in issues][:1] == [
        (ReasonCode.FIX_INVALID_VALUE, "TradeCaptureReport.TradeContinuation(1937)")
    ]
