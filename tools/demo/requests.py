"""What a trade source sends: ``requestClearing`` / ``requestClearingRetracted`` FpML for a canonical trade.

Built with the gateway's own FpML trade writer, so the simulated source of the demo and the benchmark
speaks exactly the confirmation-view FpML 5.10 a real affirmation platform would.
"""

from __future__ import annotations

from datetime import datetime

from gateway.domain.trade import Trade
from gateway.formats.fpml.write import schemes
from gateway.formats.fpml.write.parties import PartyTable
from gateway.formats.fpml.write.trade import write_trade
from gateway.formats.fpml.write.xml import root, sub, timestamp_text, to_bytes


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
    """One trade's clearing request (or its retraction) from ``source`` to ``ccp``."""
    doc = root("requestClearingRetracted" if retracted else "requestClearing")
    header = sub(doc, "header")
    sub(header, "messageId", message_id, messageIdScheme=schemes.MESSAGE_ID)
    sub(header, "sentBy", source, messageAddressScheme=schemes.PARTICIPANT)
    sub(header, "sendTo", ccp, messageAddressScheme=schemes.PARTICIPANT)
    sub(header, "creationTimestamp", timestamp_text(at, "header.creationTimestamp"))
    if not retracted:  # a retraction is a non-correctable message: no isCorrection
        sub(doc, "isCorrection", "true" if correction else "false")
    sub(
        doc,
        "correlationId",
        trade.identifiers.source_trade_id,
        correlationIdScheme=schemes.CORRELATION_ID,
    )
    sub(doc, "sequenceNumber", str(sequence))
    parties = PartyTable()
    write_trade(doc, trade, parties, source=source)
    parties.write(doc)
    return to_bytes(doc, pretty=False)
