"""VM and PAI as pure figures, against a hand-built NPV series and published-style overnight fixings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from gateway.clearing.margin_cycle import (
    FeePaid,
    TradeDay,
    accrual_days,
    by_account,
    pai_amount,
    price_alignment_interest,
    variation_margin,
    with_payments,
)
from gateway.domain.errors import GatewayError
from gateway.domain.reasons import ReasonCode
from gateway.refdata.overnight import CsvOvernightRates

D = Decimal
MON, TUE, WED, THU, FRI = (date(2026, 1, d) for d in (5, 6, 7, 8, 9))

# NPV of one trade side (member A, receiving fixed) at each end of day, as a valuer would give it
SERIES = {WED: D("1000.00"), THU: D("1250.50"), FRI: D("900.25")}


def _days(day: date) -> list[TradeDay]:
    """What the store would hand VM on ``day`` for the series above, VM rows of the day before taken as
    ``previous``."""
    before = {THU: WED, FRI: THU}.get(day)
    return [
        TradeDay("T1", "BANKA", "HOUSE", "AUD", SERIES[day], None if before is None else SERIES[before], True)
    ]


def test_vm_is_the_day_change_and_the_first_day_is_the_npv() -> None:
    vms = [variation_margin(_days(d)).rows[0].vm for d in (WED, THU, FRI)]
    assert vms == [D("1000.00"), D("250.50"), D("-350.25")]
    assert sum(vms) == SERIES[FRI]  # the VM paid so far is the trade's value


def test_a_terminated_trade_is_called_down_to_zero_with_its_fee() -> None:
    gone = TradeDay("T3", "BANKB", "HOUSE", "AUD", None, D("400"), live=False)
    fee = FeePaid("T3", "BANKB", "HOUSE", "LEI-B", "AUD", payer="LEI-A", receiver="LEI-B", amount=D("300"))
    (row,) = variation_margin(with_payments([gone], [fee])).rows
    assert (row.npv, row.previous, row.payments, row.vm) == (D(0), D("400"), D("300"), D("-100"))


def test_a_fee_paid_by_the_member_counts_against_it_and_a_fee_alone_makes_a_row() -> None:
    fee = FeePaid("T9", "BANKA", "CLIENT1", "LEI-A", "EUR", payer="LEI-A", receiver="LEI-B", amount=D("75.5"))
    (row,) = variation_margin(with_payments([], [fee])).rows
    assert (row.ccp_trade_id, row.currency, row.vm) == ("T9", "EUR", D("-75.5"))


def test_gone_trades_already_at_zero_and_unvalued_live_trades_make_no_row() -> None:
    result = variation_margin(
        [
            TradeDay("OLD", "BANKA", "HOUSE", "AUD", None, None, live=False),
            TradeDay("LIVE", "BANKA", "HOUSE", "AUD", None, D("10"), live=True),
        ]
    )
    assert result.rows == ()
    assert result.unvalued == ("LIVE",)


def test_vm_is_summed_per_account_and_currency_never_across_currencies() -> None:
    result = variation_margin(
        [
            TradeDay("A1", "BANKA", "HOUSE", "AUD", D("100"), D("40"), True),
            TradeDay("A2", "BANKA", "HOUSE", "AUD", D("-30"), None, True),
            TradeDay("A3", "BANKA", "HOUSE", "USD", D("7"), D("2"), True),
            TradeDay("B1", "BANKB", "HOUSE", "AUD", D("-100"), D("-40"), True),
        ]
    )
    assert by_account(result.rows) == {
        ("BANKA", "HOUSE", "AUD"): D("30"),
        ("BANKA", "HOUSE", "USD"): D("5"),
        ("BANKB", "HOUSE", "AUD"): D("-60"),
    }


def test_accrual_runs_over_calendar_days_to_the_next_business_day() -> None:
    holidays = {date(2026, 1, 26)}  # Australia Day, a Monday

    def is_bd(d: date) -> bool:
        return d.weekday() < 5 and d not in holidays

    assert accrual_days(THU, is_bd) == 1
    assert accrual_days(FRI, is_bd) == 3
    assert accrual_days(date(2026, 1, 23), is_bd) == 4  # Friday before the holiday Monday


FIXINGS = """index,date,rate_percent
AONIA,2026-01-08,4.35
AONIA,2026-01-09,4.35
SOFR,2026-01-09,5.31
ESTR,2026-01-09,1.93
SONIA,2026-01-09,4.70
"""


def _rates(tmp_path: Path, text: str = FIXINGS) -> CsvOvernightRates:
    path = tmp_path / "overnight.csv"
    path.write_text(text)
    return CsvOvernightRates.load(path)


def _expected(balance: str, percent: str, days: int, basis: int) -> Decimal:
    """The member's PAI computed apart: exact fractions, then to the cent, ties to even."""
    exact = -Fraction(balance) * Fraction(percent) / 100 * days / basis
    cents = exact * 100
    whole = cents.numerator // cents.denominator
    rest = cents - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    return Decimal(whole) / 100


