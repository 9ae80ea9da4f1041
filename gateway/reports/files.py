"""Report files on disk: CSV bytes, atomic writes (a temporary file renamed over the target, so a reader
never sees half a file) and the folder's ``SHA256SUMS`` (``sha256sum -c`` reads it)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Sequence
from pathlib import Path

from gateway.reports.kind import Row, cell

SUMS = "SHA256SUMS"


def csv_bytes(columns: Sequence[str], rows: Sequence[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([cell(v) for v in r] for r in rows)
    return out.getvalue().encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sums_bytes(files: Sequence[tuple[str, str]]) -> bytes:
    """``SHA256SUMS`` of (name, sha256) pairs, in the format of ``sha256sum``."""
    return "".join(f"{digest}  {name}\n" for name, digest in files).encode("ascii")
