"""A member's FIX statuses show its own side only, as its MQTT statuses do (gateway/clearing/visibility.py).

A trade source submits a swap in which Bank A books its side to its client account ``CLIENT1`` under its
own trade id; both members are logged on over real FIX sessions to the real service. Bank B's status
reports must carry neither Bank A's account (``1=CLIENT1``) nor Bank A's trade id (SideTradeID 1506),
and Bank A's must carry neither of Bank B's; each still sees its own.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from gateway.admin.reference import cash
from gateway.clearing.ports import Channel, Submission
from gateway.domain.trade import Party, PartyTradeId
from tests.app.fix_world import FixCcp
from tests.app.test_fix_contract import ccp
from tests.store.conftest import db_url, engine, postgres_session_url, sqlite_template
from tests.strategies import LEI_A, LEI_B, vanilla_irs

__all__ = ["ccp", "db_url", "engine", "postgres_session_url", "sqlite_template"]

SIDES = {  # member -> (its FIX CompID, its account in the trade, its own trade id)
    "BANKA": ("BANKA_FIX", "CLIENT1", "A-OWN-77"),
    "BANKB": ("BANKB_FIX", "HOUSE", "B-OWN-12"),
}


async def test_each_member_is_sent_over_fix_its_own_account_and_trade_id_only(ccp: FixCcp) -> None:
    sessions = {m: await ccp.session(comp_id) for m, (comp_id, _, _) in SIDES.items()}
    await ccp.refdata.lodge("BANKA", "CLIENT1", cash("AUD", Decimal(100_000_000)))  # so the swap clears
    base = vanilla_irs(source_trade_id="MW-VIEW")
    trade = replace(
        base,
        parties=(
            Party(LEI_A, name="Bank A", account=SIDES["BANKA"][1]),
            Party(LEI_B, name="Bank B", account=SIDES["BANKB"][1]),
        ),
        identifiers=replace(
            base.identifiers,
            party_trade_ids=(PartyTradeId(LEI_A, SIDES["BANKA"][2]), PartyTradeId(LEI_B, SIDES["BANKB"][2])),
        ),
    )
    submission = Submission(Channel.MQTT_FPML, "MW", "MSG-VIEW", ccp.clock.now(), trade)
    await ccp.gateway.clearing.submit(submission)
    assert await ccp.clear() == 1

    for member_id, (_, account, own_id) in SIDES.items():
        other_account, other_id = next((a, i) for m, (_, a, i) in SIDES.items() if m != member_id)
        statuses = await ccp.statuses(sessions[member_id])
        assert [s.get(939) for s in statuses] == ["4", "0"]  # received, then cleared
        for status in statuses:
            assert status.all(1) == [account]  # its own account; the other side's is withheld
            assert status.all(1506) == [own_id]  # its own trade id; the other member's is withheld
            assert other_id not in {v for _, v in status.pairs}
            assert other_account not in status.all(1) or other_account == account
