"""The product's one FpML writer: canonical trades and messages written as text, FpML 5.10 confirmation view.

Building an lxml tree costs about 5 us per element (a status update's ``clearingConfirmed`` has about
400), and serialising it costs again; appending ready-made strings to a list costs a fraction of that.
The bytes are those lxml would serialise for the same tree: ``tests/formats/fpml/write/reference`` keeps an
lxml element writer as the reference, ``tests/formats/fpml/write/test_render.py`` holds this module to it for
random trades and messages, and the golden files pin the messages.

Serialisation follows libxml2's, which lxml uses: text escapes ``& < >`` and carriage return, attribute
values also ``"``, tab and newline; UTF-8 as is. ``ind`` is the newline and indentation that precede an
element at the current depth when pretty-printing (two spaces a level, as ``pretty_print``), and ``""``
for the compact form, so one code path writes both.

A trade's identifiers go into ``tradeHeader`` as ``partyTradeIdentifier``s, in this order:

1. the trade's own id and version (``source_trade_id``, ``source_version``) as a ``versionedTradeId``
   (scheme ``urn:clearing-gateway:source-trade-id``) of its owner ``source``: the trade source for a
   submitted trade, the CCP for a cleared one; the only identifier written as a ``versionedTradeId``;
2. each party trade id, in the trade's order (``tradeId`` in its own scheme, or
   ``urn:clearing-gateway:party-trade-id``);
3. the UTI, then the USI. A UTI built as ISO 23897 prescribes (the generating entity's LEI, then the
   rest) is written as ``issuer`` (the LEI) + ``tradeId``; a USI as ``issuer`` (its 10-character
   namespace) + ``tradeId``. An identifier without that structure is written whole, as a ``tradeId``
   of the first party in the UTI/USI scheme, so no character is lost or invented.

The execution venue and the sub-block flag go into the first party's ``partyTradeInformation``: the
venue as a ``relatedParty`` in role ExecutionFacility, the flag as ``category`` SubBlock (scheme
``urn:clearing-gateway:trade-category``; FpML has no standard code for it).

A ``swap`` has one ``swapStream`` per canonical stream, in the element order of fpml-ird-5-10.xsd.
Where the canonical stream leaves open something the schema requires, the market default is written:
``rollConvention`` ``NONE`` when the stream names none (a term stream never has one); ``payRelativeTo``
``CalculationPeriodEndDate`` (in arrears, plus ``paymentDaysOffset``); ``resetRelativeTo``
``CalculationPeriodStartDate`` and the calculation frequency as ``resetFrequency`` when the stream names
none; fixing dates in the calculation calendar (the payment calendar if calculation dates are unadjusted).

An ``fra`` is the canonical FRA's fixed and floating single-period streams in one element: the buyer
pays the fixed rate, the seller the index; payment on the effective date, adjusted with the fixed
stream's payment adjustment; fixing at the floating stream's offset from the effective date;
``fraDiscounting`` ISDA (the intake refuses other conventions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache

from gateway.domain.enums import CompoundingMethod, PeriodUnit, ProductClass
from gateway.domain.events import EventTerms, Money, NamedTradeId
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PackageRef, Stream, Trade
from gateway.domain.values import DateAdjustment, Period, Step
from gateway.formats.fpml.write import schemes
from gateway.formats.fpml.write.parties import PartyTable, default_party_scheme
from gateway.formats.fpml.write.xml import decimal_text, write_error, xml_text

Emit = Callable[[str], object]
"""``list.append`` of the document's parts."""

ROLL_CONVENTIONS = frozenset(
    ["EOM", "FRN", "IMM", "IMMCAD", "IMMAUD", "IMMNZD", "SFE", "NONE", "TBILL"]
    + [str(day) for day in range(1, 31)]
    + ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
)
"""FpML RollConventionEnum."""

PRODUCT_TYPE: dict[ProductClass, str] = {
    ProductClass.IRS: "InterestRate:IRSwap:FixedFloat",
    ProductClass.OIS: "InterestRate:IRSwap:OIS",
    ProductClass.BASIS: "InterestRate:IRSwap:Basis",
    ProductClass.XCCY: "InterestRate:CrossCurrency:Basis",
    ProductClass.ZERO_COUPON: "InterestRate:IRSwap:FixedFloat",
    ProductClass.FRA: "InterestRate:FRA",
}
"""ISDA product taxonomy (``productType``) for each product class."""

