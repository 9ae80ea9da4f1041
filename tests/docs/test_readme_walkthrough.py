"""README.md's "Your first hour", run as written on a fresh copy of the repository.

The tracked files are copied to a new directory (no ``../shared`` beside it, none of the developer's
``CLEARING_*`` settings), the demo runs there as the README's first command does, then each ```bash
block of the walk-through runs in order with the virtual environment's ``bin`` first on PATH. Each block
must exit 0 and leave what the README promises.

The last block serves against the real PostgreSQL (127.0.0.1:5432, user postgres) and Mosquitto
(127.0.0.1:1883), exactly as written: it skips without them and fails without them under CI. It creates
the walk-through's database ``clearing_local``; the test drops that database before and after.

Option spellings decided for the whole command line (issue 12, item 5) that this branch's commands may
not accept yet: ``collateral show --member`` (block 1) and ``eod --market-data`` (block 2). Until the
command-line changes are merged, those blocks fail here with typer's "No such option".
"""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, services_required
from tests.docs.walkthrough import Session, Step, StepResult, fresh_copy, steps, user_environment

pytestmark = pytest.mark.slow

# The walk-through's blocks, in the README's order.
DATA, MARKET, RECON, SERVICES = range(4)
PG_HOST, PG_PORT, PG_ADMIN_USER, PG_ADMIN_DB = "127.0.0.1", 5432, "postgres", "test"
WALK_DB = "clearing_local"  # deploy/config/services.toml
MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883
NEEDS_CLI_BRANCH = ("collateral show --member", "--market-data")


@dataclass
class Walk:
    workdir: Path
    session: Session
    steps: list[Step]
    demo_output: str

    def through(self, index: int) -> StepResult:
        """Run every block up to ``index`` not run yet; the result of block ``index``."""
        for step in self.steps[: index + 1]:
            result = self.session.done.get(step.index) or self.session.run(step)
            if result.returncode != 0:
                pytest.fail(
                    _explain(result)
                    if step.index == index
                    else f"an earlier block failed\n{_explain(result)}"
                )
        return self.session.done[index]


def _explain(result: StepResult) -> str:
    text = result.explain()
    pending = [s for s in NEEDS_CLI_BRANCH if s in result.step.script]
    if "No such option" in result.stderr and pending:
        text += (
            f"\n(this block uses the decided option spellings {', '.join(pending)}: "
            "they need the command-line branch merged)"
        )
    return text


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Walk:
    venv_bin = Path(sys.executable).parent
    if not (venv_bin / "clearing-gateway").is_file():
        pytest.fail(f"clearing-gateway is not installed beside {sys.executable}: pip install -e '.[test]'")
    root = tmp_path_factory.mktemp("first-hour")
    workdir = fresh_copy(REPO, root / "clone")
    assert not (workdir.parent / "shared").exists()
    session = Session(workdir, root / "shell-variables.sh", user_environment(venv_bin))
    readme = (workdir / "README.md").read_text(encoding="utf-8")
    found = steps(readme)
    assert len(found) == SERVICES + 1, f"the walk-through has {len(found)} bash blocks; this test knows 4"
    assert "clearing-gateway demo" in readme[: readme.index("## Your first hour")]
    demo = session.run(Step(-1, "clearing-gateway demo\n"))
    assert demo.returncode == 0, demo.explain()
    return Walk(workdir, session, found, demo.stdout)


def test_the_demos_data_is_queried_where_the_readme_says(walk: Walk) -> None:
    result = walk.through(DATA)
    assert (walk.workdir / "var" / "demo" / "gateway.db").is_file()
    assert not (walk.workdir / "var" / "gateway.db").exists(), "the walk-through must not use the default db"
    day = walk.session.shell_variable("DAY")
    assert day is not None
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day), day
    assert day in walk.demo_output  # the business date the demo's summary printed
    for member in ("BANKA", "BANKB", "BANKC"):
        assert member in result.stdout
    # MW-CALL's history: pending for collateral, then cleared after the call
    assert "RISK_INSUFFICIENT_COLLATERAL" in result.stdout
    assert "Pending" in result.stdout
    assert "Cleared" in result.stdout
    assert "excess" in result.stdout  # collateral show's table


def test_market_data_is_made_and_eod_revalues_the_demo_day(walk: Walk) -> None:
    result = walk.through(MARKET)
    assert (walk.workdir / "var" / "market" / "market.toml").is_file()
    day = walk.session.shell_variable("DAY")
    assert day is not None
    assert day in result.stdout


def test_the_reconciliation_finds_the_planted_breaks_and_writes_its_report(walk: Walk) -> None:
    result = walk.through(RECON)
    out = walk.workdir / "var" / "recon" / "BANKA"
    for name in ("report.html", "breaks.csv", "summary.json"):
        assert (out / name).is_file(), f"{name} missing from {out}"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["breaks"] == 4
    for kind in ("MISSING_AT_MEMBER", "MISSING_AT_CCP", "ECONOMIC_MISMATCH", "VALUATION_MISMATCH"):
        assert summary["by_type"][kind] == 1, summary["by_type"]
    assert summary["matched"] > 0
    assert "4 open breaks" in result.stdout
    # `clearing-recon breaks` lists the same open breaks
    for kind in ("MISSING_AT_MEMBER", "MISSING_AT_CCP", "ECONOMIC_MISMATCH", "VALUATION_MISMATCH"):
        assert result.stdout.count(kind) >= 2, kind  # planted list and the open breaks
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "BANKA" in report


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _need_services() -> None:
    missing = [
        f"{what} at {host}:{port}"
        for what, host, port in (("PostgreSQL", PG_HOST, PG_PORT), ("Mosquitto", MQTT_HOST, MQTT_PORT))
        if not _reachable(host, port)
    ]
    if not missing:
        return
    message = f"the walk-through serves against {', '.join(missing)}: not reachable"
    if services_required():
        pytest.fail(message + " (required under CI)")
    pytest.skip(message)


async def _drop_walk_database() -> None:
    import asyncpg  # type: ignore[import-untyped]

    admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_ADMIN_USER, database=PG_ADMIN_DB)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{WALK_DB}" WITH (FORCE)')
    finally:
        await admin.close()


async def _has_schema() -> bool:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_ADMIN_USER, database=WALK_DB)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM alembic_version"))
    finally:
        await conn.close()


@pytest.fixture
def walk_database() -> Iterator[None]:
    import asyncio

    _need_services()
    for port in (8080, 9878):
        if _reachable("127.0.0.1", port):
            pytest.fail(
                f"port {port} is in use: the walk-through's serve (deploy/config/services.toml) needs it"
            )
    asyncio.run(_drop_walk_database())
    yield
    asyncio.run(_drop_walk_database())


@pytest.mark.postgres
@pytest.mark.mosquitto
def test_the_gateway_serves_against_postgresql_and_mosquitto(walk: Walk, walk_database: None) -> None:
    import asyncio

    result = walk.through(SERVICES)
    # curl printed /healthz once the gateway answered it
    assert re.search(r'"status":\s*"ok"', result.stdout), result.stdout
    assert "docker compose" not in result.step.script
    assert asyncio.run(_has_schema())
