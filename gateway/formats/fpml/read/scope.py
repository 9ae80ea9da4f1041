"""Clearing scope: which product shapes and features the gateway refuses, and why.

One compiled XPath finds every element of a swap that carries optionality or a feature the canonical
trade cannot express; each hit is turned into an issue naming the element and what it is.
"""

from __future__ import annotations

from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.read import codes
from gateway.formats.fpml.read.problems import Problems
from gateway.formats.fpml.read.xml import NS, Element, child_text, local_name, parse_decimal, text_of

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

_E = ReasonCode.SCOPE_EMBEDDED_OPTION
_U = ReasonCode.SCOPE_UNSUPPORTED_FEATURE
_C = ReasonCode.SCOPE_CAP_FLOOR

# Elements whose mere presence in a swap puts it out of scope.
_PRESENT: dict[str, tuple[ReasonCode, str]] = {
    "earlyTerminationProvision": (_E, "the swap has an early termination provision"),
    "cancelableProvision": (_E, "the swap has a cancelable provision"),
    "extendibleProvision": (_E, "the swap has an extendible provision"),
    "additionalPayment": (_U, "additional payments (upfront fees) cannot be carried by the canonical trade"),
    "capRateSchedule": (_C, "the floating leg has an embedded cap"),
    "floorRateSchedule": (_C, "the floating leg has an embedded floor"),
    "averagingMethod": (_U, "averaged floating rates are not supported"),
    "rateTreatment": (_U, "a rate treatment (discount/money-market yield) is not supported"),
    "initialRate": (_U, "a pre-agreed initial rate is not supported"),
    "knownAmountSchedule": (
        _U,
        "known amount schedules (fixed cash amounts instead of a rate) are not supported",
    ),
    "notionalStepParameters": (_U, "a parametric amortisation is not supported"),
    "fxLinkedNotionalSchedule": (_U, "an FX-resetting (mark-to-market) notional is not supported"),
    "futureValueNotional": (_U, "a future-value notional is not supported"),
    "discounting": (_U, "a discounted fixed leg is not supported"),
    "relativeEffectiveDate": (_U, "an effective date relative to another date is not supported"),
    "relativeTerminationDate": (_U, "a termination date given as a tenor is not supported"),
    "firstPeriodStartDate": (
        _U,
        "accrual starting before the effective date (firstPeriodStartDate) is not supported",
    ),
    "stubRate": (_U, "a fixed rate for a stub is not supported"),
    "stubAmount": (_U, "a fixed amount for a stub is not supported"),
}
# Elements whose value decides.
_VALUED = (
    "floatingRateMultiplierSchedule",
    "floatingRateIndex",
    "settlementProvision",
    "payRelativeTo",
    "paymentDaysOffset",
    "cashflowsMatchParameters",
    "spreadSchedule",
)
_TAGS = tuple(f"{{{NS}}}{name}" for name in (*_PRESENT, *_VALUED))


def refuse_product(product: Element, problems: Problems) -> None:
    name = local_name(product)
    code, what = REFUSED_PRODUCTS.get(
        name, (ReasonCode.SCOPE_NON_SWAP_PRODUCT, f"product {name} is not an interest-rate swap")
    )
    problems.add(code, product, f"{name}: {what}; only swaps and FRAs are cleared")


def check_swap(swap: Element, problems: Problems) -> None:
    """Record a scope issue for every feature of ``swap`` that is out of scope."""
    for el in swap.iter(*_TAGS):  # one walk in C, document order
        name = local_name(el)
        fixed = _PRESENT.get(name)
        if fixed is not None:
            code, message = fixed
            if name == "earlyTerminationProvision":
                kinds = [local_name(c) for c in el if local_name(c)]
                message += f" ({', '.join(kinds)})" if kinds else ""
            problems.add(code, el, message)
        else:
            _valued(name, el, problems)


def _valued(name: str, el: Element, problems: Problems) -> None:
    if name == "floatingRateMultiplierSchedule":
        value = parse_decimal(child_text(el, "initialValue") or "")
        if value is not None and value < 0:
            problems.add(_U, el, f"inverse floater: floating rate multiplier {value} is negative")
        elif value != 1 or el.find(f"{{{NS}}}step") is not None:
            problems.add(_U, el, f"leveraged floating rate (multiplier {value}) is not supported")
    elif name == "floatingRateIndex":
        index = codes.floating_indices().get(text_of(el) or "")
        if index is not None and index.kind is codes.IndexKind.CMS:
            problems.add(_U, el, f"{index.name} is a constant-maturity swap rate; CMS legs are not cleared")
    elif name == "settlementProvision":
        nds = el.find(f"{{{NS}}}nonDeliverableSettlement")
        currency = child_text(el, "settlementCurrency") or "another currency"
        if nds is not None:
            problems.add(_U, nds, f"non-deliverable settlement in {currency} is not supported")
        else:
            problems.add(_U, el, f"settlement in {currency} is not supported")
    elif name == "payRelativeTo":
        relative = text_of(el)
        if relative != "CalculationPeriodEndDate":
            problems.add(_U, el, f"payment relative to {relative} (only payment in arrears is supported)")
    elif name == "paymentDaysOffset":
        if child_text(el, "dayType") == "Calendar":
            problems.add(_U, el, "a payment lag in calendar days is not supported")
    elif name == "cashflowsMatchParameters":
        if text_of(el) == "false":
            problems.add(_U, el, "cash flows that do not match the parametric schedule are not supported")
    elif name == "spreadSchedule" and el.find(f"{{{NS}}}step") is not None:
        problems.add(_U, el, "a stepped spread schedule is not supported")
