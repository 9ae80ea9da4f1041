"""``status_update_to_fpml``: the message each outbox status becomes, as the publisher sends it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.clearing.novation import CCP_TRADE_ID_SCHEME as CCP_TRADE_ID
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.reasons import REASONS, ReasonCode
from gateway.domain.trade import Trade
from gateway.formats.fpml.write import CLEARING_STATUS, FpmlWriteError, status_update_to_fpml
from gateway.formats.fpml.write.schemes import FPML_NS
from tests.formats.fpml.write import shapes
from tests.formats.fpml.write.cases import CCP, cleared_update, update
from tests.formats.fpml.write.conftest import SchemaCheck

NS = {"f": FPML_NS}


def local(root: etree._Element) -> str:
    return etree.QName(root).localname


def texts(root: etree._Element, path: str) -> list[str]:
    return [el.text or "" for el in root.xpath(path, namespaces=NS)]


def party_id(root: etree._Element, href: str) -> str:
    return texts(root, f"/*/f:party[@id='{href}']/f:partyId")[0]


def test_receipt_is_an_acknowledgement_in_reply_to_the_request(assert_valid: SchemaCheck) -> None:
    root = assert_valid(
        status_update_to_fpml(update(ClearingStatusCode.RECEIVED), ccp=CCP, recipient="MARKITWIRE")
    )
    assert local(root) == "clearingAcknowledgement"
    assert texts(root, "f:header/f:inReplyTo") == ["SRC-1"]
    assert texts(root, "f:header/f:sentBy") == ["EXCLEAR"]
    assert texts(root, "f:header/f:sendTo") == ["MARKITWIRE"]
    assert texts(root, "f:correlationId") == ["CORR-42"]
    assert texts(root, "f:tradeReferenceInformation/f:partyTradeIdentifier/f:versionedTradeId/f:tradeId") == [
        "MW-100"
    ]


def test_receipt_without_a_request_id_is_a_received_status(assert_valid: SchemaCheck) -> None:
    data = status_update_to_fpml(
        update(ClearingStatusCode.RECEIVED, in_reply_to=None), ccp=CCP, recipient="M"
    )
    root = assert_valid(data)
    assert local(root) == "clearingStatus"
    assert texts(root, "//f:clearingStatusValue") == ["Received"]


@pytest.mark.parametrize(
    "status",
    [s for s in ClearingStatusCode if s not in (ClearingStatusCode.RECEIVED, ClearingStatusCode.REJECTED)],
)
def test_other_statuses_are_clearing_status_with_the_scheme_value(
    status: ClearingStatusCode, assert_valid: SchemaCheck
) -> None:
    root = assert_valid(status_update_to_fpml(update(status, sequence=2), ccp=CCP, recipient=shapes.LEI_A))
    assert local(root) == "clearingStatus"
    assert texts(root, "f:clearingStatusItem/f:clearingStatusValue") == [CLEARING_STATUS[status]]
    assert texts(root, "f:sequenceNumber") == ["2"]
    assert root.xpath("count(f:clearingStatusItem/f:trade/f:swap/f:swapStream)", namespaces=NS) == 2


def test_status_mapping_uses_the_scheme_words() -> None:
    assert set(CLEARING_STATUS) == set(ClearingStatusCode)
    assert CLEARING_STATUS[ClearingStatusCode.CLEARED] == "Registered"
    assert CLEARING_STATUS[ClearingStatusCode.AWAITING_ACCEPTANCE] == "AwaitingAcceptance"


def test_pending_status_carries_its_reason(assert_valid: SchemaCheck) -> None:
    issue = Issue(ReasonCode.RISK_INSUFFICIENT_COLLATERAL, "party[1]", "waiting for collateral")
    data = status_update_to_fpml(update(ClearingStatusCode.PENDING, reasons=(issue,)), ccp=CCP, recipient="M")
    reason = assert_valid(data).xpath("//f:clearingStatusItem/f:reason", namespaces=NS)[0]
    assert texts(reason, "f:reasonCode") == ["InsufficientCollateral"]
    assert texts(reason, "f:location") == ["party[1]"]
    assert texts(reason, "f:validationRuleId") == ["RISK_INSUFFICIENT_COLLATERAL"]


def test_cleared_update_is_a_confirmation_with_the_two_ccp_trades(assert_valid: SchemaCheck) -> None:
    root = assert_valid(status_update_to_fpml(cleared_update(shapes.irs()), ccp=CCP, recipient="MARKITWIRE"))
    assert local(root) == "clearingConfirmed"
    cleared = root.xpath("f:clearing/f:cleared", namespaces=NS)
    assert len(cleared) == 2
    assert len(root.xpath("f:clearing/f:submitted/f:trade", namespaces=NS)) == 1
    ccp_ids = []
    for wrapper in cleared:
        assert texts(wrapper, "f:originatingEvent") == ["Clearing"]
        assert texts(wrapper, "f:trade/f:tradeHeader/f:clearedDate") == ["2026-03-16"]
        for pti in wrapper.xpath("f:trade/f:tradeHeader/f:partyTradeIdentifier[f:tradeId]", namespaces=NS):
            if pti.xpath("f:tradeId/@tradeIdScheme", namespaces=NS) == [CCP_TRADE_ID]:
                href = pti.xpath("f:partyReference/@href", namespaces=NS)[0]
                assert party_id(root, href) == shapes.LEI_CCP
                ccp_ids.extend(texts(pti, "f:tradeId"))
        payers = {party_id(root, h) for h in wrapper.xpath(".//f:payerPartyReference/@href", namespaces=NS)}
        assert shapes.LEI_CCP in payers
    assert ccp_ids == ["CCP-1-A", "CCP-1-B"]
    ccp_party = root.xpath(f"f:party[f:partyId='{shapes.LEI_CCP}']", namespaces=NS)[0]
    assert texts(ccp_party, "f:partyName") == ["Example Clearing House"]


def test_ccp_trade_ids_are_added_to_cleared_trades_that_lack_them(assert_valid: SchemaCheck) -> None:
    trade = shapes.irs()
    bare = tuple(
        replace(t, identifiers=replace(t.identifiers, party_trade_ids=())) for t in shapes.novate(trade)
    )
    u = replace(cleared_update(trade), cleared=bare, ccp_trade_ids=("X-1", "X-2"))
    root = assert_valid(status_update_to_fpml(u, ccp=CCP, recipient="M"))
    assert texts(root, f"//f:cleared//f:tradeId[@tradeIdScheme='{CCP_TRADE_ID}']") == ["X-1", "X-2"]


def test_registered_without_cleared_trades_is_a_status(assert_valid: SchemaCheck) -> None:
    root = assert_valid(status_update_to_fpml(update(ClearingStatusCode.REGISTERED), ccp=CCP, recipient="M"))
    assert local(root) == "clearingStatus"
    assert texts(root, "//f:clearingStatusValue") == ["Registered"]


def test_wrong_number_of_ccp_trade_ids_is_refused() -> None:
    u = replace(cleared_update(shapes.irs()), ccp_trade_ids=("ONLY-ONE",))
    with pytest.raises(FpmlWriteError) as exc:
        status_update_to_fpml(u, ccp=CCP, recipient="M")
    assert (exc.value.code, exc.value.path) == (ReasonCode.FPML_INVALID_VALUE, "ccp_trade_ids")


def test_rejection_is_a_refusal_with_every_reason(assert_valid: SchemaCheck) -> None:
    issues = (
        Issue(
            ReasonCode.ELIG_INDEX_NOT_ELIGIBLE,
            "trade/swap/swapStream[2]//floatingRateIndex",
            "index not cleared",
        ),
        Issue(ReasonCode.ELIG_DUPLICATE, "tradeHeader", "MW-100 v1 was submitted at 09:10"),
    )
    data = status_update_to_fpml(update(ClearingStatusCode.REJECTED, reasons=issues), ccp=CCP, recipient="M")
    root = assert_valid(data)
    assert local(root) == "clearingRefused"
    assert texts(root, "f:reason/f:reasonCode") == [REASONS[i.code].fpml_reason for i in issues]
    assert texts(root, "f:reason/f:location") == [i.path for i in issues]
    assert texts(root, "f:reason/f:description") == [i.message for i in issues]
    assert len(root.xpath("f:trade", namespaces=NS)) == 1


def test_creation_time_is_the_updates_own_with_its_offset(assert_valid: SchemaCheck) -> None:
    sydney = datetime(2026, 3, 16, 20, 30, tzinfo=timezone(timedelta(hours=11)))
    root = assert_valid(
        status_update_to_fpml(update(ClearingStatusCode.PENDING, at=sydney), ccp=CCP, recipient="M")
    )
    assert texts(root, "f:header/f:creationTimestamp") == ["2026-03-16T20:30:00+11:00"]


def test_message_id_is_stable_and_distinct_per_recipient() -> None:
    u = update(ClearingStatusCode.PENDING, sequence=5)
    first = status_update_to_fpml(u, ccp=CCP, recipient="A")
    assert first == status_update_to_fpml(u, ccp=CCP, recipient="A")
    ids = {
        texts(etree.fromstring(status_update_to_fpml(u, ccp=CCP, recipient=r)), "f:header/f:messageId")[0]
        for r in ("A", "B")
    }
    assert ids == {"SUB-42-5-A", "SUB-42-5-B"}


def test_sequence_zero_is_not_written_as_a_sequence_number(assert_valid: SchemaCheck) -> None:
    root = assert_valid(
        status_update_to_fpml(update(ClearingStatusCode.PENDING, sequence=0), ccp=CCP, recipient="M")
    )
    assert texts(root, "f:sequenceNumber") == []
    assert texts(root, "f:correlationId") == ["CORR-42"]


def test_without_a_correlation_id_the_source_trade_id_correlates(assert_valid: SchemaCheck) -> None:
    u = update(ClearingStatusCode.PENDING, correlation_id=None)
    root = assert_valid(status_update_to_fpml(u, ccp=CCP, recipient="M"))
    assert texts(root, "f:correlationId") == ["MW-100"]


# ---------------------------------------------------------------- a member sees its own side only


def test_member_confirmation_carries_only_its_own_cleared_trade(assert_valid: SchemaCheck) -> None:
    data = status_update_to_fpml(
        cleared_update(shapes.irs()), ccp=CCP, recipient="BANKB", member_party=shapes.LEI_B
    )
    root = assert_valid(data)
    assert local(root) == "clearingConfirmed"
    assert not root.xpath("f:clearing", namespaces=NS)
    assert texts(root, "f:originatingEvent") == ["Clearing"]
    (trade,) = root.xpath("f:trade", namespaces=NS)
    sides = {party_id(root, h) for h in trade.xpath(".//f:payerPartyReference/@href", namespaces=NS)}
    assert sides == {shapes.LEI_B, shapes.LEI_CCP}
    assert texts(trade, f".//f:tradeId[@tradeIdScheme='{CCP_TRADE_ID}']") == ["CCP-1-B"]
    assert texts(root, "f:account/f:accountId") == ["CLIENT-7"]  # its own account, not Bank A's HOUSE


def test_member_status_withholds_the_other_members_account_and_ids(assert_valid: SchemaCheck) -> None:
    data = status_update_to_fpml(
        update(ClearingStatusCode.PENDING), ccp=CCP, recipient="BANKB", member_party=shapes.LEI_B
    )
    root = assert_valid(data)
    assert texts(root, "f:account/f:accountId") == ["CLIENT-7"]
    assert b"A-MW-100" not in data  # Bank A's own trade id
    assert b"HOUSE" not in data
    source_view = status_update_to_fpml(update(ClearingStatusCode.PENDING), ccp=CCP, recipient="MARKITWIRE")
    assert b"A-MW-100" in source_view
    assert b"HOUSE" in source_view


def test_member_that_is_not_a_party_is_refused() -> None:
    with pytest.raises(FpmlWriteError) as exc:
        status_update_to_fpml(
            update(ClearingStatusCode.PENDING), ccp=CCP, recipient="X", member_party="NOT-A-PARTY"
        )
    assert (exc.value.code, exc.value.path) == (ReasonCode.ELIG_UNKNOWN_PARTY, "member_party")


def _expected_root(status: ClearingStatusCode) -> str:
    if status is ClearingStatusCode.RECEIVED:
        return "clearingAcknowledgement"
    if status is ClearingStatusCode.REJECTED:
        return "clearingRefused"
    if status in (ClearingStatusCode.CLEARED, ClearingStatusCode.REGISTERED):
        return "clearingConfirmed"
    return "clearingStatus"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    trade=shapes.all_shapes(),
    status=st.sampled_from(list(ClearingStatusCode)),
    member=st.sampled_from([None, shapes.LEI_A, shapes.LEI_B]),
    sequence=st.integers(0, 10**9),
)
def test_every_update_renders_a_valid_message_of_its_kind(
    trade: Trade, status: ClearingStatusCode, member: str | None, sequence: int, assert_valid: SchemaCheck
) -> None:
    u = replace(cleared_update(trade), status=status, sequence=sequence)
    root = assert_valid(status_update_to_fpml(u, ccp=CCP, recipient="R", member_party=member))
    kind = local(root)
    assert kind == _expected_root(status)
    trades = {"clearingAcknowledgement": 0, "clearingConfirmed": 1 if member else 3}.get(kind, 1)
    assert len(root.xpath("//f:trade", namespaces=NS)) == trades