SUB_BLOCK = "SubBlock"  # category of a small venue trade registered without the credit check

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
ROOT_ATTRS = f' xmlns="{schemes.FPML_NS}" fpmlVersion="{schemes.FPML_VERSION}"'

_PRODUCT_HEADER = {
    product: (
        "<primaryAssetClass>InterestRate</primaryAssetClass>",
        f'<productType productTypeScheme="{schemes.PRODUCT_TAXONOMY}">{kind}</productType>',
    )
    for product, kind in PRODUCT_TYPE.items()
}


def text(value: str) -> str:
    """``value`` escaped as element content."""
    if "&" in value or "<" in value or ">" in value or "\r" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return value


def attr(value: str) -> str:
    """``value`` escaped as a double-quoted attribute value."""
    if (
        '"' in value
        or "&" in value
        or "<" in value
        or ">" in value
        or "\n" in value
        or "\r" in value
        or "\t" in value
    ):
        value = (
            value.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
            .replace("\n", "&#10;")
            .replace("\r", "&#13;")
            .replace("\t", "&#9;")
        )
    return value


def inner(ind: str) -> str:
    """The indentation of a child of an element indented by ``ind`` (``ind and ind + "  "`` inline)."""
    return ind and ind + "  "


def document(tag: str, body: Callable[[Emit, str], None], *, pretty: bool) -> bytes:
    """``<?xml ...?>`` and the root ``tag`` in the FpML namespace around what ``body`` writes at depth 1."""
    parts: list[str] = []
    emit = parts.append
    if pretty:
        emit(f"{DECLARATION}\n<{tag}{ROOT_ATTRS}>")
        body(emit, "\n  ")
        emit(f"\n</{tag}>\n")
    else:
        emit(f"{DECLARATION}<{tag}{ROOT_ATTRS}>")
        body(emit, "")
        emit(f"</{tag}>")
    return "".join(parts).encode()


# -- dates ----------------------------------------------------------------------------------------------


def business_day_adjustments(emit: Emit, ind: str, tag: str, adjustment: DateAdjustment) -> None:
    emit(_adjustments(tag, adjustment, ind))


@lru_cache(maxsize=1024)
def _adjustments(tag: str, adjustment: DateAdjustment, ind: str) -> str:
    """``BusinessDayAdjustments`` (a few conventions and calendars recur: each is written once)."""
    i2 = inner(ind)
    parts = [f"{ind}<{tag}>{i2}<businessDayConvention>{adjustment.convention.value}</businessDayConvention>"]
    business_centers(parts.append, i2, adjustment.business_centers)
    parts.append(f"{ind}</{tag}>")
    return "".join(parts)


def business_centers(emit: Emit, ind: str, centers: tuple[str, ...]) -> None:
    if centers:
        i2 = inner(ind)
        emit(f"{ind}<businessCenters>")
        for center in centers:
            value = text(xml_text(center, "businessCenter", coded=True))
            emit(f"{i2}<businessCenter>{value}</businessCenter>")
        emit(f"{ind}</businessCenters>")


def adjustable_date(emit: Emit, ind: str, tag: str, unadjusted: date, adjustment: DateAdjustment) -> None:
    i2 = inner(ind)
    emit(
        f"{ind}<{tag}>{i2}<unadjustedDate>{unadjusted.isoformat()}</unadjustedDate>"
        f"{_adjustments('dateAdjustments', adjustment, i2)}{ind}</{tag}>"
    )


def period(emit: Emit, ind: str, tag: str, value: Period, roll: str | None = None) -> None:
    """``Period`` / ``Frequency`` (with ``rollConvention`` when given)."""
    emit(_period(tag, value, roll, ind))


