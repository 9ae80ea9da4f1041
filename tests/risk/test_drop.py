"""The daily market data drop: a day's folder read against the day before, refused whole with the file
and the field named when it is stale, incomplete, unknown or moved absurdly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from gateway.domain.errors import GatewayError, MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.refdata.fx import FxRates
from gateway.risk import MarketData
from gateway.risk.market.drop import DropLimits, MarketDay, drop_folders, read_drop
from gateway.risk.market.timeline import MarketTimeline
from tests.risk.drops import edit, write_drop

DAY = date(2026, 11, 23)  # the Monday after the synthetic market's Friday
FX = FxRates("USD", {"AUD": Decimal("0.65"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")})


@pytest.fixture
def previous(market: MarketData) -> MarketDay:
    return MarketDay(market.as_of, market, FX, (), "base")


def test_a_good_drop_moves_the_curves_and_rolls_the_history(tmp_path: Path, previous: MarketDay) -> None:
    fixings = "index,date,rate\nAUD-AONIA-OIS-COMPOUND,2026-11-23,0.0412\nAUD-BBR-BBSW 3M,2026-11-20,0.0431\n"
    folder = write_drop(tmp_path, DAY, previous.market, FX, shift_bp=10, fx_scale=1.01, fixings=fixings)
    day = read_drop(folder, previous, DropLimits())
    assert day.business_date == day.market.as_of == DAY
    np.testing.assert_allclose(day.market.rates, previous.market.rates + 0.001, atol=1e-10)
    old, new = previous.market.history, day.market.history
    assert old is not None
    assert new is not None
    assert new.days == old.days  # a rolling window: the scenario count does not change
    assert new.dates[-1] == DAY
    assert new.dates[-2] == previous.business_date
    assert new.dates[0] == old.dates[1]
    np.testing.assert_allclose(new.rates[-1], day.market.rates, atol=1e-10)
    np.testing.assert_array_equal(new.rates[:-1], old.rates[1:])
    assert day.fx.per_unit["AUD"] == Decimal(repr(0.65 * 1.01))
    assert [(f.index, f.fixing_date, f.rate) for f in day.fixings] == [
        ("AUD-AONIA-OIS-COMPOUND", DAY, Decimal("0.0412")),
        ("AUD-BBR-BBSW 3M", date(2026, 11, 20), Decimal("0.0431")),
    ]


def _curves_line(market: MarketData, curve: str, tenor: str) -> int:
    labels = market.pillar_labels()
    return 2 + labels.index((curve, tenor))


Edit = Callable[[Path], None]
AONIA = "AUD-AONIA-OIS-COMPOUND"


def _drop_line(folder: Path, file: str, prefix: str) -> None:
    path = folder / file
    path.write_text("".join(x for x in path.read_text().splitlines(True) if not x.startswith(prefix)))


def _move(folder: Path, file: str, prefix: str, bp: float) -> None:
    path = folder / file
    out = []
    for line in path.read_text().splitlines(True):
        if line.startswith(prefix):
            head, _, rate = line.strip().rpartition(",")
            line = f"{head},{float(rate) + bp / 10_000:.10f}\n"
        out.append(line)
    path.write_text("".join(out))


CASES: list[tuple[str, Edit, ReasonCode, str]] = [
    (
        "market.toml dated the previous day",
        lambda f: edit(f, "market.toml", {"2026-11-23": "2026-11-20"}),
        ReasonCode.MKT_STALE,
        "market.toml:as_of",
    ),
    (
        "history row of another day",
        lambda f: edit(f, "history.csv", {"\n2026-11-23,": "\n2026-11-20,"}),
        ReasonCode.MKT_STALE,
        "history.csv:2:date",
    ),
    (
        "FX of another day",
        lambda f: edit(f, "fx.toml", {"as_of = 2026-11-23": "as_of = 2026-11-20"}),
        ReasonCode.MKT_STALE,
        "fx.toml:as_of",
    ),
    (
        "a fixing dated after the drop",
        lambda f: (f / "fixings.csv").write_text("index,date,rate\nAUD-AONIA-OIS-COMPOUND,2026-11-24,0.04\n"),
        ReasonCode.MKT_STALE,
        "fixings.csv:date",
    ),
    (
        "a curve pillar missing",
        lambda f: _drop_line(f, "curves.csv", f"{AONIA},5Y,"),
        ReasonCode.MKT_MISSING_PILLAR,
        f"curves.csv:{AONIA} 5Y",
    ),
    (
        "a history pillar missing",
        lambda f: _drop_line(f, "history.csv", f"2026-11-23,{AONIA},5Y,"),
        ReasonCode.MKT_MISSING_PILLAR,
        f"history.csv:{AONIA} 5Y",
    ),
    (
        "an FX rate missing",
        lambda f: _drop_line(f, "fx.toml", "EUR ="),
        ReasonCode.MKT_MISSING_PILLAR,
        "fx.toml:rates.EUR",
    ),
    (
        "a pillar the history lacks",
        lambda f: (f / "curves.csv").open("a").write(f"{AONIA},9Y,0.04\n"),
        ReasonCode.MKT_NEW_PILLAR,
        "curves.csv:LAST:tenor",
    ),
    (
        "a pillar moved 501 bp",
        lambda f: _move(f, "curves.csv", f"{AONIA},5Y,", 501),
        ReasonCode.MKT_ABSURD_MOVE,
        f"curves.csv:{AONIA}/5Y:zero_rate",
    ),
    (
        "an FX rate moved 21%",
        lambda f: edit(f, "fx.toml", {"AUD = 0.65": "AUD = 0.7865"}),
        ReasonCode.MKT_ABSURD_MOVE,
        "fx.toml:rates.AUD",
    ),
    (
        "an unknown index in the curves",
        lambda f: edit(f, "curves.csv", {f"{AONIA},1W,": "AUD-NOSUCH-INDEX,1W,"}),
        ReasonCode.MKT_UNKNOWN_INDEX,
        "curves.csv:2",
    ),
    (
        "an unknown index in the fixings",
        lambda f: (f / "fixings.csv").write_text(
            "index,date,rate\nAUD-AONIA,2026-11-23,0.04\nXXX-NOPE,2026-11-23,0.04\n"
        ),
        ReasonCode.MKT_UNKNOWN_INDEX,
        "fixings.csv:3:index",
    ),
    (
        "a fixing that is not a number",
        lambda f: (f / "fixings.csv").write_text("index,date,rate\nAUD-AONIA,2026-11-23,4.1%\n"),
        ReasonCode.MKT_BAD_FIXING,
        "fixings.csv:2:rate",
    ),
    (
        "an FX rate of a currency not known",
        lambda f: (f / "fx.toml").open("a").write("CHF = 1.12\n"),
        ReasonCode.MKT_UNKNOWN_CURRENCY,
        "fx.toml:rates.CHF",
    ),
    (
        "a file missing",
        lambda f: (f / "fixings.csv").unlink(),
        ReasonCode.MD_BAD_FILE,
        "2026-11-23/fixings.csv",
    ),
]


@pytest.mark.parametrize(("what", "change", "code", "where"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_drop_is_refused_naming_the_file_and_field(
    tmp_path: Path, previous: MarketDay, what: str, change: Edit, code: ReasonCode, where: str
) -> None:
    folder = write_drop(tmp_path, DAY, previous.market, FX)
    change(folder)
    with pytest.raises(GatewayError) as err:
        read_drop(folder, previous, DropLimits())
    issue = err.value.issues[0]
    assert issue.code is code, issue
    if "/" in where and where.startswith("curves.csv:"):  # a pillar: its line in the file
        curve, _, rest = where.removeprefix("curves.csv:").partition("/")
        tenor, _, field = rest.partition(":")
        where = f"curves.csv:{_curves_line(previous.market, curve, tenor)}:{field}"
    if "LAST" in where:
        where = where.replace("LAST", str(1 + previous.market.pillar_count + 1))
    assert issue.path == where, issue
    assert issue.message


def test_the_move_thresholds_are_configured(tmp_path: Path, previous: MarketDay) -> None:
    folder = write_drop(tmp_path, DAY, previous.market, FX, shift_bp=300, fx_scale=1.15)
    with pytest.raises(MarketDataError) as err:
        read_drop(folder, previous, DropLimits(max_move_bp=250))
    assert err.value.code is ReasonCode.MKT_ABSURD_MOVE
    assert "300.0 bp" in err.value.issues[0].message
    with pytest.raises(MarketDataError) as err:
        read_drop(folder, previous, DropLimits(max_fx_move=0.10))
    assert (err.value.code, err.value.issues[0].path) == (ReasonCode.MKT_ABSURD_MOVE, "fx.toml:rates.AUD")
    assert read_drop(folder, previous, DropLimits(max_move_bp=301, max_fx_move=0.16)).business_date == DAY


def test_a_drop_not_after_the_day_in_force_is_stale(tmp_path: Path, previous: MarketDay) -> None:
    folder = write_drop(tmp_path, previous.business_date, previous.market, FX)
    with pytest.raises(MarketDataError) as err:
        read_drop(folder, previous, DropLimits())
    assert err.value.code is ReasonCode.MKT_STALE


def test_only_folders_named_by_a_date_are_drops(tmp_path: Path, previous: MarketDay) -> None:
    write_drop(tmp_path, DAY, previous.market, FX)
    write_drop(tmp_path, date(2026, 11, 24), previous.market, FX, name=".2026-11-24.partial")
    (tmp_path / "2026-11-25").write_text("a file, not a folder")
    write_drop(tmp_path, DAY, previous.market, FX, name="2026-13-40")
    assert drop_folders(tmp_path) == [(DAY, tmp_path / "2026-11-23")]
    assert drop_folders(tmp_path / "absent") == []


def test_the_timeline_gives_the_day_or_the_latest_before_it(tmp_path: Path, previous: MarketDay) -> None:
    monday = read_drop(write_drop(tmp_path, DAY, previous.market, FX, shift_bp=5), previous, DropLimits())
    timeline = MarketTimeline((previous,)).add(monday)
    assert timeline.at(DAY) is monday
    assert timeline.at(date(2026, 11, 30)) is monday
    assert timeline.at(date(2026, 11, 22)) is previous  # the weekend: Friday's data
    assert timeline.at(previous.business_date) is previous
    with pytest.raises(MarketDataError) as err:
        timeline.at(date(2026, 11, 19))
    assert err.value.code is ReasonCode.MKT_NO_MARKET
    assert "2026-11-19" in err.value.issues[0].message
    assert [d.business_date for d in timeline.add(monday, keep=1).days] == [DAY]
