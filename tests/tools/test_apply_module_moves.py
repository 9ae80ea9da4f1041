"""tools/apply_module_moves.py: imports and names rewritten by the move map, run as the lead runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tools.apply_module_moves import Moves, rewrite

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "apply_module_moves.py"

MAP = """\
# a comment, then a blank line

pkg.intake.fix pkg.channels.fix
pkg.intake.fix.wire pkg.formats.fix.wire
pkg.broker.connect pkg.channels.mqtt.client
pkg.service pkg.app
pkg.service.limit pkg.blas.limit
"""


def _moves(tmp_path: Path) -> Moves:
    path = tmp_path / "moves.txt"
    path.write_text(MAP)
    return Moves.read(path)


def test_a_from_import_is_split_where_its_modules_went_and_a_renamed_module_keeps_its_name(
    tmp_path: Path,
) -> None:
    moves = _moves(tmp_path)
    source = (
        "from pkg.intake.fix import acceptor, wire\n"
        "from pkg.broker import connect\n"
        "from pkg.service import Gateway, limit  # the two halves\n"
        "    from pkg.intake.fix.wire import (\n        Out,\n        frame,\n    )\n"
    )
    assert rewrite(moves, source) == (
        "from pkg.channels.fix import acceptor\n"
        "from pkg.formats.fix import wire\n"
        "from pkg.channels.mqtt import client as connect\n"
        "from pkg.app import Gateway\n"
        "from pkg.blas import limit  # the two halves\n"
        "    from pkg.formats.fix.wire import Out, frame\n"
    )


def test_names_in_strings_and_paths_follow_and_attributes_of_objects_do_not(tmp_path: Path) -> None:
    moves = _moves(tmp_path)
    source = (
        'cmd = [sys.executable, "-m", "pkg.intake.fix", "--config", "x"]\n'
        'monkeypatch.setattr("pkg.service.limit", fake)\n'
        "see pkg/intake/fix/wire.py and pkg/intake/fix/\n"
        "port = self.pkg.broker.connect.port\n"
        "other = pkg.intake.fixture\n"
    )
    assert rewrite(moves, source) == (
        'cmd = [sys.executable, "-m", "pkg.channels.fix", "--config", "x"]\n'
        'monkeypatch.setattr("pkg.blas.limit", fake)\n'
        "see pkg/formats/fix/wire.py and pkg/channels/fix/\n"
        "port = self.pkg.broker.connect.port\n"
        "other = pkg.intake.fixture\n"
    )


def test_the_command_rewrites_in_place_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "moves.txt").write_text(MAP)
    target = tmp_path / "mod.py"
    target.write_text("from pkg.intake.fix import wire\nimport pkg.service\n")
    run = [sys.executable, str(SCRIPT), "--map", str(tmp_path / "moves.txt")]
    first = subprocess.run([*run, str(target)], capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == str(target)
    assert target.read_text() == "from pkg.formats.fix import wire\nimport pkg.app\n"
    again = subprocess.run([*run, "--check", str(target)], capture_output=True, text=True, check=False)
    assert (again.returncode, again.stdout) == (0, "")


def test_check_lists_what_would_change_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "moves.txt").write_text(MAP)
    target = tmp_path / "mod.py"
    target.write_text("import pkg.service\n")
    run = [sys.executable, str(SCRIPT), "--map", str(tmp_path / "moves.txt"), "--check", str(target)]
    result = subprocess.run(run, capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout.strip()) == (1, str(target))
    assert target.read_text() == "import pkg.service\n"


def test_a_bad_map_line_is_named_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "moves.txt").write_text("pkg.a pkg.b\npkg.c\n")
    target = tmp_path / "mod.py"
    target.write_text("import pkg.a\n")
    run = [sys.executable, str(SCRIPT), "--map", str(tmp_path / "moves.txt"), str(target)]
    result = subprocess.run(run, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "moves.txt:2: expected 'old.dotted.path new.dotted.path'" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_text() == "import pkg.a\n"


def test_the_projects_map_reads_and_names_no_module_twice() -> None:
    moves = Moves.read(SCRIPT.with_name("module_moves.txt"))
    assert moves.resolve("gateway.channels.fix.engine") == "gateway.channels.fix.engine"
    assert moves.resolve("gateway.blas.limit_blas_threads") == "gateway.blas.limit_blas_threads"
    assert moves.resolve("gateway.formats.fpml.read.data") == "gateway.formats.fpml.read.data"