@lru_cache(maxsize=1024)
def _period(tag: str, value: Period, roll: str | None, ind: str) -> str:
    i2 = inner(ind)
    tail = "" if roll is None else f"{i2}<rollConvention>{roll}</rollConvention>"
    return (
        f"{ind}<{tag}>{i2}<periodMultiplier>{value.multiplier}</periodMultiplier>"
        f"{i2}<period>{value.unit.value}</period>{tail}{ind}</{tag}>"
    )


def _offset_head(ind: str, tag: str, days: int) -> str:
    i2 = inner(ind)
    return (
        f"{ind}<{tag}>{i2}<periodMultiplier>{days}</periodMultiplier>{i2}<period>D</period>"
        f"{i2}<dayType>Business</dayType>"
    )


def fixing_offset(
    emit: Emit, ind: str, tag: str, days: int, centers: tuple[str, ...], relative_to: str
) -> None:
    i2 = inner(ind)
    emit(f"{_offset_head(ind, tag, days)}{i2}<businessDayConvention>NONE</businessDayConvention>")
    business_centers(emit, i2, centers)
    emit(f'{i2}<dateRelativeTo href="{relative_to}"/>{ind}</{tag}>')


# -- trade ----------------------------------------------------------------------------------------------


def trade(
    emit: Emit,
    ind: str,
    t: Trade,
    parties: PartyTable,
    *,
    source: str,
    prefix: str = "",
    cleared_date: date | None = None,
) -> None:
    """Write ``<trade>``, registering its parties and accounts in ``parties``.

    ``source`` is the party id of the owner of the trade's ``source_trade_id`` (the trade source, or the
    CCP for a cleared trade); ``prefix`` makes element ids unique when a document holds several trades.
    """
    for party in t.parties:
        parties.add(party)
    i2 = inner(ind)
    i3 = inner(i2)
    emit(f"{ind}<trade>{i2}<tradeHeader>")
    identifiers(emit, i3, t, parties, source)
    _venue(emit, i3, t, parties)
    if t.package is not None:
        originating_package(emit, i3, t.package)
    emit(f"{i3}<tradeDate>{t.trade_date.isoformat()}</tradeDate>")
    if cleared_date is not None:
        emit(f"{i3}<clearedDate>{cleared_date.isoformat()}</clearedDate>")
    emit(f"{i2}</tradeHeader>")
    if t.product is ProductClass.FRA:
        _fra(emit, i2, t, parties, attr(prefix))
    else:
        _swap(emit, i2, t, parties, attr(prefix))
    emit(f"{ind}</trade>")


def identifiers(emit: Emit, ind: str, t: Trade, parties: PartyTable, source: str) -> None:
    """The ``partyTradeIdentifier`` elements of ``t`` (order in the module docstring)."""
    ids = t.identifiers
    i2 = inner(ind)
    i3 = inner(i2)
    href = parties.ref(xml_text(source, "source", coded=True))
    own = text(xml_text(ids.source_trade_id, "tradeHeader.tradeId", coded=True))
    emit(
        f'{ind}<partyTradeIdentifier>{i2}<partyReference href="{href}"/>{i2}<versionedTradeId>'
        f'{i3}<tradeId tradeIdScheme="{schemes.SOURCE_TRADE_ID}">{own}</tradeId>'
        f"{i3}<version>{ids.source_version}</version>{i2}</versionedTradeId>{ind}</partyTradeIdentifier>"
    )
    for index, pti in enumerate(ids.party_trade_ids):
        path = f"tradeHeader.partyTradeIdentifier[{index}]"
        href = parties.ref(xml_text(pti.party_id, f"{path}.party", coded=True))
        value = text(xml_text(pti.trade_id, f"{path}.tradeId", coded=True))
        scheme = attr(pti.scheme or schemes.PARTY_TRADE_ID)
        emit(
            f'{ind}<partyTradeIdentifier>{i2}<partyReference href="{href}"/>'
            f'{i2}<tradeId tradeIdScheme="{scheme}">{value}</tradeId>{ind}</partyTradeIdentifier>'
        )
    if ids.uti is not None:
        issuer, rest = schemes.split_uti(ids.uti)
        _regulatory(emit, ind, t, parties, ids.uti, issuer, rest, schemes.UTI_ISSUER, schemes.UTI, "uti")
    if ids.usi is not None:
        issuer, rest = schemes.split_usi(ids.usi)
        _regulatory(emit, ind, t, parties, ids.usi, issuer, rest, schemes.USI_ISSUER, schemes.USI, "usi")


