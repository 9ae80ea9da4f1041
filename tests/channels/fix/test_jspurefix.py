"""A whole member session with a second, independent FIX engine: jspurefix (Node) against our acceptor.

The member program (tests/channels/fix/jspurefix/member.js) logs on over FIXT.1.1, reports a two-stream
swap in stream fields, then two invalid reports, and logs out; jspurefix encodes every message, the
repeating groups included, from its own FIX 5.0 SP2 dictionary. Nothing of ours (no simplefix client,
no fix_specs dictionary) builds or reads the member's side of the wire.

jspurefix is installed with ``npm ci`` from the committed package.json and package-lock.json into a cache
outside the repository (``~/.cache/clearing-gateway/jspurefix/<lockfile hash>``, or
``$CLEARING_JSPUREFIX_CACHE``), once per lockfile. Without node or npm, or when the install fails, the
test is skipped locally and fails under CI (``CI=true``), as the service tests do.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import pytest

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.domain.enums import DayCount, PeriodUnit, ProductClass
from gateway.domain.trade import Party, PartyTradeId, Stream, Trade, TradeIdentifiers
from gateway.domain.values import Period
from gateway.formats.fix import codes
from tests.channels.fix.ports import MemoryClearingPort
from tests.conftest import services_required
from tests.strategies import LEI_A, LEI_B, TARGET

MEMBER_DIR = Path(__file__).resolve().parent / "jspurefix"
DEFAULT_CACHE = Path.home() / ".cache" / "clearing-gateway" / "jspurefix"
INSTALL_TIMEOUT_S = 300.0  # a first install downloads about 130 packages
SESSION_TIMEOUT_S = 45.0  # an upper bound so a broken session never hangs the run, not a timing assertion


def _unavailable(message: str) -> NoReturn:
    if services_required():
        pytest.fail(f"{message} (required under CI: the jspurefix member test must run)")
    pytest.skip(message)


def _install(npm: str) -> Path:
    """node_modules holding the pinned jspurefix, installed on first use for this lockfile."""
    manifest = (MEMBER_DIR / "package.json").read_bytes()
    lock = (MEMBER_DIR / "package-lock.json").read_bytes()
    key = hashlib.sha256(manifest + b"\0" + lock).hexdigest()[:16]
    cache = Path(os.environ.get("CLEARING_JSPUREFIX_CACHE", DEFAULT_CACHE))
    target = cache / key
    if (target / ".installed").is_file():
        return target / "node_modules"
    staging = cache / f"{key}.staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / "package.json").write_bytes(manifest)
    (staging / "package-lock.json").write_bytes(lock)
    try:
        # --ignore-scripts: jspurefix's postinstall only unpacks the FIX repository files of its other
        # dictionaries; the one used here (qf50sp2, data/FIX50SP2.xml) ships in the package as it is.
        done = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(staging, ignore_errors=True)
        _unavailable(f"npm ci of jspurefix did not finish in {INSTALL_TIMEOUT_S:.0f} s")
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        _unavailable(f"npm ci of jspurefix failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    (staging / ".installed").write_text("npm ci --ignore-scripts\n")
    try:
        staging.rename(target)
    except OSError:  # another run installed the same lockfile meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    return target / "node_modules"


@pytest.fixture(scope="session")
def jspurefix_modules() -> tuple[str, Path]:
    """The node executable and the node_modules directory with jspurefix in it."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed for the jspurefix member test")
    modules = _install(npm)
    if not (modules / "jspurefix" / "data" / "FIX50SP2.xml").is_file():
        _unavailable(f"jspurefix's FIX 5.0 SP2 dictionary is missing under {modules}")
    return node, modules


async def _run_member(node: str, modules: Path, port: int) -> tuple[list[dict[str, Any]], str]:
    process = await asyncio.create_subprocess_exec(
        node,
        str(MEMBER_DIR / "member.js"),
        "--port",
        str(port),
        "--sender",
        "MEMBER1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_PATH": str(modules)},
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), SESSION_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        pytest.fail(f"the jspurefix member did not finish; its log ends:\n{err.decode()[-4000:]}")
    log = err.decode(errors="replace")
    records = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    assert process.returncode == 0, f"member exited {process.returncode}: {records[-3:]}\n{log[-4000:]}"
    return records, log


def _fields(fix: str) -> list[tuple[int, str]]:
    """The tag=value pairs of a message as the member logged it (``|`` for SOH)."""
    return [(int(tag), value) for tag, _, value in (p.partition("=") for p in fix.split("|") if p)]


