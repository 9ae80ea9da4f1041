"""Hostile and broken input: each refused with its own code, no traceback, nothing leaked."""

from __future__ import annotations

import pytest

from gateway.domain.errors import InputRejected
from gateway.formats.fpml.read import FpmlOptions, parse_fpml
from tests.formats.fpml.read.helpers import EXAMPLES, VANILLA, load, set_text, to_bytes

NS = "http://www.fpml.org/FpML-5/confirmation"
SECRET = "TOP-SECRET-CONTENT-4f1c"


def _code(data: bytes, options: FpmlOptions | None = None) -> InputRejected:
    with pytest.raises(InputRejected) as caught:
        parse_fpml(data, options=options)
    return caught.value


def test_billion_laughs_is_refused_before_expansion() -> None:
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    data = (
        f'<?xml version="1.0"?><!DOCTYPE dataDocument [<!ENTITY lol0 "lol">{lol}]>'
        f'<dataDocument xmlns="{NS}" fpmlVersion="5-10">&lol9;</dataDocument>'
    ).encode()
    err = _code(data)
    assert err.code.value == "XML_ENTITY_FORBIDDEN"


def test_external_entity_content_never_appears(tmp_path: object) -> None:
    from pathlib import Path

    secret = Path(str(tmp_path)) / "secret.txt"
    secret.write_text(SECRET)
    data = (
        f'<?xml version="1.0"?><!DOCTYPE dataDocument [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        f'<dataDocument xmlns="{NS}" fpmlVersion="5-10"><party id="p">&xxe;</party></dataDocument>'
    ).encode()
    err = _code(data)
    assert err.code.value == "XML_ENTITY_FORBIDDEN"
    assert SECRET not in str(err)
    assert all(SECRET not in i.message and SECRET not in i.path for i in err.issues)


def test_doctype_without_entities_is_refused() -> None:
    data = f'<?xml version="1.0"?><!DOCTYPE dataDocument><dataDocument xmlns="{NS}" fpmlVersion="5-10"/>'.encode()
    assert _code(data).code.value == "XML_DTD_FORBIDDEN"


_ROOT = f'<dataDocument xmlns="{NS}" fpmlVersion="5-10"/>'


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        (f"<!DOCTYPE dataDocument>{_ROOT}", "XML_DTD_FORBIDDEN", 1),
        (f"<!-- a comment! --><!doctype dataDocument>{_ROOT}", "XML_DTD_FORBIDDEN", 1),
        (f"<!--x-->\n<!-- y -->\n<!\t DocType dataDocument>{_ROOT}", "XML_DTD_FORBIDDEN", 3),
        (f"<!-- <!DOCTYPE inside a comment is refused too --><x/>{_ROOT}", "XML_DTD_FORBIDDEN", 1),
        (f'<!--c-->\n<!DOCTYPE d [\n<!-- e -->\n<!entity a "b">]>{_ROOT}', "XML_ENTITY_FORBIDDEN", 4),
        (f'<!ENTITY a "b">{_ROOT}', "XML_ENTITY_FORBIDDEN", 1),
    ],
)
def test_declarations_are_found_past_comments_in_any_case(text: str, code: str, line: int) -> None:
    err = _code(text.encode())
    assert err.code.value == code
    assert err.issues[0].path == f"line {line}"


@pytest.mark.official_fpml
def test_comments_and_cdata_with_exclamation_marks_are_read() -> None:
    data = (EXAMPLES / VANILLA).read_bytes()
    edited = data.replace(
        b"<tradeDate>1994-12-12</tradeDate>",
        b"<!-- <!- not a declaration! --><tradeDate><![CDATA[1994-12-12]]></tradeDate>",
    )
    assert edited != data
    assert parse_fpml(edited).trades == parse_fpml(data).trades


def test_utf16_doctype_is_refused_too() -> None:
    text = (
        f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><dataDocument xmlns="{NS}"/>'
    )
    assert _code(text.encode("utf-16")).code.value == "XML_ENTITY_FORBIDDEN"


def test_fifty_megabytes_is_refused_by_size_before_parsing() -> None:
    data = b"<dataDocument>" + b" " * (50 * 1024 * 1024) + b"</dataDocument>"
    err = _code(data)
    assert err.code.value == "XML_TOO_LARGE"
    assert "4194304" in err.issues[0].message


@pytest.mark.official_fpml
def test_size_limit_is_configurable() -> None:
    data = (EXAMPLES / VANILLA).read_bytes()
    assert _code(data, FpmlOptions(max_bytes=1000)).code.value == "XML_TOO_LARGE"


@pytest.mark.official_fpml
def test_truncated_document_is_malformed_with_line_and_column() -> None:
    data = (EXAMPLES / VANILLA).read_bytes()[:2000]
    err = _code(data)
    assert err.code.value == "XML_MALFORMED"
    assert err.path.startswith("line ")
    assert "column" in err.path


@pytest.mark.parametrize("data", [b"", b"   ", b"not xml at all", b"\x00\x01\x02", b"<a><b></a>"])
def test_garbage_is_malformed(data: bytes) -> None:
    assert _code(data).code.value == "XML_MALFORMED"


@pytest.mark.official_fpml
def test_wrong_namespace() -> None:
    data = (EXAMPLES / VANILLA).read_bytes().replace(b"FpML-5/confirmation", b"FpML-5/recordkeeping")
    err = _code(data)
    assert err.code.value == "XML_WRONG_NAMESPACE"
    assert "recordkeeping" in err.issues[0].message


def test_no_namespace() -> None:
    assert _code(b'<dataDocument fpmlVersion="5-10"/>').code.value == "XML_WRONG_NAMESPACE"


def test_unknown_message() -> None:
    assert (
        _code(f'<tradeCancelled xmlns="{NS}" fpmlVersion="5-10"/>'.encode()).code.value
        == "XML_UNKNOWN_MESSAGE"
    )


@pytest.mark.official_fpml
def test_wrong_fpml_version() -> None:
    root = load(VANILLA)
    root.set("fpmlVersion", "5-9")
    err = _code(to_bytes(root))
    assert err.code.value == "FPML_VERSION"
    assert "5-9" in err.issues[0].message


@pytest.mark.official_fpml
def test_unknown_day_count_names_the_field() -> None:
    root = set_text(
        load(VANILLA),
        "trade/swap/swapStream/calculationPeriodAmount/calculation/dayCountFraction",
        "ACT/366",
        1,
    )
    err = _code(to_bytes(root))
    assert [i.code.value for i in err.issues] == ["FPML_UNKNOWN_CODE"]
    assert (
        err.path
        == "/dataDocument/trade/swap/swapStream[2]/calculationPeriodAmount/calculation/dayCountFraction"
    )
    assert "ACT/366" in err.issues[0].message


@pytest.mark.official_fpml
def test_a_flood_of_bad_values_gives_a_bounded_answer() -> None:
    """Thousands of unknown centres: every one is looked at, the answer stays small and says how many more."""
    root = load(VANILLA)
    from lxml import etree

    holder = root.find(f".//{{{NS}}}businessCenters")
    assert holder is not None
    for i in range(20_000):
        etree.SubElement(holder, f"{{{NS}}}businessCenter").text = f"X{i:04d}"
    err = _code(to_bytes(root), FpmlOptions(validate=False))
    assert len(err.issues) <= 201
    assert err.issues[0].code.value == "FPML_UNKNOWN_CODE"
    assert err.issues[-1].message.endswith("further issues are not listed")