def _regulatory(
    emit: Emit,
    ind: str,
    t: Trade,
    parties: PartyTable,
    whole: str,
    issuer: str | None,
    rest: str,
    issuer_scheme: str,
    scheme: str,
    name: str,
) -> None:
    xml_text(whole, f"tradeHeader.{name}", coded=True)
    i2 = inner(ind)
    if issuer is not None:
        first = f'{i2}<issuer issuerIdScheme="{issuer_scheme}">{text(issuer)}</issuer>'
    else:
        first = f'{i2}<partyReference href="{parties.add(t.parties[0])}"/>'
    emit(
        f"{ind}<partyTradeIdentifier>{first}"
        f'{i2}<tradeId tradeIdScheme="{scheme}">{text(rest)}</tradeId>{ind}</partyTradeIdentifier>'
    )


def _venue(emit: Emit, ind: str, t: Trade, parties: PartyTable) -> None:
    if t.execution_venue is None and not t.sub_block:
        return
    i2 = inner(ind)
    i3 = inner(i2)
    emit(f'{ind}<partyTradeInformation>{i2}<partyReference href="{parties.add(t.parties[0])}"/>')
    if t.execution_venue is not None:
        venue = xml_text(t.execution_venue, "executionVenue", coded=True)
        emit(
            f'{i2}<relatedParty>{i3}<partyReference href="{parties.ref(venue)}"/>'
            f"{i3}<role>ExecutionFacility</role>{i2}</relatedParty>"
        )
    if t.sub_block:
        emit(f'{i2}<category categoryScheme="{schemes.TRADE_CATEGORY}">{SUB_BLOCK}</category>')
    emit(f"{ind}</partyTradeInformation>")


def originating_package(emit: Emit, ind: str, package: PackageRef) -> None:
    """``originatingPackage``: the package the trade was executed in (its id, size and the trade's place)."""
    i2 = inner(ind)
    i3 = inner(i2)
    emit(f"{ind}<originatingPackage>")
    if package.package_id is not None:
        assert package.issuer is not None  # PackageRef: an id has its issuer
        issuer = text(xml_text(package.issuer, "originatingPackage.issuer", coded=True))
        value = text(xml_text(package.package_id, "originatingPackage.packageIdentifier", coded=True))
        emit(
            f"{i2}<packageIdentifier>{i3}<issuer>{issuer}</issuer>"
            f'{i3}<tradeId tradeIdScheme="{schemes.PACKAGE_ID}">{value}</tradeId>{i2}</packageIdentifier>'
        )
    emit(f"{i2}<size>{package.size}</size>")
    if package.sequence is not None:
        emit(f"{i2}<sequenceNumber>{package.sequence}</sequenceNumber>")
    emit(f"{ind}</originatingPackage>")


# -- swap -----------------------------------------------------------------------------------------------


def _swap(emit: Emit, ind: str, t: Trade, parties: PartyTable, prefix: str) -> None:
    i2 = inner(ind)
    asset, kind = _PRODUCT_HEADER[t.product]
    emit(f"{ind}<swap>{i2}{asset}{i2}{kind}")
    for index, stream in enumerate(t.streams, start=1):
        _stream(emit, i2, t, stream, parties, f"{prefix}stream{index}")
    emit(f"{ind}</swap>")


def _party_refs(ind: str, role: str, t: Trade, party_id: str, parties: PartyTable) -> str:
    party = t.party(party_id)
    href = parties.add(party)
    account = parties.account(party)
    if account:
        return f'{ind}<{role}PartyReference href="{href}"/>{ind}<{role}AccountReference href="{account}"/>'
    return f'{ind}<{role}PartyReference href="{href}"/>'


