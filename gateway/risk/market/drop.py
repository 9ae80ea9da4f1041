"""The daily market data drop: one folder per business date, read and checked against the day before.

Layout: ``DROP/YYYY-MM-DD/`` holds ``market.toml`` (``as_of`` = the folder's date), ``curves.csv``
(every pillar of the previous day, no other), ``history.csv`` (the day's observation: one row per pillar,
dated the folder's date), ``fx.toml`` (``as_of`` = the folder's date, ``pivot`` and ``[rates]`` as
``gateway/refdata/fx.toml``) and ``fixings.csv`` (``index,date,rate``). A drop that fails a check is
refused whole with the file and the field named; the previous day stays in force.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import numpy as np

from gateway.domain.errors import GatewayError, Issue, MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.domain.values import Period
from gateway.refdata.fx import FxRates
from gateway.risk.market.curves import Curve
from gateway.risk.market.data import History, MarketData
from gateway.risk.market.fixings import Fixing, FixingTable, read_fixings
from gateway.risk.market.loader import _pillar_key, _rates, _read_csv, _read_toml, build_curves, load_market

FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILES = ("market.toml", "curves.csv", "history.csv", "fx.toml", "fixings.csv")


@dataclass(frozen=True, slots=True)
class DropLimits:
    """Largest daily moves a drop may show before it is refused as absurd."""

    max_move_bp: float = 500.0  # on any curve pillar, in basis points of zero rate
    max_fx_move: float = 0.20  # on any FX rate, relative (0.20 = 20%)


@dataclass(frozen=True, slots=True, eq=False)
class MarketDay:
    """Everything priced on one business date: curves and history, FX, and the fixings published with it."""

    business_date: date
    market: MarketData
    fx: FxRates
    fixings: tuple[Fixing, ...] = ()  # published with the day (they go to the fixings store)
    source: str = ""
    # the stored fixings valuation on this day uses (None: fixed coupons at the curve-implied rate)
    fixing_table: FixingTable | None = None


def _fail(code: ReasonCode, where: str, message: str) -> MarketDataError:
    return MarketDataError([Issue(code, where, message)])


def base_day(directory: Path, fx: FxRates | None = None) -> MarketDay:
    """The day a service starts from: a full market data directory (``load_market``) and the FX given."""
    market = load_market(directory)
    return MarketDay(market.as_of, market, fx or FxRates.load(), (), str(directory))


def drop_folders(root: Path) -> list[tuple[date, Path]]:
    """The folders of ``root`` named by a date, oldest first; anything else (a folder being written under
    another name, a file) is ignored."""
    out: list[tuple[date, Path]] = []
    try:
        entries = list(root.iterdir())
    except FileNotFoundError:
        return []
    for entry in entries:
        if not FOLDER.match(entry.name) or not entry.is_dir():
            continue
        try:
            out.append((date.fromisoformat(entry.name), entry))
        except ValueError:
            continue
    return sorted(out)


def signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of a folder's files: a refused drop is read again once it changes."""
    out = []
    for entry in sorted(folder.iterdir()):
        try:
            st = entry.stat()
        except FileNotFoundError:
            continue
        out.append((entry.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


def _recode(exc: MarketDataError) -> MarketDataError:
    """The loader's unknown-curve refusal is, in a drop, an unknown index."""
    issues = [
        Issue(ReasonCode.MKT_UNKNOWN_INDEX, i.path, i.message) if i.code is ReasonCode.MD_UNKNOWN_CURVE else i
        for i in exc.issues
    ]
    return MarketDataError(issues)


def read_drop(folder: Path, previous: MarketDay, limits: DropLimits) -> MarketDay:
    """The market day in ``folder``, checked against ``previous``; ``GatewayError`` (MKT_*, MD_*) otherwise."""
    day = date.fromisoformat(folder.name)
    if day <= previous.business_date:
        raise _fail(
            ReasonCode.MKT_STALE,
            folder.name,
            f"drop {folder.name} is not after the business date in force ({previous.business_date})",
        )
    for name in FILES:
        if not (folder / name).is_file():
            raise _fail(ReasonCode.MD_BAD_FILE, f"{folder.name}/{name}", f"the drop has no {name}")
    try:
        as_of, discounting = _read_toml(folder)
        if as_of != day:
            raise _fail(
                ReasonCode.MKT_STALE,
                "market.toml:as_of",
                f"market.toml as_of {as_of} is not the drop's business date {day}",
            )
        curves = _read_curves(folder, day, previous.market, limits)
        history = _read_history(folder, day, curves, previous.market.history)
    except MarketDataError as exc:
        raise _recode(exc) from None
    fx = _read_fx(folder / "fx.toml", day, previous.fx, limits)
    fixings = read_fixings(folder / "fixings.csv")
    for f in fixings:
        if f.fixing_date > day:
            raise _fail(
                ReasonCode.MKT_STALE,
                "fixings.csv:date",
                f"fixings.csv: the fixing of {f.index} on {f.fixing_date} is dated after the drop's date {day}",
            )
    market = MarketData(
        as_of=day,
        curves=MappingProxyType(curves),
        history=history,
        discounting=MappingProxyType(discounting),
        label=previous.market.label,
        source=str(folder),
    )
    return MarketDay(day, market, fx, tuple(fixings), str(folder))


def _read_curves(folder: Path, day: date, previous: MarketData, limits: DropLimits) -> dict[str, Curve]:
    frame, first, _ = _read_csv(folder / "curves.csv", ("curve", "tenor", "zero_rate"))
    values = _rates(frame, "curves.csv", first)
    before = {
        (c.name, t): float(c.zero_rates[j]) for c in previous.curves.values() for j, t in enumerate(c.tenors)
    }
    got: dict[tuple[str, Period], float] = {}
    for i, (name, tenor_text) in enumerate(zip(frame["curve"], frame["tenor"], strict=True)):
        line = first + i
        key = _pillar_key(name, tenor_text, "curves.csv", line)
        if key in got:
            raise _fail(
                ReasonCode.MD_BAD_FILE,
                f"curves.csv:{line}",
                f"curves.csv row {line}: {key[0]} {key[1]} twice",
            )
        old = before.get(key)
        if old is None:
            raise _fail(
                ReasonCode.MKT_NEW_PILLAR,
                f"curves.csv:{line}:tenor",
                f"curves.csv row {line}: {key[0]} {key[1]} is not a pillar of {previous.as_of} "
                "(its history is missing; add pillars through a full market data reload)",
            )
        value = float(values[i])
        move_bp = abs(value - old) * 10_000
        if move_bp > limits.max_move_bp:
            raise _fail(
                ReasonCode.MKT_ABSURD_MOVE,
                f"curves.csv:{line}:zero_rate",
                f"curves.csv row {line}: {key[0]} {key[1]} moved {move_bp:.1f} bp from {old} to {value} "
                f"(at most {limits.max_move_bp:g} bp a day)",
            )
        got[key] = value
    for key in before:
        if key not in got:
            raise _fail(
                ReasonCode.MKT_MISSING_PILLAR,
                f"curves.csv:{key[0]} {key[1]}",
                f"curves.csv has no rate for {key[0]} {key[1]}, a pillar of {previous.as_of}",
            )
    pillars = {c.name: {t: got[(c.name, t)] for t in c.tenors} for c in previous.curves.values()}
    return build_curves(day, pillars)


def _read_history(
    folder: Path, day: date, curves: dict[str, Curve], previous: History | None
) -> History | None:
    frame, first, _ = _read_csv(folder / "history.csv", ("date", "curve", "tenor", "zero_rate"))
    values = _rates(frame, "history.csv", first)
    position = {(c.name, t): c.offset + j for c in curves.values() for j, t in enumerate(c.tenors)}
    row = np.full(len(position), np.nan)
    for i, (text, name, tenor_text) in enumerate(
        zip(frame["date"], frame["curve"], frame["tenor"], strict=True)
    ):
        line = first + i
        if text != day.isoformat():
            raise _fail(
                ReasonCode.MKT_STALE,
                f"history.csv:{line}:date",
                f"history.csv row {line}: date {text!r} is not the drop's business date {day}",
            )
        key = _pillar_key(name, tenor_text, "history.csv", line)
        p = position.get(key)
        if p is None:
            raise _fail(
                ReasonCode.MKT_NEW_PILLAR,
                f"history.csv:{line}:tenor",
                f"history.csv row {line}: {key[0]} {key[1]} is not a pillar of curves.csv",
            )
        if not np.isnan(row[p]):
            raise _fail(
                ReasonCode.MD_BAD_FILE,
                f"history.csv:{line}",
                f"history.csv row {line}: {key[0]} {key[1]} twice",
            )
        row[p] = values[i]
    missing = np.flatnonzero(np.isnan(row))
    if missing.size:
        name, tenor = next(k for k, p in position.items() if p == int(missing[0]))
        raise _fail(
            ReasonCode.MKT_MISSING_PILLAR,
            f"history.csv:{name} {tenor}",
            f"history.csv has no observation of {name} {tenor} on {day}",
        )
    if previous is None:
        return History((day,), row[None, :])
    # a rolling window: the oldest day leaves as the new one arrives, so the scenario count stays
    rates = np.vstack([previous.rates[1:], row[None, :]])
    return History((*previous.dates[1:], day), rates)


def _read_fx(path: Path, day: date, previous: FxRates, limits: DropLimits) -> FxRates:
    try:
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(ReasonCode.MD_BAD_FILE, "fx.toml", f"fx.toml cannot be read: {exc}") from None
    stamped = doc.get("as_of")
    if isinstance(stamped, str):
        with contextlib.suppress(ValueError):
            stamped = date.fromisoformat(stamped)
    if stamped != day:
        raise _fail(
            ReasonCode.MKT_STALE,
            "fx.toml:as_of",
            f"fx.toml as_of {stamped} is not the drop's business date {day}",
        )
    try:
        fx = FxRates.from_toml(text, "fx.toml")
    except GatewayError as exc:
        raise MarketDataError(list(exc.issues)) from None
    if fx.pivot != previous.pivot:
        raise _fail(
            ReasonCode.MKT_UNKNOWN_CURRENCY,
            "fx.toml:pivot",
            f"fx.toml pivot {fx.pivot} is not the pivot in force ({previous.pivot})",
        )
    for ccy, rate in fx.per_unit.items():
        old = previous.per_unit.get(ccy)
        if old is None:
            raise _fail(
                ReasonCode.MKT_UNKNOWN_CURRENCY,
                f"fx.toml:rates.{ccy}",
                f"fx.toml has a rate for {ccy}, a currency the rates in force do not have",
            )
        move = abs(rate / old - Decimal(1))
        if move > Decimal(repr(limits.max_fx_move)):
            raise _fail(
                ReasonCode.MKT_ABSURD_MOVE,
                f"fx.toml:rates.{ccy}",
                f"fx.toml rate of {ccy} moved {float(move):.1%} from {old} to {rate} "
                f"(at most {limits.max_fx_move:.0%} a day)",
            )
    for ccy in previous.per_unit:
        if ccy not in fx.per_unit:
            raise _fail(
                ReasonCode.MKT_MISSING_PILLAR, f"fx.toml:rates.{ccy}", f"fx.toml has no rate for {ccy}"
            )
    return fx
