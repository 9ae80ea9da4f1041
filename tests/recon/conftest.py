"""Helpers for the reconciliation tests: small books in the standard layout, written as real files."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from recon.layout import POSITION_COLUMNS

Row = dict[str, Any]


def position(trade_id: str | None, **overrides: Any) -> Row:
    """One row of the standard layout with plausible A$ IRS economics."""
    row: Row = {
        "trade_id": trade_id,
        "uti": f"UTI-{trade_id}" if trade_id else None,
        "member": "CM1",
        "account": "HOUSE",
        "product": "IRS",
        "currency": "AUD",
        "notional": "100000000",
        "direction": "PAY",
        "fixed_rate": "0.0415",
        "floating_index": "BBSW",
        "index_tenor": "6M",
        "spread": "",
        "effective_date": "2026-01-07",
        "maturity_date": "2031-01-07",
        "status": "Cleared",
        "npv": "12500.25",
    }
    row.update(overrides)
    return row


def write_csv(
    path: Path, rows: Sequence[Row], columns: Sequence[str] = POSITION_COLUMNS, delimiter: str = ","
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return path


@pytest.fixture
def write_book(tmp_path: Path) -> Callable[..., Path]:
    def _write(name: str, rows: Sequence[Row], **kwargs: Any) -> Path:
        return write_csv(tmp_path / name, rows, **kwargs)

    return _write