def _stream(emit: Emit, ind: str, t: Trade, s: Stream, parties: PartyTable, sid: str) -> None:
    i2 = ind and ind + "  "
    i3 = i2 and i2 + "  "
    i4 = i3 and i3 + "  "
    i5 = i4 and i4 + "  "
    i6 = i5 and i5 + "  "
    payer = _party_refs(i2, "payer", t, s.payer, parties)
    receiver = _party_refs(i2, "receiver", t, s.receiver, parties)
    calc_id = f"{sid}-calculationPeriodDates"
    effective = s.effective_date.isoformat()
    termination = s.termination_date.isoformat()
    emit(
        f'{ind}<swapStream id="{sid}">{payer}{receiver}{i2}<calculationPeriodDates id="{calc_id}">'
        f"{i3}<effectiveDate>{i4}<unadjustedDate>{effective}</unadjustedDate>"
        f"{_adjustments('dateAdjustments', s.effective_date_adjustment, i4)}{i3}</effectiveDate>"
        f"{i3}<terminationDate>{i4}<unadjustedDate>{termination}</unadjustedDate>"
        f"{_adjustments('dateAdjustments', s.termination_date_adjustment, i4)}{i3}</terminationDate>"
        f"{_adjustments('calculationPeriodDatesAdjustments', s.calculation_adjustment, i3)}"
    )
    if s.first_regular_period_start is not None:
        emit(
            f"{i3}<firstRegularPeriodStartDate>{s.first_regular_period_start.isoformat()}"
            "</firstRegularPeriodStartDate>"
        )
    if s.last_regular_period_end is not None:
        emit(
            f"{i3}<lastRegularPeriodEndDate>{s.last_regular_period_end.isoformat()}</lastRegularPeriodEndDate>"
        )
    roll = _roll(s, sid)
    offset = (
        f"{_offset_head(i3, 'paymentDaysOffset', s.payment_offset_days)}{i3}</paymentDaysOffset>"
        if s.payment_offset_days
        else ""
    )
    emit(
        f"{_period('calculationPeriodFrequency', s.calculation_frequency, roll, i3)}"
        f'{i2}</calculationPeriodDates>{i2}<paymentDates id="{sid}-paymentDates">'
        f'{i3}<calculationPeriodDatesReference href="{calc_id}"/>'
        f"{_period('paymentFrequency', s.payment_frequency, None, i3)}"
        f"{i3}<payRelativeTo>CalculationPeriodEndDate</payRelativeTo>{offset}"
        f"{_adjustments('paymentDatesAdjustments', s.payment_adjustment, i3)}{i2}</paymentDates>"
    )

    if s.floating_index is not None:
        reset_id = f"{sid}-resetDates"
        centers = s.calculation_adjustment.business_centers or s.payment_adjustment.business_centers
        emit(
            f'{i2}<resetDates id="{reset_id}">{i3}<calculationPeriodDatesReference href="{calc_id}"/>'
            f"{i3}<resetRelativeTo>CalculationPeriodStartDate</resetRelativeTo>"
        )
        fixing_offset(emit, i3, "fixingDates", s.fixing_offset_days, centers, reset_id)
        emit(
            f"{_period('resetFrequency', s.reset_frequency or s.calculation_frequency, None, i3)}"
            f"{_adjustments('resetDatesAdjustments', s.calculation_adjustment, i3)}{i2}</resetDates>"
        )

    emit(
        f"{i2}<calculationPeriodAmount>{i3}<calculation>{i4}<notionalSchedule>{i5}<notionalStepSchedule>"
        f"{i6}<initialValue>{decimal_text(s.notional)}</initialValue>"
    )
    if s.notional_steps:
        _steps(emit, i6, s.notional_steps)
    emit(f"{i6}<currency>{text(s.currency)}</currency>{i5}</notionalStepSchedule>{i4}</notionalSchedule>")
    if s.fixed_rate is None and s.fixed_rate_steps:
        raise write_error(
            ReasonCode.FPML_INVALID_VALUE, f"{sid}.fixedRateSchedule", "fixed-rate steps on a floating stream"
        )
    if s.fixed_rate is not None:
        emit(f"{i4}<fixedRateSchedule>{i5}<initialValue>{decimal_text(s.fixed_rate)}</initialValue>")
        if s.fixed_rate_steps:
            _steps(emit, i5, s.fixed_rate_steps)
        emit(f"{i4}</fixedRateSchedule>")
    else:
        assert s.floating_index is not None
        assert s.index_tenor is not None
        index = text(xml_text(s.floating_index, f"{sid}.floatingRateIndex", coded=True))
        spread = (
            f"{i5}<spreadSchedule>{i6}<initialValue>{decimal_text(s.spread)}</initialValue>{i5}</spreadSchedule>"
            if s.spread
            else ""
        )
        emit(
            f"{i4}<floatingRateCalculation>{i5}<floatingRateIndex>{index}</floatingRateIndex>"
            f"{_period('indexTenor', s.index_tenor, None, i5)}{spread}{i4}</floatingRateCalculation>"
        )
    compounding = (
        f"{i4}<compoundingMethod>{s.compounding_method.value}</compoundingMethod>"
        if s.compounding_method is not CompoundingMethod.NONE
        or s.payment_frequency != s.calculation_frequency
        else ""
    )
    emit(
        f"{i4}<dayCountFraction>{s.day_count.value}</dayCountFraction>{compounding}"
        f"{i3}</calculation>{i2}</calculationPeriodAmount>"
    )

    pe = s.principal_exchanges
    if pe.initial or pe.intermediate or pe.final:
        emit(
            f"{i2}<principalExchanges>{i3}<initialExchange>{_bool(pe.initial)}</initialExchange>"
            f"{i3}<finalExchange>{_bool(pe.final)}</finalExchange>"
            f"{i3}<intermediateExchange>{_bool(pe.intermediate)}</intermediateExchange>{i2}</principalExchanges>"
        )
    emit(f"{ind}</swapStream>")


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


