"""One log line for every refused identity and every refused hostile input.

Operations search the log for ``refused``: each line names the channel the attempt came over, the
identity it claimed (MQTT topic id or user, FIX SenderCompID, operator, ``-`` when none was given) and
the reason code, then a short detail. The structured formats (gateway/logs.py) show it as the event
``refused`` with the fields ``channel``, ``identity``, ``reason`` and ``detail``; the record keeps them
as attributes (the code as ``reason_code``) for whoever filters records.
"""

from __future__ import annotations

import logging

from gateway.domain.reasons import ReasonCode
from gateway.logs import event

LOGGER_NAME = "gateway.security"
log = logging.getLogger(LOGGER_NAME)


def refused(channel: str, identity: str | None, reason: ReasonCode | str, detail: str = "") -> None:
    """Log one refusal: ``refused channel=<channel> identity=<identity> reason=<code>: <detail>``."""
    who = identity if identity else "-"
    code = str(reason)
    log.warning(
        "refused channel=%s identity=%s reason=%s: %s",
        channel,
        who,
        code,
        detail,
        extra=event("refused", channel=channel, identity=who, reason_code=code, detail=detail),
    )
