"""The MQTT topic scheme, written once; docs/TOPICS.md describes it for participants.

``{root}/in/{source}/fpml``       a trade source publishes requestClearing / requestClearingRetracted
``{root}/out/{source}/fpml``      the CCP answers that source: acknowledgement, statuses, confirmed/refused,
                                 messageRejected for input it could not read
``{root}/member/{member}/fpml``   every status of a trade a clearing member is party to
``{root}/member/{member}/reports``  the member's daily reports are written (JSON: files and sha256)

``root`` is ``ccp`` unless configured (``mqtt.topic_root``: one broker for several environments, such
as ``uat/ccp``). Identifiers become single topic levels, so they may not contain ``/``, ``+``, ``#`` or
NUL and may not be empty; the broker's ACL grants each principal its own levels only (deploy/mosquitto).
"""

from __future__ import annotations

from functools import lru_cache

from gateway.clearing.ports import OutboxItem, RecipientRole
from gateway.domain.identifiers import check_segment

DEFAULT_ROOT = "ccp"


def intake_filter(root: str = DEFAULT_ROOT) -> str:
    return f"{root}/in/+/fpml"


@lru_cache(maxsize=4096)
def intake_topic(source: str, root: str = DEFAULT_ROOT) -> str:
    return f"{root}/in/{check_segment(source)}/fpml"


@lru_cache(maxsize=4096)  # the same few ids on every status: each checked once
def source_status_topic(source: str, root: str = DEFAULT_ROOT) -> str:
    return f"{root}/out/{check_segment(source)}/fpml"


@lru_cache(maxsize=4096)
def member_status_topic(member: str, root: str = DEFAULT_ROOT) -> str:
    return f"{root}/member/{check_segment(member)}/fpml"


@lru_cache(maxsize=4096)
def member_reports_topic(member: str, root: str = DEFAULT_ROOT) -> str:
    return f"{root}/member/{check_segment(member)}/reports"


def source_of_intake_topic(topic: str, root: str = DEFAULT_ROOT) -> str | None:
    """The source id of an intake topic, or None if ``topic`` is not one."""
    prefix = f"{root}/in/"
    if not topic.startswith(prefix) or not topic.endswith("/fpml"):
        return None
    source = topic[len(prefix) : -len("/fpml")]
    if not source or "/" in source:
        return None
    return source


def topic_for(item: OutboxItem, root: str = DEFAULT_ROOT) -> str:
    """Where an outbox item is published."""
    if item.role is RecipientRole.SOURCE:
        return source_status_topic(item.recipient, root)
    return member_status_topic(item.recipient, root)
