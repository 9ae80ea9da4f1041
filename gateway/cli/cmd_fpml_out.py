"""``clearing-gateway bench fpml-write``: how fast status updates become the FpML messages published."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Annotated, Any

import typer

from gateway.cli.app import bench_app


def _sample_updates() -> dict[str, Any]:
    """One status update per message kind, for a 10-year A$ swap between two members."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from gateway.clearing.novation import novate
    from gateway.clearing.ports import Channel, StatusUpdate
    from gateway.domain import (
        BusinessDayConvention,
        DateAdjustment,
        DayCount,
        Party,
        Period,
        PeriodUnit,
        ProductClass,
        Stream,
        Trade,
        TradeIdentifiers,
    )
    from gateway.domain.enums import ClearingStatusCode
    from gateway.domain.errors import Issue
    from gateway.domain.reasons import ReasonCode

    sydney = DateAdjustment(BusinessDayConvention.MODFOLLOWING, ("AUSY",))
    a, b = "549300VBWWV6BYQOWM67", "529900DTJ5A7S5UCBB52"
    common: dict[str, Any] = {
        "notional": Decimal(100_000_000),
        "currency": "AUD",
        "effective_date": date(2026, 3, 18),
        "termination_date": date(2036, 3, 18),
        "calculation_adjustment": sydney,
        "payment_adjustment": sydney,
        "termination_date_adjustment": sydney,
    }
    fixed = Stream(
        payer=a,
        receiver=b,
        day_count=DayCount.ACT_365_FIXED,
        calculation_frequency=Period(6, PeriodUnit.MONTH),
        payment_frequency=Period(6, PeriodUnit.MONTH),
        fixed_rate=Decimal("0.0425"),
        **common,
    )
    floating = Stream(
        payer=b,
        receiver=a,
        day_count=DayCount.ACT_365_FIXED,
        calculation_frequency=Period(6, PeriodUnit.MONTH),
        payment_frequency=Period(6, PeriodUnit.MONTH),
        reset_frequency=Period(6, PeriodUnit.MONTH),
        floating_index="AUD-BBR-BBSW",
        index_tenor=Period(6, PeriodUnit.MONTH),
        **common,
    )
    trade = Trade(
        identifiers=TradeIdentifiers("MW-1", uti=f"{a}MW1"),
        trade_date=date(2026, 3, 16),
        product=ProductClass.IRS,
        parties=(Party(a, name="Bank A", account="HOUSE"), Party(b, name="Bank B", account="CLIENT-1")),
        streams=(fixed, floating),
    )
    ccp = Party("213800ZBKL9BHSL2K459", name="Clearing House")
    at = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)

    def update(status: ClearingStatusCode, **changes: Any) -> StatusUpdate:
        return StatusUpdate(
            sequence=1,
            submission_id="SUB-1",
            source="SOURCE",
            channel=Channel.MQTT_FPML,
            status=status,
            trade=trade,
            at=at,
            correlation_id="CORR-1",
            in_reply_to="SRC-1",
            **changes,
        )

    return {
        "ccp": ccp,
        "members": (a, b),
        "updates": {
            "clearingAcknowledgement": update(ClearingStatusCode.RECEIVED),
            "clearingStatus": update(
                ClearingStatusCode.PENDING,
                reasons=(
                    Issue(ReasonCode.RISK_INSUFFICIENT_COLLATERAL, "party[1]", "waiting for collateral"),
                ),
            ),
            "clearingConfirmed": update(
                ClearingStatusCode.CLEARED,
                cleared=novate(trade, ccp, ("CCP-1", "CCP-2")),
                ccp_trade_ids=("CCP-1", "CCP-2"),
                clearing_business_date=date(2026, 3, 16),
            ),
            "clearingRefused": update(
                ClearingStatusCode.REJECTED,
                reasons=(Issue(ReasonCode.ELIG_MATURITY_TOO_LONG, "trade/swap", "maturity beyond scope"),),
            ),
        },
    }


def _rate(work: Callable[[], bytes], seconds: float) -> tuple[float, int]:
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        work()
        count += 1
    return count / (time.perf_counter() - start), count


@bench_app.command("fpml-write")
def bench_fpml_write(
    seconds: Annotated[float, typer.Option(min=0.1, help="Seconds per measured message kind.")] = 3.0,
) -> None:
    """Messages/s of status_update_to_fpml per message kind (compact bytes, as published), one core."""
    from lxml import etree

    from gateway.formats.fpml.write import CcpIdentity, status_update_to_fpml

    sample = _sample_updates()
    ccp = CcpIdentity(sample["ccp"].party_id, name=sample["ccp"].name)
    schema: Any = None
    try:
        from fpml_schemas import load_schema

        schema = load_schema()
    except Exception as exc:  # the figures stand without the check; say why it was not made
        typer.echo(json.dumps({"warning": f"outputs not schema-checked: {exc}"}), err=True)
    results: dict[str, Any] = {}
    for kind, update in sample["updates"].items():

        def render(update: Any = update) -> bytes:
            return status_update_to_fpml(update, ccp=ccp, recipient="SOURCE", pretty=False)

        data = render()
        root = etree.fromstring(data)
        if etree.QName(root).localname != kind:
            typer.echo(json.dumps({"error": f"{kind} rendered as {etree.QName(root).localname}"}), err=True)
            raise typer.Exit(1)
        valid = None if schema is None else schema.is_valid(root)
        rate, n = _rate(render, seconds)
        results[kind] = {"messages_per_s": round(rate, 1), "messages": n, "bytes": len(data), "valid": valid}
    per_trade = _per_trade(sample, ccp, schema, seconds)
    typer.echo(
        json.dumps(
            {
                "benchmark": "fpml-write",
                "schema": None if schema is None else schema.label,
                "seconds_per_kind": seconds,
                "results": results,
                "per_trade": per_trade,
            }
        )
    )


def _per_trade(sample: dict[str, Any], ccp: Any, schema: Any, seconds: float) -> dict[str, Any]:
    """The documents one cleared trade costs: Received and Cleared, each to the source and both members."""
    from gateway.formats.fpml.write import status_update_to_fpml

    updates = sample["updates"]
    jobs = [
        (update, recipient, member)
        for update in (updates["clearingAcknowledgement"], updates["clearingConfirmed"])
        for recipient, member in (("SOURCE", None), *((m, m) for m in sample["members"]))
    ]

    def render_all() -> bytes:
        out = b""
        for update, recipient, member in jobs:
            out = status_update_to_fpml(
                update, ccp=ccp, recipient=recipient, member_party=member, pretty=False
            )
        return out

    valid = None
    if schema is not None:
        from lxml import etree

        valid = all(
            schema.is_valid(
                etree.fromstring(status_update_to_fpml(u, ccp=ccp, recipient=r, member_party=m, pretty=False))
            )
            for u, r, m in jobs
        )
    rate, n = _rate(render_all, seconds)
    return {
        "documents_per_trade": len(jobs),
        "trades_per_s": round(rate, 1),
        "ms_per_trade": round(1000 / rate, 3),
        "trades": n,
        "valid": valid,
    }
