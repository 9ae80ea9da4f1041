"""A process that dies in the middle of end of day: run by tests/clearing/test_eod_cycle.py and killed.

``python -m tests.clearing.eod_victim URL RATES``: end of day of Wednesday on the database at URL, whose VM
step opens its transaction, deletes the day's rows, says ``vm-open`` and waits there to be killed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from gateway.clearing import eod
from gateway.clearing.eod_ports import StepState
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.refdata.overnight import CsvOvernightRates
from gateway.store import create_engine
from gateway.store.clearing_store import SqlClearingStore
from tests.clearing.conftest import OPEN_NOW, TODAY
from tests.clearing.doubles import SeriesMargin

AFTER_CLOSE = OPEN_NOW.replace(hour=10, minute=30)  # 21:30 in Sydney


async def _stuck_vm(svc: Any, run: Any) -> tuple[StepState, str | None]:
    async with svc.writing(outbox=False) as uow:
        await uow.eod.put_vm(run.business_date, [])
        print("vm-open", flush=True)
        await asyncio.sleep(600)
    return StepState.DONE, None


async def main(url: str, rates: Path) -> None:
    from tests.clearing.test_eod_cycle import SERIES

    engine = create_engine(url)
    svc = ClearingService(
        engine,
        SeriesMargin(SERIES),
        clock=FixedClock(AFTER_CLOSE),
        store=SqlClearingStore(engine),
        overnight_rates=CsvOvernightRates.load(rates),
        eod_owner="victim",
    )
    await eod.end_of_day(svc, TODAY, drain=False, steps={**eod.STEP_FUNCTIONS, "vm": _stuck_vm})


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
