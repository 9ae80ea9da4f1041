"""Array shortcuts of resolution equal QuantLib: business-day tables and regular schedules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import QuantLib as ql
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain import BusinessDayConvention, DateAdjustment, DayCount, Period
from gateway.risk.business_days import business_days
from gateway.risk.conventions import QL_EPOCH, bdc, calendar_for
from gateway.risk.resolve import _regular_dates, _schedule_dates, resolve
from tests.risk import builders as b

CENTRES = st.sampled_from(
    [("AUSY",), ("EUTA",), ("USNY",), ("GBLO",), ("GBLO", "USNY"), ("DEFR", "GBLO"), ("JPTO",)]
)
CONVENTIONS = st.sampled_from(
    [
        BusinessDayConvention.FOLLOWING,
        BusinessDayConvention.MODFOLLOWING,
        BusinessDayConvention.PRECEDING,
        BusinessDayConvention.MODPRECEDING,
    ]
)


@settings(max_examples=40, deadline=None)
@given(
    centres=CENTRES,
    conv=CONVENTIONS,
    days=st.lists(
        st.integers(min_value=date(1990, 1, 1).toordinal(), max_value=date(2090, 1, 1).toordinal()),
        min_size=1,
        max_size=50,
    ),
    shift=st.integers(min_value=-5, max_value=5),
)
def test_business_day_table_equals_quantlib(
    centres: tuple[str, ...], conv: BusinessDayConvention, days: list[int], shift: int
) -> None:
    table = business_days(centres)
    cal = calendar_for(centres)
    ords = np.array(days, dtype=np.int64)
    adjusted = table.adjust(ords, conv)
    advanced = table.advance(ords, shift, conv)
    for o, a, v in zip(days, adjusted, advanced, strict=True):
        d = ql.Date(o - QL_EPOCH)
        assert a == cal.adjust(d, bdc(conv, "x")).serialNumber() + QL_EPOCH
        assert v == cal.advance(d, shift, ql.Days, bdc(conv, "x")).serialNumber() + QL_EPOCH


@settings(max_examples=60, deadline=None)
@given(
    centres=CENTRES,
    conv=CONVENTIONS,
    term_conv=CONVENTIONS,
    start=st.dates(min_value=date(1995, 1, 1), max_value=date(2060, 12, 28)),
    freq=st.sampled_from(["1M", "3M", "6M", "1Y"]),
    periods=st.integers(min_value=1, max_value=60),
)
def test_regular_schedule_equals_quantlib(
    centres: tuple[str, ...],
    conv: BusinessDayConvention,
    term_conv: BusinessDayConvention,
    start: date,
    freq: str,
    periods: int,
) -> None:
    start = start.replace(day=min(start.day, 28))
    months = Period.parse(freq).months or 0
    total = start.year * 12 + start.month - 1 + months * periods
    end = date(total // 12, total % 12 + 1, start.day)
    stream = replace(
        b.leg(payer=b.A, receiver=b.B, ccy="AUD", start=start, end=end, freq=freq, day_count=DayCount.ACT_360,
              notional=b.Decimal(1), fixed_rate=b.Decimal("0.01")),
        calculation_adjustment=DateAdjustment(conv, centres),
        termination_date_adjustment=DateAdjustment(term_conv, centres),
        effective_date_adjustment=DateAdjustment(conv, centres),
    )  # fmt: skip
    fast = _regular_dates(stream)
    assert fast is not None
    slow = _schedule_dates(stream, "s")[0]  # adjusted dates (unadjusted ones only matter for steps)
    assert fast[0].tolist() == [d.toordinal() for d in slow]


def test_irregular_streams_take_the_quantlib_path() -> None:
    t = b.irs("AUD", start=date(2027, 1, 31), years=5)
    assert _regular_dates(t.streams[0]) is None
    assert resolve(t).legs[0].start.size == 10
