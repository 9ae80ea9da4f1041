"""End of day values the whole book in batches across accounts; it must give what valuing each account on
its own gives. The per-account valuation lives on here as the reference (``reference_account``): each
account's live trades valued in one risk-engine batch of their own, its P&L vector the sum of the trades'
rows converted into the account's base currency.

The book is mixed: AUD and EUR swaps, house and client accounts (two scenario sets), AUD and USD base
currencies, novations between every pair of members.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from gateway.clearing import eod
from gateway.clearing.book_valuation import mirrored
from gateway.clearing.eod_revalue import revalue_book
from gateway.clearing.novation import novate
from gateway.clearing.ports import LiveSide
from gateway.clearing.risk_checker import RiskCreditChecker
from gateway.domain import codec
from gateway.domain.enums import AccountType
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.trade import Party, Trade
from gateway.refdata.model import Account, Member
from gateway.risk.engine import RiskEngine
from gateway.risk.market.loader import load_market
from gateway.risk.market.synth import write_market
from gateway.store import tables as t
from tests.clearing.conftest import LEI_C, TODAY, World, aud_irs
from tests.strategies import LEI_A, LEI_B, vanilla_irs

CENT = Decimal("0.01")
CCP_LEI = "CCPXXXXXXXXXXXXXXX00"
LEIS = {"BANKA": LEI_A, "BANKB": LEI_B, "BANKC": LEI_C}


@pytest.fixture(scope="module")
def risk_engine(tmp_path_factory: pytest.TempPathFactory) -> RiskEngine:
    directory: Path = tmp_path_factory.mktemp("market")
    write_market(directory, date(2026, 1, 6), days=1300)
    return RiskEngine(load_market(directory))


@dataclass(frozen=True)
class Reference:
    npvs: dict[str, Decimal | None]
    pnl: dict[tuple[str, str], np.ndarray]
    margin: dict[tuple[str, str], Decimal]
    sides: dict[tuple[str, str], int]
    gross: dict[tuple[str, str], float]  # the account's trades' notionals summed in its base currency


def reference_account(
    checker: RiskCreditChecker, trades: Sequence[tuple[Trade, str]], base: str, kind: AccountType
) -> tuple[np.ndarray, Decimal, list[Decimal | None]]:
    """One account valued on its own: its trades in one batch, rows converted and summed, IM of the sum."""
    engine = checker.engine
    n = len(engine.scenarios(kind).dates)
    portfolio = [x for x, _ in trades]
    sides = [p for _, p in trades]
    pnl, ok, _ = engine.pnl_batch_collect(portfolio, sides, kind)
    total = np.zeros(n)
    npvs: list[Decimal | None] = [None] * len(trades)
    if ok:
        rates = np.array([float(checker.fx.convert(Decimal(1), portfolio[i].currency, base)) for i in ok])
        total = (np.asarray(pnl) * rates[:, None]).sum(axis=0)
        values = engine.terms([portfolio[i] for i in ok], [sides[i] for i in ok]).npv()
        for i, v in zip(ok, values, strict=True):
            npvs[i] = Decimal(repr(float(v))).quantize(CENT)
    margin = Decimal(repr(float(engine.margin(total, kind).im))).quantize(CENT) if ok else Decimal(0)
    return total, margin, npvs


async def reference(world: World, checker: RiskCreditChecker, day: date) -> Reference:
    out = Reference({}, {}, {}, {}, {})
    async with world.service.store.read() as uow:
        for member_id, account_id in await uow.cleared.accounts(day):
            member = await uow.accounts.member(member_id)
            assert member is not None
            account = member.account(account_id)
            assert account is not None
            rows = await uow.cleared.in_account(member_id, account_id, day)
            total, margin, npvs = reference_account(
                checker, [(x, p) for _, p, x in rows], account.base_currency, account.account_type
            )
            out.npvs.update({ccp_id: v for (ccp_id, _, _), v in zip(rows, npvs, strict=True)})
            out.pnl[(member_id, account_id)] = total
            out.margin[(member_id, account_id)] = margin
            out.sides[(member_id, account_id)] = len(rows)
            out.gross[(member_id, account_id)] = sum(
                float(checker.fx.convert(x.streams[0].notional, x.currency, account.base_currency))
                for _, _, x in rows
            )
    return out


def members() -> list[Member]:
    def of(member_id: str, base: str) -> Member:
        return Member(
            member_id=member_id,
            name=f"{member_id} Bank",
            party_ids=(LEIS[member_id],),
            comp_ids=(),
            accounts=(
                Account(member_id, "HOUSE", AccountType.HOUSE, base),
                Account(member_id, "CLIENT1", AccountType.CLIENT, base),
            ),
            base_currency=base,
        )

    return [of("BANKA", "AUD"), of("BANKB", "AUD"), of("BANKC", "USD")]


def between(x: Trade, a: str, b: str, accounts: tuple[str, str]) -> Trade:
    """``x`` (A pays fixed to B) between members ``a`` (paying fixed) and ``b``, booked to ``accounts``."""
    to = {LEI_A: LEIS[a], LEI_B: LEIS[b]}
    return replace(
        x,
        trade_date=TODAY,
        parties=(Party(LEIS[a], account=accounts[0]), Party(LEIS[b], account=accounts[1])),
        streams=tuple(replace(s, payer=to[s.payer], receiver=to[s.receiver]) for s in x.streams),
    )


def book() -> list[Trade]:
    """Swaps between every pair of members, AUD and EUR, some sides booked to client accounts."""
    out: list[Trade] = []
    pairs = [("BANKA", "BANKB"), ("BANKB", "BANKC"), ("BANKC", "BANKA")]
    for n in range(12):
        if n % 2:
            x = aud_irs(f"AUD-{n}", notional=Decimal(5_000_000 * (n + 1)), years=2 + n % 9)
        else:
            x = vanilla_irs(
                notional=Decimal(3_000_000 * (n + 1)), years=3 + n % 7, source_trade_id=f"EUR-{n}",
                effective=date(2026, 1, 9),
            )  # fmt: skip
        accounts = ("CLIENT1" if n % 4 == 1 else "HOUSE", "CLIENT1" if n % 3 == 2 else "HOUSE")
        out.append(between(x, *pairs[n % 3], accounts))
    return out


@pytest.fixture
async def booked(
    make_world: Callable[..., World], risk_engine: RiskEngine
) -> tuple[World, RiskCreditChecker]:
    w = make_world()
    checker = RiskCreditChecker(risk_engine, w.service.fx)
    w.margin = checker  # type: ignore[assignment]
    w.service.credit = checker
    for m in members():
        await w.refdata.add_participant(m)
        for account in ("HOUSE", "CLIENT1"):
            await w.refdata.lodge(m.member_id, account, cash_of(m.base_currency))
    receipts = [await w.service.submit(w.submission(x)) for x in book()]
    await w.service.drain()
    for r in receipts:
        assert (await w.service.history(r.submission_id))[-1].status is S.CLEARED
    return w, checker


def cash_of(currency: str):  # type: ignore[no-untyped-def]
    from gateway.admin.reference import cash

    return cash(currency, Decimal(10) ** 11)


async def stored(world: World, day: date) -> tuple[dict[str, Decimal | None], dict, dict]:  # type: ignore[type-arg]
    async with world.engine.connect() as conn:
        latest = {r.ccp_trade_id: r.npv for r in await conn.execute(select(t.cleared_trades))}
        h = t.npv_history.c
        history = {
            r.ccp_trade_id: r.npv
            for r in await conn.execute(select(t.npv_history).where(h.business_date == day))
        }
        risk = {(r.member_id, r.account_id): r for r in await conn.execute(select(t.account_risk))}
    return latest, history, risk


async def test_the_book_valued_at_once_matches_each_account_valued_alone(
    booked: tuple[World, RiskCreditChecker],
) -> None:
    world, checker = booked
    report = await eod.revalue(world.service, TODAY)
    assert report.failures == ()
    assert report.accounts == 6  # three members, house and client each
    assert report.trades_valued == 2 * len(book())

    expected = await reference(world, checker, TODAY)
    latest, history, risk = await stored(world, TODAY)
    assert len(expected.npvs) == 2 * len(book())
    assert history == expected.npvs  # to the cent, every side
    assert {k: latest[k] for k in expected.npvs} == expected.npvs
    assert {k: v.trade_count for k, v in risk.items()} == expected.sides
    assert {k.account_type for m in members() for k in m.accounts} == {AccountType.HOUSE, AccountType.CLIENT}
    for key, total in expected.pnl.items():
        vector = np.frombuffer(risk[key].pnl_vector, dtype="<f8")
        assert float(np.abs(total).max()) > 0
        # the same sums taken in another order: apart by rounding at the scale of the terms (1e-16 of
        # the notionals each), nothing more
        np.testing.assert_allclose(vector, total, rtol=0, atol=expected.gross[key] * 1e-14)
        assert risk[key].margin == expected.margin[key], key


async def test_pages_that_split_a_novations_sides_give_the_same_figures(
    booked: tuple[World, RiskCreditChecker],
) -> None:
    world, checker = booked
    await revalue_book(world.service, checker, TODAY)
    whole = await stored(world, TODAY)
    report = await revalue_book(world.service, checker, TODAY, page_size=3)  # pairs cut across pages
    assert report.trades_valued == 2 * len(book())
    latest, history, risk = await stored(world, TODAY)
    assert history == whole[1]
    assert latest == whole[0]
    gross = (await reference(world, checker, TODAY)).gross
    for key, row in whole[2].items():
        np.testing.assert_allclose(
            np.frombuffer(risk[key].pnl_vector, dtype="<f8"),
            np.frombuffer(row.pnl_vector, dtype="<f8"),
            rtol=0,
            atol=gross[key] * 1e-14,
        )
        assert risk[key].margin == row.margin


def side(submission_id: int, ccp_id: str, member_id: str, party: str, trade: Trade) -> LiveSide:
    return LiveSide(
        submission_id, ccp_id, member_id, "HOUSE", party, trade.currency, codec.trade_to_dict(trade)
    )


def test_a_novations_two_sides_are_one_trade_until_an_event_sets_them_apart() -> None:
    first, second = novate(aud_irs("M-1"), Party(CCP_LEI), ("C-1", "C-2"))
    a = side(1, "C-1", "BANKA", LEI_A, first)
    b = side(1, "C-2", "BANKB", LEI_B, second)
    assert mirrored(a, b)
    changed = replace(second, streams=tuple(replace(s, notional=Decimal(1)) for s in second.streams))
    assert not mirrored(a, side(1, "C-2", "BANKB", LEI_B, changed))
    assert not mirrored(a, a)  # a side is not its own opposite
