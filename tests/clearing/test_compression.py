"""Compression of a member's cleared sides, the pure rules and residuals, valued by the risk engine on a
synthetic market: per bucket the residual keeps the member's PV01 and NPV within the tolerance, the notional
falls, every refusal names its rule, and (hypothesis) the CCP book stays flat per bucket."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.clearing.compression import (
    EngineValuer,
    NamedSide,
    bucket_of,
    compress,
    maturity_bucket,
    residual_id,
)
from gateway.clearing.novation import novate
from gateway.domain.compression import CompressionRequest, RiskBucket
from gateway.domain.enums import PositionStatus
from gateway.domain.errors import GatewayError
from gateway.domain.events import SideState
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import Party
from gateway.risk import RiskEngine
from gateway.risk.market.loader import load_market
from gateway.risk.market.synth import write_market
from gateway.rules.settings import CompressionSettings
from tests.clearing.conftest import TODAY, aud_irs
from tests.strategies import LEI_A, LEI_B

CCP = "CCP"
MEMBERS = {LEI_A: "BANKA", LEI_B: "BANKB"}
RULES = CompressionSettings()


@pytest.fixture(scope="module")
def valuer(tmp_path_factory: pytest.TempPathFactory) -> EngineValuer:
    out: Path = tmp_path_factory.mktemp("compression-market")
    write_market(out, TODAY, seed=5, days=1300)
    return EngineValuer(RiskEngine(load_market(out)))


def cleared(
    n: int,
    *,
    payer: str = LEI_A,
    notional: int = 10_000_000,
    years: int = 5,
    rate: str = "0.0525",
    status: PositionStatus = PositionStatus.CLEARED,
    account: str = "HOUSE",
) -> tuple[SideState, SideState]:
    """Trade ``n`` between two members as the CCP holds it: (A-CCP, CCP-B) sides."""
    trade = aud_irs(f"T{n}", notional=Decimal(notional), years=years, fixed_payer=payer)
    trade = replace(
        trade,
        streams=tuple(
            replace(s, fixed_rate=Decimal(rate)) if s.fixed_rate is not None else s for s in trade.streams
        ),
    )
    ids = (f"CCP-20260107-{n:08d}-1", f"CCP-20260107-{n:08d}-2")
    first, second = novate(trade, Party(CCP), ids)
    out = []
    for ccp_id, side in zip(ids, (first, second), strict=True):
        party = next(p.party_id for p in side.parties if p.party_id != CCP)
        out.append(SideState(ccp_id, n, MEMBERS[party], account, party, Decimal(notional), status, side))
    return out[0], out[1]


def own(pair: tuple[SideState, SideState], member: str = "BANKA") -> NamedSide:
    side, other = pair if pair[0].member_id == member else (pair[1], pair[0])
    return NamedSide(side, other)


def theirs(pair: tuple[SideState, SideState], member: str = "BANKA") -> NamedSide:
    side, other = pair if pair[0].member_id != member else (pair[1], pair[0])
    return NamedSide(side, other)


def request(**kw: object) -> CompressionRequest:
    base: dict[str, object] = {
        "run_id": "RUN-1",
        "member_id": "BANKA",
        "account_id": "HOUSE",
        "requested_by": CCP,
    }
    base.update(kw)
    return CompressionRequest(**base)  # type: ignore[arg-type]


def run(named: list[NamedSide], valuer: EngineValuer, rules: CompressionSettings = RULES, **kw: object):  # type: ignore[no-untyped-def]
    return compress(
        request(**kw),
        named,
        business_date=TODAY,
        settings=rules,
        valuer=valuer,
        ccp_party_id=CCP,
        new_id=lambda n: residual_id("CCP", TODAY, "RUN-1", n),
    )


def codes(exc: pytest.ExceptionInfo[GatewayError]) -> set[R]:
    return {i.code for i in exc.value.issues}


def test_maturity_buckets_follow_the_configured_edges() -> None:
    edges = (Decimal(2), Decimal(5), Decimal("7.5"))
    assert maturity_bucket(date(2027, 1, 7), TODAY, edges) == "0Y-2Y"
    assert maturity_bucket(date(2030, 1, 7), TODAY, edges) == "2Y-5Y"
    assert maturity_bucket(date(2032, 1, 7), TODAY, edges) == "5Y-7.5Y"
    assert maturity_bucket(date(2046, 1, 7), TODAY, edges) == "7.5Y+"


def test_a_pay_and_a_smaller_receive_become_one_residual_keeping_pv01_and_npv(valuer: EngineValuer) -> None:
    pay = cleared(1, payer=LEI_A, notional=10_000_000, years=6)
    receive = cleared(2, payer=LEI_B, notional=6_000_000, years=6, rate="0.05")
    result = run([own(pay), own(receive)], valuer)

    assert [t.ccp_trade_id for t in result.terminated] == [
        own(pay).side.ccp_trade_id,
        own(receive).side.ccp_trade_id,
    ]
    (bucket,) = result.buckets
    assert bucket.bucket == RiskBucket("AUD", "AUD-BBR-BBSW 6M", "5Y-10Y")
    assert bucket.notional_before == Decimal(16_000_000)
    (residual,) = result.created
    assert residual.ccp_trade_id == residual_id("CCP", TODAY, "RUN-1", 1)
    fixed = next(s for s in residual.trade.streams if s.fixed_rate is not None)
    assert fixed.payer == LEI_A
    assert fixed.receiver == CCP
    assert {p.party_id for p in residual.trade.parties} == {LEI_A, CCP}
    assert Decimal(3_500_000) < bucket.notional_after < Decimal(4_500_000)  # about the 4m net
    assert abs(bucket.pv01_after - bucket.pv01_before) <= RULES.pv01_tolerance
    assert abs(bucket.npv_after - bucket.npv_before) <= RULES.npv_tolerance
    again = valuer.measure([(residual.trade, LEI_A)])[0]
    assert abs(Decimal(repr(again[1])) - bucket.pv01_after) < Decimal("0.01")


def test_offsetting_trades_leave_no_residual(valuer: EngineValuer) -> None:
    pay, receive = cleared(1, payer=LEI_A), cleared(2, payer=LEI_B)
    result = run([own(pay), own(receive)], valuer)
    assert result.created == ()
    (bucket,) = result.buckets
    assert (bucket.notional_before, bucket.notional_after, bucket.trades_after) == (Decimal(20_000_000), 0, 0)
    assert abs(bucket.pv01_before) <= RULES.pv01_tolerance


def test_buckets_are_per_maturity_and_index(valuer: EngineValuer) -> None:
    sides = [
        cleared(1, years=3),
        cleared(2, years=3, payer=LEI_B, notional=4_000_000),
        cleared(3, years=12),
        cleared(4, years=12, notional=2_000_000),
    ]
    result = run([own(p) for p in sides], valuer)
    assert [b.bucket.maturity for b in result.buckets] == ["10Y-30Y", "2Y-5Y"]
    assert len(result.created) == 2
    assert sum(b.notional_after for b in result.buckets) < sum(b.notional_before for b in result.buckets)
    assert {bucket_of(own(p).side, TODAY, RULES).maturity for p in sides} == {"2Y-5Y", "10Y-30Y"}


def test_fewer_than_two_trades_is_refused(valuer: EngineValuer) -> None:
    with pytest.raises(GatewayError) as exc:
        run([own(cleared(1))], valuer)
    assert codes(exc) == {R.COMP_TOO_FEW_TRADES}


def test_a_terminated_trade_is_refused_as_not_live(valuer: EngineValuer) -> None:
    with pytest.raises(GatewayError) as exc:
        run([own(cleared(1)), own(cleared(2, status=PositionStatus.TERMINATED)), own(cleared(3))], valuer)
    assert codes(exc) == {R.LIFE_TRADE_NOT_LIVE}
    assert exc.value.issues[0].path == "trades[1]"


def test_a_side_alone_in_its_bucket_stays_and_alone_everywhere_is_refused(valuer: EngineValuer) -> None:
    pay, receive, far = cleared(1), cleared(2, payer=LEI_B, notional=4_000_000), cleared(3, years=12)
    result = run([own(pay), own(receive), own(far)], valuer)
    assert {t.ccp_trade_id for t in result.terminated} == {
        own(pay).side.ccp_trade_id,
        own(receive).side.ccp_trade_id,
    }
    alone = next(b for b in result.buckets if b.bucket.maturity == "10Y-30Y")
    assert (alone.trades_before, alone.trades_after, alone.notional_after) == (1, 1, Decimal(10_000_000))
    assert alone.pv01_after == alone.pv01_before
    with pytest.raises(GatewayError) as exc:
        run([own(pay), own(far)], valuer)
    assert codes(exc) == {R.COMP_TOO_FEW_TRADES}


def test_a_basis_swap_is_refused_when_named_and_passed_over_by_a_run_over_the_account(
    valuer: EngineValuer,
) -> None:
    first, second = cleared(1), cleared(2, payer=LEI_B)
    side, other = cleared(3)
    floating = replace(
        side.trade.streams[1], payer=side.trade.streams[0].receiver, receiver=side.trade.streams[0].payer
    )
    basis = replace(side, trade=replace(side.trade, streams=(floating, side.trade.streams[1])))
    named = [own(first), own(second), NamedSide(basis, other)]
    with pytest.raises(GatewayError) as exc:
        run(named, valuer, ccp_trade_ids=tuple(n.side.ccp_trade_id for n in named))
    assert codes(exc) == {R.COMP_NOT_COMPRESSIBLE}
    result = run(named, valuer)
    assert basis.ccp_trade_id not in {t.ccp_trade_id for t in result.terminated}
    assert len(result.terminated) == 2


def test_another_members_trade_is_refused(valuer: EngineValuer) -> None:
    b_and_c = tuple(replace(s, member_id="BANKC") if s.member_id == "BANKA" else s for s in cleared(3))
    with pytest.raises(GatewayError) as exc:
        run([own(cleared(1)), own(cleared(2)), NamedSide(b_and_c[1], b_and_c[0])], valuer)
    assert codes(exc) == {R.COMP_NOT_MEMBERS_TRADE}


def test_sides_in_another_account_are_refused(valuer: EngineValuer) -> None:
    with pytest.raises(GatewayError) as exc:
        run([own(cleared(1)), own(cleared(2, account="CLIENT1"))], valuer)
    assert R.COMP_MIXED_ACCOUNTS in codes(exc)


def test_a_counterpartys_side_needs_its_consent(valuer: EngineValuer) -> None:
    pairs = [cleared(1), cleared(2, payer=LEI_B, notional=4_000_000), cleared(3, notional=3_000_000)]
    named = [own(pairs[0]), own(pairs[1]), theirs(pairs[2])]
    with pytest.raises(GatewayError) as exc:
        run(named, valuer)
    assert codes(exc) == {R.COMP_CONSENT_MISSING}

    result = run(named, valuer, consenting=("BANKB",))
    ended = {t.ccp_trade_id for t in result.terminated}
    assert ended == {
        own(pairs[0]).side.ccp_trade_id,
        own(pairs[1]).side.ccp_trade_id,
        *(s.ccp_trade_id for s in pairs[2]),
    }
    (bucket,) = result.buckets  # trade 3 ended on both sides: the residual carries trades 1 and 2 only
    assert bucket.trades_before == 3
    kept = valuer.measure([(own(pairs[0]).side.trade, LEI_A), (own(pairs[1]).side.trade, LEI_A)])
    assert abs(float(bucket.pv01_after) - sum(p for _, p in kept)) <= float(RULES.pv01_tolerance)


def test_a_flat_bucket_whose_npv_would_be_lost_is_refused_or_left_by_a_run_over_the_account(
    valuer: EngineValuer,
) -> None:
    rules = replace(RULES, pv01_tolerance=Decimal(10_000), npv_tolerance=Decimal(1))
    low, high = own(cleared(1, rate="0.03")), own(cleared(2, payer=LEI_B, rate="0.06"))
    named = (low.side.ccp_trade_id, high.side.ccp_trade_id)
    with pytest.raises(GatewayError) as exc:
        run([low, high], valuer, rules, ccp_trade_ids=named)
    assert codes(exc) == {R.COMP_RISK_OUTSIDE_TOLERANCE}
    assert exc.value.issues[0].path == "bucket[AUD AUD-BBR-BBSW 6M 5Y-10Y]"

    short = [own(cleared(3, years=3)), own(cleared(4, years=3, payer=LEI_B))]  # the same terms: flat
    result = run([low, high, *short], valuer, rules)  # every live side of the account
    assert [i.code for i in result.left] == [R.COMP_RISK_OUTSIDE_TOLERANCE]
    assert {t.ccp_trade_id for t in result.terminated} == {s.side.ccp_trade_id for s in short}
    kept = next(b for b in result.buckets if b.bucket.maturity == "5Y-10Y")
    assert (kept.trades_after, kept.notional_after, kept.npv_after) == (
        2,
        kept.notional_before,
        kept.npv_before,
    )


trades = st.lists(
    st.tuples(
        st.booleans(),  # A pays fixed
        st.integers(1, 40),  # notional in millions
        st.sampled_from([2, 3, 6, 8, 12]),  # years
        st.sampled_from(["0.04", "0.045", "0.05"]),
    ),
    min_size=2,
    max_size=8,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trades)
def test_the_ccp_book_stays_flat_per_bucket(
    valuer: EngineValuer, spec: list[tuple[bool, int, int, str]]
) -> None:
    """Every trade is A-CCP and CCP-B; after A's compression, per bucket the members' PV01 adds up as before
    (within the tolerance) and the CCP, holding the opposite of every member side, is still flat."""
    pairs = [
        cleared(n, payer=LEI_A if a_pays else LEI_B, notional=m * 1_000_000, years=y, rate=r)
        for n, (a_pays, m, y, r) in enumerate(spec, 1)
    ]
    loose = replace(RULES, npv_tolerance=Decimal(10**9))  # offsetting trades at different rates carry NPV
    if len({bucket_of(own(p).side, TODAY, RULES) for p in pairs}) == len(pairs):
        with pytest.raises(GatewayError) as exc:  # each side alone in its bucket: nothing to compress
            run([own(p) for p in pairs], valuer, loose)
        assert codes(exc) == {R.COMP_TOO_FEW_TRADES}
        return
    result = run([own(p) for p in pairs], valuer, loose)
    ended = {t.ccp_trade_id for t in result.terminated}
    left = [own(p).side for p in pairs if own(p).side.ccp_trade_id not in ended]  # alone in their bucket

    def book(items: list[tuple[object, str, RiskBucket]]) -> dict[RiskBucket, float]:
        out: dict[RiskBucket, float] = defaultdict(float)
        values = valuer.measure([(t, p) for t, p, _ in items])  # type: ignore[misc]
        for (_, _, b), (_, pv01) in zip(items, values, strict=True):
            out[b] += pv01
        return out

    b_sides = [(p[1].trade, p[1].party_id, bucket_of(p[1], TODAY, RULES)) for p in pairs]
    before = book([(p[0].trade, p[0].party_id, bucket_of(p[0], TODAY, RULES)) for p in pairs] + b_sides)
    after = book(
        [(r.trade, r.party_id, r.bucket) for r in result.created]
        + [(x.trade, x.party_id, bucket_of(x, TODAY, RULES)) for x in left]
        + b_sides
    )
    for bucket in before:
        tolerance = max(
            float(RULES.pv01_tolerance), float(RULES.pv01_tolerance_fraction) * abs(before[bucket])
        )
        assert abs(before[bucket]) < 1.0  # each trade's two member sides cancel: the CCP is flat before
        assert abs(after.get(bucket, 0.0) - before[bucket]) <= tolerance + 1e-6
        ccp_after = -after.get(bucket, 0.0)  # the CCP holds the opposite of every live member side
        assert abs(ccp_after) <= tolerance + 1.0
    for b in result.buckets:  # a residual on the bucket's longest terms: never much more than the gross
        assert b.notional_after <= b.notional_before * Decimal("1.02")
    for r in result.created:  # every residual faces the CCP on the member's side
        assert {p.party_id for p in r.trade.parties} == {LEI_A, CCP}
