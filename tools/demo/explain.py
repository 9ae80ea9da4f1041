"""Why the demo counts many statuses for few trades: who received which, per recipient and for one trade.

Pure: reads what the observer filed, ``(trade id, Seen)`` pairs, and groups them by where they arrived (a
topic on the broker or a member's FIX session). Every status is counted once, under one recipient, so the
recipients' counts add up to the total.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.demo.observer import Channel, Seen, channel_of

if TYPE_CHECKING:
    from tools.demo.runner import TradeResult


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where statuses arrive: a participant on one channel."""

    participant: str  # the trade source's or member's id
    channel: Channel
    where: str  # the MQTT topic, or the FIX session's CompID

    @property
    def role(self) -> str:
        if self.channel is Channel.FIX:
            return "member's FIX session"
        return "trade source" if self.where.split("/")[-3:-2] == ["out"] else "member"


def recipient_of(where: str, fix_members: Mapping[str, str]) -> Recipient:
    """``ccp/out/{source}/fpml``, ``ccp/member/{member}/fpml`` (any topic root), or ``fix:{CompID}``
    (``fix_members``: CompID -> member id)."""
    channel = channel_of(where)
    if channel is Channel.FIX:
        comp_id = where.split(":", 1)[1]
        return Recipient(fix_members.get(comp_id, comp_id), channel, comp_id)
    levels = where.split("/")
    return Recipient(levels[-2], channel, where)


@dataclass(frozen=True, slots=True)
class RecipientCount:
    recipient: Recipient
    by_status: tuple[tuple[str, int], ...]  # (status, how many), in the order a trade goes through them

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_status)


_ORDER = (
    "Received",
    "PendingNew",
    "AwaitingAcceptance",
    "Accepted",
    "Pending",
    "Cleared",
    "Refused",
    "Rejected",
    "messageRejected",
)


def _rank(status: str) -> tuple[int, str]:
    return (_ORDER.index(status) if status in _ORDER else len(_ORDER), status)


def _order(r: Recipient) -> tuple[bool, str, bool]:
    return (r.role != "trade source", r.participant, r.channel is Channel.FIX)


def _label(seen: Seen) -> str:
    return f"{seen.kind} {seen.label}" if seen.channel is Channel.FIX else seen.label


def per_recipient(
    seen: Iterable[tuple[str, Seen]], fix_members: Mapping[str, str]
) -> tuple[RecipientCount, ...]:
    """Statuses per recipient: the trade source first, then each member's topic and FIX session."""
    counts: dict[str, Counter[str]] = {}
    for _, s in seen:
        counts.setdefault(s.topic, Counter())[_label(s)] += 1
    out = [
        RecipientCount(
            recipient_of(where, fix_members),
            tuple(sorted(c.items(), key=lambda item: _rank(item[0].split(" ")[-1]))),
        )
        for where, c in counts.items()
    ]
    return tuple(sorted(out, key=lambda c: _order(c.recipient)))


def sequence(
    seen: Iterable[tuple[str, Seen]], trade_id: str, fix_members: Mapping[str, str]
) -> tuple[tuple[Recipient, tuple[str, ...]], ...]:
    """What each recipient received for ``trade_id``, in order, with the reasons of each status."""
    steps: dict[str, list[str]] = {}
    for tid, s in seen:
        if tid != trade_id:
            continue
        label = _label(s)
        reasons = [c for c in s.codes if not c.startswith("FIX ")]  # a FIX text is long: the topic has codes
        steps.setdefault(s.topic, []).append(f"{label} ({', '.join(reasons)})" if reasons else label)
    ordered = [(recipient_of(where, fix_members), tuple(labels)) for where, labels in steps.items()]
    return tuple(sorted(ordered, key=lambda item: _order(item[0])))


def worked_trade(results: Iterable[TradeResult]) -> TradeResult | None:
    """The trade that shows most: the first one that waited (Pending) and then cleared, else the first
    that waited, else the first cleared."""
    done = tuple(results)
    waited = [r for r in done if any(s.endswith("Pending") for s in r.statuses)]
    return next(
        (r for r in waited if r.outcome == "cleared"),
        next(iter(waited), next((r for r in done if r.outcome == "cleared"), None)),
    )
