"""One member's reconciliation for one business date, from files to outputs: the order of a run, in one place.

load (member book, CCP positions) -> match and classify -> age in the store -> write outputs -> publish.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from gateway.clock import Clock
from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from gateway.refdata.calendars import NamedCalendar
from recon.aggregate import MaturityBuckets, aggregate_breaks
from recon.engine import reconcile, with_breaks
from recon.errors import CellProblem
from recon.figure_sources import read_ccp_vm_db, read_figures
from recon.figures import CASH_FLOW, VM, FigureBook, FigureKind, match_figures
from recon.formats import read_ccp_positions_db, read_positions
from recon.loader import Side, load_book
from recon.mapping import STANDARD, load_mapping
from recon.publish import parse_broker, publish_summary, topic
from recon.report import Outputs, summary, write_all
from recon.store import BreakStore
from recon.tolerances import Tolerances, load_tolerances

DEFAULT_STORE = "var/recon/breaks.db"


@dataclass(frozen=True, slots=True)
class RunRequest:
    business_date: date
    member: str
    member_book: Path
    out: Path
    ccp_positions: Path | None = None
    db_url: str | None = None
    mapping: Path | None = None
    tolerances: Path | None = None
    store: str = DEFAULT_STORE
    calendar: str = "WeekendsOnly"
    mqtt: str | None = None  # HOST:PORT
    pdf: bool = True
    member_vm: Path | None = None  # the member's VM figures (recon/figures.py)
    ccp_vm: Path | None = None  # the CCP's, when not read from --db
    member_cash_flows: Path | None = None  # cash flows: the same matcher, both sides from files
    ccp_cash_flows: Path | None = None
    aggregate: MaturityBuckets | None = None  # net notional per currency, index and bucket when given


@dataclass(frozen=True, slots=True)
class RunOutcome:
    summary: dict[str, Any]
    outputs: Outputs
    problems: tuple[CellProblem, ...]
    published: bool
    publish_error: str | None = None


def run_member(request: RunRequest, clock: Clock) -> RunOutcome:
    """Reconcile; ``InputRejected`` when an input cannot be used at all (nothing is stored then)."""
    try:
        topic(request.member)
    except ValueError as exc:
        raise InputRejected.of(_code(), "--member", str(exc)) from None
    if (request.ccp_positions is None) == (request.db_url is None):
        raise InputRejected.of(
            _code(), "--ccp-positions", "give exactly one of --ccp-positions FILE or --db URL"
        )
    broker = None
    if request.mqtt:
        try:
            broker = parse_broker(request.mqtt)
        except ValueError as exc:
            raise InputRejected.of(_code(), "--mqtt", str(exc)) from None
    mapping = load_mapping(request.mapping) if request.mapping else STANDARD
    tolerances = load_tolerances(request.tolerances) if request.tolerances else Tolerances()
    try:
        calendar = NamedCalendar(request.calendar)
    except ValueError as exc:
        raise InputRejected.of(_code(), "--calendar", str(exc)) from None
    member_book = load_book(request.member_book, member=request.member, side=Side.MEMBER, mapping=mapping)
    if request.ccp_positions is not None:
        ccp_book = read_positions(request.ccp_positions, request.member)
    else:
        assert request.db_url is not None
        ccp_book = read_ccp_positions_db(request.db_url, request.member, as_of=request.business_date)
    result = reconcile(request.member, member_book, ccp_book, tolerances, request.business_date)
    more, sources = _figure_breaks(request, tolerances)
    if request.aggregate is not None:
        more.append(
            aggregate_breaks(
                member_book.frame,
                ccp_book.frame,
                request.business_date,
                request.aggregate,
                tolerances.of("aggregate_notional"),
                (member_book.source, ccp_book.source),
            )
        )
    result = with_breaks(result, more, sources)
    store = BreakStore(request.store, calendar)
    try:
        aged, closed = store.age(request.member, request.business_date, result.breaks)
        info = summary(result, aged, request.business_date, clock.now(), closed)
        outputs = write_all(request.out, aged, info, pdf=request.pdf)
        store.record_run(
            request.member, request.business_date, clock.now(), "reconciled", f"{aged.height} breaks"
        )
    finally:
        store.close()
    published, error = False, None
    if broker is not None:
        try:
            asyncio.run(publish_summary(broker[0], broker[1], request.member, info))
            published = True
        except Exception as exc:
            error = f"summary not published to {request.mqtt}: {exc or type(exc).__name__}"
    return RunOutcome(info, outputs, member_book.problems + ccp_book.problems, published, error)


def _figure_breaks(request: RunRequest, tolerances: Tolerances) -> tuple[list[pl.DataFrame], tuple[str, ...]]:
    """The breaks of the figures the run was given (VM, cash flows), and the CCP sources they came from.
    Every input is read before anything is matched: an unusable one stops the run with nothing written."""
    day = request.business_date
    pairs: list[tuple[FigureKind, FigureBook, FigureBook]] = []
    if request.member_vm is not None:
        member_vm = read_figures(request.member_vm, VM, day, ccp=False)
        if request.ccp_vm is not None:
            ccp_vm = read_figures(request.ccp_vm, VM, day, ccp=True)
        elif request.db_url is not None:
            ccp_vm = read_ccp_vm_db(request.db_url, request.member, day)
        else:
            raise InputRejected.of(_code(), "--ccp-vm", "the CCP's VM comes from --ccp-vm FILE or --db URL")
        pairs.append((VM, member_vm, ccp_vm))
    elif request.ccp_vm is not None:
        raise InputRejected.of(
            _code(), "--member-vm", "--ccp-vm is matched against --member-vm FILE: give both"
        )
    if (request.member_cash_flows is None) != (request.ccp_cash_flows is None):
        raise InputRejected.of(
            _code(), "--ccp-cash-flows", "cash flows are matched file against file: give --member-cash-flows "
            "and --ccp-cash-flows together"
        )  # fmt: skip
    if request.member_cash_flows is not None and request.ccp_cash_flows is not None:
        pairs.append(
            (
                CASH_FLOW,
                read_figures(request.member_cash_flows, CASH_FLOW, day, ccp=False),
                read_figures(request.ccp_cash_flows, CASH_FLOW, day, ccp=True),
            )
        )
    frames = [match_figures(kind, m, c, tolerances.of(kind.name)) for kind, m, c in pairs]
    return frames, tuple(c.source for _, _, c in pairs)


def _code() -> ReasonCode:
    return ReasonCode.RECON_INPUT_ERROR
