"""The canonical trade as FIX 5.0 SP2 fields (sides, parties, StreamGrp/PaymentStream).

``trade_items`` writes a trade as the fields ``trade_read.read_trade`` reads, so what we read we can also
send (the golden files hold both directions to the same text).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gateway.domain.enums import ProductClass
from gateway.domain.trade import Stream, Trade
from gateway.domain.values import NO_ADJUSTMENT, DateAdjustment, Period, Step
from gateway.formats.fix import codes
from gateway.formats.fix.tags import T
from gateway.formats.fix.wire import Item


def _d(value: date) -> str:
    return value.strftime("%Y%m%d")


def _num(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _period(items: list[Item], period_tag: int, unit_tag: int, p: Period | None) -> None:
    if p is not None:
        items += [(period_tag, str(p.multiplier)), (unit_tag, codes.UNIT_CODE[p.unit])]


def _adjust(items: list[Item], bdc_tag: int, count_tag: int, centre_tag: int, adj: DateAdjustment) -> None:
    if adj == NO_ADJUSTMENT:
        return
    items.append((bdc_tag, codes.BDC_CODE[adj.convention]))
    if adj.business_centers:
        items.append((count_tag, [[(centre_tag, c)] for c in adj.business_centers]))


def _steps(name: str, steps: tuple[Step, ...]) -> str:
    return f"{name} " + ";".join(f"{_d(s.date)}={_num(s.value)}" for s in steps)


def stream_items(s: Stream, side_of: dict[str, str]) -> list[Item]:
    """One NoStreams entry for ``s``; ``side_of`` maps a party id to its Side (1 or 2)."""
    items: list[Item] = [
        (T.StreamType, "0"),
        (T.StreamPaySide, side_of[s.payer]),
        (T.StreamReceiveSide, side_of[s.receiver]),
        (T.StreamNotional, _num(s.notional)),
        (T.StreamCurrency, s.currency),
        (T.StreamEffectiveDateUnadjusted, _d(s.effective_date)),
    ]
    _adjust(
        items,
        T.StreamEffectiveDateBusinessDayConvention,
        T.NoStreamEffectiveDateBusinessCenters,
        T.StreamEffectiveDateBusinessCenter,
        s.effective_date_adjustment,
    )
    items.append((T.StreamTerminationDateUnadjusted, _d(s.termination_date)))
    _adjust(
        items,
        T.StreamTerminationDateBusinessDayConvention,
        T.NoStreamTerminationDateBusinessCenters,
        T.StreamTerminationDateBusinessCenter,
        s.termination_date_adjustment,
    )
    _adjust(
        items,
        T.StreamCalculationPeriodBusinessDayConvention,
        T.NoStreamCalculationPeriodBusinessCenters,
        T.StreamCalculationPeriodBusinessCenter,
        s.calculation_adjustment,
    )
    if s.first_regular_period_start is not None:
        items.append((T.StreamFirstRegularPeriodStartDateUnadjusted, _d(s.first_regular_period_start)))
    if s.last_regular_period_end is not None:
        items.append((T.StreamLastRegularPeriodEndDateUnadjusted, _d(s.last_regular_period_end)))
    _period(
        items, T.StreamCalculationFrequencyPeriod, T.StreamCalculationFrequencyUnit, s.calculation_frequency
    )
    if s.roll_convention is not None:
        items.append((T.StreamCalculationRollConvention, s.roll_convention))
    items += [(T.PaymentStreamType, "0"), (T.PaymentStreamDayCount, codes.DAY_COUNT_CODE[s.day_count])]
    if s.compounding_method is not codes.COMPOUNDING["0"]:
        items.append((T.PaymentStreamCompoundingMethod, codes.COMPOUNDING_CODE[s.compounding_method]))
    pe = s.principal_exchanges
    for tag, on in (
        (T.PaymentStreamInitialPrincipalExchangeIndicator, pe.initial),
        (T.PaymentStreamInterimPrincipalExchangeIndicator, pe.intermediate),
        (T.PaymentStreamFinalPrincipalExchangeIndicator, pe.final),
    ):
        if on:
            items.append((tag, "Y"))
    _adjust(
        items,
        T.PaymentStreamPaymentDateBusinessDayConvention,
        T.NoPaymentStreamPaymentDateBusinessCenters,
        T.PaymentStreamPaymentDateBusinessCenter,
        s.payment_adjustment,
    )
    _period(
        items, T.PaymentStreamPaymentFrequencyPeriod, T.PaymentStreamPaymentFrequencyUnit, s.payment_frequency
    )
    if s.payment_offset_days:
        items += [
            (T.PaymentStreamPaymentDateOffsetPeriod, str(s.payment_offset_days)),
            (T.PaymentStreamPaymentDateOffsetUnit, "D"),
            (T.PaymentStreamPaymentDateOffsetDayType, "0"),
        ]
    _period(items, T.PaymentStreamResetFrequencyPeriod, T.PaymentStreamResetFrequencyUnit, s.reset_frequency)
    if s.floating_index is not None:
        items += [
            (T.PaymentStreamFixingDateOffsetPeriod, str(s.fixing_offset_days)),
            (T.PaymentStreamFixingDateOffsetUnit, "D"),
            (T.PaymentStreamFixingDateOffsetDayType, "0"),
        ]
    if s.fixed_rate is not None:
        items.append((T.PaymentStreamRate, _num(s.fixed_rate)))
    if s.floating_index is not None:
        items.append((T.PaymentStreamRateIndex, s.floating_index))
        _period(items, T.PaymentStreamRateIndexCurvePeriod, T.PaymentStreamRateIndexCurveUnit, s.index_tenor)
        if s.spread:
            items.append((T.PaymentStreamRateSpread, _num(s.spread)))
    notes = [
        _steps(n, st)
        for n, st in (("notionalSteps", s.notional_steps), ("fixedRateSteps", s.fixed_rate_steps))
        if st
    ]
    if notes:
        items.append((T.StreamText, " | ".join(notes)))
    return items


def instrument_items(trade: Trade) -> list[Item]:
    """The Instrument component for ``trade``: product codes and its streams."""
    side_of = {trade.parties[0].party_id: "1", trade.parties[1].party_id: "2"}
    items: list[Item] = [(T.SecurityType, "IRS")]
    if trade.product in codes.PRODUCT_CODE:
        items.append((T.SecuritySubType, codes.PRODUCT_CODE[trade.product]))
    items.append((T.NoStreams, [stream_items(s, side_of) for s in trade.streams]))
    return items


def side_items(trade: Trade) -> list[Item]:
    """The NoSides group: side 1 is the trade's first party, side 2 its second."""
    entries: list[list[Item]] = []
    for side, party in zip(codes.SIDES, trade.parties, strict=True):
        party_entry: list[Item] = [
            (T.PartyID, party.party_id),
            (T.PartyIDSource, "N" if party.scheme == codes.LEI_SCHEME else "D"),
            (T.PartyRole, codes.ROLE_EXECUTING_FIRM),
        ]
        if party.name:
            party_entry.append(
                (T.NoPartySubIDs, [[(T.PartySubID, party.name), (T.PartySubIDType, codes.SUB_ID_FULL_NAME)]])
            )
        entry: list[Item] = [(T.Side, side)]
        own_ids = [p.trade_id for p in trade.identifiers.party_trade_ids if p.party_id == party.party_id]
        if own_ids:
            entry.append((T.SideTradeID, own_ids[0]))
        entry.append((T.NoPartyIDs, [party_entry]))
        if party.account:
            entry.append((T.Account, party.account))
        entries.append(entry)
    return [(T.NoSides, entries)]


def trade_items(trade: Trade) -> list[Item]:
    """Identifiers, instrument, trade date and sides of ``trade`` as TradeCaptureReport body items."""
    ids = trade.identifiers
    items: list[Item] = [(T.TradeID, ids.source_trade_id)]
    if ids.uti:
        items.append(
            (
                T.NoRegulatoryTradeIDs,
                [[(T.RegulatoryTradeID, ids.uti), (T.RegulatoryTradeIDType, codes.REGULATORY_ID_CURRENT)]],
            )
        )
    items += instrument_items(trade)
    items.append((T.TradeDate, _d(trade.trade_date)))
    items += side_items(trade)
    if ids.source_version != 1:
        items.append((T.TradeVersion, str(ids.source_version)))
    return items


def is_stream_expressible(trade: Trade) -> bool:
    """Whether ``read_trade(trade_items(trade))`` gives ``trade`` back (no steps, no FRA, no ISMA)."""
    return trade.product is not ProductClass.FRA and all(
        not s.notional_steps and not s.fixed_rate_steps and s.day_count in codes.DAY_COUNT_CODE
        for s in trade.streams
    )
