"""What a trade source sends: ``requestClearing`` / ``requestClearingRetracted`` FpML for a canonical trade,
``requestConfirmation`` carrying a ``termination``, ``increase`` or ``amendment`` of a cleared one, ``requestClearing`` carrying
``deClear`` and ``requestTradeReferenceInformationUpdate``.

Written with the gateway's one FpML writer (``gateway.formats.fpml.write.render``: its document, trade and
party building blocks), so the simulated source of the demo and the benchmark speaks exactly the
confirmation-view FpML 5.10 a real affirmation platform would. The gateway itself never sends a
request, so the writer of the request's few header elements stays here with the tools that need it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

from gateway.domain.events import EventKind, EventTerms, NamedTradeId
from gateway.domain.trade import Party, Trade
from gateway.formats.fpml.write import render, schemes
from gateway.formats.fpml.write.parties import PartyTable
from gateway.formats.fpml.write.render import Emit, text
from gateway.formats.fpml.write.xml import timestamp_text, xml_text


def request_clearing(
    trade: Trade,
    *,
    source: str,
    message_id: str,
    at: datetime,
    ccp: str = "CCP",
    retracted: bool = False,
    correction: bool = False,
    sequence: int = 1,
) -> bytes:
    """One trade's clearing request (or its retraction) from ``source`` to ``ccp``, on one line."""

    def body(emit: Emit, ind: str) -> None:
        _header(emit, source=source, message_id=message_id, at=at, ccp=ccp)
        if not retracted:  # a retraction is a non-correctable message: no isCorrection
            emit(f"<isCorrection>{'true' if correction else 'false'}</isCorrection>")
        correlation = text(xml_text(trade.identifiers.source_trade_id, "correlationId", coded=True))
        emit(
            f'<correlationId correlationIdScheme="{schemes.CORRELATION_ID}">{correlation}</correlationId>'
            f"<sequenceNumber>{sequence}</sequenceNumber>"
        )
        parties = PartyTable()
        render.trade(emit, ind, trade, parties, source=source)
        render.party_elements(emit, ind, parties)

    return render.document("requestClearingRetracted" if retracted else "requestClearing", body, pretty=False)


def request_clearing_package(
    trades: Sequence[Trade],
    *,
    package_id: str,
    issuer: str,
    source: str,
    message_id: str,
    at: datetime,
    ccp: str = "CCP",
) -> bytes:
    """A package's clearing request: ``trades`` in one ``tradePackage`` whose ``packageIdentifier`` is
    ``issuer`` + ``package_id`` (the shape of the official ``pkg-ex60-request-clearing.xml``), on one line."""

    def body(emit: Emit, ind: str) -> None:
        _header(emit, source=source, message_id=message_id, at=at, ccp=ccp)
        emit("<isCorrection>false</isCorrection>")
        correlation = text(xml_text(package_id, "correlationId", coded=True))
        emit(
            f'<correlationId correlationIdScheme="{schemes.CORRELATION_ID}">{correlation}</correlationId>'
            "<sequenceNumber>1</sequenceNumber>"
        )
        pid = text(xml_text(package_id, "packageIdentifier", coded=True))
        issued_by = text(xml_text(issuer, "packageIdentifier.issuer", coded=True))
        emit(
            f"<tradePackage><packageHeader><packageIdentifier><issuer>{issued_by}</issuer>"
            f'<tradeId tradeIdScheme="{schemes.PACKAGE_ID}">{pid}</tradeId></packageIdentifier>'
            "</packageHeader>"
        )
        parties = PartyTable()
        for n, t in enumerate(trades, start=1):  # the package is said once, around its trades
            bare = dataclasses.replace(t, package=None)
            render.trade(emit, ind, bare, parties, source=source, prefix=f"trade{n}-")
        emit("</tradePackage>")
        render.party_elements(emit, ind, parties)

    return render.document("requestClearing", body, pretty=False)


