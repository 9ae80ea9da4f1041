"""The tag=value reader never fails with anything but a reasoned InputRejected, whatever it is given."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from gateway.formats.fix.dictionary import default
from gateway.formats.fix.wire import SOH, Out, frame, parse, split

D = default()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789=|\x01ABZ.-")), max_size=200))
def test_junk_is_refused_with_a_reason(text: str) -> None:
    try:
        parse(text.replace("|", SOH), D)
    except InputRejected as exc:
        code = exc.issues[0].code
    else:
        return
    assert code in {ReasonCode.FIX_INVALID_VALUE, ReasonCode.FIX_UNSUPPORTED_MESSAGE}


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=0, max_size=300).filter(lambda s: SOH not in s))
def test_data_field_may_hold_any_text(xml: str) -> None:
    raw = frame(Out("AE", ((571, "R1"), (1184, str(len(xml.encode()))), (1185, xml))))
    pairs = split(raw, D.data_length_tags)
    assert (1185, xml) in pairs


def test_data_field_with_separator_inside_is_read_by_its_length() -> None:
    xml = "<a>1\x012</a>"
    raw = f"8=FIXT.1.1{SOH}9=5{SOH}35=AE{SOH}1184={len(xml)}{SOH}1185={xml}{SOH}10=000{SOH}"
    assert (1185, xml) in split(raw, D.data_length_tags)


def test_group_count_larger_than_its_entries_is_refused() -> None:
    raw = f"8=FIXT.1.1{SOH}35=AE{SOH}571=R1{SOH}552=3{SOH}54=1{SOH}54=2{SOH}10=000{SOH}"
    with pytest.raises(InputRejected, match="declares 3 entries but entry 3 does not start with Side"):
        parse(raw, D)


def test_unknown_message_type_is_unsupported() -> None:
    with pytest.raises(InputRejected) as err:
        parse(f"8=FIXT.1.1{SOH}35=ZZ{SOH}10=000{SOH}", D)
    assert err.value.code is ReasonCode.FIX_UNSUPPORTED_MESSAGE


def _reference_split(raw: str) -> list[tuple[int, str]] | str:
    """The plain reading spelled out chunk by chunk: pairs, or the text of the refusal."""
    pairs: list[tuple[int, str]] = []
    for chunk in raw.rstrip(SOH).split(SOH):
        tag, eq, value = chunk.partition("=")
        if not eq:
            return f"no '=' in {chunk[:20]!r}"
        try:
            pairs.append((int(tag), value))
        except ValueError:
            return f"tag {tag!r} is not a number"
    return pairs


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789=|\x01AZ -+_")), max_size=80))
def test_split_reads_as_the_chunk_by_chunk_reference(text: str) -> None:
    raw = text.replace("|", SOH)
    expected = _reference_split(raw)
    try:
        got: list[tuple[int, str]] | str = split(raw, {})
    except InputRejected as exc:
        got = exc.issues[0].message
    assert got == expected
