"""Matching and classification: injected breaks found exactly, tolerance edges, duplicates, fallbacks."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recon.engine import (
    BEYOND_POSITIONS,
    LIFECYCLE_BREAKS,
    BreakType,
    Reconciliation,
    break_id,
    reconcile,
)
from recon.loader import Side, load_book, normalise
from recon.synth import generate_books
from recon.tolerances import Tolerance, Tolerances, parse_tolerances
from tests.recon.conftest import position, write_csv


def _run(
    tmp_path: Path,
    member_rows: list[dict[str, object]],
    ccp_rows: list[dict[str, object]],
    tolerances: Tolerances | None = None,
) -> Reconciliation:
    m = load_book(write_csv(tmp_path / "member.csv", member_rows), member="CM1", side=Side.MEMBER)
    c = load_book(write_csv(tmp_path / "ccp.csv", ccp_rows), member="CM1", side=Side.CCP)
    return reconcile("CM1", m, c, tolerances or Tolerances())


def _triples(result: Reconciliation) -> set[tuple[str, str | None, str | None]]:
    return set(result.breaks.select("break_type", "trade_id", "field").iter_rows())


@pytest.mark.parametrize("hash_join_from", [0, 10**9], ids=["hashed-ids", "text-ids"])
def test_generated_books_every_injected_break_found_and_no_false_break(
    monkeypatch: pytest.MonkeyPatch, hash_join_from: int
) -> None:
    """Both join paths (64-bit hash of the ids with a text check, and plain text) give the injected set."""
    monkeypatch.setattr("recon.engine._HASH_JOIN_ROWS", hash_join_from)
    mem, ccp, injected = generate_books(6000, seed=11)
    m = normalise(mem, source="member.parquet", member="CM1", side=Side.MEMBER)
    c = normalise(ccp, source="ccp.parquet", member="CM1", side=Side.CCP)
    result = reconcile("CM1", m, c, Tolerances())
    found = {
        (t, i, f or "") for t, i, f in result.breaks.select("break_type", "trade_id", "field").iter_rows()
    }
    assert found == set(injected.expected)
    # (no events, no figures, no aggregates)
    assert all(
        result.counts()[t.value] > 0 for t in BreakType if t not in LIFECYCLE_BREAKS | BEYOND_POSITIONS
    )
    assert result.matched_by["uti"] == injected.matched_by_uti
    assert result.matched_by["economics"] == injected.matched_by_economics
    assert result.breaks["break_id"].is_unique().all()


@pytest.mark.parametrize(
    ("field", "ccp_value", "member_value", "tolerance", "breaks"),
    [
        ("notional", "100000000", "100000000.0099", Tolerance(abs=0.01), False),
        ("notional", "100000000", "100000000.0101", Tolerance(abs=0.01), True),
        ("notional", "100000000", "99999999.9901", Tolerance(abs=0.01), False),
        ("notional", "100000000", "99999999.9899", Tolerance(abs=0.01), True),
        ("npv", "1000000", "1000999", Tolerance(rel=0.001), False),
        ("npv", "1000000", "1001001", Tolerance(rel=0.001), True),
        ("npv", "1000000", "1001499", Tolerance(abs=500, rel=0.001), False),
        ("npv", "1000000", "1001501", Tolerance(abs=500, rel=0.001), True),
        ("fixed_rate", "0.0415", "0.04150001", Tolerance(abs=1e-7), False),
        ("fixed_rate", "0.0415", "0.0415002", Tolerance(abs=1e-7), True),
    ],
)
def test_tolerance_edges(
    tmp_path: Path, field: str, ccp_value: str, member_value: str, tolerance: Tolerance, breaks: bool
) -> None:
    result = _run(
        tmp_path,
        [position("C1", **{field: member_value})],
        [position("C1", **{field: ccp_value})],
        Tolerances({field: tolerance}),
    )
    expected_type = BreakType.VALUATION_MISMATCH if field == "npv" else BreakType.ECONOMIC_MISMATCH
    assert _triples(result) == ({(expected_type.value, "C1", field)} if breaks else set())
    assert result.matched == 1


def test_every_field_difference_is_its_own_break(tmp_path: Path) -> None:
    member = position(
        "C1",
        notional="200000000",
        direction="RECEIVE",
        maturity_date="2031-01-08",
        status="Pending",
        npv="99999",
        index_tenor="3M",
        account="CLIENT7",
    )
    result = _run(tmp_path, [member], [position("C1")])
    assert _triples(result) == {
        ("ECONOMIC_MISMATCH", "C1", "notional"),
        ("ECONOMIC_MISMATCH", "C1", "direction"),
        ("ECONOMIC_MISMATCH", "C1", "maturity_date"),
        ("ECONOMIC_MISMATCH", "C1", "index_tenor"),
        ("ECONOMIC_MISMATCH", "C1", "account"),
        ("STATUS_MISMATCH", "C1", "status"),
        ("VALUATION_MISMATCH", "C1", "npv"),
    }
    diffs = dict(result.breaks.select("field", "difference").iter_rows())
    assert diffs["notional"] == pytest.approx(100_000_000)
    assert diffs["maturity_date"] == 1.0
    values = {r["field"]: (r["member_value"], r["ccp_value"]) for r in result.breaks.to_dicts()}
    assert values["status"] == ("Pending", "Cleared")


def test_duplicate_keys_are_flagged_and_never_paired(tmp_path: Path) -> None:
    member = [position("C1"), position("C1", npv="1"), position("C2"), position("C3")]
    ccp = [position("C1"), position("C2"), position("C2", notional="5"), position("C3")]
    result = _run(tmp_path, member, ccp)
    dups = result.breaks.filter(pl.col("break_type") == "DUPLICATE_KEY")
    assert sorted(dups["trade_id"].to_list()) == ["C1", "C2"]
    assert dict(dups.select("trade_id", "member_value").iter_rows()) == {"C1": "2 rows", "C2": "1 rows"}
    assert dict(dups.select("trade_id", "ccp_value").iter_rows()) == {"C1": "1 rows", "C2": "2 rows"}
    assert result.matched == 1  # only C3
    assert _triples(result) == {("DUPLICATE_KEY", "C1", "trade_id"), ("DUPLICATE_KEY", "C2", "trade_id")}


def test_rows_without_ccp_id_match_by_uti_then_by_economics(tmp_path: Path) -> None:
    ccp = [
        position("C1", uti="U1"),
        position("C2", uti="U2", notional="250000000"),
        position("C3", uti="U3", notional="300000000"),
        position("C4", uti="U4", notional="400000000"),
    ]
    member = [
        position(None, uti="U1", npv="1"),  # by UTI, valuation differs
        position(None, uti=None, notional="250000000"),  # by economics
        position(None, uti=None, notional="300000000", status="Pending"),  # by economics, status differs
        position(None, uti=None, notional="999000000"),  # no such economics at the CCP
    ]
    result = _run(tmp_path, member, ccp)
    assert result.matched_by == {"trade_id": 0, "uti": 1, "economics": 2}
    got = _triples(result)
    assert ("VALUATION_MISMATCH", "C1", "npv") in got
    assert ("STATUS_MISMATCH", "C3", "status") in got
    assert ("MISSING_AT_MEMBER", "C4", None) in got
    assert ("MISSING_AT_CCP", None, None) in got
    assert len(got) == 4
    missing = result.breaks.filter(pl.col("break_type") == "MISSING_AT_CCP")
    assert missing["key"].item().startswith("economics=HOUSE|IRS|AUD|999000000.0|PAY")


def test_ambiguous_economics_are_duplicates_not_paired_by_row_order(tmp_path: Path) -> None:
    ccp = [position("C1"), position("C2")]  # two identical trades at the CCP
    member = [position(None, uti=None)]
    result = _run(tmp_path, member, ccp)
    assert result.matched == 0
    kinds = result.breaks["break_type"].to_list()
    assert kinds == ["DUPLICATE_KEY"]
    assert result.breaks["ccp_value"].item() == "2 rows"


def test_identical_economics_at_the_ccp_alone_are_just_missing(tmp_path: Path) -> None:
    result = _run(tmp_path, [], [position("C1"), position("C2")])
    assert _triples(result) == {("MISSING_AT_MEMBER", "C1", None), ("MISSING_AT_MEMBER", "C2", None)}


def test_counterpart_of_an_unreadable_row_is_not_reported_missing(tmp_path: Path) -> None:
    result = _run(tmp_path, [position("C1", notional="ten million")], [position("C1")])
    assert _triples(result) == {("INPUT_ERROR", "C1", "notional")}
    row = result.breaks.to_dicts()[0]
    assert (row["source_file"].endswith("member.csv"), row["source_row"]) == (True, 1)
    assert "'ten million' is not a number" in row["message"]


def test_break_ids_are_stable_and_member_specific() -> None:
    a = break_id("CM1", "ECONOMIC_MISMATCH", "trade_id=C1", "notional")
    assert a == break_id("CM1", "ECONOMIC_MISMATCH", "trade_id=C1", "notional")
    assert a != break_id("CM2", "ECONOMIC_MISMATCH", "trade_id=C1", "notional")
    assert a != break_id("CM1", "ECONOMIC_MISMATCH", "trade_id=C1", "npv")
    assert len(a) == 16


def test_tolerance_file_rejects_unknown_fields() -> None:
    from gateway.domain.errors import InputRejected

    assert parse_tolerances({"npv": {"abs": 250}}).of("npv") == Tolerance(abs=250.0)
    with pytest.raises(InputRejected, match="tolerances apply to"):
        parse_tolerances({"maturity_date": {"abs": 1}})
    with pytest.raises(InputRejected, match="non-negative"):
        parse_tolerances({"npv": {"abs": -1}})


_text = st.text(alphabet="ABCDEFGHJK0123456789", min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(st.one_of(st.none(), _text), min_size=0, max_size=12),
    ccp_ids=st.lists(_text, min_size=0, max_size=12),
    notionals=st.lists(st.integers(1, 3), min_size=12, max_size=12),
)
def test_every_row_is_accounted_for_exactly_once(
    ids: list[str | None], ccp_ids: list[str], notionals: list[int]
) -> None:
    """Each readable row ends paired, missing or under a duplicate key: never twice, never lost."""
    mem = (
        pl.DataFrame(
            [position(i, uti=None, notional=str(notionals[n] * 1_000_000)) for n, i in enumerate(ids)],
            schema=dict.fromkeys(position("x"), pl.String),
        )
        if ids
        else None
    )
    ccp = (
        pl.DataFrame(
            [position(i, uti=None, notional=str(notionals[n] * 1_000_000)) for n, i in enumerate(ccp_ids)],
            schema=dict.fromkeys(position("x"), pl.String),
        )
        if ccp_ids
        else None
    )
    empty = pl.DataFrame(schema=dict.fromkeys(position("x"), pl.String))
    m = normalise(mem if mem is not None else empty, source="m", member="CM1", side=Side.MEMBER)
    c = normalise(ccp if ccp is not None else empty, source="c", member="CM1", side=Side.CCP)
    r = reconcile("CM1", m, c, Tolerances())
    b = r.breaks
    missing_ccp = b.filter(pl.col("break_type") == "MISSING_AT_CCP").height
    missing_member = b.filter(pl.col("break_type") == "MISSING_AT_MEMBER").height
    dups = b.filter(pl.col("break_type") == "DUPLICATE_KEY")
    dup_member_rows = sum(int(v.split()[0]) for v in dups["member_value"].to_list())
    dup_ccp_rows = sum(int(v.split()[0]) for v in dups["ccp_value"].to_list())
    assert r.matched + missing_ccp + dup_member_rows == len(ids)
    assert r.matched + missing_member + dup_ccp_rows == len(ccp_ids)
    again = reconcile("CM1", m, c, Tolerances())
    assert again.breaks.equals(b)  # deterministic
    self_check = reconcile("CM1", c, c, Tolerances())
    assert self_check.breaks.filter(pl.col("break_type") != "DUPLICATE_KEY").height == 0


def test_a_ccp_trade_id_the_ccp_does_not_know_falls_back_to_the_uti(tmp_path: Path) -> None:
    member = [position("C1-OLD", uti="U1"), position("C9", uti="U9")]
    ccp = [position("C1", uti="U1")]
    result = _run(tmp_path, member, ccp)
    assert result.matched_by == {"trade_id": 0, "uti": 1, "economics": 0}
    rows = {(r["break_type"], r["trade_id"], r["field"]): r for r in result.breaks.to_dicts()}
    assert set(rows) == {("ECONOMIC_MISMATCH", "C1", "trade_id"), ("MISSING_AT_CCP", "C9", None)}
    wrong = rows[("ECONOMIC_MISMATCH", "C1", "trade_id")]
    assert (wrong["member_value"], wrong["ccp_value"], wrong["key"]) == ("C1-OLD", "C1", "uti=U1")
    assert rows[("MISSING_AT_CCP", "C9", None)]["key"] == "trade_id=C9"
