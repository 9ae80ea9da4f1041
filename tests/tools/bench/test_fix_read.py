"""``clearing-gateway bench fix-read``: it reads the good body into the swap and names every broken field."""

from __future__ import annotations

import importlib
import json

from typer.testing import CliRunner

from gateway.cli.app import app
from gateway.cli.main import _COMMAND_MODULES
from gateway.domain.trade import Trade
from gateway.formats.fix.dictionary import default
from gateway.formats.fix.trade_read import read_trade
from tools.bench.fix_read import body

for _module in _COMMAND_MODULES:
    importlib.import_module(_module)


def test_the_benchmark_body_is_the_swap_bench_fix_sends() -> None:
    trade = read_trade(body(), default())
    assert isinstance(trade, Trade)
    assert trade.identifiers.source_trade_id == "BENCH-1"
    assert [s.floating_index for s in trade.streams] == [None, "EUR-EURIBOR-Telerate"]


def test_bench_fix_read_reports_both_reads_and_the_named_issues() -> None:
    result = CliRunner().invoke(app, ["bench", "fix-read", "--reads", "20", "--repeat", "1"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["benchmark"] == "fix-read"
    assert figures["reads"] == 20
    assert figures["good_body_us"] > 0
    assert figures["broken_body_us"] > 0
    assert figures["broken_body_issues"] == [
        "FIX_INVALID_VALUE TradeCaptureReport.NoStreams[1].StreamNotional(40054): '5O000000' is not a decimal number",
        "FIX_INVALID_VALUE TradeCaptureReport.NoStreams[2].StreamNotional(40054): '5O000000' is not a decimal number",
        "FIX_INVALID_VALUE TradeCaptureReport.NoStreams[2].PaymentStreamDayCount(40742): "
        "'2' is not one of 0, 1, 4, 5, 6, 7, 8, 9, 11, 12, 14",
    ]
