"""Our dictionaries: generated from upstream by our overlay, in sync with the code that reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from fix_specs import APP_DICTIONARY, TRANSPORT_DICTIONARY, build, roe
from gateway.formats.fix.dictionary import load
from gateway.formats.fix.tags import T


def test_committed_dictionaries_are_what_the_build_produces() -> None:
    transport, app = build.render(build.upstream_dir())
    assert TRANSPORT_DICTIONARY.read_text() == transport
    assert APP_DICTIONARY.read_text() == app


def test_overlay_naming_what_upstream_lacks_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        roe.MESSAGES, "TradeCaptureReport", [*roe.MESSAGES["TradeCaptureReport"], "NoSuchField"]
    )
    with pytest.raises(build.BuildError, match="TradeCaptureReport: upstream has no field NoSuchField"):
        build.render(build.upstream_dir())


def test_enumeration_outside_upstream_values_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(roe.ENUMS, "TrdAckStatus", [("0", "ACCEPTED"), ("7", "INVENTED")])
    with pytest.raises(build.BuildError, match=r"TrdAckStatus: values \['7'\] are not upstream enumerations"):
        build.render(build.upstream_dir())


def test_every_tag_constant_matches_the_dictionary() -> None:
    d = load()
    assert {t.name: t.value for t in T} == {name: number for number, name in d.names.items()}


def test_issue_fields_are_in_the_dictionary() -> None:
    d = load()
    for name in (
        "ClearedIndicator",
        "TrdRptStatus",
        "TrdAckStatus",
        "RiskLimitCheckStatus",
        "NoStreams",
        "PaymentStreamRate",
        "SecurityXML",
    ):
        assert name in d.numbers
    ae = d.messages["AE"]
    assert T.NoStreams in ae.groups  # Instrument's StreamGrp, inlined
    assert ae.groups[T.NoStreams].delimiter == T.StreamType
    assert ae.groups[T.NoSides].delimiter == T.Side


def test_quickfix_loads_both_dictionaries(tmp_path: Path) -> None:
    import quickfix

    assert quickfix.DataDictionary(str(TRANSPORT_DICTIONARY)).getVersion() == "FIXT.1.1"
    assert (
        quickfix.DataDictionary(str(APP_DICTIONARY)).getVersion() == "FIX.5.0"
    )  # quickfix's name for 5.0 SPx


def test_roe_document_carries_the_current_reference() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "FIX_ROE.md").read_text()
    start = doc.index("<!-- generated reference: start -->\n") + len("<!-- generated reference: start -->\n")
    end = doc.index("<!-- generated reference: end -->")
    assert doc[start:end].strip() == build.reference_markdown().strip()
