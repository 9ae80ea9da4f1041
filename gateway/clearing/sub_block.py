"""Whether a trade's sub-block flag is honoured: pure, no I/O, a few comparisons.

``partyTradeInformation/category = SubBlock`` lets a trade skip the credit check only when it is true:
the submission came from a trade source registered as a venue, and every stream's largest notional is
below the block threshold of its currency and the trade's product class (``[block_thresholds]`` in the
clearing settings). Otherwise the trade is credit checked, and the issue returned here says why the
flag was not honoured (RISK_SUB_BLOCK_NOT_HONOURED) on the status the trade gets.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.rules.settings import BlockThresholds

PATH = "tradeHeader.partyTradeInformation.category"


@dataclass(frozen=True, slots=True)
class SubBlockDecision:
    skip_credit_check: bool
    reason: Issue | None = None  # why a sub-block flag was not honoured (None: no flag, or honoured)


NO_FLAG = SubBlockDecision(skip_credit_check=False)
HONOURED = SubBlockDecision(skip_credit_check=True)


def decide_sub_block(trade: Trade, *, from_venue: bool, thresholds: BlockThresholds) -> SubBlockDecision:
    if not trade.sub_block:
        return NO_FLAG
    if not from_venue:
        return _not_honoured("the submitting source is not a registered venue")
    product = trade.product.value
    for stream in trade.streams:
        largest = max((stream.notional, *(step.value for step in stream.notional_steps)))
        limit = thresholds.threshold(stream.currency, product)
        if limit is None:
            return _not_honoured(f"no block threshold for {stream.currency} {product}")
        if largest >= limit:
            return _not_honoured(
                f"notional {largest:,.0f} {stream.currency} is not below the {product} block threshold {limit:,.0f}"
            )
    return HONOURED


def _not_honoured(why: str) -> SubBlockDecision:
    return SubBlockDecision(
        skip_credit_check=False,
        reason=Issue(
            ReasonCode.RISK_SUB_BLOCK_NOT_HONOURED, PATH, f"SubBlock not honoured: {why}; credit checked"
        ),
    )
