"""What each recipient of an outbox item may see, on MQTT (member id) and FIX (CompID) alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.member_directory import MemberDirectory
from gateway.admin.reference import ReferenceData
from gateway.channels.recipients import Recipients
from gateway.clearing.ports import Channel, DeliveryChannel, OutboxItem, RecipientRole, StatusUpdate
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.trade import Party, PartyTradeId
from gateway.formats.fpml.write import CcpIdentity
from tests.clearing.conftest import member
from tests.store.conftest import db_url, engine, postgres_session_url, sqlite_template
from tests.strategies import LEI_A, LEI_B, vanilla_irs

CCP = CcpIdentity("CCP-LEI", name="The CCP")
__all__ = ["db_url", "engine", "postgres_session_url", "sqlite_template"]  # the store fixtures


def _update() -> StatusUpdate:
    base = vanilla_irs()
    trade = replace(
        base,
        parties=(Party(LEI_A, account="CLIENT1"), Party(LEI_B, account="HOUSE")),
        identifiers=replace(
            base.identifiers, party_trade_ids=(PartyTradeId(LEI_A, "A-1"), PartyTradeId(LEI_B, "B-1"))
        ),
    )
    return StatusUpdate(
        sequence=1,
        submission_id="S1",
        source="MW",
        channel=Channel.MQTT_FPML,
        status=ClearingStatusCode.CLEARED,
        trade=trade,
        at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        cleared=(trade, trade),
    )


def _item(channel: DeliveryChannel, role: RecipientRole, recipient: str) -> OutboxItem:
    return OutboxItem(1, channel, role, recipient, _update())


def _recipients(engine: object = None) -> Recipients:
    directory = MemberDirectory(
        [member("BANKA", LEI_A, ("BANKA_FIX",)), member("BANKB", LEI_B, ("BANKB_FIX",))]
    )
    return Recipients(engine, directory, CCP)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("channel", "recipient"), [(DeliveryChannel.MQTT, "BANKB"), (DeliveryChannel.FIX, "BANKB_FIX")]
)
def test_a_member_sees_its_own_side_under_its_party_id_on_either_channel(
    channel: DeliveryChannel, recipient: str
) -> None:
    view, party = _recipients().view(_item(channel, RecipientRole.MEMBER, recipient))
    assert party == LEI_B
    assert [p.account for p in view.trade.parties] == [None, "HOUSE"]
    assert [t.trade_id for t in view.trade.identifiers.party_trade_ids] == ["B-1"]


def test_a_trade_source_sees_the_whole_update() -> None:
    item = _item(DeliveryChannel.MQTT, RecipientRole.SOURCE, "MW")
    view, party = _recipients().view(item)
    assert view is item.update
    assert party is None


def test_a_compid_no_member_has_and_a_member_outside_the_trade_are_refused_by_name() -> None:
    recipients = _recipients()
    with pytest.raises(LookupError, match="BANKZ_FIX is no member's CompID"):
        recipients.view(_item(DeliveryChannel.FIX, RecipientRole.MEMBER, "BANKZ_FIX"))
    recipients.members.add([member("BANKC", "5493000000000000BNKC")])
    with pytest.raises(LookupError, match="member BANKC is not a party of submission S1"):
        recipients.view(_item(DeliveryChannel.MQTT, RecipientRole.MEMBER, "BANKC"))


def test_the_fpml_for_a_member_names_its_party_and_not_the_other_sides_trade_id() -> None:
    item = _item(DeliveryChannel.MQTT, RecipientRole.MEMBER, "BANKB")
    pending = replace(item, update=replace(item.update, status=ClearingStatusCode.PENDING, cleared=None))
    text = _recipients().fpml(pending).decode()
    assert "B-1" in text
    assert "A-1" not in text
    assert "CLIENT1" not in text


async def test_a_member_added_after_the_last_read_is_learnt_when_a_batch_names_it(
    engine: AsyncEngine,
) -> None:
    recipients = Recipients(engine, MemberDirectory(), CCP)
    await ReferenceData(engine).add_participant(member("BANKB", LEI_B, ("BANKB_FIX",)))
    assert recipients.member_id(_item(DeliveryChannel.FIX, RecipientRole.MEMBER, "BANKB_FIX")) is None
    await recipients.learn([_item(DeliveryChannel.FIX, RecipientRole.MEMBER, "BANKB_FIX")])
    assert recipients.member_id(_item(DeliveryChannel.FIX, RecipientRole.MEMBER, "BANKB_FIX")) == "BANKB"
