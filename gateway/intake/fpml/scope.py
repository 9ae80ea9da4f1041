"""Clearing scope: which product shapes and features the gateway refuses, and why.

The checks look for the FpML elements that carry optionality or features a canonical trade cannot
express; each refusal names the element and says what it is.
"""

from __future__ import annotations

from gateway.domain.reasons import ReasonCode
from gateway.intake.fpml import codes
from gateway.intake.fpml.problems import Problems
from gateway.intake.fpml.xml import (
    Element,
    child,
    child_text,
    children,
    local_name,
    parse_decimal,
    q,
    text_of,
)

# Product elements that are recognised and refused: (reason, what it is).
REFUSED_PRODUCTS: dict[str, tuple[ReasonCode, str]] = {
    "swaption": (ReasonCode.SCOPE_EMBEDDED_OPTION, "a swaption is an option on a swap"),
    "capFloor": (ReasonCode.SCOPE_CAP_FLOOR, "a cap, floor or collar"),
    "bulletPayment": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "a bullet payment"),
    "fxSingleLeg": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "an FX spot or forward"),
    "fxSwap": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "an FX swap"),
    "fxOption": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "an FX option"),
    "creditDefaultSwap": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "a credit default swap"),
    "bondOption": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "a bond option"),
    "equityOption": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "an equity option"),
    "returnSwap": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "a total return swap"),
    "equitySwapTransactionSupplement": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "an equity swap"),
    "varianceSwap": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "a variance swap"),
    "termDeposit": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "a term deposit"),
    "commoditySwap": (ReasonCode.SCOPE_NON_SWAP_PRODUCT, "a commodity swap"),
}

_SWAP_OPTIONS = {
    "earlyTerminationProvision": "an early termination provision (mandatory or optional)",
    "cancelableProvision": "a cancelable provision",
    "extendibleProvision": "an extendible provision",
}


def refuse_product(product: Element, problems: Problems) -> None:
    name = local_name(product)
    code, what = REFUSED_PRODUCTS.get(
        name, (ReasonCode.SCOPE_NON_SWAP_PRODUCT, f"product {name} is not an interest-rate swap")
    )
    problems.add(code, product, f"{name}: {what}; only swaps and FRAs are cleared")


def check_swap(swap: Element, problems: Problems) -> None:
    """Record a scope issue for every feature of ``swap`` that is out of scope."""
    for name, what in _SWAP_OPTIONS.items():
        el = child(swap, name)
        if el is not None:
            detail = ""
            if name == "earlyTerminationProvision":
                kinds = [local_name(c) for c in el if local_name(c)]
                detail = f" ({', '.join(kinds)})" if kinds else ""
            problems.add(ReasonCode.SCOPE_EMBEDDED_OPTION, el, f"the swap has {what}{detail}")
    for el in children(swap, "additionalPayment"):
        problems.add(
            ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
            el,
            "additional payments (upfront fees) cannot be carried by the canonical trade",
        )
    for stream in children(swap, "swapStream"):
        check_stream(stream, problems)