def _steps(emit: Emit, ind: str, steps: Sequence[Step]) -> None:
    i2 = inner(ind)
    for step in steps:
        emit(
            f"{ind}<step>{i2}<stepDate>{step.date.isoformat()}</stepDate>"
            f"{i2}<stepValue>{decimal_text(step.value)}</stepValue>{ind}</step>"
        )


def _bool(value: bool) -> str:
    return "true" if value else "false"


# -- fra ------------------------------------------------------------------------------------------------


def _fra(emit: Emit, ind: str, t: Trade, parties: PartyTable, prefix: str) -> None:
    fixed, floating = fra_legs(t)
    assert fixed.fixed_rate is not None
    assert floating.floating_index is not None
    assert floating.index_tenor is not None  # Stream's invariant
    i2 = inner(ind)
    asset, kind = _PRODUCT_HEADER[t.product]
    buyer = _party_refs(i2, "buyer", t, fixed.payer, parties)
    seller = _party_refs(i2, "seller", t, fixed.receiver, parties)
    effective_id = f"{prefix}adjustedEffectiveDate"
    emit(
        f"{ind}<fra>{i2}{asset}{i2}{kind}{buyer}{seller}"
        f'{i2}<adjustedEffectiveDate id="{effective_id}">{fixed.effective_date.isoformat()}</adjustedEffectiveDate>'
        f"{i2}<adjustedTerminationDate>{fixed.termination_date.isoformat()}</adjustedTerminationDate>"
    )
    adjustable_date(emit, i2, "paymentDate", fixed.effective_date, fixed.payment_adjustment)
    centers = floating.calculation_adjustment.business_centers or floating.payment_adjustment.business_centers
    fixing_offset(emit, i2, "fixingDateOffset", floating.fixing_offset_days, centers, effective_id)
    days = (fixed.termination_date - fixed.effective_date).days
    i3 = inner(i2)
    index = text(xml_text(floating.floating_index, "floatingRateIndex", coded=True))
    emit(
        f"{i2}<dayCountFraction>{fixed.day_count.value}</dayCountFraction>"
        f"{i2}<calculationPeriodNumberOfDays>{days}</calculationPeriodNumberOfDays>"
        f"{i2}<notional>{i3}<currency>{text(fixed.currency)}</currency>"
        f"{i3}<amount>{decimal_text(fixed.notional)}</amount>{i2}</notional>"
        f"{i2}<fixedRate>{decimal_text(fixed.fixed_rate)}</fixedRate>"
        f"{i2}<floatingRateIndex>{index}</floatingRateIndex>"
    )
    period(emit, i2, "indexTenor", floating.index_tenor)
    emit(f"{i2}<fraDiscounting>ISDA</fraDiscounting>{ind}</fra>")


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


