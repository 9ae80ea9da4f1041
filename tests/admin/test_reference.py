"""Reference data administration against SQLite and PostgreSQL: members, accounts, the collateral ledger."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.reference import ReferenceData, cash, member_to_dict
from gateway.clock import FixedClock
from gateway.domain.enums import AccountType
from gateway.domain.errors import InputRejected, NotEligible
from gateway.domain.reasons import ReasonCode as R
from gateway.refdata.fx import FxRates
from gateway.refdata.model import Account, AssetKind, Holding, Member, MemberStatus
from gateway.rules.settings import ClearingSettings
from gateway.store import refdata_repo
from gateway.store import tables as t

FX = FxRates("USD", {"AUD": Decimal("0.65"), "EUR": Decimal("1.08")})


def bank(member_id: str = "BANKA", party: str = "LEI-A", comp: tuple[str, ...] = ("A_FIX",)) -> Member:
    return Member(
        member_id=member_id,
        name="Bank A",
        party_ids=(party,),
        comp_ids=comp,
        accounts=(
            Account(member_id, "HOUSE", AccountType.HOUSE, "AUD"),
            Account(member_id, "C1", AccountType.CLIENT, "EUR"),
        ),
        tolerance_limit=Decimal(5_000_000),
        credit_score=3,
    )


@pytest.fixture
def admin(engine: AsyncEngine) -> ReferenceData:
    return ReferenceData(engine, clock=FixedClock(), fx=FX)


async def test_member_round_trip_and_lookups(admin: ReferenceData) -> None:
    await admin.add_participant(bank())
    assert await admin.get("BANKA") == bank()
    assert [m.member_id for m in await admin.list_participants()] == ["BANKA"]
    found = await admin.member_for_party("LEI-A")
    assert found is not None
    assert found.member_id == "BANKA"
    by_comp = await admin.member_for_comp_id("A_FIX")
    assert by_comp is not None
    assert by_comp.member_id == "BANKA"
    assert await admin.member_for_comp_id("NOBODY") is None
    assert member_to_dict(bank())["accounts"][1] == {
        "account": "C1",
        "type": "CLIENT",
        "base_currency": "EUR",
    }


async def test_duplicate_member_party_or_comp_id_is_refused(admin: ReferenceData) -> None:
    await admin.add_participant(bank())
    for other in (bank(), bank("BANKB", "LEI-A", ()), bank("BANKB", "LEI-B", ("A_FIX",))):
        with pytest.raises(InputRejected) as err:
            await admin.add_participant(other)
        assert err.value.code is R.REF_ALREADY_EXISTS
    assert len(await admin.list_participants()) == 1


async def test_suspend_and_reactivate(admin: ReferenceData) -> None:
    await admin.add_participant(bank())
    assert (await admin.suspend("BANKA")).status is MemberStatus.SUSPENDED
    assert (await admin.reactivate("BANKA")).status is MemberStatus.ACTIVE
    with pytest.raises(InputRejected) as err:
        await admin.suspend("NOPE")
    assert err.value.code is R.REF_UNKNOWN_MEMBER


async def test_collateral_valued_after_haircuts_in_base_currency(admin: ReferenceData) -> None:
    await admin.add_participant(bank())
    await admin.lodge("BANKA", "HOUSE", cash("AUD", Decimal(1_000_000)))
    await admin.lodge("BANKA", "HOUSE", cash("AUD", Decimal(500_000)))  # adds to the line
    shown = await admin.lodge("BANKA", "HOUSE", cash("EUR", Decimal(100_000)))
    bond = Holding(
        "AU000XCLWAB3", AssetKind.SECURITY, "AUD", Decimal(10_000), Decimal("98.5"), Decimal("0.04")
    )
    shown = await admin.lodge("BANKA", "HOUSE", bond)
    # 1.5m AUD + 100k EUR (1.08/0.65 = 166,153.85 AUD) + 985k x 0.96 AUD
    assert round(shown.collateral_value, 2) == Decimal("2611753.85")
    assert [h.asset_id for h in shown.holdings] == ["AU000XCLWAB3", "AUD", "EUR"]
    assert shown.to_dict()["excess"] == "2611753.85"
    client = (await admin.show("BANKA", "C1"))[0]
    assert client.collateral_value == 0
    assert len(await admin.show("BANKA")) == 2


async def test_lodgement_errors_are_specific(admin: ReferenceData) -> None:
    await admin.add_participant(bank())
    with pytest.raises(InputRejected) as err:
        await admin.lodge("BANKA", "NOPE", cash("AUD", Decimal(1)))
    # the member exists, the account does not: said as such, with the member's accounts listed
    assert (err.value.code, err.value.path) == (R.REF_UNKNOWN_ACCOUNT, "--account")
    assert "BANKA" in err.value.issues[0].message
    assert "NOPE" in err.value.issues[0].message
    assert "HOUSE, C1" in err.value.issues[0].message
    with pytest.raises(InputRejected) as err:
        await admin.lodge("BANKA", "HOUSE", cash("NZD", Decimal(1)))
    assert (err.value.code, err.value.path) == (R.MD_MISSING_CURVE, "fx.rates.NZD")
    with pytest.raises(InputRejected) as err:
        Holding("X", AssetKind.SECURITY, "AUD", Decimal(1), Decimal(100), Decimal("1.2"))
    assert err.value.path == "collateral.haircut"


async def test_withdrawal_that_would_uncover_margin_is_refused(
    admin: ReferenceData, engine: AsyncEngine
) -> None:
    await admin.add_participant(bank())
    await admin.lodge("BANKA", "HOUSE", cash("AUD", Decimal(1_000_000)))
    async with engine.begin() as conn:
        await refdata_repo.put_risk(
            conn, "BANKA", "HOUSE", refdata_repo.RiskRow(Decimal(700_000), None, 1), FixedClock().now()
        )
    after = await admin.withdraw("BANKA", "HOUSE", "AUD", Decimal(300_000))
    assert after.excess == 0
    with pytest.raises(NotEligible) as err:
        await admin.withdraw("BANKA", "HOUSE", "AUD", Decimal("0.01"))
    assert err.value.code is R.RISK_INSUFFICIENT_COLLATERAL
    with pytest.raises(InputRejected) as over:
        await admin.withdraw("BANKA", "HOUSE", "AUD", Decimal(800_000))
    assert over.value.code is R.REF_INSUFFICIENT_HOLDING
    assert (await admin.show("BANKA", "HOUSE"))[0].collateral_value == Decimal(700_000)
    async with engine.connect() as conn:
        moves = (await conn.execute(select(func.count()).select_from(t.collateral_movements))).scalar_one()
    assert moves == 2  # the refused withdrawals left no trace in the ledger


def test_member_invariants() -> None:
    with pytest.raises(InputRejected) as err:
        Member("M", "M", (), (), (Account("M", "H", AccountType.HOUSE, "AUD"),))
    assert err.value.path == "member.party_ids"
    with pytest.raises(InputRejected) as err:
        Member("M", "M", ("L",), (), (Account("X", "H", AccountType.HOUSE, "AUD"),))
    assert err.value.path == "member.accounts"
    with pytest.raises(InputRejected) as err:
        Member("M", "M", ("L",), (), (Account("M", "H", AccountType.HOUSE, "AUD"),), credit_score=11)
    assert err.value.path == "member.credit_score"


def test_fx_conversion_and_shipped_rates() -> None:
    assert FX.convert(Decimal(100), "EUR", "AUD") == Decimal(100) * Decimal("1.08") / Decimal("0.65")
    assert FX.convert(Decimal(100), "AUD", "AUD") == Decimal(100)
    shipped = FxRates.load()
    assert shipped.pivot == "USD"
    assert {"AUD", "EUR", "GBP"} <= set(shipped.per_unit)
    with pytest.raises(InputRejected) as err:
        FxRates.from_toml("pivot = 'USD'\n[rates]\nAUD = 'x'\n")
    assert err.value.code is R.MD_BAD_FILE


async def test_concurrent_lodgements_all_count(admin: ReferenceData) -> None:
    import asyncio

    await admin.add_participant(bank())
    await asyncio.gather(*(admin.lodge("BANKA", "HOUSE", cash("AUD", Decimal(1000))) for _ in range(10)))
    assert (await admin.show("BANKA", "HOUSE"))[0].collateral_value == Decimal(10_000)


async def test_add_account_for_a_new_client(admin: ReferenceData) -> None:
    await admin.add_participant(bank())
    m = await admin.add_account("BANKA", "C2", AccountType.CLIENT)
    assert [(a.account_id, a.base_currency) for a in m.accounts] == [
        ("HOUSE", "AUD"),
        ("C1", "EUR"),
        ("C2", "AUD"),
    ]
    for account_id, kind in (("C2", AccountType.CLIENT), ("H2", AccountType.HOUSE)):
        with pytest.raises(InputRejected) as err:
            await admin.add_account("BANKA", account_id, kind)
        assert err.value.code is R.REF_ALREADY_EXISTS


def test_unreadable_rate_or_rule_files_are_named(tmp_path: Path) -> None:
    from gateway.rules.products import ProductTable
    from gateway.rules.settings import ClearingSettings

    missing = tmp_path / "nope.toml"
    for load, code in (
        (FxRates.load, R.MD_BAD_FILE),
        (ProductTable.load, R.REF_INVALID_INPUT),
        (ClearingSettings.load, R.REF_INVALID_INPUT),
    ):
        with pytest.raises(InputRejected) as err:
            load(missing)  # type: ignore[operator]
        assert (err.value.code, err.value.path) == (code, str(missing))


async def test_unknown_account_is_named_as_such_in_every_collateral_request(admin: ReferenceData) -> None:
    await admin.add_participant(bank())
    for request in (
        admin.withdraw("BANKA", "C9", "AUD", Decimal(1)),
        admin.show("BANKA", "C9"),
        admin.account("BANKA", "C9"),
    ):
        with pytest.raises(InputRejected) as err:
            await request
        assert err.value.code is R.REF_UNKNOWN_ACCOUNT
        assert "member BANKA has no account 'C9'; its accounts: HOUSE, C1" in err.value.issues[0].message
    with pytest.raises(InputRejected) as err:
        await admin.show("NOBODY")
    assert err.value.code is R.REF_UNKNOWN_MEMBER


async def test_a_security_takes_its_haircut_from_the_eligible_table_or_is_refused(
    engine: AsyncEngine,
) -> None:
    eligible = ClearingSettings.from_toml("[collateral.eligible]\nAU = 0.03\n").collateral
    admin = ReferenceData(engine, clock=FixedClock(), fx=FX, eligible=eligible)
    await admin.add_participant(bank())
    bond = admin.security("AU000XCLWAB3", "AUD", Decimal(1000), Decimal(100), None)
    assert bond.haircut == Decimal("0.03")
    assert admin.security("AU000XCLWAB3", "AUD", Decimal(1), Decimal(1), Decimal("0.1")).haircut == Decimal(
        "0.1"
    )
    shown = await admin.lodge("BANKA", "HOUSE", bond)
    assert shown.collateral_value == Decimal(97_000)

    with pytest.raises(InputRejected) as err:
        admin.security("US0378331005", "USD", Decimal(1), Decimal(1), None)  # not in the table
    assert (err.value.code, err.value.path) == (R.REF_HAIRCUT_REQUIRED, "--haircut")
    assert "US0378331005" in err.value.issues[0].message
    with pytest.raises(InputRejected) as err:
        admin.security("BADISIN", "AUD", Decimal(1), Decimal(1), Decimal(0))
    assert (err.value.code, err.value.path) == (R.REF_INVALID_ISIN, "--security")
    with pytest.raises(InputRejected) as err:
        admin.security("AU000XCLWAB3", "XYZ", Decimal(1), Decimal(1), Decimal(0))
    assert (err.value.code, err.value.path) == (R.REF_UNKNOWN_CURRENCY, "--currency")
    with pytest.raises(InputRejected) as err:
        admin.security("AU000XCLWAB3", "AUD", Decimal(1), Decimal(1), Decimal("1.5"))
    assert err.value.path == "--haircut"


async def test_a_security_line_that_is_not_an_isin_is_not_lodged(admin: ReferenceData) -> None:
    await admin.add_participant(bank())
    line = Holding("BADISIN", AssetKind.SECURITY, "AUD", Decimal(1), Decimal(99), Decimal(0))
    with pytest.raises(InputRejected) as err:
        await admin.lodge("BANKA", "HOUSE", line)
    assert err.value.code is R.REF_INVALID_ISIN
    assert (await admin.show("BANKA", "HOUSE"))[0].holdings == ()


def test_a_currency_outside_iso_4217_is_refused_in_the_model() -> None:
    with pytest.raises(InputRejected) as err:
        cash("XYZ", Decimal(1))
    assert (err.value.code, err.value.path) == (R.REF_UNKNOWN_CURRENCY, "collateral.currency")
