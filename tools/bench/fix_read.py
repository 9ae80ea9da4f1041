"""``clearing-gateway bench fix-read``: one TradeCaptureReport body read into the canonical trade.

The body is the one ``bench fix`` sends (a 10-year EUR fixed/float swap, two streams, two sides), parsed
once; each read is ``read_trade`` on it, timed with ``timeit`` (best of ``repeat`` runs of ``reads``
reads, so load from elsewhere counts as little as it can). The broken body has a letter O for a zero in
both notionals and an unknown day count on the second stream: its read is the refusal, every issue named.
"""

from __future__ import annotations

import timeit
from dataclasses import dataclass

from gateway.domain.errors import InputRejected, Issue
from gateway.formats.fix.dictionary import default
from gateway.formats.fix.trade_read import read_trade
from gateway.formats.fix.wire import SOH, FieldSet, parse
from tools.bench.fix import BENCH_TRADE_BODY

HEAD = "35=AE|49=MEMBER1|56=CCP|34=2|52=20260105-09:00:00.000|571=B1|487=0|856=0|60=20260105-09:00:00.000|"
TARGET_US = 45.0  # per good body: no slower than the direct reader it replaced (38 us) by much
BROKEN = {"40054=50000000": "40054=5O000000", "40742=6": "40742=2"}


def body(text: str = BENCH_TRADE_BODY) -> FieldSet:
    """``text`` (``|`` for SOH) as the parsed body of an AE, as the handlers get it."""
    inner = (HEAD + text).replace("|", SOH)
    return parse(f"8=FIXT.1.1{SOH}9={len(inner.encode())}{SOH}{inner}10=000{SOH}", default()).body


def broken_body() -> FieldSet:
    text = BENCH_TRADE_BODY
    for good, bad in BROKEN.items():
        text = text.replace(good, bad)
    return body(text)


def refusal(fs: FieldSet) -> tuple[Issue, ...]:
    try:
        read_trade(fs, default())
    except InputRejected as exc:
        return exc.issues
    raise RuntimeError("the broken body was read as a trade")


@dataclass(frozen=True, slots=True)
class FixReadResult:
    reads: int
    repeat: int
    good_us: float
    broken_us: float
    broken_issues: tuple[Issue, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "benchmark": "fix-read",
            "reads": self.reads,
            "repeat": self.repeat,
            "good_body_us": round(self.good_us, 1),
            "broken_body_us": round(self.broken_us, 1),
            "broken_body_issues": [f"{i.code.value} {i.path}: {i.message}" for i in self.broken_issues],
            "target_good_body_us": TARGET_US,
            "meets_target": self.good_us <= TARGET_US,
        }


def run(reads: int = 3000, repeat: int = 5) -> FixReadResult:
    good, broken, d = body(), broken_body(), default()
    read_trade(good, d)  # fills the caches of dates, decimals and periods, as a running acceptor has them
    issues = refusal(broken)

    def best(fn: object) -> float:
        return min(timeit.repeat(fn, number=reads, repeat=repeat)) / reads * 1e6  # type: ignore[arg-type]

    return FixReadResult(
        reads=reads,
        repeat=repeat,
        good_us=best(lambda: read_trade(good, d)),
        broken_us=best(lambda: refusal(broken)),
        broken_issues=issues,
    )
