"""Writes a requestClearing for a fixed/float swap from plain economics (the test side's own writer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Economics:
    trade_id: str
    notional: Decimal
    currency: str
    fixed_rate: Decimal
    spread: Decimal
    index: str
    tenor_months: int
    fixed_months: int
    effective: date
    termination: date
    fixed_day_count: str
    float_day_count: str
    centre: str
    fixed_payer_is_a: bool
    steps: tuple[tuple[date, Decimal], ...] = ()


def _period(months: int) -> str:
    return f"<periodMultiplier>{months}</periodMultiplier><period>M</period>"


def _stream(e: Economics, *, fixed: bool, payer: str, receiver: str, sid: str) -> str:
    months = e.fixed_months if fixed else e.tenor_months
    steps = "".join(f"<step><stepDate>{d}</stepDate><stepValue>{v}</stepValue></step>" for d, v in e.steps)
    adj = f"<businessDayConvention>MODFOLLOWING</businessDayConvention><businessCentersReference href='bc{sid}'/>"
    rate = (
        f"<fixedRateSchedule><initialValue>{e.fixed_rate}</initialValue></fixedRateSchedule>"
        if fixed
        else f"<floatingRateCalculation><floatingRateIndex>{escape(e.index)}</floatingRateIndex>"
        f"<indexTenor>{_period(e.tenor_months)}</indexTenor>"
        f"<spreadSchedule><initialValue>{e.spread}</initialValue></spreadSchedule></floatingRateCalculation>"
    )
    resets = (
        ""
        if fixed
        else f"<resetDates id='rd{sid}'><calculationPeriodDatesReference href='cpd{sid}'/>"
        f"<resetRelativeTo>CalculationPeriodStartDate</resetRelativeTo><fixingDates>"
        f"<periodMultiplier>-2</periodMultiplier><period>D</period><dayType>Business</dayType>"
        f"<businessDayConvention>NONE</businessDayConvention><businessCentersReference href='bc{sid}'/>"
        f"<dateRelativeTo href='rd{sid}'/></fixingDates><resetFrequency>{_period(months)}</resetFrequency>"
        f"<resetDatesAdjustments>{adj}</resetDatesAdjustments></resetDates>"
    )
    return (
        f"<swapStream><payerPartyReference href='{payer}'/><receiverPartyReference href='{receiver}'/>"
        f"<calculationPeriodDates id='cpd{sid}'>"
        f"<effectiveDate><unadjustedDate>{e.effective}</unadjustedDate><dateAdjustments>"
        f"<businessDayConvention>NONE</businessDayConvention></dateAdjustments></effectiveDate>"
        f"<terminationDate><unadjustedDate>{e.termination}</unadjustedDate><dateAdjustments>"
        f"<businessDayConvention>MODFOLLOWING</businessDayConvention><businessCenters id='bc{sid}'>"
        f"<businessCenter>{e.centre}</businessCenter></businessCenters></dateAdjustments></terminationDate>"
        f"<calculationPeriodDatesAdjustments>{adj}</calculationPeriodDatesAdjustments>"
        f"<calculationPeriodFrequency>{_period(months)}<rollConvention>{e.effective.day}</rollConvention>"
        f"</calculationPeriodFrequency></calculationPeriodDates>"
        f"<paymentDates><calculationPeriodDatesReference href='cpd{sid}'/><paymentFrequency>{_period(months)}"
        f"</paymentFrequency><payRelativeTo>CalculationPeriodEndDate</payRelativeTo>"
        f"<paymentDatesAdjustments>{adj}</paymentDatesAdjustments></paymentDates>{resets}"
        f"<calculationPeriodAmount><calculation><notionalSchedule><notionalStepSchedule>"
        f"<initialValue>{e.notional}</initialValue>{steps}<currency>{e.currency}</currency>"
        f"</notionalStepSchedule></notionalSchedule>{rate}"
        f"<dayCountFraction>{e.fixed_day_count if fixed else e.float_day_count}</dayCountFraction>"
        f"</calculation></calculationPeriodAmount></swapStream>"
    )


LEI_A = "549300VBWWV6BYQOWM67"
LEI_B = "529900DTJ5A7S5UCBB52"


def request_clearing(e: Economics) -> bytes:
    fixed_payer, other = ("pA", "pB") if e.fixed_payer_is_a else ("pB", "pA")
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<requestClearing xmlns='http://www.fpml.org/FpML-5/confirmation' fpmlVersion='5-10'>"
        "<header><messageId messageIdScheme='http://example.com/msg'>M1</messageId><sentBy>SRC</sentBy>"
        "<sendTo>CCP</sendTo><creationTimestamp>2026-01-05T09:00:00Z</creationTimestamp></header>"
        "<isCorrection>false</isCorrection><correlationId correlationIdScheme='http://example.com/c'>C1"
        "</correlationId><sequenceNumber>1</sequenceNumber>"
        "<trade><tradeHeader><partyTradeIdentifier><partyReference href='pA'/>"
        f"<tradeId tradeIdScheme='http://example.com/trade-id'>{escape(e.trade_id)}</tradeId>"
        f"</partyTradeIdentifier><tradeDate>{e.effective}</tradeDate></tradeHeader><swap>"
        + _stream(e, fixed=True, payer=fixed_payer, receiver=other, sid="1")
        + _stream(e, fixed=False, payer=other, receiver=fixed_payer, sid="2")
        + "</swap></trade>"
        f"<party id='pA'><partyId partyIdScheme='http://www.fpml.org/coding-scheme/external/iso17442'>{LEI_A}"
        "</partyId></party>"
        f"<party id='pB'><partyId partyIdScheme='http://www.fpml.org/coding-scheme/external/iso17442'>{LEI_B}"
        "</partyId></party></requestClearing>"
    ).encode()
