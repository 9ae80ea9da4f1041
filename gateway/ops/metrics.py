"""The gateway's Prometheus metrics, on a registry of their own (one per service instance)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from gateway.domain.enums import ClearingStatusCode

FINAL_STATUSES = frozenset(
    {ClearingStatusCode.CLEARED, ClearingStatusCode.REJECTED, ClearingStatusCode.WITHDRAWN}
)
# Seconds from receipt to the final decision: regulators ask for 10 s (EU) / 60 s (ASX); we aim at ms.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_MAX_TRACKED = 200_000


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    _received_at: dict[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        r = self.registry
        self.messages_in = Counter(
            "gateway_messages_in",
            "Inbound messages by channel and outcome (submitted, withdrawn, rejected, duplicate)",
            ["channel", "outcome"],
            registry=r,
        )
        self.statuses_out = Counter(
            "gateway_statuses_out",
            "Status messages delivered (broker PUBACK received) by channel and status",
            ["channel", "status"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "gateway_outbox_backlog",
            "Undelivered outbox items seen at the last poll",
            ["channel"],
            registry=r,
        )
        self.decision_latency = Histogram(
            "gateway_decision_latency_seconds",
            "Time from receipt of a trade to its final status",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.publish_failures = Counter(
            "gateway_publish_failures",
            "Publication attempts that failed and will be retried",
            ["channel"],
            registry=r,
        )

    def observe_status(self, submission_id: str, status: ClearingStatusCode, at: datetime) -> None:
        """Feed every delivered status once per submission; the final one closes the latency sample."""
        if status is ClearingStatusCode.RECEIVED:
            if len(self._received_at) < _MAX_TRACKED:
                self._received_at.setdefault(submission_id, at)
        elif status in FINAL_STATUSES:
            start = self._received_at.pop(submission_id, None)
            if start is not None:
                self.decision_latency.observe(max(0.0, (at - start).total_seconds()))

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
