"""FpML 5.10 writer: canonical trades and clearing statuses as confirmation-view documents.

Pure functions, no I/O: ``status_update_to_fpml`` is what the publishers call for each outbox item. One
implementation, written as text (``render``); the lxml reference it is checked against lives in tests.
"""

from gateway.formats.fpml.write.messages import (
    clearing_acknowledgement,
    clearing_confirmed,
    clearing_refused,
    clearing_status,
)
from gateway.formats.fpml.write.render import trade_document
from gateway.formats.fpml.write.schemes import CLEARING_STATUS
from gateway.formats.fpml.write.status import CcpIdentity, status_update_to_fpml, with_ccp_trade_id
from gateway.formats.fpml.write.xml import FpmlWriteError

__all__ = [
    "CLEARING_STATUS",
    "CcpIdentity",
    "FpmlWriteError",
    "clearing_acknowledgement",
    "clearing_confirmed",
    "clearing_refused",
    "clearing_status",
    "status_update_to_fpml",
    "trade_document",
    "with_ccp_trade_id",
]
