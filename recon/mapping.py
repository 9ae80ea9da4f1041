"""A member's book layout (TOML): their column names, date and number formats and codes, onto ours.

See docs/RECON_FORMATS.md for the file format. An empty mapping reads the standard layout itself.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.domain.errors import InputRejected
from recon.errors import unusable
from recon.layout import DATE_COLUMNS, DEFAULTABLE, NUMERIC_COLUMNS, POSITION_COLUMNS, STATUSES, Direction

_TABLES = frozenset({"file", "columns", "defaults", "dates", "numbers", "codes"})
ISO_DATE = "%Y-%m-%d"


@dataclass(frozen=True, slots=True)
class BookMapping:
    """How to read one member's book. The default instance reads the standard layout."""

    columns: Mapping[str, str] = field(default_factory=dict)  # standard name -> member's column name
    defaults: Mapping[str, str] = field(default_factory=dict)  # standard name -> constant value
    date_formats: Mapping[str, str] = field(default_factory=dict)  # date column -> strptime format
    thousands: str = ""
    decimal: str = "."
    percent: frozenset[str] = frozenset()
    basis_points: frozenset[str] = frozenset()
    direction_codes: Mapping[str, str] = field(default_factory=dict)  # upper-cased member code -> PAY/RECEIVE
    status_codes: Mapping[str, str] = field(default_factory=dict)  # upper-cased member code -> FpML status
    delimiter: str = ","
    file_format: str | None = None  # "csv" or "parquet"; None: from the file suffix

    def source_column(self, standard: str) -> str:
        return self.columns.get(standard, standard)

    def date_format(self, column: str) -> str:
        return self.date_formats.get(column, ISO_DATE)

    def scale(self, column: str) -> float:
        if column in self.percent:
            return 0.01
        if column in self.basis_points:
            return 0.0001
        return 1.0


STANDARD = BookMapping()


def load_mapping(path: Path) -> BookMapping:
    """Read and check a mapping file; any mistake is an ``InputRejected`` naming the key."""
    name = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise unusable(name, "file", "mapping file does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise unusable(name, "file", f"not valid TOML: {exc}") from None
    return parse_mapping(doc, name)


def parse_mapping(doc: Mapping[str, Any], name: str = "mapping") -> BookMapping:
    for key in doc:
        if key not in _TABLES:
            raise unusable(name, f"[{key}]", f"unknown table; expected one of {sorted(_TABLES)}")
    file = _table(doc, "file", name)
    columns = _strings(_table(doc, "columns", name), "columns", name)
    defaults = _strings(_table(doc, "defaults", name), "defaults", name)
    dates = _table(doc, "dates", name)
    numbers = _table(doc, "numbers", name)
    codes = _table(doc, "codes", name)
    for std in columns:
        if std not in POSITION_COLUMNS:
            raise unusable(name, f"columns.{std}", f"'{std}' is not a column of the standard layout")
    if len(set(columns.values())) != len(columns):
        raise unusable(name, "columns", "two standard columns are mapped from the same member column")
    for std in defaults:
        if std not in DEFAULTABLE:
            raise unusable(name, f"defaults.{std}", f"only {sorted(DEFAULTABLE)} may have a default")
    date_formats: dict[str, str] = {}
    for key, value in dates.items():
        if not isinstance(value, str):
            raise unusable(name, f"dates.{key}", "a date format must be a string such as '%d/%m/%Y'")
        if key == "format":
            date_formats.update(dict.fromkeys(DATE_COLUMNS, value))
        elif key in DATE_COLUMNS:
            date_formats[key] = value
        else:
            raise unusable(name, f"dates.{key}", f"expected 'format' or one of {sorted(DATE_COLUMNS)}")
    for column in DATE_COLUMNS:
        date_formats.setdefault(column, ISO_DATE)
    thousands = numbers.get("thousands", "")
    decimal = numbers.get("decimal", ".")
    if not isinstance(thousands, str) or len(thousands) > 1:
        raise unusable(name, "numbers.thousands", "thousands separator must be one character or empty")
    if decimal not in (".", ","):
        raise unusable(name, "numbers.decimal", "decimal separator must be '.' or ','")
    if thousands == decimal:
        raise unusable(name, "numbers", "thousands and decimal separators must differ")
    percent = _numeric_list(numbers, "percent", name)
    bps = _numeric_list(numbers, "basis_points", name)
    if percent & bps:
        raise unusable(name, "numbers", f"{sorted(percent & bps)} cannot be both percent and basis points")
    unknown = set(numbers) - {"thousands", "decimal", "percent", "basis_points"}
    if unknown:
        raise unusable(name, f"numbers.{sorted(unknown)[0]}", "unknown key")
    direction_codes = _codes(codes, "direction", {d.value for d in Direction}, name)
    status_codes = _codes(codes, "status", STATUSES, name)
    unknown = set(codes) - {"direction", "status"}
    if unknown:
        raise unusable(name, f"codes.{sorted(unknown)[0]}", "only direction and status codes can be mapped")
    delimiter = file.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise unusable(name, "file.delimiter", "delimiter must be one character")
    file_format = file.get("format")
    if file_format not in (None, "csv", "parquet"):
        raise unusable(name, "file.format", "format must be 'csv' or 'parquet'")
    unknown = set(file) - {"delimiter", "format"}
    if unknown:
        raise unusable(name, f"file.{sorted(unknown)[0]}", "unknown key")
    return BookMapping(
        columns=columns,
        defaults=defaults,
        date_formats=date_formats,
        thousands=thousands,
        decimal=decimal,
        percent=percent,
        basis_points=bps,
        direction_codes=direction_codes,
        status_codes=status_codes,
        delimiter=delimiter,
        file_format=file_format,
    )


def _table(doc: Mapping[str, Any], key: str, name: str) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise unusable(name, f"[{key}]", "must be a table")
    return value


def _strings(table: Mapping[str, Any], where: str, name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str) or not value:
            raise unusable(name, f"{where}.{key}", "must be a non-empty string")
        out[key] = value
    return out


def _numeric_list(numbers: Mapping[str, Any], key: str, name: str) -> frozenset[str]:
    value = numbers.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise unusable(name, f"numbers.{key}", "must be a list of column names")
    for column in value:
        if column not in NUMERIC_COLUMNS:
            raise unusable(name, f"numbers.{key}", f"'{column}' is not one of {sorted(NUMERIC_COLUMNS)}")
    return frozenset(value)


def _codes(
    codes: Mapping[str, Any], key: str, allowed: set[str] | frozenset[str], name: str
) -> dict[str, str]:
    table = _strings(_table(codes, key, name), f"codes.{key}", name)
    canonical = {a.upper(): a for a in allowed}
    out: dict[str, str] = {}
    for code, target in table.items():
        if target.upper() not in canonical:
            raise unusable(name, f"codes.{key}.{code}", f"'{target}' is not one of {sorted(allowed)}")
        out[code.strip().upper()] = canonical[target.upper()]
    return out


__all__ = ["STANDARD", "BookMapping", "InputRejected", "load_mapping", "parse_mapping"]
