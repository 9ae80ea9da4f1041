"""Live state of each component the gateway depends on, as ``GET /healthz`` reports it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from gateway.clock import Clock


class State(StrEnum):
    STARTING = "starting"
    UP = "up"
    DOWN = "down"
    DISABLED = "disabled"


@dataclass
class Component:
    state: State = State.STARTING
    detail: str = ""
    since: datetime | None = None


@dataclass
class Health:
    """Components set their own state; the service is healthy when none is starting or down."""

    clock: Clock
    components: dict[str, Component] = field(default_factory=dict)

    def set(self, name: str, state: State, detail: str = "") -> None:
        current = self.components.get(name)
        if current is None or current.state is not state or current.detail != detail:
            self.components[name] = Component(state, detail, self.clock.now())

    def up(self, name: str, detail: str = "") -> None:
        self.set(name, State.UP, detail)

    def down(self, name: str, detail: str) -> None:
        self.set(name, State.DOWN, detail)

    @property
    def healthy(self) -> bool:
        return all(c.state in (State.UP, State.DISABLED) for c in self.components.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy else "degraded",
            "components": {
                name: {
                    "state": c.state.value,
                    "detail": c.detail,
                    "since": c.since.isoformat() if c.since else None,
                }
                for name, c in sorted(self.components.items())
            },
        }
