"""Coding-scheme URIs written in outgoing FpML, and the clearing-status mapping.

The gateway's own identifiers (messages, participants, trade ids, reason codes) use ``urn:clearing-gateway:*``
schemes, the same ones ``gateway.channels.mqtt.rejection`` writes, so a participant sees one vocabulary.
"""

from __future__ import annotations

import re
from functools import lru_cache
from types import MappingProxyType

from gateway.domain.enums import ClearingStatusCode

FPML_NS = "http://www.fpml.org/FpML-5/confirmation"
FPML_VERSION = "5-10"

MESSAGE_ID = "urn:clearing-gateway:message-id"
PARTICIPANT = "urn:clearing-gateway:participant"
CORRELATION_ID = "urn:clearing-gateway:correlation-id"
SOURCE_TRADE_ID = "urn:clearing-gateway:source-trade-id"
PARTY_TRADE_ID = "urn:clearing-gateway:party-trade-id"
ACCOUNT_ID = "urn:clearing-gateway:account"
REASON_CODE = "urn:clearing-gateway:reason-code"
TRADE_CATEGORY = "urn:clearing-gateway:trade-category"
PACKAGE_ID = "urn:clearing-gateway:package-id"

LEI = "http://www.fpml.org/coding-scheme/external/iso17442"
UTI = "http://www.fpml.org/coding-scheme/external/unique-transaction-identifier"
USI = "http://www.fpml.org/coding-scheme/external/unique-swap-identifier"
UTI_ISSUER = "http://www.fpml.org/coding-scheme/external/iso17442"
USI_ISSUER = "http://www.fpml.org/coding-scheme/external/cftc/issuer-identifier"
PRODUCT_TAXONOMY = "http://www.fpml.org/coding-scheme/product-taxonomy"

_LEI_RE = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")


@lru_cache(maxsize=4096)
def is_lei(value: str) -> bool:
    """True if ``value`` has the ISO 17442 shape (18 alphanumerics and two check digits)."""
    return _LEI_RE.fullmatch(value) is not None


USI_NAMESPACE_LENGTH = 10


def split_uti(uti: str) -> tuple[str | None, str]:
    """(issuer LEI, remainder) of an ISO 23897 UTI, or (None, uti) if it does not start with an LEI."""
    if len(uti) > 20 and is_lei(uti[:20]):
        return uti[:20], uti[20:]
    return None, uti


def split_usi(usi: str) -> tuple[str | None, str]:
    """(namespace, remainder) of a CFTC USI, or (None, usi) if it is too short to have both."""
    if len(usi) > USI_NAMESPACE_LENGTH:
        return usi[:USI_NAMESPACE_LENGTH], usi[USI_NAMESPACE_LENGTH:]
    return None, usi


CLEARING_STATUS: MappingProxyType[ClearingStatusCode, str] = MappingProxyType(
    {
        ClearingStatusCode.RECEIVED: "Received",
        ClearingStatusCode.PENDING: "Pending",
        ClearingStatusCode.AWAITING_ACCEPTANCE: "AwaitingAcceptance",
        ClearingStatusCode.ACCEPTED: "Accepted",
        ClearingStatusCode.REGISTERED: "Registered",
        # The scheme's word for a cleared (novated) trade is Registered.
        ClearingStatusCode.CLEARED: "Registered",
        ClearingStatusCode.REJECTED: "Rejected",
        ClearingStatusCode.WITHDRAWN: "Withdrawn",
        ClearingStatusCode.DEREGISTERED: "Deregistered",
        ClearingStatusCode.TERMINATED: "Terminated",
    }
)
"""``ClearingStatusCode`` -> ``clearingStatusValue`` (scheme http://www.fpml.org/coding-scheme/clearing-status)."""
