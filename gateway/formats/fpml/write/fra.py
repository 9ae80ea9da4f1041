"""``fra``: a canonical FRA is one fixed and one floating single-period stream; FpML says it in one element.

The buyer pays the fixed rate (the payer of the fixed stream) and the seller pays the index. The
payment is on the effective date (FRAs settle at the start, discounted), adjusted with the fixed
stream's payment adjustment; the fixing is the floating stream's offset from the effective date.
``fraDiscounting`` is ISDA: the canonical FRA product class stands for ISDA settlement (the intake
refuses other conventions, so an AFMA-discounted FRA never becomes a canonical trade).
"""

from __future__ import annotations

from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Stream, Trade
from gateway.formats.fpml.write.dates import adjustable_date, fixing_offset, period
from gateway.formats.fpml.write.parties import PartyTable
from gateway.formats.fpml.write.swap import product_header
from gateway.formats.fpml.write.xml import Element, date_text, decimal_text, sub, write_error, xml_text


def fra_legs(trade: Trade) -> tuple[Stream, Stream]:
    """The (fixed, floating) streams of a canonical FRA, or an error naming what is wrong."""
    fixed = [s for s in trade.streams if s.is_fixed]
    floating = [s for s in trade.streams if not s.is_fixed]
    if len(trade.streams) != 2 or len(fixed) != 1 or len(floating) != 1:
        raise write_error(
            ReasonCode.FPML_INVALID_VALUE, "streams", "an FRA is one fixed and one floating stream"
        )
    f, g = fixed[0], floating[0]
    if (f.payer, f.receiver) != (g.receiver, g.payer):
        raise write_error(
            ReasonCode.FPML_INVALID_VALUE,
            "streams",
            "the FRA's floating stream must run opposite to its fixed one",
        )
    for name, a, b in (
        ("effectiveDate", f.effective_date, g.effective_date),
        ("terminationDate", f.termination_date, g.termination_date),
        ("notional", f.notional, g.notional),
    ):
        if a != b:
            raise write_error(
                ReasonCode.FPML_INVALID_VALUE, f"streams.{name}", f"the FRA's legs differ: {a} / {b}"
            )
    if f.notional_steps or g.notional_steps or f.fixed_rate_steps or g.spread:
        raise write_error(
            ReasonCode.SCOPE_UNSUPPORTED_FEATURE, "streams", "an FRA has no steps and no spread"
        )
    return f, g


def write_fra(parent: Element, trade: Trade, parties: PartyTable, prefix: str) -> Element:
    """Append ``<fra>`` for ``trade``."""
    fixed, floating = fra_legs(trade)
    assert fixed.fixed_rate is not None
    assert floating.floating_index is not None
    assert floating.index_tenor is not None  # Stream's invariant
    el = sub(parent, "fra")
    product_header(el, trade.product)
    buyer, seller = trade.party(fixed.payer), trade.party(fixed.receiver)
    sub(el, "buyerPartyReference", href=parties.add(buyer))
    buyer_account = parties.account(buyer)
    if buyer_account:
        sub(el, "buyerAccountReference", href=buyer_account)
    sub(el, "sellerPartyReference", href=parties.add(seller))
    seller_account = parties.account(seller)
    if seller_account:
        sub(el, "sellerAccountReference", href=seller_account)
    effective_id = f"{prefix}adjustedEffectiveDate"
    sub(el, "adjustedEffectiveDate", date_text(fixed.effective_date), id=effective_id)
    sub(el, "adjustedTerminationDate", date_text(fixed.termination_date))
    adjustable_date(el, "paymentDate", fixed.effective_date, fixed.payment_adjustment)
    centers = floating.calculation_adjustment.business_centers or floating.payment_adjustment.business_centers
    fixing_offset(el, "fixingDateOffset", floating.fixing_offset_days, centers, effective_id)
    sub(el, "dayCountFraction", fixed.day_count.value)
    days = (fixed.termination_date - fixed.effective_date).days
    sub(el, "calculationPeriodNumberOfDays", str(days))
    notional = sub(el, "notional")
    sub(notional, "currency", fixed.currency)
    sub(notional, "amount", decimal_text(fixed.notional))
    sub(el, "fixedRate", decimal_text(fixed.fixed_rate))
    sub(el, "floatingRateIndex", xml_text(floating.floating_index, "floatingRateIndex", coded=True))
    period(el, "indexTenor", floating.index_tenor)
    sub(el, "fraDiscounting", "ISDA")
    return el
