"""``fra`` as an element tree (the FRA's conventions are those of ``render``'s docstring)."""

from __future__ import annotations

from gateway.domain.trade import Trade
from gateway.formats.fpml.write.parties import PartyTable
from gateway.formats.fpml.write.render import fra_legs
from gateway.formats.fpml.write.xml import date_text, decimal_text, xml_text
from tests.formats.fpml.write.reference.dates import adjustable_date, fixing_offset, period
from tests.formats.fpml.write.reference.swap import product_header
from tests.formats.fpml.write.reference.xml import Element, sub


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
