"""The topic scheme: every valid id round-trips, anything that would break a topic level is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.publish.mqtt.topics import (
    check_segment,
    intake_topic,
    member_status_topic,
    source_of_intake_topic,
    source_status_topic,
)

ids = st.text(st.characters(blacklist_characters="/+#\x00", blacklist_categories=("Cs",)), min_size=1).filter(
    lambda s: not s.startswith("$")
)


@given(ids)
def test_intake_topic_round_trips(source: str) -> None:
    assert source_of_intake_topic(intake_topic(source)) == source


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
