"""What the clearing service's parts (``receipt``, ``pretrade``, ``clearing_pass``, ``eod``) use of it.

The parts are functions of the service's state; they name it by this protocol, not by
``gateway.clearing.service.ClearingService``, so the service imports its parts and nothing imports back
(``lint-imports``: no cycle inside ``gateway.clearing``). ``ClearingService`` satisfies it (mypy checks
each call that passes it).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from gateway.clearing import decide
from gateway.clearing.call_ports import CallStore
from gateway.clearing.calls import CallSettings
from gateway.clearing.credit import CreditChecker
from gateway.clearing.eod_ports import DayReports
from gateway.clearing.margin_cycle import OvernightRates, OvernightRatesSource
from gateway.clearing.ports import ClearingStore, StatusUpdate, Submission, UnitOfWork
from gateway.clock import Clock
from gateway.domain.trade import Trade
from gateway.refdata.fx import FxRates
from gateway.rules.hours import ServiceHours
from gateway.rules.products import ProductTable
from gateway.rules.settings import ClearingSettings


class ClearingContext(Protocol):
    """The service's state and services, as its parts reach them."""

    store: ClearingStore
    credit: CreditChecker | None
    clock: Clock
    settings: ClearingSettings
    products: ProductTable
    fx: FxRates
    hours: ServiceHours
    due_work: asyncio.Event
    pass_lock: asyncio.Lock
    submit_lock: asyncio.Lock
    submit_queue: list[tuple[Submission, asyncio.Future[StatusUpdate]]]
    trades_seen: OrderedDict[int, Trade]
    is_approved_source: Callable[[str], bool]
    eod_owner: str  # who runs end of day, as ``eod_runs`` records it
    overnight_rates: OvernightRates | OvernightRatesSource | None  # PAI's rates; None: no PAI
    calls: CallStore | None  # margin calls; None: none issued
    call_settings: CallSettings
    on_flags: Callable[[dict[str, int]], None] | None  # members with calls overdue, and how many
    reports: DayReports | None  # the members' daily reports; None: no report directory configured

    def writing(self, *, outbox: bool = True) -> AbstractAsyncContextManager[UnitOfWork]: ...

    def policy(self) -> decide.Policy: ...

    def checker(self) -> CreditChecker: ...

    def remember_trade(self, row_id: int, trade: Trade) -> None: ...

    def remember_cleared(self, row_id: int, cleared: tuple[Trade, Trade]) -> None: ...

    async def drain(self, batch: int = 200) -> int: ...
