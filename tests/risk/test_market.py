"""Market data loaders refuse bad files with the file, row and curve named; the generator is usable."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.domain.errors import MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.risk import MarketData
from gateway.risk.market.loader import load_market
from gateway.risk.market.synth import TENORS, write_market

CURVES_HEAD = "curve,tenor,zero_rate\n"


def small_market(
    tmp_path: Path, curves: str, history: str | None = None, toml: str = "as_of = 2026-11-20\n"
) -> Path:
    (tmp_path / "market.toml").write_text(toml)
    (tmp_path / "curves.csv").write_text(curves)
    if history is not None:
        (tmp_path / "history.csv").write_text(history)
    return tmp_path


GOOD = (
    CURVES_HEAD
    + "AUD-AONIA-OIS-COMPOUND,1Y,0.04\nAUD-AONIA-OIS-COMPOUND,5Y,0.045\nAUD-BBR-BBSW 6M,1Y,0.043\n"
)


def refused(directory: Path) -> MarketDataError:
    with pytest.raises(MarketDataError) as err:
        load_market(directory)
    return err.value


def test_synthetic_market_is_labelled_and_long_enough(market_dir: Path, market: MarketData) -> None:
    assert market.synthetic
    assert "SYNTHETIC" in (market_dir / "curves.csv").read_text().splitlines()[0]
    assert "SYNTHETIC" in (market_dir / "history.csv").open().readline()
    assert market.history is not None
    assert market.history.days >= 1255
    assert set(market.curves) >= {
        "AUD-BBR-BBSW 3M", "AUD-BBR-BBSW 6M", "AUD-AONIA-OIS-COMPOUND", "USD-SOFR-OIS Compound",
        "EUR-EuroSTR-COMPOUND", "EUR-EURIBOR-Telerate 3M", "EUR-EURIBOR-Telerate 6M", "GBP-SONIA-COMPOUND",
    }  # fmt: skip
    assert market.history.dates[-1] == market.as_of
    assert all(d.weekday() < 5 for d in market.history.dates)
    np.testing.assert_array_equal(market.history.rates[-1], market.rates)


def test_synthetic_history_has_volatility_clustering(market: MarketData) -> None:
    """Squared daily changes are autocorrelated (GARCH-like), unlike i.i.d. noise."""
    assert market.history is not None
    d = np.diff(market.history.rates[:, 9])  # AONIA 5Y
    sq = d**2 - np.mean(d**2)
    acf = float(np.sum(sq[1:] * sq[:-1]) / np.sum(sq * sq))
    assert acf > 0.05
    assert 0.0 < np.std(d) < 0.002


def test_same_seed_same_data(tmp_path: Path) -> None:
    write_market(tmp_path / "a", date(2026, 11, 20), seed=3, days=300)
    write_market(tmp_path / "b", date(2026, 11, 20), seed=3, days=300)
    assert (tmp_path / "a" / "history.csv").read_bytes() == (tmp_path / "b" / "history.csv").read_bytes()


def test_synthetic_fixings_are_the_short_rates_and_load_as_fixings(tmp_path: Path) -> None:
    """``market synth``'s fixings.csv: each curve's 1W rate of the last business days, readable by
    ``fixings load``, carried to a later day only when asked (a demo's end of day needs its overnight fixing)."""
    from gateway.risk.market.fixings import read_fixings

    as_of, later = date(2026, 11, 20), date(2026, 11, 24)  # a Friday, then the Tuesday after
    summary = write_market(tmp_path / "m", as_of, seed=3, days=300, fixings_through=later)
    fixings = read_fixings(tmp_path / "m" / "fixings.csv")
    market = load_market(tmp_path / "m")
    curves = set(market.curves)
    assert {f.index for f in fixings} == curves
    days = sorted({f.fixing_date for f in fixings})
    assert days[-3:] == [as_of, date(2026, 11, 23), later]  # no weekend fixings
    assert len(days) == 60 + 2
    assert summary["fixings_through"] == later.isoformat()
    on_as_of = {f.index: float(f.rate) for f in fixings if f.fixing_date == as_of}
    carried = {f.index: float(f.rate) for f in fixings if f.fixing_date == later}
    assert carried == on_as_of
    short = TENORS.index("1W")
    for name, rate in on_as_of.items():
        assert rate == pytest.approx(float(market.curves[name].zero_rates[short]), abs=1e-8)
    write_market(tmp_path / "n", as_of, seed=3, days=300)  # by default up to the as-of date only
    assert max(f.fixing_date for f in read_fixings(tmp_path / "n" / "fixings.csv")) == as_of


def test_good_small_market_loads(tmp_path: Path) -> None:
    m = load_market(small_market(tmp_path, GOOD))
    assert list(m.curves) == ["AUD-AONIA-OIS-COMPOUND", "AUD-BBR-BBSW 6M"]
    assert m.history is None
    assert not m.synthetic
    c = m.curves["AUD-AONIA-OIS-COMPOUND"]
    # linear in zero rate between pillars, flat outside
    assert c.zero_rate(np.array([0.1, 3.0, 40.0])) == pytest.approx([0.04, 0.0425, 0.045], abs=2e-4)


@pytest.mark.parametrize(
    ("curves", "code", "where"),
    [
        (CURVES_HEAD + "AUD-AONIA-OIS-COMPOUND,1Y,nan\n", ReasonCode.MD_NOT_A_NUMBER, "curves.csv:2"),
        (CURVES_HEAD + "AUD-AONIA-OIS-COMPOUND,1Y,\n", ReasonCode.MD_NOT_A_NUMBER, "curves.csv:2"),
        (
            CURVES_HEAD + "AUD-AONIA-OIS-COMPOUND,1Y,0.04\nXXX-MADE-UP 3M,1Y,0.02\n",
            ReasonCode.MD_UNKNOWN_CURVE,
            "curves.csv:3",
        ),
        (CURVES_HEAD + "AUD-BBR-BBSW,1Y,0.04\n", ReasonCode.MD_UNKNOWN_CURVE, "curves.csv:2"),
        (
            CURVES_HEAD + "AUD-AONIA-OIS-COMPOUND,1Y,0.04\nAUD-AONIA-OIS-COMPOUND,1Y,0.05\n",
            ReasonCode.MD_BAD_FILE,
            "curves.csv:3",
        ),
        (CURVES_HEAD + "AUD-AONIA-OIS-COMPOUND,forever,0.04\n", ReasonCode.MD_BAD_FILE, "curves.csv:2"),
        (CURVES_HEAD + "AUD-AONIA-OIS-COMPOUND,1Y,4.5\n", ReasonCode.MD_BAD_FILE, "curves.csv:2"),
        ("curve;tenor;zero_rate\n", ReasonCode.MD_BAD_FILE, "curves.csv:1"),
    ],
)
def test_bad_curves_are_refused_with_file_and_row(
    tmp_path: Path, curves: str, code: ReasonCode, where: str
) -> None:
    err = refused(small_market(tmp_path, curves))
    assert err.code is code
    assert err.path == where
    assert "curves.csv" in str(err)


def test_unknown_curve_message_names_the_curve(tmp_path: Path) -> None:
    err = refused(small_market(tmp_path, CURVES_HEAD + "XXX-MADE-UP 3M,1Y,0.02\n"))
    assert "XXX-MADE-UP 3M" in str(err)
    assert "row 2" in str(err)


@pytest.mark.parametrize(
    "toml",
    ["", "as_of = 'yesterday'\n", "as_of = 2026-11-20\n[discounting]\nAUD = 'AUD-BBR-BBSW'\n", "as_of = ["],
)
def test_bad_market_toml(tmp_path: Path, toml: str) -> None:
    err = refused(small_market(tmp_path, GOOD, toml=toml))
    assert err.path.startswith("market.toml")


def test_discounting_override(tmp_path: Path) -> None:
    toml = "as_of = 2026-11-20\n[discounting]\nAUD = 'AUD-AONIA-OIS COMPOUND'\n"
    m = load_market(small_market(tmp_path, GOOD, toml=toml))
    assert m.discounting["AUD"] == "AUD-AONIA-OIS-COMPOUND"


def _history(
    days: list[str], pillars: list[tuple[str, str]], skip: tuple[str, str, str] | None = None
) -> str:
    rows = ["date,curve,tenor,zero_rate"]
    for d in days:
        for c, t in pillars:
            if skip != (d, c, t):
                rows.append(f"{d},{c},{t},0.04")
    return "\n".join(rows) + "\n"


PILLARS = [("AUD-AONIA-OIS-COMPOUND", "1Y"), ("AUD-AONIA-OIS-COMPOUND", "5Y"), ("AUD-BBR-BBSW 6M", "1Y")]
DAYS = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]


