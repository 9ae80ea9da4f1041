"""Reading books: a member's own layout through a mapping file, and every kind of bad input."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from recon.engine import reconcile
from recon.loader import Side, load_book, normalise
from recon.mapping import load_mapping, parse_mapping
from recon.tolerances import Tolerances
from tests.recon.conftest import position, write_csv

MEMBER_MAPPING = """
[file]
delimiter = ";"

[columns]
trade_id = "CCP Ref"
uti = "Unique Trade Identifier"
account = "Acct"
product = "Product Type"
currency = "Ccy"
notional = "Notional Amount"
direction = "Pay/Rec"
fixed_rate = "Fixed Rate %"
floating_index = "Float Index"
index_tenor = "Tenor"
spread = "Spread bp"
effective_date = "Start"
maturity_date = "End"
status = "Clearing Status"
npv = "MTM"

[defaults]
member = "CM1"

[dates]
format = "%d/%m/%Y"

[numbers]
thousands = "."
decimal = ","
percent = ["fixed_rate"]
basis_points = ["spread"]

[codes.direction]
P = "PAY"
R = "RECEIVE"

[codes.status]
CLR = "Cleared"
PND = "Pending"
"""

FOREIGN_HEADER = [
    "Internal Id",
    "CCP Ref",
    "Unique Trade Identifier",
    "Acct",
    "Product Type",
    "Ccy",
    "Notional Amount",
    "Pay/Rec",
    "Fixed Rate %",
    "Float Index",
    "Tenor",
    "Spread bp",
    "Start",
    "End",
    "Clearing Status",
    "MTM",
]


def _foreign_row(internal: str, ccp_ref: str, uti: str, **kw: str) -> dict[str, str]:
    row = {
        "Internal Id": internal,
        "CCP Ref": ccp_ref,
        "Unique Trade Identifier": uti,
        "Acct": "HOUSE",
        "Product Type": "IRS",
        "Ccy": "AUD",
        "Notional Amount": "100.000.000,00",
        "Pay/Rec": "P",
        "Fixed Rate %": "4,15",
        "Float Index": "BBSW",
        "Tenor": "6M",
        "Spread bp": "",
        "Start": "07/01/2026",
        "End": "07/01/2031",
        "Clearing Status": "CLR",
        "MTM": "12.500,25",
    }
    row.update(kw)
    return row


def test_member_mapping_with_foreign_columns_and_formats_reconciles_cleanly(tmp_path: Path) -> None:
    mapping_path = tmp_path / "cm1.toml"
    mapping_path.write_text(MEMBER_MAPPING)
    member_rows = [
        _foreign_row("BK-1", "C1", "UTI-C1"),
        _foreign_row("BK-2", "C2", "UTI-C2", **{"Pay/Rec": "R", "Notional Amount": "2.500.000,50"}),
        _foreign_row(
            "BK-3", "", "UTI-C3", **{"Product Type": "BASIS", "Fixed Rate %": "", "Spread bp": "12,5"}
        ),
    ]
    member_file = write_csv(tmp_path / "book.csv", member_rows, columns=FOREIGN_HEADER, delimiter=";")
    ccp_file = write_csv(
        tmp_path / "ccp.csv",
        [
            position("C1"),
            position("C2", direction="RECEIVE", notional="2500000.50"),
            position("C3", product="BASIS", fixed_rate="", spread="0.00125"),
        ],
    )
    mapping = load_mapping(mapping_path)
    m = load_book(member_file, member="CM1", side=Side.MEMBER, mapping=mapping)
    assert m.problems == ()
    row = m.frame.filter(pl.col("trade_id") == "C1").to_dicts()[0]
    assert row["fixed_rate"] == pytest.approx(0.0415)
    assert row["notional"] == 100_000_000.0
    assert str(row["effective_date"]) == "2026-01-07"
    c = load_book(ccp_file, member="CM1", side=Side.CCP)
    result = reconcile("CM1", m, c, Tolerances())
    assert result.breaks.height == 0
    assert result.matched == 3
    assert result.matched_by == {"trade_id": 2, "uti": 1, "economics": 0}


def test_mapping_catches_its_own_mistakes() -> None:
    with pytest.raises(InputRejected, match="'ccp_ref' is not a column of the standard layout"):
        parse_mapping({"columns": {"ccp_ref": "CCP Ref"}}, "m.toml")
    with pytest.raises(InputRejected, match="'BUY' is not one of"):
        parse_mapping({"codes": {"direction": {"B": "BUY"}}}, "m.toml")
    with pytest.raises(InputRejected, match="thousands and decimal separators must differ"):
        parse_mapping({"numbers": {"thousands": ",", "decimal": ","}}, "m.toml")
    with pytest.raises(InputRejected, match=r"unknown table"):
        parse_mapping({"colums": {}}, "m.toml")


def test_wrong_columns_name_the_file_and_every_missing_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "book.csv", [position("C1")], columns=["trade_id", "uti", "notional"])
    with pytest.raises(InputRejected) as err:
        load_book(path, member="CM1", side=Side.MEMBER)
    issue = err.value.issues[0]
    assert issue.code is ReasonCode.RECON_INPUT_ERROR
    assert issue.path == f"{path}:header"
    assert "missing column(s): member, account, product, currency, direction" in issue.message
    assert "columns found: trade_id, uti, notional" in issue.message


def test_mapped_column_missing_names_the_members_own_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "book.csv", [position("C1")])
    mapping = parse_mapping({"columns": {"notional": "Notional Amount"}})
    with pytest.raises(InputRejected, match=r"notional \(from 'Notional Amount'\)"):
        load_book(path, member="CM1", side=Side.MEMBER, mapping=mapping)


@pytest.mark.parametrize("content", [b"", b"\n"])
def test_empty_file_is_unusable(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(InputRejected, match="empty") as err:
        load_book(path, member="CM1", side=Side.MEMBER)
    assert err.value.issues[0].path == f"{path}:file"


def test_header_only_file_is_an_empty_book(tmp_path: Path) -> None:
    book = load_book(write_csv(tmp_path / "book.csv", []), member="CM1", side=Side.MEMBER)
    assert (book.frame.height, book.problems) == (0, ())


def test_book_of_another_member_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "book.csv", [position("C1", member="CM2"), position("C2", member="CM2")])
    with pytest.raises(InputRejected, match="this book belongs to member CM2, not CM1") as err:
        load_book(path, member="CM1", side=Side.MEMBER)
    assert err.value.issues[0].path == f"{path}:column member"


def test_ccp_file_rows_of_other_members_are_set_aside(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ccp.csv", [position("C1"), position("C9", member="CM2")])
    book = load_book(path, member="CM1", side=Side.CCP)
    assert book.frame["trade_id"].to_list() == ["C1"]
    assert book.problems == ()


def test_bad_cells_are_reported_by_file_row_and_column_and_good_rows_kept(tmp_path: Path) -> None:
    rows = [
        position("C1"),
        position("C2", effective_date="2026-02-30"),
        position("C3", notional="1O0000"),
        position("C4", direction="BUY", currency="AU"),
        position("C5", maturity_date="2025-01-01"),
        position("C6", member="CM7"),
        position("C7", status=""),
        position("C8"),
    ]
    path = write_csv(tmp_path / "book.csv", rows)
    book = load_book(path, member="CM1", side=Side.MEMBER)
    assert book.frame["trade_id"].to_list() == ["C1", "C8"]
    got = [(p.row, p.column, p.message) for p in book.problems]
    assert got == [
        (2, "effective_date", "'2026-02-30' is not a date in the format %Y-%m-%d"),
        (3, "notional", "'1O0000' is not a number (decimal separator '.')"),
        (4, "currency", "'AU' is not an ISO 4217 currency code"),
        (4, "direction", "'BUY' is not a known direction code (known: PAY, RECEIVE)"),
        (5, "maturity_date", "maturity date is not after the effective date"),
        (6, "member", "row belongs to member 'CM7', not CM1"),
        (7, "status", "status is required but empty"),
    ]
    assert all(p.file == str(path) for p in book.problems)
    assert (
        str(book.problems[0])
        == f"{path}, row 2, column effective_date: '2026-02-30' is not a date in the format %Y-%m-%d"
    )
    assert book.problems[0].issue().path == f"{path}:row 2:effective_date"


def test_ccp_rows_need_a_trade_id_member_rows_do_not(tmp_path: Path) -> None:
    ccp = load_book(write_csv(tmp_path / "c.csv", [position(None, uti="U1")]), member="CM1", side=Side.CCP)
    assert [(p.column, p.message) for p in ccp.problems] == [("trade_id", "trade_id is required but empty")]
    member = load_book(
        write_csv(tmp_path / "m.csv", [position(None, uti="U1")]), member="CM1", side=Side.MEMBER
    )
    assert member.problems == ()


def test_parquet_book_with_typed_columns(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        [position("C1"), position("C2", npv="")], schema=dict.fromkeys(position("x"), pl.String)
    )
    typed = frame.with_columns(
        pl.col("notional", "fixed_rate", "npv").cast(pl.Float64, strict=False),
        pl.col("effective_date", "maturity_date").str.to_date(),
    )
    path = tmp_path / "book.parquet"
    typed.write_parquet(path)
    book = load_book(path, member="CM1", side=Side.MEMBER)
    assert book.problems == ()
    assert book.frame["npv"].to_list() == [12500.25, None]


def test_unreadable_csv_is_unusable_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "book.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputRejected, match="cannot be read as PARQUET"):
        load_book(path, member="CM1", side=Side.MEMBER)


@settings(max_examples=60, deadline=None)
@given(
    value=st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
    european=st.booleans(),
)
def test_numbers_in_member_formats_parse_exactly(value: object, european: bool) -> None:
    """Any amount written with thousands separators and either decimal mark reads back to its value."""
    text = f"{value:,.2f}"
    mapping = {"numbers": {"thousands": ".", "decimal": ","}} if european else {"numbers": {"thousands": ","}}
    if european:
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    row = position("C1", npv=text)
    frame = pl.DataFrame([row], schema=dict.fromkeys(row, pl.String))
    book = normalise(frame, source="b.csv", member="CM1", side=Side.MEMBER, mapping=parse_mapping(mapping))
    assert book.problems == ()
    assert book.frame["npv"].item() == pytest.approx(float(value), abs=1e-6)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=12))
def test_any_text_in_a_numeric_or_date_cell_never_crashes(text: str) -> None:
    row = position("C1", notional=text, maturity_date=text)
    frame = pl.DataFrame([row], schema=dict.fromkeys(row, pl.String))
    book = normalise(frame, source="b.csv", member="CM1", side=Side.MEMBER)
    assert book.frame.height + len({p.row for p in book.problems}) == 1


def test_rows_with_too_many_or_too_few_fields_are_reported_and_the_rest_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "book.csv", [position("C1"), position("C2"), position("C3"), position("C4")])
    lines = path.read_text().splitlines()
    lines[2] = lines[2] + ",surplus"  # data row 2
    lines[3] = ",".join(lines[3].split(",")[:5])  # data row 3
    path.write_text("\ufeff" + "\n".join(lines) + "\n")  # with a byte-order mark, as spreadsheets write
    book = load_book(path, member="CM1", side=Side.MEMBER)
    assert book.frame.select("trade_id", "_row").rows() == [("C1", 1), ("C4", 4)]
    assert [(p.row, p.column, p.message) for p in book.problems] == [
        (2, "(row)", "has 17 fields where the header has 16"),
        (3, "(row)", "has 5 fields where the header has 16"),
    ]


def test_bytes_that_are_not_utf8_fail_only_their_cell(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "book.csv", [position("C1"), position("C2", currency="AUD")])
    data = path.read_bytes().replace(b"C2,UTI-C2,CM1,HOUSE,IRS,AUD", b"C2,UTI-C2,CM1,HOUSE,IRS,A\xffD")
    path.write_bytes(data)
    book = load_book(path, member="CM1", side=Side.MEMBER)
    assert book.frame["trade_id"].to_list() == ["C1"]
    assert [(p.row, p.column, p.message) for p in book.problems] == [
        (2, "currency", "currency holds bytes that are not UTF-8 text")
    ]


def test_a_column_named_twice_is_unusable(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "book.csv", [position("C1")], columns=[*position("x"), "npv"])
    with pytest.raises(InputRejected, match="column\\(s\\) npv appear more than once"):
        load_book(path, member="CM1", side=Side.MEMBER)


@settings(max_examples=40, deadline=None)
@given(
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    fmt=st.sampled_from(["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d", "%d-%b-%Y"]),
)
def test_dates_in_any_mapped_format_read_back(day: date, fmt: str) -> None:
    row = position(
        "C1", effective_date=day.strftime(fmt), maturity_date=(day + timedelta(days=400)).strftime(fmt)
    )
    frame = pl.DataFrame([row], schema=dict.fromkeys(row, pl.String))
    book = normalise(
        frame,
        source="b.csv",
        member="CM1",
        side=Side.MEMBER,
        mapping=parse_mapping({"dates": {"format": fmt}}),
    )
    assert book.problems == ()
    assert book.frame["effective_date"].item() == day
