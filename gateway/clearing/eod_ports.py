"""What end of day keeps in the store: its progress by step, the NPV history, VM and PAI (``UnitOfWork.eod``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from gateway.clearing.margin_cycle import AccountKey, FeePaid, PaiFigure, TradeDay, TradeVm


class StepState(StrEnum):
    RUNNING = "running"  # started and not finished: the process died, or it is still running
    DONE = "done"
    SKIPPED = "skipped"  # nothing to do with this configuration (no valuer, no overnight rates)
    FAILED = "failed"  # refused with a reason (a missing fixing): the run stops there


FINISHED = frozenset({StepState.DONE, StepState.SKIPPED})


@dataclass(frozen=True, slots=True)
class EodStepRow:
    business_date: date
    step: str
    state: StepState
    started_at: datetime
    finished_at: datetime | None
    owner: str
    detail: str | None = None


class DayReports(Protocol):
    """The members' reports of a business date (``gateway.reports``): the ``reports`` step writes them."""

    async def write_day(self, business_date: date) -> int:
        """Every member's reports of the day and their notifications; returns how many members. Writing
        them again gives the same files."""
        ...


class EodRepository(Protocol):
    async def steps(self, business_date: date) -> list[EodStepRow]: ...

    async def start_step(self, business_date: date, step: str, owner: str, at: datetime) -> None:
        """The step marked running by ``owner`` (again, when a rerun or a resumed run takes it up)."""
        ...

    async def finish_step(
        self, business_date: date, step: str, state: StepState, at: datetime, detail: str | None
    ) -> None: ...

    async def put_npvs(self, business_date: date, npvs: Sequence[tuple[str, Decimal, str]]) -> None:
        """(CCP trade id, NPV, currency) of the day, replacing any of the same trades and day."""
        ...

    async def vm_inputs(self, business_date: date) -> list[TradeDay]:
        """Every trade side VM may concern on ``business_date`` (payments left at zero): the live cleared
        ones with the day's NPV if any, and those gone from clearing still carrying a non-zero NPV at their
        last VM; ``previous`` is the NPV of each one's last VM before that day."""
        ...

    async def fees(self, start: datetime, end: datetime) -> list[FeePaid]:
        """Fees of the lifecycle events confirmed after ``start`` and up to ``end``, per member side."""
        ...

    async def put_vm(self, business_date: date, rows: Sequence[TradeVm]) -> None:
        """The day's VM, replacing whatever the day had."""
        ...

    async def vm(self, business_date: date, member_id: str | None = None) -> list[TradeVm]: ...

    async def vm_balances(self, business_date: date) -> dict[AccountKey, Decimal]:
        """Cumulative VM per member, account and currency up to and including ``business_date``."""
        ...

    async def put_pai(self, business_date: date, figures: Sequence[PaiFigure]) -> None:
        """The day's PAI, replacing whatever the day had."""
        ...

    async def pai(self, business_date: date, member_id: str | None = None) -> list[PaiFigure]: ...
