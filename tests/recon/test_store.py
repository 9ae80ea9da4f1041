"""Ageing across days in the break store (SQLite file, as in production by default)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from gateway.domain.errors import InputRejected
from gateway.refdata.calendars import NamedCalendar
from recon.engine import Reconciliation, reconcile
from recon.loader import Side, load_book
from recon.store import BreakStore
from recon.tolerances import Tolerances
from tests.recon.conftest import position, write_csv

FRI, MON, TUE = date(2026, 1, 9), date(2026, 1, 12), date(2026, 1, 13)


def _day(
    tmp_path: Path, name: str, member_rows: list[dict[str, object]], ccp_rows: list[dict[str, object]]
) -> Reconciliation:
    m = load_book(write_csv(tmp_path / f"{name}-m.csv", member_rows), member="CM1", side=Side.MEMBER)
    c = load_book(write_csv(tmp_path / f"{name}-c.csv", ccp_rows), member="CM1", side=Side.CCP)
    return reconcile("CM1", m, c, Tolerances())


def _by_trade(aged: pl.DataFrame) -> dict[str, tuple[str, date, int]]:
    return {r["trade_id"]: (r["break_id"], r["first_seen"], r["age_business_days"]) for r in aged.to_dicts()}


def test_three_business_days_persist_fix_and_appear(tmp_path: Path) -> None:
    store = BreakStore(str(tmp_path / "breaks.db"), NamedCalendar("WeekendsOnly"))
    ccp = [position("C1"), position("C2"), position("C3")]
    # Friday: C1 notional and C2 status break.
    day1 = _day(
        tmp_path, "d1", [position("C1", notional="1"), position("C2", status="Pending"), position("C3")], ccp
    )
    aged1, closed1 = store.age("CM1", FRI, day1.breaks)
    assert closed1 == 0
    first = _by_trade(aged1)
    assert {k: v[1:] for k, v in first.items()} == {"C1": (FRI, 0), "C2": (FRI, 0)}
    # Monday (weekend skipped): C1 persists, C2 fixed, C3 breaks.
    day2 = _day(tmp_path, "d2", [position("C1", notional="1"), position("C2"), position("C3", npv="0")], ccp)
    aged2, closed2 = store.age("CM1", MON, day2.breaks)
    second = _by_trade(aged2)
    assert closed2 == 1
    assert second["C1"] == (first["C1"][0], FRI, 1)
    assert second["C3"][1:] == (MON, 0)
    assert "C2" not in second
    closed = store.get(first["C2"][0])
    assert closed is not None
    assert closed["closed_on"] == MON
    # Tuesday: both still there, ageing by business days; C1's member value moved and is kept current.
    day3 = _day(tmp_path, "d3", [position("C1", notional="2"), position("C2"), position("C3", npv="0")], ccp)
    aged3, closed3 = store.age("CM1", TUE, day3.breaks)
    third = _by_trade(aged3)
    assert closed3 == 0
    assert third["C1"] == (first["C1"][0], FRI, 2)
    assert third["C3"] == (second["C3"][0], MON, 1)
    assert [b["break_id"] for b in store.open_breaks("CM1")] == [first["C1"][0], second["C3"][0]]
    stored = store.get(first["C1"][0])
    assert stored is not None
    assert (stored["member_value"], stored["last_seen"], stored["first_seen"]) == ("2.0", TUE, FRI)
    store.close()


def test_acknowledgement_stays_with_the_break_and_a_reopened_break_starts_again(tmp_path: Path) -> None:
    store = BreakStore(str(tmp_path / "breaks.db"))
    ccp = [position("C1")]
    broken = _day(tmp_path, "b", [position("C1", npv="0")], ccp).breaks
    clean = _day(tmp_path, "c", [position("C1")], ccp).breaks
    aged, _ = store.age("CM1", FRI, broken)
    bid = aged["break_id"].item()
    at = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
    done = store.acknowledge(bid, "pricing source differs; agreed with CCP", "ops-anna", at)
    assert (done.open, done.member) == (True, "CM1")
    aged, _ = store.age("CM1", MON, broken)
    assert aged["comment"].item() == "pricing source differs; agreed with CCP"
    assert aged["age_business_days"].item() == 1
    store.age("CM1", TUE, clean)
    aged, _ = store.age("CM1", date(2026, 1, 14), broken)
    assert aged["break_id"].item() == bid
    assert (aged["first_seen"].item(), aged["age_business_days"].item()) == (date(2026, 1, 14), 0)
    with pytest.raises(InputRejected, match="no break with id 'nope'"):
        store.acknowledge("nope", "x", "y", at)
    store.close()


def test_an_earlier_date_than_one_already_reconciled_is_refused(tmp_path: Path) -> None:
    store = BreakStore(str(tmp_path / "breaks.db"))
    breaks = _day(tmp_path, "b", [position("C1", npv="0")], [position("C1")]).breaks
    store.age("CM1", MON, breaks)
    with pytest.raises(InputRejected, match="already reconciled for 2026-01-12; 2026-01-09 is earlier"):
        store.age("CM1", FRI, breaks)
    store.age("CM2", FRI, breaks)  # another member's history is separate
    store.close()


def test_calendar_holidays_do_not_age_a_break(tmp_path: Path) -> None:
    store = BreakStore(str(tmp_path / "breaks.db"), NamedCalendar("Australia"))
    breaks = _day(tmp_path, "b", [position("C1", npv="0")], [position("C1")]).breaks
    store.age("CM1", date(2026, 1, 23), breaks)  # Friday before Australia Day (Monday 26th)
    aged, _ = store.age("CM1", date(2026, 1, 27), breaks)
    assert aged["age_business_days"].item() == 1
    store.close()
