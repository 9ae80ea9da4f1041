"""Synthetic member/CCP books with known, injected breaks: the benchmark's data and the tests' ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from recon.engine import BreakType
from recon.layout import POSITION_COLUMNS


@dataclass(frozen=True, slots=True)
class Injected:
    """What was injected: expected (break_type, trade_id, field) triples and ids datacompy cannot key on."""

    expected: frozenset[tuple[str, str, str]]
    matched_by_uti: int
    matched_by_economics: int
    # CCP trade ids whose rows a single-key comparison cannot treat like we do (no id, duplicate, unreadable).
    not_comparable: frozenset[str] = field(default_factory=frozenset)


def generate_books(
    n: int, *, member: str = "CM1", seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame, Injected]:
    """Two books in the standard layout: the CCP's ``n`` rows and the member's, with breaks of every type.

    Each kind of injection touches ``k = max(2, n // 1000)`` distinct trades. Near-tolerance differences
    (inside the default tolerances) are injected too and must not break.
    """
    rng = np.random.default_rng(seed)
    k = max(2, n // 1000)
    idx = np.arange(n)
    product = rng.choice(np.array(["IRS", "OIS", "BASIS"]), n, p=[0.7, 0.2, 0.1])
    currency = rng.choice(np.array(["AUD", "USD", "EUR", "GBP"]), n)
    index = np.where(product == "OIS", "AONIA", "BBSW")
    tenor = rng.choice(np.array(["3M", "6M"]), n).astype(object)
    tenor[product == "OIS"] = None
    fixed = np.where(product == "BASIS", np.nan, np.round(rng.uniform(0.005, 0.06, n), 6))
    spread = np.where(product == "BASIS", np.round(rng.uniform(0.0001, 0.003, n), 6), np.nan)
    start = np.datetime64(date(2025, 1, 2)) + rng.integers(0, 700, n).astype("timedelta64[D]")
    years = rng.integers(1, 31, n)
    years = np.where(product == "IRS", years, np.minimum(years, 3))
    maturity = start + (years * 365).astype("timedelta64[D]")
    ccp = pd.DataFrame(
        {
            "trade_id": pd.Series([f"C{i:010d}" for i in idx], dtype="str"),
            "uti": pd.Series([f"UTI{member}{i:012d}" for i in idx], dtype="str"),
            "member": member,
            "account": rng.choice(np.array(["HOUSE", "CLIENT1", "CLIENT2"]), n),
            "product": product,
            "currency": currency,
            "notional": rng.integers(1, 5000, n).astype(np.float64) * 100_000.0,
            "direction": rng.choice(np.array(["PAY", "RECEIVE"]), n),
            "fixed_rate": fixed,
            "floating_index": index,
            "index_tenor": pd.Series(tenor, dtype="str"),
            "spread": spread,
            "effective_date": start.astype("datetime64[s]"),
            "maturity_date": maturity.astype("datetime64[s]"),
            "status": "Cleared",
            "npv": np.round(rng.normal(0, 250_000, n), 2),
        },
        columns=list(POSITION_COLUMNS),
    )
    mem = ccp.copy()
    order = rng.permutation(n)
    groups = iter(np.array_split(order[: 16 * k], 16))
    tid = ccp["trade_id"].to_numpy()
    expected: set[tuple[str, str, str]] = set()
    not_comparable: set[str] = set()

    drop = next(groups)  # MISSING_AT_MEMBER
    expected |= {(BreakType.MISSING_AT_MEMBER, t, "") for t in tid[drop]}
    notional_off = next(groups)
    mem.loc[notional_off, "notional"] += 1_000.0
    expected |= {(BreakType.ECONOMIC_MISMATCH, t, "notional") for t in tid[notional_off]}
    notional_edge = next(groups)  # just inside the half-cent tolerance: no break
    mem.loc[notional_edge, "notional"] += 0.004
    rate_off = next(groups)
    rate_rows = rate_off[product[rate_off] != "BASIS"]
    mem.loc[rate_rows, "fixed_rate"] += 0.0001
    expected |= {(BreakType.ECONOMIC_MISMATCH, t, "fixed_rate") for t in tid[rate_rows]}
    flip = next(groups)
    mem.loc[flip, "direction"] = np.where(mem.loc[flip, "direction"] == "PAY", "RECEIVE", "PAY")
    expected |= {(BreakType.ECONOMIC_MISMATCH, t, "direction") for t in tid[flip]}
    mat = next(groups)
    mem.loc[mat, "maturity_date"] += pd.Timedelta(days=1)
    expected |= {(BreakType.ECONOMIC_MISMATCH, t, "maturity_date") for t in tid[mat]}
    status = next(groups)
    mem.loc[status, "status"] = "Pending"
    expected |= {(BreakType.STATUS_MISMATCH, t, "status") for t in tid[status]}
    npv = next(groups)
    mem.loc[npv, "npv"] += 5_000.0
    expected |= {(BreakType.VALUATION_MISMATCH, t, "npv") for t in tid[npv]}
    npv_edge = next(groups)  # within one currency unit: no break
    mem.loc[npv_edge, "npv"] += 0.75
    by_uti = next(groups)  # member lacks the CCP id; found by UTI, one field off
    mem.loc[by_uti, "trade_id"] = pd.NA
    mem.loc[by_uti, "npv"] += 10_000.0
    expected |= {(BreakType.VALUATION_MISMATCH, t, "npv") for t in tid[by_uti]}
    not_comparable |= set(tid[by_uti])
    by_econ = next(groups)  # neither id: found by economics, no break
    mem.loc[by_econ, ["trade_id", "uti"]] = pd.NA
    not_comparable |= set(tid[by_econ])
    bad = next(groups)  # unreadable direction code
    mem.loc[bad, "direction"] = "BUY"
    expected |= {(BreakType.INPUT_ERROR, t, "direction") for t in tid[bad]}
    not_comparable |= set(tid[bad])
    dup = next(groups)  # the member books a trade twice
    expected |= {(BreakType.DUPLICATE_KEY, t, "trade_id") for t in tid[dup]}
    not_comparable |= set(tid[dup])
    new = next(groups)  # trades the CCP never registered
    extra = ccp.loc[new].copy()
    extra["trade_id"] = [f"X{i:010d}" for i in new]
    extra["uti"] = [f"UTIX{member}{i:012d}" for i in new]
    expected |= {(BreakType.MISSING_AT_CCP, t, "") for t in extra["trade_id"]}
    kept = mem.drop(index=list(drop))
    mem = pd.concat([kept, mem.loc[dup], extra], ignore_index=True)
    mem = mem.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return (
        mem,
        ccp,
        Injected(
            expected=frozenset((str(t), str(i), f) for t, i, f in expected),
            matched_by_uti=len(by_uti),
            matched_by_economics=len(by_econ),
            not_comparable=frozenset(str(t) for t in not_comparable),
        ),
    )
