"""``fra``: a forward rate agreement becomes two single-period streams.

The buyer pays the fixed rate and the seller the floating index over the one period from the
adjusted effective to the adjusted termination date (the FRA's dates are given already adjusted,
so the streams carry no further adjustment). Settlement is the ISDA one (discounted at the start of
the period), which the product class FRA stands for; other discounting conventions are refused.
"""

from __future__ import annotations

from gateway.domain.enums import PeriodUnit, ProductClass
from gateway.domain.errors import TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Stream
from gateway.domain.values import Period
from gateway.formats.fpml.read import codes, readers
from gateway.formats.fpml.read.context import DocContext
from gateway.formats.fpml.read.problems import Problems
from gateway.formats.fpml.read.products import ProductResult
from gateway.formats.fpml.read.xml import Element, child, children, text_of

TERM = Period(1, PeriodUnit.TERM)


def read_fra(fra: Element, ctx: DocContext, problems: Problems) -> ProductResult | None:
    before = len(problems)
    discounting = child(fra, "fraDiscounting")
    if discounting is not None and text_of(discounting) != "ISDA":
        problems.add(
            ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
            discounting,
            f"FRA discounting {text_of(discounting)!r} is not supported (only ISDA)",
        )
    tenors = children(fra, "indexTenor")
    if len(tenors) > 1:
        problems.add(
            ReasonCode.SCOPE_UNSUPPORTED_FEATURE, tenors[1], "interpolated index tenors are not supported"
        )
    if len(problems) > before:
        return None

    buyer_ref = readers.required(fra, "buyerPartyReference", problems)
    seller_ref = readers.required(fra, "sellerPartyReference", problems)
    buyer = _party(buyer_ref, ctx, problems)
    seller = _party(seller_ref, ctx, problems)
    start = readers.date_value(readers.required(fra, "adjustedEffectiveDate", problems), problems)
    end_el = readers.required(fra, "adjustedTerminationDate", problems)
    end = readers.date_value(end_el, problems)
    if start is not None and end is not None and end <= start and end_el is not None:
        problems.add(
            ReasonCode.FPML_DATE_ORDER,
            end_el,
            f"termination date {end} is not after the effective date {start}",
        )
    payment_date, payment_adj = readers.adjustable_date(
        readers.required(fra, "paymentDate", problems), ctx, problems
    )
    fixing_offset = 0
    fixing = child(fra, "fixingDateOffset")
    if fixing is not None:
        period = readers.period_value(fixing, problems, positive=False)
        if period is not None and period.unit is not PeriodUnit.DAY:
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE, fixing, f"a fixing offset of {period} is not in days"
            )
        elif period is not None:
            fixing_offset = period.multiplier
    day_count = readers.day_count(readers.required(fra, "dayCountFraction", problems), problems)
    notional_el = readers.required(fra, "notional", problems)
    amount = currency = None
    if notional_el is not None:
        amount_el = readers.required(notional_el, "amount", problems)
        amount = readers.decimal_value(amount_el, problems)
        currency = readers.required_text(notional_el, "currency", problems)
        if amount is not None and amount <= 0 and amount_el is not None:
            problems.add(
                ReasonCode.FPML_NOTIONAL_NOT_POSITIVE, amount_el, f"notional {amount} is not positive"
            )
    rate = readers.decimal_value(readers.required(fra, "fixedRate", problems), problems)
    index_el = readers.required(fra, "floatingRateIndex", problems)
    index = text_of(index_el)
    if index_el is not None and index not in codes.floating_indices():
        problems.add(
            ReasonCode.FPML_UNKNOWN_CODE, index_el, f"floating rate index {index!r} is not supported"
        )
    tenor = readers.period_value(tenors[0], problems) if tenors else None
    if not tenors:
        problems.missing(fra, "indexTenor")
    if len(problems) > before:
        return None
    assert buyer is not None
    assert seller is not None
    assert start is not None
    assert end is not None
    assert day_count is not None
    assert amount is not None
    assert currency is not None
    assert rate is not None
    common = {
        "notional": amount,
        "currency": currency,
        "day_count": day_count,
        "effective_date": start,
        "termination_date": end,
        "calculation_frequency": TERM,
        "payment_frequency": TERM,
        "payment_adjustment": payment_adj,
    }
    try:
        fixed = Stream(payer=buyer, receiver=seller, fixed_rate=rate, **common)  # type: ignore[arg-type]
        floating = Stream(
            payer=seller,
            receiver=buyer,
            floating_index=index,
            index_tenor=tenor,
            reset_frequency=TERM,
            fixing_offset_days=fixing_offset,
            **common,  # type: ignore[arg-type]
        )
    except TradeInvalid as exc:
        problems.from_invalid(exc, fra)
        return None
    del payment_date  # the FRA pays at the start of its period; the schedule is implied by the product class
    keys = tuple(dict.fromkeys(r.get("href", "") for r in (buyer_ref, seller_ref) if r is not None))
    return ProductResult(ProductClass.FRA, (fixed, floating), {}, keys)


def _party(ref: Element | None, ctx: DocContext, problems: Problems) -> str | None:
    if ref is None:
        return None
    target = ctx.target(ref, problems, "party")
    party = None if target is None else ctx.party(target, problems)
    return None if party is None else party.party_id
