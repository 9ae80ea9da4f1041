"""The standard position layout: one row per cleared trade, as the CCP reports it to a member.

Every reader turns its input into this layout and every writer writes it; see docs/RECON_FORMATS.md.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

# POSITION_COLUMNS, the sixteen standard columns in order, is the gateway's one list: its Position fields,
# the columns of its position file and of its database view member_positions.
from gateway.domain.clearing import LIFECYCLE_COLUMNS, POSITION_COLUMNS
from gateway.domain.enums import ClearingStatusCode

__all__ = [
    "DATE_COLUMNS",
    "DEFAULTABLE",
    "ECONOMIC_FIELDS",
    "ENDED_STATUSES",
    "LIFECYCLE_COLUMNS",
    "LIFECYCLE_DATES",
    "LIFECYCLE_NUMERIC",
    "MATCH_ECONOMICS",
    "NUMERIC_COLUMNS",
    "OPTIONAL_VALUES",
    "POSITION_COLUMNS",
    "STATUSES",
    "Direction",
]

NUMERIC_COLUMNS: Final[frozenset[str]] = frozenset({"notional", "fixed_rate", "spread", "npv"})
DATE_COLUMNS: Final[frozenset[str]] = frozenset({"effective_date", "maturity_date"})
# Columns that may be empty in a row (the column itself must still be present; the lifecycle columns,
# after the standard ones, may be left out altogether).
OPTIONAL_VALUES: Final[frozenset[str]] = frozenset(
    {"trade_id", "uti", "fixed_rate", "floating_index", "index_tenor", "spread", "npv", *LIFECYCLE_COLUMNS}
)
# The lifecycle columns' types (a number and a date; ``last_event`` is text).
LIFECYCLE_NUMERIC: Final[frozenset[str]] = frozenset({"original_notional"})
LIFECYCLE_DATES: Final[frozenset[str]] = frozenset({"last_event_date"})
# Columns a member's own book may omit when the mapping gives a default (its own id, one account).
DEFAULTABLE: Final[frozenset[str]] = frozenset({"member", "account", "product"})

# Fields compared on a matched pair, and the break type each difference raises.
ECONOMIC_FIELDS: Final[tuple[str, ...]] = (
    "account",
    "product",
    "currency",
    "notional",
    "direction",
    "fixed_rate",
    "floating_index",
    "index_tenor",
    "spread",
    "effective_date",
    "maturity_date",
)
# The economics that pair rows carrying neither a CCP trade id nor a UTI.
MATCH_ECONOMICS: Final[tuple[str, ...]] = ECONOMIC_FIELDS


class Direction(StrEnum):
    """The member's side of the fixed leg (leg 1 of a basis swap)."""

    PAY = "PAY"
    RECEIVE = "RECEIVE"


# Status as the CCP reports it: the FpML clearingStatusScheme values.
STATUSES: Final[frozenset[str]] = frozenset(s.value for s in ClearingStatusCode)
# A trade no longer live after a lifecycle event: its notional may be zero.
ENDED_STATUSES: Final[frozenset[str]] = frozenset(
    {ClearingStatusCode.TERMINATED.value, ClearingStatusCode.DEREGISTERED.value}
)
