"""The intake's log events for each trade it hands to the clearing port, on every channel alike.

``intake.received``: the port stored the trade (or knew it already) and gave it a submission id, which
every later line of that trade (``clearing.*``) carries. ``intake.refused``: the port refused it; the
reason codes are the ones the sender is answered with.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from gateway.clearing.ports import StatusUpdate
from gateway.domain.errors import Issue
from gateway.domain.trade import Trade
from gateway.logs import event

log = logging.getLogger("gateway.intake")


def received(channel: str, update: StatusUpdate, message_id: str) -> None:
    """One INFO line: which trade from which source became which submission, and its status."""
    if not log.isEnabledFor(logging.INFO):  # the hot path: nothing is built for a line nobody sees
        return
    ids = update.trade.identifiers
    log.info(
        "%s trade %s from %s received as %s (%s)",
        channel,
        ids.source_trade_id,
        update.source,
        update.submission_id,
        update.status.value,
        extra=event(
            "intake.received",
            channel=channel,
            source=update.source,
            message_id=message_id,
            trade_id=ids.source_trade_id,
            uti=ids.uti,
            submission_id=update.submission_id,
            status=update.status.value,
        ),
    )


def refused(channel: str, source: str, trade: Trade | None, message_id: str, issues: Sequence[Issue]) -> None:
    """One INFO line: a trade the clearing port would not store, with every reason code."""
    if not log.isEnabledFor(logging.INFO):
        return
    codes = [str(i.code) for i in issues]
    trade_id = trade.identifiers.source_trade_id if trade is not None else None
    log.info(
        "%s message %s from %s refused: %s",
        channel,
        message_id,
        source,
        ", ".join(codes),
        extra=event(
            "intake.refused",
            channel=channel,
            source=source,
            message_id=message_id,
            trade_id=trade_id,
            uti=trade.identifiers.uti if trade is not None else None,
            reasons=codes,
        ),
    )