def _event_request(
    root: str,
    event: Callable[[Emit, str, PartyTable], None],
    parties: Sequence[Party],
    *,
    source: str,
    message_id: str,
    at: datetime,
    ccp: str,
    correlation_id: str | None,
    sequence: int,
) -> bytes:
    """A request about a cleared trade, on one line: the header, correlation and sequence, the event element
    ``event`` writes, then ``parties`` (both original counterparties)."""

    def body(emit: Emit, ind: str) -> None:
        _header(emit, source=source, message_id=message_id, at=at, ccp=ccp)
        emit("<isCorrection>false</isCorrection>")
        correlation = text(xml_text(correlation_id or message_id, "correlationId", coded=True))
        emit(
            f'<correlationId correlationIdScheme="{schemes.CORRELATION_ID}">{correlation}</correlationId>'
            f"<sequenceNumber>{sequence}</sequenceNumber>"
        )
        table = PartyTable()
        for party in parties:
            table.add(party)
        event(emit, ind, table)
        render.party_elements(emit, ind, table)

    return render.document(root, body, pretty=False)


def request_termination(
    terms: EventTerms,
    named: Sequence[NamedTradeId],
    parties: Sequence[Party],
    *,
    source: str,
    message_id: str,
    at: datetime,
    ccp: str = "CCP",
    correlation_id: str | None = None,
    sequence: int = 1,
) -> bytes:
    """``requestConfirmation`` carrying ``termination`` (``increase`` for an increase's terms): the trade by
    ``named`` ids, between ``parties`` (both original counterparties), from ``source`` to ``ccp``, on one line."""
    tag = "increase" if terms.kind is EventKind.INCREASE else "termination"
    return _event_request(
        "requestConfirmation",
        lambda emit, ind, table: render.notional_change(emit, ind, tag, named, terms, table),
        parties,
        source=source,
        message_id=message_id,
        at=at,
        ccp=ccp,
        correlation_id=correlation_id,
        sequence=sequence,
    )


def request_amendment(
    terms: EventTerms,
    parties: Sequence[Party],
    *,
    source: str,
    message_id: str,
    at: datetime,
    ccp: str = "CCP",
    correlation_id: str | None = None,
    sequence: int = 1,
) -> bytes:
    """``requestConfirmation`` carrying ``amendment``: the trade as amended (``terms.amended``, naming the
    cleared trade by ``source``'s own trade id), between ``parties``, on one line."""
    return _event_request(
        "requestConfirmation",
        lambda emit, ind, table: render.amendment(emit, ind, terms, table, source=source),
        parties,
        source=source,
        message_id=message_id,
        at=at,
        ccp=ccp,
        correlation_id=correlation_id,
        sequence=sequence,
    )


def request_declear(
    terms: EventTerms,
    named: Sequence[NamedTradeId],
    parties: Sequence[Party],
    *,
    source: str,
    message_id: str,
    at: datetime,
    ccp: str = "CCP",
    correlation_id: str | None = None,
    sequence: int = 1,
) -> bytes:
    """``requestClearing`` carrying ``deClear``: take the trade ``named`` out of clearing, on one line."""
    return _event_request(
        "requestClearing",
        lambda emit, ind, table: render.de_clear(emit, ind, named, terms, table),
        parties,
        source=source,
        message_id=message_id,
        at=at,
        ccp=ccp,
        correlation_id=correlation_id,
        sequence=sequence,
    )


def request_reference_update(
    named: Sequence[NamedTradeId],
    parties: Sequence[Party],
    *,
    source: str,
    message_id: str,
    at: datetime,
    ccp: str = "CCP",
    correlation_id: str | None = None,
    sequence: int = 1,
) -> bytes:
    """``requestTradeReferenceInformationUpdate``: the trade's id, then each party's new own id (``named``
    in that order), on one line."""
    return _event_request(
        "requestTradeReferenceInformationUpdate",
        lambda emit, ind, table: render.trade_reference_information(emit, ind, named, table),
        parties,
        source=source,
        message_id=message_id,
        at=at,
        ccp=ccp,
        correlation_id=correlation_id,
        sequence=sequence,
    )


def _header(emit: Emit, *, source: str, message_id: str, at: datetime, ccp: str) -> None:
    mid = text(xml_text(message_id, "header.messageId", coded=True))
    sent_by = text(xml_text(source, "header.sentBy", coded=True))
    send_to = text(xml_text(ccp, "header.sendTo", coded=True))
    created = timestamp_text(at, "header.creationTimestamp")
    emit(
        f'<header><messageId messageIdScheme="{schemes.MESSAGE_ID}">{mid}</messageId>'
        f'<sentBy messageAddressScheme="{schemes.PARTICIPANT}">{sent_by}</sentBy>'
        f'<sendTo messageAddressScheme="{schemes.PARTICIPANT}">{send_to}</sendTo>'
        f"<creationTimestamp>{created}</creationTimestamp></header>"
    )
