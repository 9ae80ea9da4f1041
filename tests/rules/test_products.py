"""The shipped product table: the launch scope clears, everything else is refused with its reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain import DayCount, Period, PeriodUnit, ProductClass, Stream, Trade, TradeIdentifiers
from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import Party
from gateway.rules.products import ProductTable, add_period
from tests.strategies import LEI_A, LEI_B, irs_trades, vanilla_irs

TABLE = ProductTable.load()


def irs(
    currency: str, index: str, *, tenor: str = "6M", years: int = 10, product: ProductClass = ProductClass.IRS
) -> Trade:
    t = vanilla_irs(currency=currency, index=index, years=years)
    fl = replace(t.streams[1], index_tenor=Period.parse(tenor))
    return replace(t, product=product, streams=(t.streams[0], fl))


def basis(years: int = 3, tenors: tuple[str, str] = ("3M", "6M")) -> Trade:
    def leg(payer: str, receiver: str, tenor: str) -> Stream:
        return Stream(
            payer=payer,
            receiver=receiver,
            notional=Decimal(100_000_000),
            currency="AUD",
            day_count=DayCount.ACT_365_FIXED,
            effective_date=date(2026, 1, 7),
            termination_date=date(2026 + years, 1, 7),
            calculation_frequency=Period.parse(tenor),
            payment_frequency=Period.parse(tenor),
            floating_index="AUD-BBR-BBSW",
            index_tenor=Period.parse(tenor),
        )

    return Trade(
        identifiers=TradeIdentifiers("B-1"),
        trade_date=date(2026, 1, 5),
        product=ProductClass.BASIS,
        parties=(Party(LEI_A), Party(LEI_B)),
        streams=(leg(LEI_A, LEI_B, tenors[0]), leg(LEI_B, LEI_A, tenors[1])),
    )


@pytest.mark.parametrize(
    "trade",
    [
        irs("AUD", "AUD-BBR-BBSW", tenor="3M", years=30),
        irs("AUD", "AUD-BBR-BBSW", tenor="6M"),
        irs("AUD", "AUD-AONIA-OIS-COMPOUND", tenor="1D", years=3, product=ProductClass.OIS),
        irs("USD", "USD-SOFR-OIS Compound", tenor="1D", years=50, product=ProductClass.OIS),
        irs("EUR", "EUR-EuroSTR-COMPOUND", tenor="1D", product=ProductClass.OIS),
        irs("GBP", "GBP-SONIA-COMPOUND", tenor="1D", product=ProductClass.OIS),
        irs("EUR", "EUR-EURIBOR-Telerate", tenor="3M"),
        basis(),
    ],
    ids=[
        "aud-irs-3m-30y",
        "aud-irs-6m",
        "aud-ois",
        "usd-sofr",
        "eur-estr",
        "gbp-sonia",
        "eur-euribor",
        "aud-basis",
    ],
)
def test_launch_scope_clears(trade: Trade) -> None:
    assert TABLE.check(TABLE.normalise(trade)) == []


@pytest.mark.parametrize(
    ("spelling", "canonical", "currency"),
    [
        ("AUD-BBSW", "AUD-BBR-BBSW", "AUD"),
        ("USD-SOFR-COMPOUND", "USD-SOFR-OIS Compound", "USD"),
        ("EUR-EuroSTR-OIS Compound", "EUR-EuroSTR-COMPOUND", "EUR"),
        ("GBP-SONIA-OIS Compound", "GBP-SONIA-COMPOUND", "GBP"),
        ("EUR-EURIBOR-Reuters", "EUR-EURIBOR-Telerate", "EUR"),
    ],
)
def test_other_fpml_spellings_are_normalised(spelling: str, canonical: str, currency: str) -> None:
    product = ProductClass.IRS if "EURIBOR" in spelling or "BBSW" in spelling else ProductClass.OIS
    trade = TABLE.normalise(irs(currency, spelling, product=product))
    assert trade.streams[1].floating_index == canonical
    assert TABLE.check(trade) == []


@pytest.mark.parametrize(
    ("trade", "code", "path"),
    [
        (irs("AUD", "AUD-BBR-BBSW", years=31), R.ELIG_MATURITY_TOO_LONG, "streams.terminationDate"),
        (irs("AUD", "AUD-BBR-BBSW", tenor="1M"), R.ELIG_INDEX_NOT_ELIGIBLE, "streams[1].indexTenor"),
        (irs("AUD", "AUD-LIBOR-BBA"), R.ELIG_INDEX_NOT_ELIGIBLE, "streams[1].floatingRateIndex"),
        (
            irs("AUD", "AUD-AONIA-OIS-COMPOUND", tenor="1D", years=4, product=ProductClass.OIS),
            R.ELIG_MATURITY_TOO_LONG,
            "streams.terminationDate",
        ),
        (
            irs("JPY", "JPY-TONA-OIS-COMPOUND", product=ProductClass.OIS),
            R.ELIG_CURRENCY_NOT_ELIGIBLE,
            "streams.currency",
        ),
        (
            replace(irs("AUD", "AUD-BBR-BBSW"), product=ProductClass.FRA),
            R.ELIG_PRODUCT_NOT_ELIGIBLE,
            "product",
        ),
        (basis(years=4), R.ELIG_MATURITY_TOO_LONG, "streams.terminationDate"),
        (
            replace(irs("AUD", "AUD-BBR-BBSW", years=2), product=ProductClass.BASIS),
            R.ELIG_PRODUCT_NOT_ELIGIBLE,
            "streams",
        ),
    ],
    ids=["irs-31y", "bbsw-1m", "libor", "ois-4y", "jpy", "fra", "basis-4y", "basis-shape"],
)
def test_out_of_scope_is_refused_with_reason_and_path(trade: Trade, code: R, path: str) -> None:
    issues = TABLE.check(TABLE.normalise(trade))
    assert [(i.code, i.path) for i in issues] == [(code, path)]
    assert issues[0].message


def test_add_period_clamps_to_month_end() -> None:
    assert add_period(date(2024, 2, 29), Period(1, PeriodUnit.YEAR)) == date(2025, 2, 28)
    assert add_period(date(2026, 1, 31), Period(1, PeriodUnit.MONTH)) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("[[product]]\nproduct='IRS'\ncurrency='AUD'\nindices=['X']\n", "t.product[0].max_maturity"),
        (
            "[[product]]\nproduct='SWAPTION'\ncurrency='AUD'\nindices=['X']\nmax_maturity='1Y'\n",
            "t.product[0]",
        ),
        (
            "[[product]]\nproduct='IRS'\ncurrency='AUD'\nindices=[]\nmax_maturity='1Y'\n",
            "t.product[0].indices",
        ),
        (
            "[[product]]\nproduct='IRS'\ncurrency='AUD'\nindices=['X']\nmax_maturity='1Y'\ncolour='red'\n",
            "t.product[0].colour",
        ),
        ("", "t"),
        ("not toml [", "t"),
    ],
)
def test_bad_product_table_names_the_offending_key(text: str, path: str) -> None:
    with pytest.raises(InputRejected) as err:
        ProductTable.from_toml(text, "t")
    assert err.value.code is R.REF_INVALID_INPUT
    assert err.value.path == path


@settings(max_examples=150, deadline=None)
@given(irs_trades(), st.sampled_from([*sorted(TABLE.aliases), "AUD-BBR-BBSW", "XYZ-NOT-AN-INDEX"]))
def test_any_trade_gets_an_answer_with_eligibility_reasons_only(trade: Trade, index: str) -> None:
    trade = replace(trade, streams=(trade.streams[0], replace(trade.streams[1], floating_index=index)))
    once = TABLE.normalise(trade)
    assert TABLE.normalise(once) == once  # normalising is idempotent
    issues = TABLE.check(once)
    assert {i.code for i in issues} <= {
        R.ELIG_PRODUCT_NOT_ELIGIBLE,
        R.ELIG_CURRENCY_NOT_ELIGIBLE,
        R.ELIG_INDEX_NOT_ELIGIBLE,
        R.ELIG_MATURITY_TOO_LONG,
    }
    if once.streams[1].floating_index not in {i for r in TABLE.rules for i in r.indices}:
        assert (
            R.ELIG_INDEX_NOT_ELIGIBLE in {i.code for i in issues}
            or issues[0].code is R.ELIG_CURRENCY_NOT_ELIGIBLE
        )