def _expected_trade() -> Trade:
    """The swap member.js reports: MEMBER1 pays 2.75% annual 30/360 against 3M EURIBOR + 10bp."""

    def leg(payer: str, receiver: str, **kw: Any) -> Stream:
        return Stream(
            payer=payer,
            receiver=receiver,
            notional=Decimal(25_000_000),
            currency="EUR",
            effective_date=date(2026, 1, 9),
            termination_date=date(2031, 1, 9),
            effective_date_adjustment=TARGET,
            termination_date_adjustment=TARGET,
            calculation_adjustment=TARGET,
            payment_adjustment=TARGET,
            **kw,
        )

    quarterly = Period(3, PeriodUnit.MONTH)
    return Trade(
        identifiers=TradeIdentifiers(
            source_trade_id="JSPF-IRS-1",
            uti="UTI-JSPF-IRS-1",
            party_trade_ids=(PartyTradeId(LEI_A, "A-77"), PartyTradeId(LEI_B, "B-77")),
        ),
        trade_date=date(2026, 1, 7),
        product=ProductClass.IRS,
        parties=(
            Party(LEI_A, scheme=codes.LEI_SCHEME, name="Bank A", account="CLIENT1"),
            Party(LEI_B, scheme=codes.LEI_SCHEME, name="Bank B"),  # Bank B gives its account when it accepts
        ),
        streams=(
            leg(
                LEI_A,
                LEI_B,
                day_count=DayCount.THIRTY_360,
                calculation_frequency=Period(1, PeriodUnit.YEAR),
                payment_frequency=Period(1, PeriodUnit.YEAR),
                fixed_rate=Decimal("0.0275"),
            ),
            leg(
                LEI_B,
                LEI_A,
                day_count=DayCount.ACT_360,
                calculation_frequency=quarterly,
                payment_frequency=quarterly,
                reset_frequency=quarterly,
                floating_index="EUR-EURIBOR-Telerate",
                index_tenor=quarterly,
                spread=Decimal("0.001"),
                fixing_offset_days=-2,
            ),
        ),
    )


async def test_jspurefix_member_reports_a_swap_gets_acks_and_rejects_then_logs_out(
    acceptor: FixAcceptor, memory_port: MemoryClearingPort, jspurefix_modules: tuple[str, Path]
) -> None:
    node, modules = jspurefix_modules
    records, log = await _run_member(node, modules, acceptor.config.port)
    wire = [r for r in records if r["event"] in ("sent", "received")]
    answers = {r["step"]: r for r in records if r["event"] == "answer"}

    # Logon: FIXT.1.1 with FIX.5.0 SP2 as the default application version, answered in kind.
    logon_out = dict(_fields(wire[0]["fix"]))
    assert (wire[0]["event"], logon_out[8], logon_out[35], logon_out[1137]) == ("sent", "FIXT.1.1", "A", "9")
    (logon,) = [r["logon"] for r in records if r["event"] == "logon"]
    assert (logon["StandardHeader"]["BeginString"], logon["DefaultApplVerID"]) == ("FIXT.1.1", "9")

    # The swap: jspurefix wrote both stream entries and both sides from the member's objects ...
    report = next(r for r in wire if r["event"] == "sent" and r["msgType"] == "AE")
    sent = _fields(report["fix"])
    assert ((40049, "2") in sent, [v for t, v in sent if t == 40054]) == (True, ["25000000", "25000000"])
    assert [v for t, v in sent if t == 448] == [LEI_A, LEI_B]
    # ... the CCP acknowledged it as received for clearing ...
    ack = answers["trade"]["message"]
    assert answers["trade"]["msgType"] == "AR"
    assert (ack["TradeReportID"], ack["TradeID"], ack["TrdAckStatus"], ack["TrdRptStatus"]) == (
        "JSPF-R1",
        "JSPF-IRS-1",
        0,
        4,
    )
    # ... and registered exactly the economics the member sent, and nothing from the invalid reports.
    (submission,) = memory_port.submissions
    assert (submission.source, submission.message_id) == ("MEMBER1", "JSPF-R1")
    assert submission.trade == _expected_trade()

    # A day count that standard FIX has (2, 30/360 SIA) but our rules of engagement do not.
    bad_enum = answers["bad_enum"]["message"]
    assert answers["bad_enum"]["msgType"] == "AR"
    assert (bad_enum["TradeID"], bad_enum["TrdAckStatus"], bad_enum["TradeReportRejectReason"]) == (
        "JSPF-IRS-2",
        1,
        99,
    )
    assert bad_enum["RejectText"] == (
        "TradeCaptureReport.NoStreams[1].PaymentStreamDayCount(40742): '2' is not one of "
        "0, 1, 4, 5, 6, 7, 8, 9, 11, 12, 14"
    )
    # A negative notional on the second (floating) stream.
    bad_value = answers["bad_value"]["message"]
    assert (bad_value["TradeID"], bad_value["TrdAckStatus"], bad_value["TradeReportRejectReason"]) == (
        "JSPF-IRS-3",
        1,
        2,
    )
    assert (
        bad_value["RejectText"]
        == "TradeCaptureReport.NoStreams[2].StreamNotional(40054): notional -5 is not positive"
    )

    # Logout: the member asks, the CCP answers, and the session ends without an error on either side.
    assert [(r["event"], r["msgType"]) for r in wire[-2:]] == [("sent", "5"), ("received", "5")]
    assert records[-1] == {"event": "stopped", "error": None}
    assert all(r["msgType"] != "3" for r in wire), log[-4000:]  # no session-level Reject either way
    for _ in range(200):  # quickfix marks the session logged out a moment after answering
        if not acceptor.is_logged_on("MEMBER1"):
            break
        await asyncio.sleep(0.05)
    assert not acceptor.is_logged_on("MEMBER1")