def test_history_loads(tmp_path: Path) -> None:
    m = load_market(small_market(tmp_path, GOOD, _history(DAYS, PILLARS)))
    assert m.history is not None
    assert m.history.rates.shape == (5, 3)


def test_history_missing_one_day_of_one_pillar_is_a_gap(tmp_path: Path) -> None:
    err = refused(
        small_market(tmp_path, GOOD, _history(DAYS, PILLARS, ("2026-11-18", "AUD-BBR-BBSW 6M", "1Y")))
    )
    assert err.code is ReasonCode.MD_GAP
    assert "AUD-BBR-BBSW 6M 1Y" in str(err)
    assert "2026-11-18" in str(err)


def test_history_missing_a_whole_pillar(tmp_path: Path) -> None:
    err = refused(small_market(tmp_path, GOOD, _history(DAYS, PILLARS[:2])))
    assert err.code is ReasonCode.MD_MISSING_PILLAR
    assert "AUD-BBR-BBSW 6M" in str(err)


def test_history_with_a_pillar_curves_do_not_have(tmp_path: Path) -> None:
    err = refused(small_market(tmp_path, GOOD, _history(DAYS, [*PILLARS, ("AUD-BBR-BBSW 6M", "2Y")])))
    assert err.code is ReasonCode.MD_MISSING_PILLAR
    assert err.path.startswith("history.csv:")