def test_pai_per_currency_at_its_overnight_rate_and_day_count(tmp_path: Path) -> None:
    balances = {
        ("BANKA", "HOUSE", "AUD"): D("10000000"),
        ("BANKA", "HOUSE", "USD"): D("-2000000"),
        ("BANKB", "HOUSE", "EUR"): D("1234567.89"),
        ("BANKB", "HOUSE", "GBP"): D("-50000"),
    }
    figures = price_alignment_interest(balances, FRI, 3, _rates(tmp_path))
    got = {(f.member_id, f.currency): (f.index, f.basis, f.amount) for f in figures}
    assert got == {
        ("BANKA", "AUD"): ("AONIA", 365, _expected("10000000", "4.35", 3, 365)),
        ("BANKA", "USD"): ("SOFR", 360, _expected("-2000000", "5.31", 3, 360)),
        ("BANKB", "EUR"): ("ESTR", 360, _expected("1234567.89", "1.93", 3, 360)),
        ("BANKB", "GBP"): ("SONIA", 365, _expected("-50000", "4.70", 3, 365)),
    }
    # the member holding VM pays the interest on it; the one that paid VM receives it
    assert got[("BANKA", "AUD")][2] == D("-3575.34")
    assert got[("BANKA", "USD")][2] == D("885.00")


def test_pai_without_the_day_fixing_names_the_index_and_date(tmp_path: Path) -> None:
    with pytest.raises(GatewayError) as err:
        price_alignment_interest({("BANKA", "HOUSE", "AUD"): D("1")}, date(2026, 1, 12), 1, _rates(tmp_path))
    assert err.value.code is ReasonCode.MD_MISSING_OVERNIGHT_RATE
    assert "AONIA" in str(err.value)
    assert "2026-01-12" in str(err.value)


def test_pai_in_a_currency_without_an_overnight_index_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GatewayError) as err:
        price_alignment_interest({("BANKA", "HOUSE", "JPY"): D("1")}, FRI, 3, _rates(tmp_path))
    assert err.value.code is ReasonCode.MD_NO_OVERNIGHT_INDEX
    assert "JPY" in str(err.value)


def test_pai_amount_rounds_half_to_even_and_has_no_negative_zero() -> None:
    assert pai_amount(D("0"), D("0.05"), 1, 365) == D("0.00")
    assert str(pai_amount(D("0"), D("0.05"), 1, 365)) == "0.00"
    assert pai_amount(D("-365"), D("0.00005"), 1, 1) == D("0.02")  # 0.01825 -> 0.02


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        ("index,day,rate\nAONIA,2026-01-08,4.35\n", ReasonCode.MD_BAD_FILE, ":1"),
        ("index,date,rate_percent\nAONIA,08/01/2026,4.35\n", ReasonCode.MD_BAD_FILE, ":2:date"),
        ("index,date,rate_percent\nAONIA,2026-01-08,four\n", ReasonCode.MD_NOT_A_NUMBER, ":2:rate_percent"),
        ("index,date,rate_percent\n,2026-01-08,4.35\n", ReasonCode.MD_BAD_FILE, ":2:index"),
        (
            "index,date,rate_percent\nAONIA,2026-01-08,4.35\nAONIA,2026-01-08,4.36\n",
            ReasonCode.MD_BAD_FILE,
            ":3:rate_percent",
        ),
    ],
)
def test_a_bad_fixings_file_is_refused_naming_line_and_field(
    tmp_path: Path, text: str, code: ReasonCode, where: str
) -> None:
    with pytest.raises(GatewayError) as err:
        _rates(tmp_path, text)
    assert err.value.code is code
    assert err.value.path.endswith(where)


def test_rates_are_published_percentages_answered_as_fractions(tmp_path: Path) -> None:
    assert _rates(tmp_path).rate("SOFR", FRI) == D("0.0531")
