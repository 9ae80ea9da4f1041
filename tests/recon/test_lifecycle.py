"""Lifecycle breaks on files (recon/lifecycle.py): which differences an event on the CCP's row explains."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gateway.domain.clearing import LIFECYCLE_COLUMNS, POSITION_COLUMNS
from recon.engine import BreakType, Reconciliation, reconcile
from recon.loader import Side, load_book
from recon.tolerances import Tolerances
from tests.recon.conftest import position, write_csv

DAY = date(2026, 1, 8)
COLUMNS = (*POSITION_COLUMNS, *LIFECYCLE_COLUMNS)


def _run(
    tmp_path: Path, member_rows: list[dict[str, object]], ccp_rows: list[dict[str, object]]
) -> Reconciliation:
    m = load_book(write_csv(tmp_path / "member.csv", member_rows, COLUMNS), member="CM1", side=Side.MEMBER)
    c = load_book(write_csv(tmp_path / "ccp.csv", ccp_rows, COLUMNS), member="CM1", side=Side.CCP)
    return reconcile("CM1", m, c, Tolerances(), DAY)


def _found(result: Reconciliation) -> set[tuple[str, str | None, str | None]]:
    return set(result.breaks.select("break_type", "trade_id", "field").iter_rows())


def partly_terminated(on: str) -> dict[str, object]:
    return position(
        "C1",
        notional="60000000",
        last_event="Termination",
        last_event_date=on,
        original_notional="100000000",
        npv="7500.15",
    )


def test_a_partial_termination_the_book_lacks_is_one_lifecycle_break(tmp_path: Path) -> None:
    result = _run(tmp_path, [position("C1")], [partly_terminated("2026-01-08")])
    assert _found(result) == {(BreakType.LIFECYCLE_TERMINATION_NOT_BOOKED.value, "C1", "notional")}
    assert result.counts()[BreakType.LIFECYCLE_TERMINATION_NOT_BOOKED.value] == 1


def test_an_event_before_the_books_date_explains_nothing(tmp_path: Path) -> None:
    """The book of the 8th should carry the termination of the 7th: a plain economic break."""
    result = _run(tmp_path, [position("C1")], [partly_terminated("2026-01-07")])
    assert _found(result) == {
        ("ECONOMIC_MISMATCH", "C1", "notional"),
        ("VALUATION_MISMATCH", "C1", "npv"),
    }


def test_a_notional_other_than_the_original_is_no_lifecycle_break(tmp_path: Path) -> None:
    result = _run(tmp_path, [position("C1", notional="90000000")], [partly_terminated("2026-01-08")])
    assert ("ECONOMIC_MISMATCH", "C1", "notional") in _found(result)


def test_a_termination_both_books_carry_is_no_break_and_one_missing_is_one_break(tmp_path: Path) -> None:
    ended = {
        "status": "Terminated",
        "notional": "0",
        "last_event": "Termination",
        "last_event_date": "2026-01-08",
    }
    ccp = [position("C1", **ended, original_notional="100000000"), position("C2", **ended)]
    member = [position("C1", status="Terminated"), position("C2")]
    result = _run(tmp_path, member, ccp)
    assert _found(result) == {(BreakType.LIFECYCLE_TERMINATION_NOT_BOOKED.value, "C2", "status")}
    (message,) = result.breaks["message"].to_list()
    assert message == "the CCP's Termination of 2026-01-08 is not in the member's book (status differs)"


def test_without_a_business_date_nothing_is_reclassified(tmp_path: Path) -> None:
    m = load_book(write_csv(tmp_path / "m.csv", [position("C1")], COLUMNS), member="CM1", side=Side.MEMBER)
    c = load_book(
        write_csv(tmp_path / "c.csv", [partly_terminated("2026-01-08")], COLUMNS), member="CM1", side=Side.CCP
    )
    assert ("ECONOMIC_MISMATCH", "C1", "notional") in _found(reconcile("CM1", m, c, Tolerances()))
