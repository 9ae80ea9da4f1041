"""The demo's clock: a chosen business-day morning that then advances with real time.

The demo can run on a weekend or at night and still show a trading day inside service hours.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta


class ShiftedClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the start must be timezone-aware")
        self._start = start
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)
