"""``python -m tools.trace_path`` follows one MQTT trade through the running gateway, intake to publisher."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _first(files: list[str], prefix: str) -> int:
    hits = [i for i, f in enumerate(files) if f.startswith(prefix)]
    assert hits, f"nothing under {prefix} on the path: {files}"
    return hits[0]


def test_the_trace_runs_from_the_mqtt_intake_through_reader_decide_and_writer_to_the_publisher(
    tmp_path: Path,
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.trace_path", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    files = out["files"]

    assert out["start"]["file"].startswith("gateway/channels/mqtt/intake/")
    assert files[0] == out["start"]["file"]
    assert out["end"] == {
        "file": "gateway/channels/mqtt/publisher.py",
        "function": "OutboxPublisher._publish",
    }
    # the request is read before it is decided on; statuses are written as FpML and published
    assert _first(files, "gateway/formats/fpml/read/") < files.index("gateway/clearing/decide.py")
    assert _first(files, "gateway/formats/fpml/write/") > 0
    assert "gateway/channels/mqtt/publisher.py" in files
    assert any(f.startswith("fpml_schemas/") for f in files)  # the schema validates the request
    assert any(f.startswith("gateway/store/") for f in files)
    # the reader runs on its own thread beside the event loop
    reader_threads = {
        t for p in out["per_file"] if p["file"].startswith("gateway/formats/fpml/read/") for t in p["threads"]
    }
    assert any(t.startswith("fpml-read") for t in reader_threads)

    # the counts are the lists' lengths, each folder is a file's, and nothing was imported in the window
    assert out["file_count"] == len(files) == len(set(files))
    assert out["folder_count"] == len(out["folders"])
    assert set(out["folders"]) == {p["folder"] for p in out["per_file"]}
    assert [p["file"] for p in out["per_file"]] == files
    assert out["imports_in_window"] == []
    assert out["confirmed_on"] == [
        "ccp/out/MARKITWIRE/fpml",
        "ccp/member/BANKA/fpml",
        "ccp/member/BANKB/fpml",
    ]