# -- lifecycle events -----------------------------------------------------------------------------------


def notional_change(
    emit: Emit,
    ind: str,
    tag: str,
    named: Sequence[NamedTradeId],
    terms: EventTerms,
    parties: PartyTable,
) -> None:
    """A ``TradeNotionalChange`` (``termination``): the trade by its ids (``named``), the agreement and
    effective dates, the fee as a ``payment``, then the change and the outstanding notional."""
    if terms.notional is None:
        raise write_error(
            ReasonCode.FPML_MISSING_FIELD, f"{tag}.changeInNotionalAmount", "no notional change"
        )
    i2 = inner(ind)
    emit(f"{ind}<{tag}>")
    _event_trade_ids(emit, i2, tag, named, parties)
    emit(
        f"{i2}<agreementDate>{terms.agreement_date.isoformat()}</agreementDate>"
        f"{i2}<effectiveDate>{terms.effective_date.isoformat()}</effectiveDate>"
    )
    _fee(emit, i2, tag, terms, parties)
    emit(_money(i2, "changeInNotionalAmount", terms.notional.change))
    emit(_money(i2, "outstandingNotionalAmount", terms.notional.outstanding))
    emit(f"{ind}</{tag}>")


def _fee(emit: Emit, ind: str, tag: str, terms: EventTerms, parties: PartyTable) -> None:
    """The event's fee as a ``payment``, if it has one."""
    fee = terms.fee
    if fee is None:
        return
    i2 = inner(ind)
    i3 = inner(i2)
    payer = parties.ref(xml_text(fee.payer, f"{tag}.payment.payerPartyReference", coded=True))
    receiver = parties.ref(xml_text(fee.receiver, f"{tag}.payment.receiverPartyReference", coded=True))
    emit(
        f'{ind}<payment>{i2}<payerPartyReference href="{payer}"/>'
        f'{i2}<receiverPartyReference href="{receiver}"/>{_money(i2, "paymentAmount", fee.amount)}'
    )
    if fee.payment_date is not None:
        emit(
            f"{i2}<paymentDate>{i3}<adjustedDate>{fee.payment_date.isoformat()}</adjustedDate>"
            f"{i2}</paymentDate>"
        )
    emit(f"{ind}</payment>")


def amendment(emit: Emit, ind: str, terms: EventTerms, parties: PartyTable, *, source: str) -> None:
    """A ``TradeAmendmentContent``: the trade as amended (its ids owned by ``source``), the agreement and
    effective dates, and the fee as a ``payment``."""
    if terms.amended is None:
        raise write_error(ReasonCode.FPML_MISSING_FIELD, "amendment.trade", "an amendment carries its trade")
    i2 = inner(ind)
    emit(f"{ind}<amendment>")
    trade(emit, i2, terms.amended, parties, source=source)
    emit(
        f"{i2}<agreementDate>{terms.agreement_date.isoformat()}</agreementDate>"
        f"{i2}<effectiveDate>{terms.effective_date.isoformat()}</effectiveDate>"
    )
    _fee(emit, i2, "amendment", terms, parties)
    emit(f"{ind}</amendment>")


def de_clear(
    emit: Emit, ind: str, named: Sequence[NamedTradeId], terms: EventTerms, parties: PartyTable
) -> None:
    """A ``DeClear``: the trade by its ids (``named``), the effective date and the reason given, if any."""
    i2 = inner(ind)
    emit(f"{ind}<deClear>")
    _event_trade_ids(emit, i2, "deClear", named, parties)
    emit(f"{i2}<effectiveDate>{terms.effective_date.isoformat()}</effectiveDate>")
    if terms.reason is not None:
        emit(f"{i2}<reason>{text(xml_text(terms.reason, 'deClear.reason', coded=True))}</reason>")
    emit(f"{ind}</deClear>")


