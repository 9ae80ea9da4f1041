"""The MQTT topic scheme, written once; docs/TOPICS.md describes it for participants.

``ccp/in/{source}/fpml``      a trade source publishes requestClearing / requestClearingRetracted
``ccp/out/{source}/fpml``     the CCP answers that source: acknowledgement, statuses, confirmed/refused,
                              messageRejected for input it could not read
``ccp/member/{member}/fpml``   every status of a trade a clearing member is party to

Identifiers become single topic levels, so they may not contain ``/``, ``+``, ``#`` or NUL and may
not be empty; the broker's ACL grants each principal its own levels only (deploy/mosquitto).
"""

from __future__ import annotations

from gateway.clearing.ports import OutboxItem, RecipientRole

INTAKE_FILTER = "ccp/in/+/fpml"
_FORBIDDEN = frozenset("/+#\x00")


def check_segment(name: str) -> str:
    """Return ``name`` if it can be one topic level, else raise ``ValueError`` saying why."""
    if not name:
        raise ValueError("a topic level may not be empty")
    bad = sorted(set(name) & _FORBIDDEN)
    if bad:
        raise ValueError(f"{name!r} contains {', '.join(repr(c) for c in bad)}, not allowed in a topic level")
    if name.startswith("$"):
        raise ValueError(f"{name!r} starts with '$', reserved for broker topics")
    return name


def intake_topic(source: str) -> str:
    return f"ccp/in/{check_segment(source)}/fpml"


def source_status_topic(source: str) -> str:
    return f"ccp/out/{check_segment(source)}/fpml"


def member_status_topic(member: str) -> str:
    return f"ccp/member/{check_segment(member)}/fpml"


def source_of_intake_topic(topic: str) -> str | None:
    """The source id of an intake topic, or None if ``topic`` is not one."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == "ccp" and parts[1] == "in" and parts[3] == "fpml" and parts[2]:
        return parts[2]
    return None


def topic_for(item: OutboxItem) -> str:
    """Where an outbox item is published."""
    if item.role is RecipientRole.SOURCE:
        return source_status_topic(item.recipient)
    return member_status_topic(item.recipient)