def test_history_with_an_unknown_curve(tmp_path: Path) -> None:
    err = refused(small_market(tmp_path, GOOD, _history(DAYS, [*PILLARS, ("USD-SOFR-OIS Compound", "1Y")])))
    assert err.code is ReasonCode.MD_UNKNOWN_CURVE
    assert "USD-SOFR-OIS Compound" in str(err)


def test_history_calendar_gap_and_staleness(tmp_path: Path) -> None:
    err = refused(small_market(tmp_path, GOOD, _history(["2026-11-02", "2026-11-19", "2026-11-20"], PILLARS)))
    assert err.code is ReasonCode.MD_GAP
    assert "2026-11-02" in str(err)
    err = refused(small_market(tmp_path, GOOD, _history(["2026-11-02", "2026-11-03"], PILLARS)))
    assert err.code is ReasonCode.MD_GAP
    assert "stale" in str(err)


def test_history_nan_names_row(tmp_path: Path) -> None:
    text = _history(DAYS, PILLARS).replace(
        "2026-11-19,AUD-BBR-BBSW 6M,1Y,0.04", "2026-11-19,AUD-BBR-BBSW 6M,1Y,NaN"
    )
    err = refused(small_market(tmp_path, GOOD, text))
    assert err.code is ReasonCode.MD_NOT_A_NUMBER
    assert err.path == "history.csv:13"
    assert "AUD-BBR-BBSW 6M" in str(err)


def test_history_bad_date_and_duplicate(tmp_path: Path) -> None:
    err = refused(small_market(tmp_path, GOOD, _history(DAYS, PILLARS).replace("2026-11-17", "17/11/2026")))
    assert err.code is ReasonCode.MD_BAD_FILE
    assert "17/11/2026" in str(err)
    text = _history(DAYS, PILLARS) + "2026-11-20,AUD-BBR-BBSW 6M,1Y,0.05\n"
    err = refused(small_market(tmp_path, GOOD, text))
    assert err.code is ReasonCode.MD_BAD_FILE
    assert "twice" in str(err)


def test_missing_directory_and_files(tmp_path: Path) -> None:
    assert refused(tmp_path / "nowhere").code is ReasonCode.MD_BAD_FILE
    small_market(tmp_path, GOOD)
    (tmp_path / "curves.csv").unlink()
    assert refused(tmp_path).path == "curves.csv"


def test_generated_files_round_trip_through_the_loader(tmp_path: Path, market_dir: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(market_dir, copy)
    m = load_market(copy)
    assert m.pillar_count == 8 * len(TENORS)


_cells = st.sampled_from(
    ["AUD-AONIA-OIS-COMPOUND", "AUD-BBR-BBSW 6M", "USD-SOFR-OIS Compound", "1Y", "5Y", "0W", "-3M", "0.04", "nan",
     "inf", "", "1e400", "x", '"', ",", "2026-11-20", "#"]
)  # fmt: skip
_lines = st.lists(st.lists(_cells, min_size=0, max_size=5).map(",".join), max_size=8)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(curves=_lines, history=st.one_of(st.none(), _lines), noise=st.text(max_size=30))
def test_any_input_loads_or_is_refused_with_a_reason(
    tmp_path: Path, curves: list[str], history: list[str] | None, noise: str
) -> None:
    d = tmp_path / "fuzz"
    d.mkdir(exist_ok=True)
    for f in d.iterdir():
        f.unlink()
    hist = None if history is None else "date,curve,tenor,zero_rate\n" + "\n".join(history) + noise
    small_market(d, CURVES_HEAD + "\n".join(curves) + "\n", hist)
    outcome: MarketData | MarketDataError
    try:
        outcome = load_market(d)
    except MarketDataError as err:
        outcome = err
    if isinstance(outcome, MarketDataError):
        assert outcome.code.name.startswith("MD_")
        assert outcome.path
    else:
        assert all(np.isfinite(c.zero_rates).all() for c in outcome.curves.values())
