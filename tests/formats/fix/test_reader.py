"""The field reader the FIX handlers share (orders, position requests): each read against the reference.

A read gives the value, or None and one issue naming the field, its entry and the rule; for any text in
any field it must give what the reference ``Reader`` gives, issue for issue.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.values import NO_ADJUSTMENT
from gateway.formats.fix import codes
from gateway.formats.fix.dictionary import default
from gateway.formats.fix.reader import Reader
from gateway.formats.fix.tags import T
from gateway.formats.fix.wire import FieldSet
from tests.formats.fix.reference import checked

VALUES = st.one_of(
    st.none(),
    st.sampled_from(
        ["", " ", "5", " 5", "\x0b5", "5\x0c", "\x1c5", "NaN", "1E+9999", "20260230", "20260107"]
    ),
    st.sampled_from(["Y", "N", "Mo", "Yr", "T", "4", "99", "A\ufffeB", "\ud800", "1.5", "-2", "\xa0"]),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=8),
)
READS: dict[str, Callable[[object], object]] = {
    "text": lambda r: r.text(T.Account),  # type: ignore[attr-defined]
    "text required": lambda r: r.text(T.Account, required=True),  # type: ignore[attr-defined]
    "decimal": lambda r: r.decimal(T.OrderQty, required=True),  # type: ignore[attr-defined]
    "integer": lambda r: r.integer(T.TradeVersion),  # type: ignore[attr-defined]
    "day": lambda r: r.day(T.ClearingBusinessDate, required=True),  # type: ignore[attr-defined]
    "coded": lambda r: r.coded(T.SecuritySubType, codes.PRODUCT, required=True),  # type: ignore[attr-defined]
    "flag": lambda r: r.flag(T.PaymentStreamInitialPrincipalExchangeIndicator),  # type: ignore[attr-defined]
    "period": lambda r: r.period(  # type: ignore[attr-defined]
        T.StreamCalculationFrequencyPeriod, T.StreamCalculationFrequencyUnit, required=True
    ),
    "adjustment": lambda r: r.adjustment(  # type: ignore[attr-defined]
        T.StreamEffectiveDateBusinessDayConvention,
        T.NoStreamEffectiveDateBusinessCenters,
        T.StreamEffectiveDateBusinessCenter,
    ),
}
TAGS = (
    T.Account,
    T.OrderQty,
    T.TradeVersion,
    T.ClearingBusinessDate,
    T.SecuritySubType,
    T.PaymentStreamInitialPrincipalExchangeIndicator,
    T.StreamCalculationFrequencyPeriod,
    T.StreamCalculationFrequencyUnit,
    T.StreamEffectiveDateBusinessDayConvention,
)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({int(t): VALUES for t in TAGS}), st.lists(VALUES, max_size=2))
def test_every_read_gives_the_reference_value_and_issues(
    values: dict[int, str | None], centres: list
) -> None:
    fields = {t: v for t, v in values.items() if v is not None}
    groups = {
        int(T.NoStreamEffectiveDateBusinessCenters): [
            FieldSet(
                f"NewOrderSingle.NoStreams[1].X[{i}]",
                {} if c is None else {T.StreamEffectiveDateBusinessCenter: c},
            )
            for i, c in enumerate(centres, start=1)
        ]
    }
    fs = FieldSet("NewOrderSingle.NoStreams[1]", fields, groups)
    for name, read in READS.items():
        ours: list[Issue] = []
        theirs: list[Issue] = []
        got = read(Reader(fs, default(), ours))
        assert got == read(checked.Reader(fs, default(), theirs)), name
        assert ours == theirs, name
        if ours:  # a refused value is not read: nothing, no flag, no adjustment
            assert got is None or got is False or got == NO_ADJUSTMENT, name


def test_a_wrong_value_names_its_field_and_entry() -> None:
    issues: list[Issue] = []
    fs = FieldSet("NewOrderSingle", {T.OrderQty: "1,5", T.ClearingBusinessDate: "20260230"})
    r = Reader(fs, default(), issues)
    assert r.decimal(T.OrderQty) is None
    assert r.day(T.ClearingBusinessDate) is None
    assert r.coded(T.SecuritySubType, codes.PRODUCT, required=True) is None
    assert [(i.code, i.path, i.message) for i in issues] == [
        (ReasonCode.FIX_INVALID_VALUE, "NewOrderSingle.OrderQty(38)", "'1,5' is not a decimal number"),
        (
            ReasonCode.FIX_INVALID_VALUE,
            "NewOrderSingle.ClearingBusinessDate(715)",
            "'20260230' is not a date YYYYMMDD",
        ),
        (ReasonCode.FIX_MISSING_FIELD, "NewOrderSingle.SecuritySubType(762)", "is required"),
    ]
