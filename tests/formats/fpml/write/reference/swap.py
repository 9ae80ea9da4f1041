"""``swap`` as an element tree (the market defaults it states are those of ``render``'s docstring)."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.domain.enums import CompoundingMethod, PeriodUnit, ProductClass
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Stream, Trade
from gateway.domain.values import Step
from gateway.formats.fpml.write.parties import PartyTable
from gateway.formats.fpml.write.render import PRODUCT_TYPE, ROLL_CONVENTIONS
from gateway.formats.fpml.write.schemes import PRODUCT_TAXONOMY
from gateway.formats.fpml.write.xml import date_text, decimal_text, write_error, xml_text
from tests.formats.fpml.write.reference.dates import (
    adjustable_date,
    business_day_adjustments,
    business_day_offset,
    fixing_offset,
    period,
)
from tests.formats.fpml.write.reference.xml import Element, sub


def product_header(parent: Element, product: ProductClass) -> None:
    sub(parent, "primaryAssetClass", "InterestRate")
    sub(parent, "productType", PRODUCT_TYPE[product], productTypeScheme=PRODUCT_TAXONOMY)


def write_swap(parent: Element, trade: Trade, parties: PartyTable, prefix: str) -> Element:
    """Append ``<swap>`` for ``trade``; ``prefix`` keeps element ids unique among the document's trades."""
    swap = sub(parent, "swap")
    product_header(swap, trade.product)
    for index, stream in enumerate(trade.streams, start=1):
        _stream(swap, trade, stream, parties, f"{prefix}stream{index}")
    return swap


def _stream(parent: Element, trade: Trade, s: Stream, parties: PartyTable, sid: str) -> None:
    el = sub(parent, "swapStream", id=sid)
    payer, receiver = trade.party(s.payer), trade.party(s.receiver)
    sub(el, "payerPartyReference", href=parties.add(payer))
    payer_account = parties.account(payer)
    if payer_account:
        sub(el, "payerAccountReference", href=payer_account)
    sub(el, "receiverPartyReference", href=parties.add(receiver))
    receiver_account = parties.account(receiver)
    if receiver_account:
        sub(el, "receiverAccountReference", href=receiver_account)

    calc_id = f"{sid}-calculationPeriodDates"
    calc = sub(el, "calculationPeriodDates", id=calc_id)
    adjustable_date(calc, "effectiveDate", s.effective_date, s.effective_date_adjustment)
    adjustable_date(calc, "terminationDate", s.termination_date, s.termination_date_adjustment)
    business_day_adjustments(calc, "calculationPeriodDatesAdjustments", s.calculation_adjustment)
    if s.first_regular_period_start is not None:
        sub(calc, "firstRegularPeriodStartDate", date_text(s.first_regular_period_start))
    if s.last_regular_period_end is not None:
        sub(calc, "lastRegularPeriodEndDate", date_text(s.last_regular_period_end))
    frequency = period(calc, "calculationPeriodFrequency", s.calculation_frequency)
    sub(frequency, "rollConvention", _roll(s, sid))

    payment = sub(el, "paymentDates", id=f"{sid}-paymentDates")
    sub(payment, "calculationPeriodDatesReference", href=calc_id)
    period(payment, "paymentFrequency", s.payment_frequency)
    sub(payment, "payRelativeTo", "CalculationPeriodEndDate")
    if s.payment_offset_days:
        business_day_offset(payment, "paymentDaysOffset", s.payment_offset_days)
    business_day_adjustments(payment, "paymentDatesAdjustments", s.payment_adjustment)

    if s.floating_index is not None:
        reset_id = f"{sid}-resetDates"
        reset = sub(el, "resetDates", id=reset_id)
        sub(reset, "calculationPeriodDatesReference", href=calc_id)
        sub(reset, "resetRelativeTo", "CalculationPeriodStartDate")
        centers = s.calculation_adjustment.business_centers or s.payment_adjustment.business_centers
        fixing_offset(reset, "fixingDates", s.fixing_offset_days, centers, reset_id)
        period(reset, "resetFrequency", s.reset_frequency or s.calculation_frequency)
        business_day_adjustments(reset, "resetDatesAdjustments", s.calculation_adjustment)

    calculation = sub(sub(el, "calculationPeriodAmount"), "calculation")
    notional = sub(sub(calculation, "notionalSchedule"), "notionalStepSchedule")
    sub(notional, "initialValue", decimal_text(s.notional))
    _steps(notional, s.notional_steps)
    sub(notional, "currency", s.currency)
    if s.fixed_rate is None and s.fixed_rate_steps:
        raise write_error(
            ReasonCode.FPML_INVALID_VALUE, f"{sid}.fixedRateSchedule", "fixed-rate steps on a floating stream"
        )
    if s.fixed_rate is not None:
        fixed = sub(calculation, "fixedRateSchedule")
        sub(fixed, "initialValue", decimal_text(s.fixed_rate))
        _steps(fixed, s.fixed_rate_steps)
    else:
        assert s.floating_index is not None
        assert s.index_tenor is not None
        floating = sub(calculation, "floatingRateCalculation")
        sub(floating, "floatingRateIndex", xml_text(s.floating_index, f"{sid}.floatingRateIndex", coded=True))
        period(floating, "indexTenor", s.index_tenor)
        if s.spread:
            sub(sub(floating, "spreadSchedule"), "initialValue", decimal_text(s.spread))
    sub(calculation, "dayCountFraction", s.day_count.value)
    if s.compounding_method is not CompoundingMethod.NONE or s.payment_frequency != s.calculation_frequency:
        sub(calculation, "compoundingMethod", s.compounding_method.value)

    pe = s.principal_exchanges
    if pe.initial or pe.intermediate or pe.final:
        exchanges = sub(el, "principalExchanges")
        sub(exchanges, "initialExchange", _bool(pe.initial))
        sub(exchanges, "finalExchange", _bool(pe.final))
        sub(exchanges, "intermediateExchange", _bool(pe.intermediate))


def _roll(s: Stream, sid: str) -> str:
    if s.calculation_frequency.unit is PeriodUnit.TERM or s.roll_convention is None:
        return "NONE"
    if s.roll_convention not in ROLL_CONVENTIONS:
        raise write_error(
            ReasonCode.FPML_UNKNOWN_CODE,
            f"{sid}.calculationPeriodFrequency.rollConvention",
            f"{s.roll_convention!r} is not an FpML roll convention",
        )
    return s.roll_convention


def _steps(parent: Element, steps: Sequence[Step]) -> None:
    for step in steps:
        el = sub(parent, "step")
        sub(el, "stepDate", date_text(step.date))
        sub(el, "stepValue", decimal_text(step.value))


def _bool(value: bool) -> str:
    return "true" if value else "false"
