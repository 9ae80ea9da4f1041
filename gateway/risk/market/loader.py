"""Strict loaders for a market data directory; every refusal names the file, the row and the curve.

Layout: ``market.toml`` (``as_of = 2026-11-20``; optional ``[discounting]`` table currency -> index),
``curves.csv`` (``curve,tenor,zero_rate``) and ``history.csv`` (``date,curve,tenor,zero_rate``, one row
per business day and pillar). Lines starting with ``#`` are comments; a comment containing SYNTHETIC
labels the data set as synthetic.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from gateway.domain.errors import Issue, MarketDataError, TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.values import Period
from gateway.refdata.indices import DEFAULT_DISCOUNTING, curve_name, index_info, parse_curve_name
from gateway.risk.market.curves import Curve, add_period, year_time
from gateway.risk.market.data import History, MarketData

MAX_GAP_DAYS = 5
"""Longest calendar gap between consecutive history dates (a Thursday to a Tuesday over Easter)."""


def _fail(code: ReasonCode, where: str, message: str) -> MarketDataError:
    return MarketDataError([Issue(code, where, message)])


def _read_csv(path: Path, columns: tuple[str, ...]) -> tuple[pd.DataFrame, int, str | None]:
    """The rows as strings, the file line of row 0, and the text of the leading comment lines."""
    if not path.is_file():
        raise _fail(ReasonCode.MD_BAD_FILE, path.name, f"{path} does not exist")
    comments: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            comments.append(line[1:].strip())
    try:
        frame = pd.read_csv(
            path, skiprows=len(comments), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise _fail(ReasonCode.MD_BAD_FILE, path.name, f"{path.name} cannot be read as CSV: {exc}") from None
    if tuple(c.strip() for c in frame.columns) != columns:
        raise _fail(
            ReasonCode.MD_BAD_FILE,
            f"{path.name}:{len(comments) + 1}",
            f"{path.name} header must be {','.join(columns)}, found {','.join(map(str, frame.columns))}",
        )
    frame.columns = list(columns)
    frame = frame.apply(lambda col: col.str.strip())
    label = " ".join(comments) if comments else None
    return frame, len(comments) + 2, label


def _rates(frame: pd.DataFrame, file: str, first_line: int) -> np.ndarray:
    values = pd.to_numeric(frame["zero_rate"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        row = frame.iloc[i]
        raise _fail(
            ReasonCode.MD_NOT_A_NUMBER,
            f"{file}:{first_line + i}",
            f"{file} row {first_line + i}: zero_rate {row['zero_rate']!r} of curve {row['curve']} "
            f"{row['tenor']} is not a finite number",
        )
    too_big = np.abs(values) > 1.0
    if too_big.any():
        i = int(np.argmax(too_big))
        raise _fail(
            ReasonCode.MD_BAD_FILE,
            f"{file}:{first_line + i}",
            f"{file} row {first_line + i}: zero_rate {values[i]} of curve {frame.iloc[i]['curve']} is not a "
            "decimal rate (0.0435 means 4.35%)",
        )
    return values


def _read_toml(directory: Path) -> tuple[date, dict[str, str]]:
    path = directory / "market.toml"
    if not path.is_file():
        raise _fail(ReasonCode.MD_BAD_FILE, "market.toml", f"{path} does not exist")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(ReasonCode.MD_BAD_FILE, "market.toml", f"market.toml is not TOML: {exc}") from None
    raw = doc.get("as_of")
    if isinstance(raw, str):
        try:
            raw = date.fromisoformat(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, date):
        raise _fail(ReasonCode.MD_BAD_FILE, "market.toml:as_of", "market.toml needs as_of = YYYY-MM-DD")
    discounting = dict(DEFAULT_DISCOUNTING)
    table = doc.get("discounting", {})
    if not isinstance(table, dict):
        raise _fail(ReasonCode.MD_BAD_FILE, "market.toml:discounting", "[discounting] must be a table")
    for ccy, index in table.items():
        info = index_info(str(index))
        if info is None or not info.overnight:
            raise _fail(
                ReasonCode.MD_UNKNOWN_CURVE,
                f"market.toml:discounting.{ccy}",
                f"discounting index {index!r} for {ccy} is not a known overnight index",
            )
        discounting[str(ccy)] = info.name
    return raw, discounting


def _pillar_key(curve: str, tenor: str, file: str, line: int) -> tuple[str, Period]:
    parsed = parse_curve_name(curve)
    if parsed is None:
        raise _fail(
            ReasonCode.MD_UNKNOWN_CURVE,
            f"{file}:{line}",
            f"{file} row {line}: curve {curve!r} names no known floating rate index "
            "(overnight indices bare, term indices as 'INDEX TENOR')",
        )
    info, index_tenor = parsed
    try:
        period = Period.parse(tenor)
    except TradeInvalid:
        raise _fail(
            ReasonCode.MD_BAD_FILE, f"{file}:{line}", f"{file} row {line}: tenor {tenor!r} of curve {curve}"
        ) from None
    if period.months is None and period.unit.value not in ("D", "W"):
        raise _fail(ReasonCode.MD_BAD_FILE, f"{file}:{line}", f"{file} row {line}: tenor {tenor} of {curve}")
    return curve_name(info, index_tenor), period


def _load_curves(directory: Path, as_of: date) -> tuple[dict[str, Curve], str | None]:
    frame, first, label = _read_csv(directory / "curves.csv", ("curve", "tenor", "zero_rate"))
    if frame.empty:
        raise _fail(ReasonCode.MD_BAD_FILE, "curves.csv", "curves.csv has no rows")
    values = _rates(frame, "curves.csv", first)
    pillars: dict[str, dict[Period, float]] = {}
    for i, (name, tenor_text) in enumerate(zip(frame["curve"], frame["tenor"], strict=True)):
        key, tenor = _pillar_key(name, tenor_text, "curves.csv", first + i)
        points = pillars.setdefault(key, {})
        if tenor in points:
            raise _fail(
                ReasonCode.MD_BAD_FILE,
                f"curves.csv:{first + i}",
                f"curves.csv row {first + i}: pillar {tenor} of curve {key} appears twice",
            )
        points[tenor] = float(values[i])
    curves = build_curves(as_of, pillars)
    return curves, label


def build_curves(as_of: date, pillars: Mapping[str, Mapping[Period, float]]) -> dict[str, Curve]:
    """Curves from ``{curve: {tenor: zero rate}}``, laid out in the given order."""
    curves: dict[str, Curve] = {}
    offset = 0
    for key, points in pillars.items():
        if not points:
            raise _fail(ReasonCode.MD_MISSING_PILLAR, key, f"curve {key} has no pillars")
        tenors = sorted(points, key=lambda p: add_period(as_of, p))
        dates = tuple(add_period(as_of, p) for p in tenors)
        if len(set(dates)) != len(dates) or dates[0] <= as_of:
            raise _fail(
                ReasonCode.MD_BAD_FILE, key, f"curve {key} has two tenors on one date or a tenor of zero"
            )
        curves[key] = Curve(
            name=key,
            tenors=tuple(tenors),
            dates=dates,
            times=np.array([year_time(as_of, d) for d in dates]),
            zero_rates=np.array([float(points[p]) for p in tenors]),
            offset=offset,
        )
        offset += len(tenors)
    return curves


def market_from_rates(
    as_of: date,
    rates: Mapping[str, Mapping[str, float]],
    *,
    discounting: Mapping[str, str] | None = None,
    history: History | None = None,
    label: str | None = None,
) -> MarketData:
    """Market data built in code (tests, what-if): ``{curve: {tenor: zero rate}}``, names checked."""
    pillars: dict[str, dict[Period, float]] = {}
    for name, points in rates.items():
        for tenor_text, value in points.items():
            key, tenor = _pillar_key(name, tenor_text, "rates", 0)
            if not math.isfinite(value):
                raise _fail(ReasonCode.MD_NOT_A_NUMBER, key, f"rate of {key} {tenor} is not finite")
            pillars.setdefault(key, {})[tenor] = value
    table = dict(DEFAULT_DISCOUNTING)
    table.update(discounting or {})
    return MarketData(
        as_of=as_of,
        curves=MappingProxyType(build_curves(as_of, pillars)),
        history=history,
        discounting=MappingProxyType(table),
        label=label,
        source="(built in code)",
    )


def _load_history(directory: Path, as_of: date, curves: Mapping[str, Curve]) -> History | None:
    path = directory / "history.csv"
    if not path.is_file():
        return None
    frame, first, _ = _read_csv(path, ("date", "curve", "tenor", "zero_rate"))
    if frame.empty:
        raise _fail(ReasonCode.MD_BAD_FILE, "history.csv", "history.csv has no rows")
    values = _rates(frame, "history.csv", first)
    parsed_dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    if parsed_dates.isna().any():
        i = int(np.argmax(parsed_dates.isna().to_numpy()))
        raise _fail(
            ReasonCode.MD_BAD_FILE,
            f"history.csv:{first + i}",
            f"history.csv row {first + i}: date {frame['date'].iloc[i]!r} is not YYYY-MM-DD",
        )
    # Map each distinct (curve, tenor) once, then every row through a lookup.
    position: dict[tuple[str, Period], int] = {}
    for c in curves.values():
        for j, t in enumerate(c.tenors):
            position[(c.name, t)] = c.offset + j
    pairs = frame["curve"] + "\x00" + frame["tenor"]
    codes, uniques = pd.factorize(pairs)
    first_row = {u: int(np.argmax(codes == k)) for k, u in enumerate(uniques)}
    column = np.empty(len(uniques), dtype=np.int64)
    for k, u in enumerate(uniques):
        name, tenor_text = u.split("\x00")
        line = first + first_row[u]
        key, tenor = _pillar_key(name, tenor_text, "history.csv", line)
        if key not in curves:
            raise _fail(
                ReasonCode.MD_UNKNOWN_CURVE,
                f"history.csv:{line}",
                f"history.csv row {line}: curve {key} is not in curves.csv",
            )
        if (key, tenor) not in position:
            raise _fail(
                ReasonCode.MD_MISSING_PILLAR,
                f"history.csv:{line}",
                f"history.csv row {line}: curve {key} has no pillar {tenor} in curves.csv",
            )
        column[k] = position[(key, tenor)]
    pillar_count = sum(c.size for c in curves.values())
    day_values = parsed_dates.dt.date.to_numpy()
    day_codes, day_uniques = pd.factorize(day_values, sort=True)
    n_days = len(day_uniques)
    rates = np.full((n_days, pillar_count), np.nan)
    seen = np.zeros((n_days, pillar_count), dtype=np.int64)
    cols = column[codes]
    np.add.at(seen, (day_codes, cols), 1)
    if (seen > 1).any():
        d, p = np.argwhere(seen > 1)[0]
        rows = np.flatnonzero((day_codes == d) & (cols == p))
        raise _fail(
            ReasonCode.MD_BAD_FILE,
            f"history.csv:{first + int(rows[1])}",
            f"history.csv row {first + int(rows[1])}: {_label(curves, int(p))} on {day_uniques[d]} appears twice",
        )
    rates[day_codes, cols] = values
    dates = tuple(day_uniques)
    missing = np.argwhere(seen == 0)
    if missing.size:
        d, p = missing[0]
        whole = bool((seen[:, p] == 0).all())
        code = ReasonCode.MD_MISSING_PILLAR if whole else ReasonCode.MD_GAP
        when = "on any date" if whole else f"on {dates[d]}"
        raise _fail(code, "history.csv", f"history.csv has no rate for {_label(curves, int(p))} {when}")
    for a, b in itertools.pairwise(dates):
        if (b - a).days > MAX_GAP_DAYS:
            raise _fail(
                ReasonCode.MD_GAP,
                "history.csv",
                f"history.csv jumps from {a} to {b} ({(b - a).days} days; at most {MAX_GAP_DAYS})",
            )
    if dates[-1] > as_of:
        raise _fail(
            ReasonCode.MD_BAD_FILE, "history.csv", f"history.csv runs to {dates[-1]}, after as_of {as_of}"
        )
    if as_of - dates[-1] > timedelta(days=MAX_GAP_DAYS):
        raise _fail(
            ReasonCode.MD_GAP, "history.csv", f"history.csv ends on {dates[-1]}, stale for as_of {as_of}"
        )
    return History(dates=dates, rates=rates)


def _label(curves: Mapping[str, Curve], pillar: int) -> str:
    for c in curves.values():
        if c.offset <= pillar < c.offset + c.size:
            return f"{c.name} {c.tenors[pillar - c.offset]}"
    return f"pillar {pillar}"


def load_market(directory: str | Path) -> MarketData:
    """Load and check a market data directory (``market.toml``, ``curves.csv``, optional ``history.csv``);
    any defect raises ``MarketDataError`` (MD_* codes)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise _fail(
            ReasonCode.MD_BAD_FILE, str(directory), f"market data directory {directory} does not exist"
        )
    as_of, discounting = _read_toml(directory)
    curves, label = _load_curves(directory, as_of)
    history = _load_history(directory, as_of, curves)
    for c in curves.values():
        if not math.isfinite(float(c.zero_rates.sum())):
            raise _fail(ReasonCode.MD_NOT_A_NUMBER, "curves.csv", f"curve {c.name} has a non-finite rate")
    return MarketData(
        as_of=as_of,
        curves=MappingProxyType(curves),
        history=history,
        discounting=MappingProxyType(discounting),
        label=label,
        source=str(directory),
    )
