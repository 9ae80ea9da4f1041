"""Writing the swap as FIX stream fields: the golden file, and what is written reads back as the trade."""

from __future__ import annotations

from hypothesis import given, settings

from gateway.domain.trade import Trade
from gateway.formats.fix.dictionary import default
from gateway.formats.fix.trade_read import read_trade
from gateway.formats.fix.trade_write import is_stream_expressible, trade_items
from gateway.formats.fix.wire import Out, frame, parse
from tests.channels.fix.script import GOLDEN, parse_pairs
from tests.strategies import irs_trades, vanilla_irs


def _body(trade: Trade) -> tuple[tuple[int, str], ...]:
    return tuple(Out("AE", tuple(trade_items(trade))).pairs())[1:]


def test_vanilla_trade_writes_its_golden_file() -> None:
    assert _body(vanilla_irs()) == parse_pairs((GOLDEN / "vanilla_trade.fix").read_text())


@settings(max_examples=25, deadline=None)
@given(irs_trades())
def test_an_expressible_trade_reads_back_as_written(trade: Trade) -> None:
    assert is_stream_expressible(trade)
    raw = frame(Out("AE", tuple(trade_items(trade))))
    assert read_trade(parse(raw, default()).body, default()) == trade