def trade_reference_information(
    emit: Emit, ind: str, named: Sequence[NamedTradeId], parties: PartyTable
) -> None:
    """``tradeReferenceInformation``: a ``partyTradeIdentifier`` per id in ``named`` (the trade's, then the
    new ones of a reference update)."""
    emit(f"{ind}<tradeReferenceInformation>")
    _event_trade_ids(emit, inner(ind), "tradeReferenceInformation", named, parties, "partyTradeIdentifier")
    emit(f"{ind}</tradeReferenceInformation>")


def compression_activity(
    emit: Emit,
    ind: str,
    replacement: NamedTradeId | None,
    originating: Sequence[NamedTradeId],
    parties: PartyTable,
) -> None:
    """A ``compressionActivity``: the trade replacing the one confirmed, then the trades it replaces."""
    i2 = inner(ind)
    emit(f"{ind}<compressionActivity>")
    if replacement is not None:
        _event_trade_ids(
            emit, i2, "compressionActivity", (replacement,), parties, "replacementTradeIdentifier"
        )
    _event_trade_ids(emit, i2, "compressionActivity", originating, parties, "originatingTradeIdentifier")
    emit(f"{ind}</compressionActivity>")


def _event_trade_ids(
    emit: Emit,
    ind: str,
    tag: str,
    named: Sequence[NamedTradeId],
    parties: PartyTable,
    element: str = "tradeIdentifier",
) -> None:
    """The ``tradeIdentifier`` elements naming an event's trade (a ``versionedTradeId`` where a version is given)."""
    i2 = inner(ind)
    i3 = inner(i2)
    for index, n in enumerate(named):
        path = f"{tag}.{element}[{index}]"
        href = parties.ref(xml_text(n.party_id, f"{path}.partyReference", coded=True))
        value = text(xml_text(n.trade_id, f"{path}.tradeId", coded=True))
        scheme = attr(n.scheme)
        if n.version is None:
            ident = f'{i2}<tradeId tradeIdScheme="{scheme}">{value}</tradeId>'
        else:
            ident = (
                f'{i2}<versionedTradeId>{i3}<tradeId tradeIdScheme="{scheme}">{value}</tradeId>'
                f"{i3}<version>{n.version}</version>{i2}</versionedTradeId>"
            )
        emit(f'{ind}<{element}>{i2}<partyReference href="{href}"/>{ident}{ind}</{element}>')


def _money(ind: str, tag: str, money: Money) -> str:
    i2 = inner(ind)
    return (
        f"{ind}<{tag}>{i2}<currency>{text(xml_text(money.currency, f'{tag}.currency', coded=True))}</currency>"
        f"{i2}<amount>{decimal_text(money.amount)}</amount>{ind}</{tag}>"
    )


# -- parties --------------------------------------------------------------------------------------------


def party_elements(emit: Emit, ind: str, parties: PartyTable) -> None:
    """Every ``party`` then every ``account`` element (the schema's PartiesAndAccounts order)."""
    i2 = inner(ind)
    for xml_id, p in parties.parties():
        scheme = attr(p.scheme or default_party_scheme(p.party_id))
        value = text(xml_text(p.party_id, "party.partyId", coded=True))
        name = (
            ""
            if p.name is None
            else f"{i2}<partyName>{text(xml_text(p.name, 'party.partyName', coded=True))}</partyName>"
        )
        emit(
            f'{ind}<party id="{xml_id}">{i2}<partyId partyIdScheme="{scheme}">{value}</partyId>{name}{ind}</party>'
        )
    for xml_id, account, beneficiary in parties.accounts():
        value = text(xml_text(account, "party.account", coded=True))
        emit(
            f'{ind}<account id="{xml_id}">{i2}<accountId accountIdScheme="{schemes.ACCOUNT_ID}">{value}</accountId>'
            f'{i2}<accountBeneficiary href="{beneficiary}"/>{ind}</account>'
        )


def trade_document(t: Trade, *, source: str, pretty: bool = True) -> bytes:
    """A ``dataDocument`` holding ``t`` with its parties and accounts: the trade on its own, schema-valid."""
    parties = PartyTable()

    def body(emit: Emit, ind: str) -> None:
        trade(emit, ind, t, parties, source=source)
        party_elements(emit, ind, parties)

    return document("dataDocument", body, pretty=pretty)
