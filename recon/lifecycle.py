"""Breaks a lifecycle event explains: the CCP's row shows an event on or after the book's date that the
member's book does not carry yet. Pure, on the breaks ``engine.reconcile`` found and the CCP's rows.

A break on a trade whose CCP row has ``last_event`` on or after the business date is a lifecycle break
(``LIFECYCLE_<KIND>_NOT_BOOKED``, the kind the event's) when it is what the event changed:

- the status: the CCP's row is Terminated or Deregistered, the member's not (a termination, a de-clear, or
  the old sides of an amendment);
- the notional of a live CCP row: the member's equals the CCP's ``original_notional`` (a partial
  termination, an increase);
- the trade itself: the CCP's new sides of an amendment, missing at the member.

One break per trade and event is kept (the status's, else the notional's): its other breaks on status,
notional and NPV are what the event did, not breaks of their own. A pair on which both books show the same
ended status (the member booked the event) has no break on notional or NPV either: a side the event ended
is no position to value.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl

from recon.layout import ENDED_STATUSES

# The CCP's ``last_event`` value -> the kind in the break type's name.
KINDS: Final[dict[str, str]] = {
    "Termination": "TERMINATION",
    "Increase": "INCREASE",
    "DeClear": "DECLEAR",
    "Amendment": "AMENDMENT",
}
CONSEQUENCES: Final[tuple[str, ...]] = ("status", "notional", "npv")


def classify(breaks: pl.DataFrame, ccp: pl.DataFrame, business_date: date) -> pl.DataFrame:
    """``breaks`` (the engine's columns, without ``break_id``) with the lifecycle breaks reclassified and
    their consequences dropped; ``ccp``: the CCP's rows (standard and lifecycle columns)."""
    if breaks.height == 0 or "last_event" not in ccp.columns:
        return breaks
    rows = ccp.select(
        pl.col("trade_id").alias("_tid"),
        pl.col("status").alias("_status"),
        pl.col("last_event").alias("_event"),
        pl.col("last_event_date").alias("_on"),
        pl.col("original_notional").alias("_original"),
    ).unique(subset="_tid", keep="first")
    joined = breaks.with_row_index("_n").join(rows, left_on="trade_id", right_on="_tid", how="left")
    ended = pl.col("_status").is_in(list(ENDED_STATUSES)).fill_null(False)
    recent = pl.col("_event").is_in(list(KINDS)).fill_null(False) & (
        pl.col("_on") >= business_date
    ).fill_null(False)
    member_notional = pl.col("member_value").cast(pl.Float64, strict=False)
    explained = recent & (
        ((pl.col("break_type") == "STATUS_MISMATCH") & ended)
        | (
            (pl.col("break_type") == "ECONOMIC_MISMATCH")
            & (pl.col("field") == "notional")
            & ~ended
            & ((member_notional - pl.col("_original")).abs() < 0.005).fill_null(False)
        )
        | ((pl.col("break_type") == "MISSING_AT_MEMBER") & (pl.col("_event") == "Amendment"))
    )
    joined = joined.with_columns(explained.alias("_explained"))
    # one lifecycle break per trade: the status's first, then the notional's, then the missing trade's
    rank = (
        pl.when(pl.col("field") == "status").then(0).when(pl.col("field") == "notional").then(1).otherwise(2)
    )
    chosen = (
        joined.filter(pl.col("_explained"))
        .with_columns(rank.alias("_rank"))
        .sort(["trade_id", "_rank"])
        .unique(subset="trade_id", keep="first", maintain_order=True)
    )
    lifecycle_ids = set(chosen["trade_id"].to_list())
    agreed_ended = set(joined.filter(ended & pl.col("trade_id").is_not_null())["trade_id"].to_list()) - set(
        joined.filter(pl.col("break_type") == "STATUS_MISMATCH")["trade_id"].to_list()
    )
    consequence = pl.col("field").is_in(list(CONSEQUENCES)) & pl.col("break_type").is_in(
        ["STATUS_MISMATCH", "ECONOMIC_MISMATCH", "VALUATION_MISMATCH"]
    )
    dropped = (
        (pl.col("trade_id").is_in(list(lifecycle_ids)) & consequence)
        | (
            pl.col("trade_id").is_in(list(agreed_ended))
            & pl.col("field").is_in(["notional", "npv"])
            & consequence
        )
        | pl.col("_n").is_in(chosen["_n"].to_list())
    )
    kept = joined.filter(~dropped.fill_null(False))
    reclassified = chosen.with_columns(
        (
            pl.lit("LIFECYCLE_")
            + pl.col("_event").replace_strict(KINDS, default="EVENT")
            + pl.lit("_NOT_BOOKED")
        ).alias("break_type"),
        pl.format(
            "the CCP's {} of {} is not in the member's book ({})",
            pl.col("_event"),
            pl.col("_on").cast(pl.String),
            pl.when(pl.col("field").is_not_null())
            .then(pl.format("{} differs", pl.col("field")))
            .otherwise(pl.lit("the trade it created is missing")),
        ).alias("message"),
    )
    columns = ["_n", *breaks.columns]
    out = pl.concat([kept.select(columns), reclassified.select(columns)], how="vertical")
    return out.sort("_n").select(breaks.columns)
