"""The topic scheme: every valid id round-trips, anything that would break a topic level is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.channels.mqtt.topics import (
    intake_filter,
    intake_topic,
    member_status_topic,
    source_of_intake_topic,
    source_status_topic,
)
from gateway.domain.identifiers import check_root, check_segment

ids = st.text(st.characters(blacklist_characters="/+#\x00", blacklist_categories=("Cs",)), min_size=1).filter(
    lambda s: not s.startswith("$")
)


@given(ids, st.lists(ids, min_size=1, max_size=3).map("/".join))
def test_intake_topic_round_trips(source: str, root: str) -> None:
    assert source_of_intake_topic(intake_topic(source)) == source
    assert source_of_intake_topic(intake_topic(source, root), root) == source
    assert source_of_intake_topic(intake_topic(source, root)) is None or root == "ccp"


def test_a_root_prefixes_every_topic() -> None:
    assert intake_filter("uat/ccp") == "uat/ccp/in/+/fpml"
    assert member_status_topic("BANKA", "uat/ccp") == "uat/ccp/member/BANKA/fpml"
    with pytest.raises(ValueError, match="topic level"):
        check_root("uat//ccp")


def test_topics_follow_the_documented_scheme() -> None:
    assert intake_topic("MW") == "ccp/in/MW/fpml"
    assert source_status_topic("MW") == "ccp/out/MW/fpml"
    assert member_status_topic("BANKA") == "ccp/member/BANKA/fpml"


@pytest.mark.parametrize("bad", ["", "a/b", "a+", "#", "$SYS", "x\x00"])
def test_unsafe_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"topic level|reserved"):
        check_segment(bad)


@pytest.mark.parametrize("topic", ["ccp/out/MW/fpml", "ccp/in//fpml", "ccp/in/MW/fix", "ccp/in/MW/fpml/x"])
def test_other_topics_are_not_intake(topic: str) -> None:
    assert source_of_intake_topic(topic) is None
