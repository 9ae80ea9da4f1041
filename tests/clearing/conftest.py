"""A clearing world for the pipeline tests: two members with collateral, a fixed clock, the service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.reference import ReferenceData, cash
from gateway.clearing.ports import Channel, Submission
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain.enums import AccountType
from gateway.domain.trade import Trade, TradeIdentifiers
from gateway.refdata.model import Account, Member
from gateway.rules.settings import ClearingSettings
from gateway.store.clearing_store import SqlClearingStore
from tests.clearing.doubles import LinearMargin
from tests.store.conftest import db_url, engine, postgres_session_url, sqlite_template
from tests.strategies import LEI_A, LEI_B, vanilla_irs

__all__ = ["db_url", "engine", "postgres_session_url", "sqlite_template"]

# Wednesday 7 January 2026, 11:00 in Sydney (UTC+11): a business day, inside service hours.
OPEN_NOW = datetime(2026, 1, 7, 0, 0, tzinfo=UTC)
TODAY = date(2026, 1, 7)
LEI_C = "5493001KJTIIGC8Y1R12"


def aud_irs(
    trade_id: str = "MW-1",
    *,
    notional: Decimal = Decimal(10_000_000),
    years: int = 5,
    version: int = 1,
    trade_date: date = TODAY,
    index: str = "AUD-BBR-BBSW",
    fixed_payer: str = LEI_A,
    sub_block: bool = False,
) -> Trade:
    t = vanilla_irs(
        notional=notional,
        currency="AUD",
        index=index,
        effective=date(2026, 1, 9),
        years=years,
        fixed_payer=fixed_payer,
        source_trade_id=trade_id,
    )
    return replace(
        t,
        trade_date=trade_date,
        sub_block=sub_block,
        identifiers=TradeIdentifiers(trade_id, version, uti=f"UTI-{trade_id}-{version}"),
    )


def member(
    member_id: str, lei: str, comp_ids: tuple[str, ...] = (), tolerance: Decimal = Decimal(0)
) -> Member:
    return Member(
        member_id=member_id,
        name=f"{member_id} Bank",
        party_ids=(lei,),
        comp_ids=comp_ids,
        accounts=(
            Account(member_id, "HOUSE", AccountType.HOUSE, "AUD"),
            Account(member_id, "CLIENT1", AccountType.CLIENT, "AUD"),
        ),
        base_currency="AUD",
        tolerance_limit=tolerance,
    )


class World:
    """The service under test with its reference data, clock and margin model."""

    def __init__(self, engine: AsyncEngine, settings: ClearingSettings | None = None) -> None:
        self.engine = engine
        self.clock = FixedClock(OPEN_NOW)
        self.margin = LinearMargin()
        self.service = ClearingService(
            engine, self.margin, clock=self.clock, settings=settings, store=SqlClearingStore(engine)
        )
        self.refdata = ReferenceData(engine, clock=self.clock, on_lodged=self.service.wake)
        self._n = 0

    async def onboard(self, collateral: Decimal = Decimal(100_000_000)) -> None:
        await self.refdata.add_participant(member("BANKA", LEI_A, ("BANKA_FIX",)))
        await self.refdata.add_participant(member("BANKB", LEI_B))
        for m in ("BANKA", "BANKB"):
            if collateral:
                await self.refdata.lodge(m, "HOUSE", cash("AUD", collateral))

    def submission(
        self, trade: Trade, *, message_id: str | None = None, correction: bool = False
    ) -> Submission:
        self._n += 1
        return Submission(
            channel=Channel.MQTT_FPML,
            source="MARKITWIRE",
            message_id=message_id or f"MSG-{self._n}",
            received_at=self.clock.now(),
            trade=trade,
            is_correction=correction,
            correlation_id=f"CORR-{self._n}",
            raw=b"<requestClearing/>",
        )


@pytest.fixture
def make_world(engine: AsyncEngine) -> Callable[..., World]:
    def make(settings: ClearingSettings | None = None) -> World:
        return World(engine, settings)

    return make


@pytest.fixture
async def world(make_world: Callable[..., World]) -> World:
    w = make_world()
    await w.onboard()
    return w
