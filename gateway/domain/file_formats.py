"""The formats files are written in, told by the output path's suffix, and the check that they agree.

Every command that writes a file of a fixed format asks ``output_format`` which format the path names; a
suffix that names none of the formats the command writes is refused before anything is written, naming the
option and the suffixes accepted (``--out x.txt`` never silently receives CSV).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import PurePath

from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode


class FileFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


SUFFIXES: dict[FileFormat, tuple[str, ...]] = {
    FileFormat.CSV: (".csv",),
    FileFormat.PARQUET: (".parquet", ".pq"),
}


def output_format(path: PurePath, accepted: Iterable[FileFormat], option: str = "--out") -> FileFormat:
    """The format among ``accepted`` that ``path``'s suffix names (case-insensitive); refused otherwise."""
    formats = tuple(accepted)
    suffix = path.suffix.lower()
    for fmt in formats:
        if suffix in SUFFIXES[fmt]:
            return fmt
    allowed = ", ".join(s for fmt in formats for s in SUFFIXES[fmt])
    named = f"suffix {path.suffix!r}" if path.suffix else "no suffix"
    raise InputRejected.of(
        ReasonCode.REF_INVALID_INPUT,
        option,
        f"{str(path)!r} has {named}: the file is written as {' or '.join(f.value for f in formats)}, "
        f"so name it with one of {allowed}",
    )


__all__ = ["SUFFIXES", "FileFormat", "output_format"]
