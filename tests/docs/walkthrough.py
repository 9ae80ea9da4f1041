"""The README's walk-through as runnable steps, and a bash session that runs them in a fresh directory.

The walk-through is every ```bash block between ``<!-- walkthrough:begin -->`` and
``<!-- walkthrough:end -->`` in README.md. A line whose comment says ``# with Docker`` is for readers with
Docker and is left out. Each block runs as its own ``bash -e -o pipefail`` script; the shell variables a
block sets (``DB``, ``DAY`` ...) are carried to the next, as in the reader's terminal.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

BEGIN: Final[str] = "<!-- walkthrough:begin -->"
END: Final[str] = "<!-- walkthrough:end -->"
DOCKER_ONLY: Final[str] = "# with Docker"
_BLOCK = re.compile(r"^```bash\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# A hang guard for one block (the demo, a PDF report and serve's start take seconds, not minutes).
STEP_TIMEOUT_S: Final[int] = 900


class WalkthroughMissing(AssertionError):
    """README.md has no walk-through the test can find."""


@dataclass(frozen=True, slots=True)
class Step:
    index: int
    script: str  # the block as the test runs it (lines for Docker users left out)


@dataclass(frozen=True, slots=True)
class StepResult:
    step: Step
    returncode: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        return (
            f"walk-through block {self.step.index + 1} exited {self.returncode}\n"
            f"--- block\n{self.step.script}\n--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-4000:]}"
        )


def steps(readme: str) -> list[Step]:
    """The walk-through's blocks in order."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
        raise WalkthroughMissing(f"README.md needs exactly one {BEGIN} ... {END} section")
    section = readme[readme.index(BEGIN) + len(BEGIN) : readme.index(END)]
    found = []
    for i, match in enumerate(_BLOCK.finditer(section)):
        lines = [line for line in match.group(1).splitlines() if DOCKER_ONLY not in line]
        found.append(Step(i, "\n".join(lines) + "\n"))
    if not found:
        raise WalkthroughMissing("the walk-through section holds no ```bash block")
    return found


def fresh_copy(repo: Path, target: Path) -> Path:
    """The tracked files of ``repo`` (as a clone would have them) copied to ``target``; no ``../shared``
    beside it unless the caller put one there."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = repo / name
        if not source.is_file():  # deleted in the working tree, not yet committed
            continue
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
    return target


def user_environment(venv_bin: Path) -> dict[str, str]:
    """A newcomer's environment: the virtual environment's bin first on PATH, none of the project's
    CLEARING_* settings (a developer's schema directory or database must not leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARING_")}
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv_bin.parent)
    env.pop("PYTHONPATH", None)
    return env


class Session:
    """Runs the walk-through's blocks one after the other in ``workdir``, carrying shell variables."""

    def __init__(self, workdir: Path, state_file: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.state_file = state_file
        self.env = env
        self.done: dict[int, StepResult] = {}

    def run(self, step: Step) -> StepResult:
        body = (
            "set -e -o pipefail\n"
            "__walk_base=$(compgen -v)\n"
            f'if [ -f "{self.state_file}" ]; then . "{self.state_file}"; fi\n'
            f"{step.script}"
            "for __walk_v in $(compgen -v); do\n"
            '  grep -qx -- "$__walk_v" <<<"$__walk_base" || declare -p "$__walk_v"\n'
            # grep -v finds nothing to keep when a block sets no variable: not a failure
            f'done | {{ grep -v -E "^declare -[^ ]* (__walk_|BASH|PIPESTATUS|FUNCNAME)" || true; }} > "{self.state_file}.new"\n'
            f'mv "{self.state_file}.new" "{self.state_file}"\n'
        )
        # its own process group: a block that hangs is stopped with whatever it started in the background
        proc = subprocess.Popen(
            ["bash", "-c", body],
            cwd=self.workdir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = proc.communicate(timeout=STEP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            stderr += f"\n(stopped: still running after {STEP_TIMEOUT_S} s)"
        result = StepResult(step, proc.returncode, stdout, stderr)
        self.done[step.index] = result
        return result

    def shell_variable(self, name: str) -> str | None:
        """A variable the blocks have set so far, as bash holds it."""
        if not self.state_file.is_file():
            return None
        proc = subprocess.run(
            ["bash", "-c", f'. "{self.state_file}"; printf %s "${{{name}-}}"'],
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout or None
