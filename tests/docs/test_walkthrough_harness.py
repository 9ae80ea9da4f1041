"""The harness that runs the README's walk-through: which lines it runs, and that a failing line fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.docs.walkthrough import BEGIN, END, Session, Step, WalkthroughMissing, steps, user_environment

README = f"""# Project

```bash
echo before the walk-through
```

{BEGIN}
Some prose.

```bash
A=1
docker compose up -d      # with Docker
echo "$A"
```

```python
print("not shell")
```

```bash
echo second
```
{END}

```bash
echo after
```
"""


def test_only_the_bash_blocks_between_the_markers_run_without_the_docker_lines() -> None:
    found = steps(README)
    assert [s.script for s in found] == ['A=1\necho "$A"\n', "echo second\n"]
    assert [s.index for s in found] == [0, 1]


@pytest.mark.parametrize("text", ["no markers", f"{END}\n{BEGIN}", f"{BEGIN}\n```python\nx\n```\n{END}"])
def test_a_readme_without_a_walkthrough_is_reported(text: str) -> None:
    with pytest.raises(WalkthroughMissing):
        steps(text)


def _session(tmp_path: Path) -> Session:
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    return Session(tmp_path, tmp_path / "state.sh", user_environment(venv_bin))


def test_variables_carry_from_block_to_block_and_a_failing_line_fails_its_block(tmp_path: Path) -> None:
    session = _session(tmp_path)
    first = session.run(Step(0, 'DAY=2026-12-07\nDB="sqlite:///x y.db"\n'))
    assert first.returncode == 0, first.explain()
    second = session.run(Step(1, 'echo "$DAY|$DB"\n'))
    assert second.stdout == "2026-12-07|sqlite:///x y.db\n"
    assert session.shell_variable("DAY") == "2026-12-07"
    failing = session.run(Step(2, "true\nfalse\necho not reached\n"))
    assert failing.returncode != 0
    assert "not reached" not in failing.stdout
    stopped = session.run(Step(3, "sleep 30 & P=$!\nkill $P; wait $P\nkill $P\necho not reached\n"))
    assert stopped.returncode != 0  # a background process already gone: `kill` fails the block
    assert "not reached" not in stopped.stdout


def test_the_users_environment_puts_the_venv_first_and_drops_the_projects_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLEARING_FPML_SCHEMA_DIR", "/somewhere")
    monkeypatch.setenv("CLEARING_DB", "sqlite+aiosqlite:///elsewhere.db")
    env = user_environment(tmp_path / "bin")
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "bin")
    assert not [k for k in env if k.startswith("CLEARING_")]
