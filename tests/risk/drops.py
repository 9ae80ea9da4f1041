"""Writing a daily market data drop for tests: the previous day's curves moved, its FX, some fixings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from gateway.refdata.fx import FxRates
from gateway.risk.market.data import MarketData


def write_drop(
    root: Path,
    day: date,
    base: MarketData,
    fx: FxRates,
    *,
    shift_bp: float = 0.0,
    fx_scale: float = 1.0,
    fixings: str = "index,date,rate\n",
    name: str | None = None,
) -> Path:
    """A complete drop for ``day`` in ``root/name`` (``name`` defaults to the date): every pillar of
    ``base`` moved by ``shift_bp``, the history row equal to the curves, FX scaled by ``fx_scale``."""
    folder = root / (name or day.isoformat())
    folder.mkdir(parents=True)
    (folder / "market.toml").write_text(f"as_of = {day.isoformat()}\n")
    curves = ["curve,tenor,zero_rate"]
    history = ["date,curve,tenor,zero_rate"]
    for c in base.curves.values():
        for tenor, rate in zip(c.tenors, c.zero_rates, strict=True):
            moved = float(rate) + shift_bp / 10_000
            curves.append(f"{c.name},{tenor},{moved:.10f}")
            history.append(f"{day.isoformat()},{c.name},{tenor},{moved:.10f}")
    (folder / "curves.csv").write_text("\n".join(curves) + "\n")
    (folder / "history.csv").write_text("\n".join(history) + "\n")
    rates = "\n".join(f"{ccy} = {float(r) * fx_scale!r}" for ccy, r in fx.per_unit.items())
    (folder / "fx.toml").write_text(f'as_of = {day.isoformat()}\npivot = "{fx.pivot}"\n\n[rates]\n{rates}\n')
    (folder / "fixings.csv").write_text(fixings)
    return folder


def edit(folder: Path, file: str, replacements: Mapping[str, str]) -> None:
    """Replace text in one of a drop's files (the first occurrence of each key)."""
    path = folder / file
    text = path.read_text()
    for old, new in replacements.items():
        assert old in text, f"{old!r} not in {file}"
        text = text.replace(old, new, 1)
    path.write_text(text)
