"""``clearing-gateway bench fpml-write`` renders every message kind, valid, and prints its figures as JSON."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gateway.cli.app import app


@pytest.mark.official_fpml
def test_bench_fpml_write_prints_valid_figures_for_each_message_kind() -> None:
    import gateway.cli.cmd_fpml_out  # noqa: F401 - registers the command

    result = CliRunner().invoke(app, ["bench", "fpml-write", "--seconds", "0.1"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["benchmark"] == "fpml-write"
    kinds = figures["results"]
    assert set(kinds) == {"clearingAcknowledgement", "clearingStatus", "clearingConfirmed", "clearingRefused"}
    for kind, row in kinds.items():
        assert row["valid"] is True, kind
        assert row["messages"] >= 1
        assert row["bytes"] > 0
    per_trade = figures["per_trade"]
    assert per_trade["documents_per_trade"] == 6
    assert per_trade["valid"] is True
    assert per_trade["trades"] >= 1
