"""Mosquitto ACL text, parsed and applied: the rules the embedded broker enforces."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.channels.mqtt.broker.acl import Acl, AclError, covers, matches, overlaps
from gateway.channels.mqtt.broker.acl_file import acl_file
from gateway.channels.mqtt.broker.defaults import generated_acl
from gateway.config import MqttConfig
from gateway.refdata.sources import TradeSource

DEPLOY_ACL = Path(__file__).resolve().parents[4] / "deploy" / "mosquitto" / "acl"


def test_the_embedded_rules_are_the_deploy_acl() -> None:
    # one renderer for both brokers: with no source registered the embedded broker enforces exactly the
    # shipped deploy ACL, which grants no intake topic by pattern
    text = generated_acl((), MqttConfig())
    assert text == DEPLOY_ACL.read_text()
    assert "pattern write ccp/in/%u/fpml" not in text


def test_deploy_style_rules_give_each_principal_its_own_topics() -> None:
    acl = Acl.parse(acl_file([TradeSource("MW", mqtt_user="MW")]))
    assert acl.allows_subscribe("gateway", "clearing-gateway", "ccp/in/+/fpml")
    assert acl.allows_receive("gateway", "x", "ccp/in/MW/fpml")
    assert acl.allows_publish("gateway", "x", "ccp/out/MW/fpml")
    assert acl.allows_publish("gateway", "x", "ccp/member/BANKA/fpml")
    assert not acl.allows_publish("gateway", "x", "ccp/in/MW/fpml")

    assert acl.allows_publish("MW", "mw", "ccp/in/MW/fpml")
    assert acl.allows_subscribe("MW", "mw", "ccp/out/MW/fpml")
    assert not acl.allows_subscribe("MW", "mw", "ccp/out/+/fpml")
    assert not acl.allows_subscribe("MW", "mw", "#")
    assert not acl.allows_publish("MW", "mw", "ccp/in/OTHER/fpml")

    # a member is not a source: no intake topic, not even its own
    assert not acl.allows_publish("BANKA", "a", "ccp/in/BANKA/fpml")
    assert acl.allows_subscribe("BANKA", "a", "ccp/member/BANKA/fpml")
    assert not acl.allows_subscribe("BANKA", "a", "ccp/member/BANKB/fpml")
    assert not acl.allows_subscribe("BANKA", "a", "ccp/member/#")
    assert not acl.allows_receive("BANKA", "a", "ccp/member/BANKB/fpml")
    # anonymous: nothing (no topic lines before the first user)
    assert not acl.allows_subscribe(None, "x", "ccp/member/BANKA/fpml")


def test_a_crafted_user_name_cannot_widen_a_pattern() -> None:
    acl = Acl.parse("pattern read ccp/member/%u/fpml\npattern write ccp/c/%c\n")
    assert not acl.allows_subscribe("+", "x", "ccp/member/+/fpml")
    assert not acl.allows_subscribe("#", "x", "ccp/member/#")
    assert not acl.allows_receive("a/b", "x", "ccp/member/a/b/fpml")
    assert acl.allows_publish("u", "cid", "ccp/c/cid")
    assert not acl.allows_publish("u", "c/d", "ccp/c/c/d")


def test_deny_wins_and_access_defaults_to_readwrite() -> None:
    acl = Acl.parse("topic before/user\nuser U\ntopic a/#\ntopic deny a/secret\ntopic read r/+\n")
    assert acl.allows_publish(None, None, "before/user")  # anonymous section
    assert not acl.allows_publish("U", None, "before/user")
    assert acl.allows_publish("U", None, "a/b/c")
    assert acl.allows_receive("U", None, "a")
    assert not acl.allows_publish("U", None, "a/secret")
    assert not acl.allows_subscribe("U", None, "a/#")  # overlaps the denied topic
    assert acl.allows_subscribe("U", None, "a/b/#")
    assert acl.allows_subscribe("U", None, "r/x")
    assert not acl.allows_publish("U", None, "r/x")


@pytest.mark.parametrize(
    "text",
    ["topic", "user", "topic read", "group x", "topic read a/#/b", "topic read a/b+", "topic read a b"],
)
def test_unreadable_acl_lines_are_refused(text: str) -> None:
    with pytest.raises(AclError, match="line 1"):
        Acl.parse(text)


def test_filter_algebra() -> None:
    assert matches("a/+/c", "a/b/c")
    assert matches("a/#", "a")
    assert not matches("a/+", "a/b/c")
    assert not matches("#", "$SYS/x")
    assert covers("a/#", "a/+/c")
    assert covers("a/+/c", "a/b/c")
    assert not covers("a/+/c", "a/#")
    assert not covers("a/b/c", "a/+/c")
    assert covers("a/b/#", "a/b")
    assert overlaps("a/+", "a/b")
    assert overlaps("#", "x/y")
    assert not overlaps("a/b", "a/c")
    assert not overlaps("a/b", "a/b/c")
