"""Approved trade sources: who may submit ``requestClearing`` (an MQTT topic id, a FIX CompID).

A trade source is reference data beside the members. Its id is the topic level of its intake topic
``{root}/in/{id}/fpml`` and of its answers ``{root}/out/{id}/fpml``; its MQTT user name is the broker
principal that may write that intake topic (deploy ACL); an optional FIX CompID makes its FIX session a
source session (it reports trades between members). ``venue`` marks an execution venue: only a venue's
sub-block trades may skip the credit check (gateway/clearing/sub_block.py). Members are not sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.identifiers import check_segment
from gateway.domain.reasons import ReasonCode

# The gateway's own MQTT user: no trade source may take it (it reads every intake topic).
GATEWAY_USER = "gateway"


class SourceStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


def check_source_id(source_id: str, path: str = "source.source_id") -> str:
    """``source_id`` if it can be one topic level, else a refusal (REF_INVALID_SOURCE) saying why."""
    try:
        return check_segment(source_id)
    except ValueError as exc:
        raise InputRejected([Issue(ReasonCode.REF_INVALID_SOURCE, path, str(exc))]) from None


@dataclass(frozen=True, slots=True)
class TradeSource:
    """One approved trade source."""

    source_id: str
    mqtt_user: str
    fix_comp_id: str | None = None
    venue: bool = False
    party_id: str | None = None  # its LEI, when it has one
    status: SourceStatus = SourceStatus.ACTIVE
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        check_source_id(self.source_id)
        if not self.mqtt_user.strip() or any(c in self.mqtt_user for c in "\x00\n\r"):
            raise InputRejected.of(ReasonCode.REF_INVALID_INPUT, "source.mqtt_user", "MQTT user is empty")
        if any(c in self.mqtt_user for c in " \t"):
            # one token on an ACL ``user`` line
            raise InputRejected.of(
                ReasonCode.REF_INVALID_INPUT, "source.mqtt_user", f"{self.mqtt_user!r} contains whitespace"
            )
        if self.fix_comp_id is not None and not self.fix_comp_id.strip():
            raise InputRejected.of(ReasonCode.REF_INVALID_INPUT, "source.fix_comp_id", "CompID is empty")
        if self.party_id is not None and not self.party_id.strip():
            raise InputRejected.of(ReasonCode.REF_INVALID_INPUT, "source.party_id", "party id is empty")

    @property
    def is_active(self) -> bool:
        return self.status is SourceStatus.ACTIVE

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source_id,
            "mqtt_user": self.mqtt_user,
            "fix_comp_id": self.fix_comp_id,
            "venue": self.venue,
            "party_id": self.party_id,
            "status": self.status.value,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }
