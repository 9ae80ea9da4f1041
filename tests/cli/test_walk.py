"""The walk: every command of both command lines, found in the click tree, run with bad input.

A command added later is walked too. Each bad input must end in exit status 2 with one short error line
(``PROG: error: ...``) naming what was wrong, never a traceback: a missing required option, a database URL
with a synchronous driver, a SQLite file in a folder that does not exist, a missing file for each input
path, a word where a number goes, a member nobody registered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.tree import Leaf, info, invoke, is_numeric, is_path, leaves, runner
from tests.strategies import LEI_A

LEAVES = list(leaves())

# Path parameters that name what the command writes (created when absent).
OUTPUTS = {
    ("clearing-gateway demo", "--dir"),
    ("clearing-gateway bench pipeline", "--workdir"),
    ("clearing-gateway bench path", "--workdir"),
    ("clearing-gateway export positions", "--out"),
    ("clearing-gateway report", "--out"),
    ("clearing-gateway report", "--dir"),
    ("clearing-gateway eod", "--reports-dir"),
    ("clearing-gateway market synth", "--out"),
    ("clearing-gateway source acl", "--out"),
    ("clearing-gateway mqtt user add", "--file"),
    ("clearing-recon run", "--out"),
    ("clearing-recon breaks", "--out"),
    ("clearing-recon sample-book", "--out"),
    ("clearing-gateway compress", "--report-dir"),
}
# Input paths a command checks itself, answering per file (normalise: one answer per document).
CHECKED_BY_COMMAND = {
    ("clearing-gateway normalise", "files"),
    ("clearing-gateway mqtt user list", "--file"),
    ("clearing-gateway normalise", "--schema-dir"),
    (
        "clearing-recon sample-book",
        "--ccp-positions",
    ),  # says how to write the file it wants  # one line naming the option, from the schema loader
}
# The demo checks its --schema-dir as it starts and stops in one line with exit status 1 (its module is
# the demo's, left as it is here).
STOPS_AT_START = {("clearing-gateway demo", "--schema-dir")}
# Options needed together with the bad one for the command to reach it (one of a pair, or --member).
EXTRA: dict[str, list[str]] = {
    "clearing-gateway collateral lodge": ["--cash", "1"],
    "clearing-gateway collateral withdraw": ["--cash", "1"],
    "clearing-gateway trade show": ["S0000000001"],
    "clearing-gateway compress": ["--all"],
}
MEMBER_EXEMPT = {
    "clearing-gateway participant add",  # it creates the member
    "clearing-recon run",  # the reconciliation has no member register: its member is the book's
}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # nothing the walk runs writes into the checkout
    monkeypatch.delenv("CLEARING_DB", raising=False)
    monkeypatch.delenv("CLEARING_DEBUG", raising=False)


def key(param: Any) -> str:
    return param.opts[0] if param.param_type_name == "option" else param.name


def value_for(param: Any, tmp: Path, member: str) -> str:
    flag = key(param)
    if flag == "--date":
        return "2026-01-07"
    if flag == "--party":
        return LEI_A
    if param.name == "member":
        return member
    if is_numeric(param):
        return "1"
    if is_path(param):
        if info(param).exists:
            if info(param).file_okay:
                found = tmp / "input.txt"
                found.write_text("x")
                return str(found)
            return str(tmp)
        return str(tmp / "written" / f"{param.name}.csv")
    return "X"


def fill(leaf: Leaf, tmp: Path, *, member: str = "X", override: dict[str, str] | None = None) -> list[str]:
    """Arguments for every required parameter (and any in ``override``), with plausible values."""
    override = override or {}
    args: list[str] = []
    for p in leaf.params():
        if p.hidden or (not p.required and key(p) not in override):
            continue
        value = override.get(key(p), value_for(p, tmp, member))
        args += [value] if p.param_type_name == "argument" else [key(p), value]
    if leaf.option("--member") is not None and not leaf.option("--member").required:
        args += ["--member", member]
    extra = EXTRA.get(leaf.name, [])
    if extra and extra[0] in override:
        extra = []
    return [*args, *extra]


def assert_refused(result: Any, leaf: Leaf, *mentions: str, one_line: bool = True, code: int = 2) -> None:
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    assert not isinstance(result.exception, Exception), repr(result.exception)
    assert result.exit_code == code, (leaf.name, result.exit_code, text)
    if one_line:
        lines = result.stderr.strip().splitlines()
        assert 1 <= len(lines) <= 3, result.stderr
        assert lines[0].startswith(f"{leaf.prog}: error: "), result.stderr
    for m in mentions:
        assert m in result.stderr, (m, result.stderr)


def ids(items: list[Any]) -> list[str]:
    return [item.name if isinstance(item, Leaf) else f"{item[0].name} {key(item[1])}" for item in items]


def test_the_walk_sees_both_command_lines() -> None:
    names = {leaf.name for leaf in LEAVES}
    assert {"clearing-gateway collateral lodge", "clearing-gateway eod", "clearing-recon breaks"} <= names
    assert len(names) >= 35


def test_every_path_parameter_says_whether_it_must_exist() -> None:
    """A new path option is either checked (exists=True), written by the command, or checked by it."""
    unclassified = [
        (leaf.name, key(p))
        for leaf in LEAVES
        for p in leaf.params()
        if is_path(p)
        and not info(p).exists
        and (leaf.name, key(p)) not in OUTPUTS | CHECKED_BY_COMMAND | STOPS_AT_START
    ]
    assert unclassified == []


REQUIRED = [leaf for leaf in LEAVES if any(p.required and not p.hidden for p in leaf.params())]


@pytest.mark.parametrize("leaf", REQUIRED, ids=ids(REQUIRED))
def test_missing_required_options_are_one_line(leaf: Leaf) -> None:
    result = invoke(leaf)
    assert_refused(result, leaf, "Missing")


WITH_DB = [leaf for leaf in LEAVES if leaf.option("--db") is not None]


@pytest.mark.parametrize("leaf", WITH_DB, ids=ids(WITH_DB))
def test_a_synchronous_driver_url_names_the_async_one(leaf: Leaf, tmp_path: Path) -> None:
    result = invoke(leaf, *fill(leaf, tmp_path), "--db", "postgresql://clearing@dbhost/gateway")
    assert_refused(result, leaf, "--db", "postgresql+asyncpg://clearing@dbhost/gateway")
    result = invoke(leaf, *fill(leaf, tmp_path), "--db", f"sqlite:///{tmp_path}/g.db")
    assert_refused(result, leaf, "--db", f"sqlite+aiosqlite:///{tmp_path}/g.db")


CREATES_DB = {"clearing-gateway db upgrade", "clearing-gateway bench clearing"}
READS_DB = [leaf for leaf in WITH_DB if leaf.name not in CREATES_DB]


@pytest.mark.parametrize("leaf", READS_DB, ids=ids(READS_DB))
def test_a_sqlite_file_in_a_missing_folder_is_refused_and_no_folder_made(leaf: Leaf, tmp_path: Path) -> None:
    result = invoke(leaf, *fill(leaf, tmp_path), "--db", f"sqlite+aiosqlite:///{tmp_path}/tpyo/gateway.db")
    assert_refused(result, leaf, "--db", "does not exist")
    assert not (tmp_path / "tpyo").exists()


INPUT_PATHS = [
    (leaf, p)
    for leaf in LEAVES
    for p in leaf.params()
    if is_path(p) and not p.hidden and (leaf.name, key(p)) not in OUTPUTS
]


@pytest.mark.parametrize(("leaf", "param"), INPUT_PATHS, ids=ids(INPUT_PATHS))
def test_a_missing_input_file_is_refused(leaf: Leaf, param: Any, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-file")
    result = invoke(leaf, *fill(leaf, tmp_path, override={key(param): missing}))
    checked_here = (leaf.name, key(param)) in CHECKED_BY_COMMAND | STOPS_AT_START
    code = 1 if (leaf.name, key(param)) in STOPS_AT_START else 2
    assert_refused(result, leaf, one_line=not checked_here, code=code)
    assert "no-such-file" in result.stdout + result.stderr


NUMERIC = [(leaf, p) for leaf in LEAVES for p in leaf.params() if is_numeric(p) and not p.hidden]


@pytest.mark.parametrize(("leaf", "param"), NUMERIC, ids=ids(NUMERIC))
def test_a_word_where_a_number_goes_is_refused(leaf: Leaf, param: Any, tmp_path: Path) -> None:
    result = invoke(leaf, *fill(leaf, tmp_path, override={key(param): "lots"}))
    assert_refused(result, leaf, key(param))


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('walk') / 'gateway.db'}"
    from gateway.cli.app import app

    assert runner.invoke(app, ["db", "upgrade", "--db", url]).exit_code == 0
    return url


NAMES_MEMBER = [
    leaf
    for leaf in WITH_DB
    if any(p.name == "member" for p in leaf.params()) and leaf.name not in MEMBER_EXEMPT
]


@pytest.mark.parametrize("leaf", NAMES_MEMBER, ids=ids(NAMES_MEMBER))
def test_an_unknown_member_is_named_as_such(leaf: Leaf, tmp_path: Path, empty_db: str) -> None:
    result = invoke(leaf, *fill(leaf, tmp_path, member="NOBODY"), "--db", empty_db)
    assert_refused(result, leaf, "NOBODY", "REF_UNKNOWN_MEMBER")
