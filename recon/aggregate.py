"""Aggregate position breaks: the member's net notional per currency, floating index and maturity bucket
against the CCP's.

Net notional: the open (``Cleared``) rows' notional, positive where the member receives the fixed leg
(leg 1 of a basis swap), negative where it pays. A bucket holds the rows whose maturity falls after its
lower edge and on or before its upper edge, the edges counted from the business date (``1Y``: one year
after it). A bucket differing by more than the tolerance is an ``AGGREGATE_NOTIONAL_MISMATCH`` naming the
bucket and both figures; a bucket only one side has is compared with zero (docs/RECON_FORMATS.md).
"""

from __future__ import annotations

import calendar
import itertools
import re
from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl

from recon.figures import FIGURE_BREAK_COLUMNS
from recon.layout import Direction
from recon.tolerances import Tolerance

AGGREGATE_BREAK: Final = "AGGREGATE_NOTIONAL_MISMATCH"
DEFAULT_BUCKETS: Final[tuple[str, ...]] = ("1Y", "2Y", "5Y", "10Y", "30Y")
_TENOR = re.compile(r"^(\d+)([MY])$")
_OPEN = "Cleared"
_NO_INDEX = "-"  # the key of rows without a floating index


@dataclass(frozen=True, slots=True)
class MaturityBuckets:
    """Bucket edges as tenors from the business date (months ``M`` or years ``Y``), strictly increasing."""

    edges: tuple[str, ...] = DEFAULT_BUCKETS

    def __post_init__(self) -> None:
        months = [_months(e) for e in self.edges]
        if not months or any(b <= a for a, b in itertools.pairwise(months)) or months[0] <= 0:
            raise ValueError(f"bucket edges must be increasing tenors like 1Y,2Y,5Y (got {list(self.edges)})")

    @classmethod
    def parse(cls, text: str) -> MaturityBuckets:
        """``"1Y,2Y,5Y"`` (a ``ValueError`` naming the rule otherwise)."""
        return cls(tuple(part.strip().upper() for part in text.split(",") if part.strip()))

    @property
    def labels(self) -> list[str]:
        lower = ["0", *self.edges]
        return [f"{a}-{b}" for a, b in zip(lower, self.edges, strict=False)] + [f"{self.edges[-1]}+"]

    def edge_days(self, business_date: date) -> list[int]:
        return [(_add_months(business_date, _months(e)) - business_date).days for e in self.edges]


def aggregate_breaks(
    member: pl.DataFrame,
    ccp: pl.DataFrame,
    business_date: date,
    buckets: MaturityBuckets,
    tolerance: Tolerance,
    sources: tuple[str, str],
) -> pl.DataFrame:
    """The aggregate breaks of two books in the standard layout (FIGURE_BREAK_COLUMNS)."""
    left = _net(member, business_date, buckets).rename({"net": "member_net"})
    right = _net(ccp, business_date, buckets).rename({"net": "ccp_net"})
    keys = ["currency", "index", "bucket"]
    both = left.join(right, on=keys, how="full", coalesce=True).with_columns(
        pl.col("member_net").fill_null(0.0), pl.col("ccp_net").fill_null(0.0)
    )
    diff = pl.col("member_net") - pl.col("ccp_net")
    limit = tolerance.abs + tolerance.rel * pl.col("ccp_net").abs()
    found = both.filter(diff.abs() > limit).sort(keys)
    text_of = {"member_net": "member_value", "ccp_net": "ccp_value"}
    return found.select(
        pl.lit(AGGREGATE_BREAK).alias("break_type"),
        pl.format("aggregate:currency={}:index={}:bucket={}", *keys).alias("key"),
        pl.lit(None, pl.String).alias("trade_id"),
        pl.lit(None, pl.String).alias("uti"),
        pl.lit("notional").alias("field"),
        *(_amount(pl.col(c)).alias(name) for c, name in text_of.items()),
        diff.alias("difference"),
        pl.lit(f"{sources[0]} / {sources[1]}").alias("source_file"),
        pl.lit(None, pl.Int64).alias("source_row"),
        pl.format(
            "net notional {} {} maturing {}: member {}, CCP {}",
            "currency",
            "index",
            "bucket",
            _amount(pl.col("member_net")),
            _amount(pl.col("ccp_net")),
        ).alias("message"),
    ).select(FIGURE_BREAK_COLUMNS)


def _net(book: pl.DataFrame, business_date: date, buckets: MaturityBuckets) -> pl.DataFrame:
    open_rows = book.filter(pl.col("status") == _OPEN)
    sign = pl.when(pl.col("direction") == Direction.PAY.value).then(-1.0).otherwise(1.0)
    days = (pl.col("maturity_date") - pl.lit(business_date)).dt.total_days()
    return (
        open_rows.select(
            "currency",
            pl.col("floating_index").fill_null(_NO_INDEX).alias("index"),
            days.cut(buckets.edge_days(business_date), labels=buckets.labels).cast(pl.String).alias("bucket"),
            (pl.col("notional") * sign).alias("net"),
        )
        .group_by(["currency", "index", "bucket"])
        .agg(pl.col("net").sum())
    )


def _amount(expr: pl.Expr) -> pl.Expr:
    return expr.round(2).cast(pl.String)


def _months(tenor: str) -> int:
    found = _TENOR.match(tenor)
    if found is None:
        raise ValueError(f"bucket edge {tenor!r} is not a tenor in months or years (6M, 1Y)")
    n = int(found.group(1))
    return n * 12 if found.group(2) == "Y" else n


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