def check_stream(stream: Element, problems: Problems) -> None:
    calc = stream.find(f"{q('calculationPeriodAmount')}/{q('calculation')}")
    if calc is None:
        amount = child(stream, "calculationPeriodAmount")
        if amount is not None and child(amount, "knownAmountSchedule") is not None:
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                amount,
                "known amount schedules (fixed cash amounts instead of a rate) are not supported",
            )
        return
    floating = child(calc, "floatingRateCalculation")
    if floating is not None:
        for name in ("capRateSchedule", "floorRateSchedule"):
            el = child(floating, name)
            if el is not None:
                problems.add(ReasonCode.SCOPE_CAP_FLOOR, el, f"the floating leg has an embedded {name[:-12]}")
        mult = child(floating, "floatingRateMultiplierSchedule")
        if mult is not None:
            value = parse_decimal(child_text(mult, "initialValue") or "")
            if value is not None and value < 0:
                problems.add(
                    ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                    mult,
                    f"inverse floater: floating rate multiplier {value} is negative",
                )
            elif value != 1 or child(mult, "step") is not None:
                problems.add(
                    ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                    mult,
                    f"leveraged floating rate (multiplier {value})",
                )
        for name, what in (
            ("averagingMethod", "averaged floating rates"),
            ("rateTreatment", "a rate treatment (discount/money-market yield)"),
            ("initialRate", "a pre-agreed initial rate"),
        ):
            el = child(floating, name)
            if el is not None:
                problems.add(ReasonCode.SCOPE_UNSUPPORTED_FEATURE, el, f"{what} is not supported")
        index_el = child(floating, "floatingRateIndex")
        index = codes.floating_indices().get(child_text(floating, "floatingRateIndex") or "")
        if index is not None and index.kind is codes.IndexKind.CMS and index_el is not None:
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                index_el,
                f"{index.name} is a constant-maturity swap rate; CMS legs are not cleared",
            )
        spread = child(floating, "spreadSchedule")
        if spread is not None and child(spread, "step") is not None:
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE, spread, "a stepped spread schedule is not supported"
            )
    notional = child(calc, "notionalSchedule")
    parametric = None if notional is None else child(notional, "notionalStepParameters")
    if parametric is not None:
        problems.add(
            ReasonCode.SCOPE_UNSUPPORTED_FEATURE, parametric, "a parametric amortisation is not supported"
        )
    for name, what in (
        ("fxLinkedNotionalSchedule", "an FX-resetting (mark-to-market) notional"),
        ("futureValueNotional", "a future-value notional"),
        ("discounting", "a discounted fixed leg"),
    ):
        el = child(calc, name)
        if el is not None:
            problems.add(ReasonCode.SCOPE_UNSUPPORTED_FEATURE, el, f"{what} is not supported")
    settlement = child(stream, "settlementProvision")
    if settlement is not None:
        nds = child(settlement, "nonDeliverableSettlement")
        currency = child_text(settlement, "settlementCurrency")
        if nds is not None:
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                nds,
                f"non-deliverable settlement in {currency or 'another currency'} is not supported",
            )
        else:
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                settlement,
                "settlement in another currency is not supported",
            )
    dates = child(stream, "calculationPeriodDates")
    if dates is not None:
        for name, what in (
            ("relativeEffectiveDate", "an effective date relative to another date"),
            ("relativeTerminationDate", "a termination date given as a tenor"),
            ("firstPeriodStartDate", "accrual starting before the effective date (firstPeriodStartDate)"),
        ):
            el = child(dates, name)
            if el is not None:
                problems.add(ReasonCode.SCOPE_UNSUPPORTED_FEATURE, el, f"{what} is not supported")
    stub = child(stream, "stubCalculationPeriodAmount")
    if stub is not None:
        for side in ("initialStub", "finalStub"):
            holder = child(stub, side)
            if holder is None:
                continue
            for name in ("stubRate", "stubAmount"):
                el = child(holder, name)
                if el is not None:
                    problems.add(
                        ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                        el,
                        f"a fixed {name[4:].lower()} for the {side[:-4]} stub is not supported",
                    )
    payment = child(stream, "paymentDates")
    if payment is not None:
        relative_el = child(payment, "payRelativeTo")
        relative = text_of(relative_el)
        if relative_el is not None and relative != "CalculationPeriodEndDate":
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                relative_el,
                f"payment relative to {relative} (only payment in arrears is supported)",
            )
        offset = child(payment, "paymentDaysOffset")
        if offset is not None and child_text(offset, "dayType") == "Calendar":
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                offset,
                "a payment lag in calendar days is not supported",
            )
    cashflows = child(stream, "cashflows")
    if cashflows is not None and child_text(cashflows, "cashflowsMatchParameters") == "false":
        problems.add(
            ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
            cashflows,
            "cash flows that do not match the parametric schedule are not supported",
        )
