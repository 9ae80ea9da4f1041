"""Packages all or nothing, decided on values alone: no database, no broker, no clock.

A switch package: Bank A pays fixed on 10m for 10 years and receives fixed on 20m for 5 years. Under the
linear margin model each leg alone has a PV01 of 10,000 and an initial margin of 500,000 per side; together
they offset, and the package's combined margin is nil.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clearing import decide, packages
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import PackageRef, Trade
from gateway.domain.workflow import Stage, SubmissionRow, Transition
from gateway.rules.settings import ShortfallAction
from tests.clearing.conftest import OPEN_NOW, aud_irs
from tests.clearing.doubles import LinearMargin
from tests.clearing.test_decide import batch, policy, row
from tests.strategies import LEI_A, LEI_B

PKG = "PKG-1"
LEG_MARGIN = Decimal(500_000)  # one leg alone, per side


def leg(
    trade_id: str,
    sequence: int,
    *,
    size: int = 2,
    notional: int = 10_000_000,
    years: int = 10,
    fixed_payer: str = LEI_A,
    row_id: int | None = None,
    stage: Stage = Stage.RECEIVED,
    package_id: str = PKG,
) -> SubmissionRow:
    trade = aud_irs(trade_id, notional=Decimal(notional), years=years, fixed_payer=fixed_payer)
    trade = dataclasses.replace(trade, package=PackageRef(package_id, size, sequence, "MARKITWIRE"))
    return dataclasses.replace(row(trade, row_id=row_id or 10 + sequence, stage=stage), package_id=package_id)


def switch() -> list[SubmissionRow]:
    """Bank A pays 10y on 10m, receives 5y on 20m: equal PV01, opposite directions."""
    return [
        leg("SW-10Y", 1, notional=10_000_000, years=10, fixed_payer=LEI_A),
        leg("SW-5Y", 2, notional=20_000_000, years=5, fixed_payer=LEI_B),
    ]


def decide_all(
    p: decide.Policy, legs: list[SubmissionRow], b: decide.Batch, package_id: str = PKG
) -> dict[int, Transition]:
    """Plan every leg, decide the package; each leg's transition by submission id."""
    plans: dict[int, decide.Plan | Exception] = {}
    for s in legs:
        try:
            plans[s.id] = decide.plan(p, s, b)
        except Exception as exc:
            plans[s.id] = exc
    pkg = packages.Package.of(("MARKITWIRE", package_id), legs)
    before = len(b.transitions)
    packages.decide_package(p, pkg, plans, b)
    return {t.sub.id: t for t in b.transitions[before:]}


def codes(t: Transition) -> list[R]:
    return [i.code for i in t.reasons]


def test_a_switch_whose_legs_offset_clears_whole_where_one_leg_alone_would_wait() -> None:
    collateral = Decimal(300_000)  # less than one leg's margin
    alone = batch(collateral=collateral)
    first = switch()[0]
    decide.decide(policy(), first, decide.plan(policy(), first, alone), alone)
    assert alone.transitions[-1].stage is Stage.PENDING_COLLATERAL

    b = batch(collateral=collateral)
    out = decide_all(policy(), switch(), b)
    assert [(t.stage, t.status) for t in out.values()] == [(Stage.CLEARED, S.CLEARED)] * 2
    assert len(b.novated) == 2
    assert len(b.cleared) == 4
    # one incremental margin on the combined P&L: the package leaves both accounts with no margin
    assert b.book[("BANKA", "HOUSE")].margin == 0
    assert b.book[("BANKB", "HOUSE")].margin == 0
    assert b.book[("BANKA", "HOUSE")].trade_count == 2


def test_one_ineligible_leg_refuses_the_package_each_leg_with_its_reasons() -> None:
    legs = [leg("P-OK", 1), leg("P-BAD", 2, years=40)]  # beyond the 30 years A$ IRS clear to
    out = decide_all(policy(), legs, batch())
    ok, bad = out[legs[0].id], out[legs[1].id]
    assert ok.stage is bad.stage is Stage.REJECTED
    assert codes(ok) == [R.PACKAGE_LEG_REFUSED]
    assert "P-BAD" in ok.reasons[0].message
    assert "P-OK" not in ok.reasons[0].message
    assert codes(bad)[0] is R.ELIG_MATURITY_TOO_LONG
    assert codes(bad)[-1] is R.PACKAGE_LEG_REFUSED


def test_a_package_short_of_collateral_waits_whole_then_clears_whole() -> None:
    legs = [leg("P-1", 1, years=5), leg("P-2", 2, years=5)]  # same direction: margins add up
    b = batch(collateral=Decimal(100_000))
    out = decide_all(policy(), legs, b)
    assert {(t.stage, t.status) for t in out.values()} == {(Stage.PENDING_COLLATERAL, S.PENDING)}
    assert all(R.RISK_INSUFFICIENT_COLLATERAL in codes(t) for t in out.values())
    assert not b.novated

    pending = [dataclasses.replace(s, stage=Stage.PENDING_COLLATERAL) for s in legs]
    b = batch(collateral=Decimal(10_000_000))
    out = decide_all(policy(), pending, b)
    assert {t.stage for t in out.values()} == {Stage.CLEARED}
    assert len(b.novated) == 2


def test_a_package_short_of_collateral_is_refused_whole_when_the_policy_refuses() -> None:
    legs = [leg("P-1", 1, years=5), leg("P-2", 2, years=5)]
    out = decide_all(policy(on_shortfall=ShortfallAction.REFUSE), legs, batch(collateral=Decimal(100_000)))
    assert {t.stage for t in out.values()} == {Stage.REJECTED}


def test_a_package_is_held_until_every_leg_arrived_then_refused_at_the_deadline() -> None:
    first = leg("P-1", 1, size=3)
    out = decide_all(policy(), [first], batch())
    t = out[first.id]
    assert (t.stage, t.status) == (Stage.QUEUED_PACKAGE, None)  # nobody is told: it is still Received
    assert t.due_at == OPEN_NOW + timedelta(seconds=300)

    held = dataclasses.replace(first, stage=Stage.QUEUED_PACKAGE, due_at=t.due_at)
    second = leg("P-2", 2, size=3)
    out = decide_all(policy(), [held, second], batch(now=OPEN_NOW + timedelta(seconds=120)))
    assert out[second.id].stage is Stage.QUEUED_PACKAGE
    assert held.id not in out  # already held with that deadline: nothing to write

    late = batch(now=OPEN_NOW + timedelta(seconds=300))
    out = decide_all(policy(), [held, dataclasses.replace(second, stage=Stage.QUEUED_PACKAGE)], late)
    assert {t.stage for t in out.values()} == {Stage.REJECTED}
    assert all(codes(t) == [R.PACKAGE_INCOMPLETE] for t in out.values())
    assert "1 of its 3 trades never arrived" in out[first.id].reasons[0].message
    assert not late.novated


def test_more_legs_than_the_package_has_refuses_it_at_once() -> None:
    legs = [leg("P-1", 1), leg("P-2", 2), leg("P-3", 2)]  # a third trade in a package of two
    out = decide_all(policy(), legs, batch())
    assert {t.stage for t in out.values()} == {Stage.REJECTED}
    assert all(codes(t) == [R.PACKAGE_INCOMPLETE] for t in out.values())
    assert "3 trades arrived for a package of 2" in out[legs[0].id].reasons[0].message


def test_a_leg_still_alleged_holds_the_package() -> None:
    legs = [leg("P-1", 1), leg("P-2", 2, stage=Stage.ALLEGED)]
    out = decide_all(policy(), legs, batch())
    assert list(out) == [legs[0].id]
    assert out[legs[0].id].stage is Stage.QUEUED_PACKAGE


def test_a_withdrawn_leg_refuses_the_rest_of_its_package() -> None:
    legs = [leg("P-1", 1, stage=Stage.WITHDRAWN), leg("P-2", 2)]
    out = decide_all(policy(), legs, batch())
    assert list(out) == [legs[1].id]
    assert out[legs[1].id].stage is Stage.REJECTED
    assert codes(out[legs[1].id]) == [R.PACKAGE_LEG_REFUSED]
    others, issue = packages.withdrawn_with(packages.Package.of(("MARKITWIRE", PKG), legs), legs[0])
    assert others == [legs[1]]
    assert issue.code is R.PACKAGE_LEG_REFUSED
    assert "P-1" in issue.message


def test_a_corrected_leg_takes_the_place_of_the_version_it_replaced() -> None:
    old = leg("P-1", 1, stage=Stage.WITHDRAWN, row_id=11)
    other = leg("P-2", 2, row_id=12)
    new = dataclasses.replace(leg("P-1", 1, row_id=13), source_version=2, is_correction=True)
    pkg = packages.Package.of(("MARKITWIRE", PKG), [old, other, new])
    assert [r.id for r in pkg.legs] == [12, 13]
    assert pkg.trades == pkg.size == 2


def test_a_package_outside_service_hours_is_queued_whole_to_the_open() -> None:
    night = OPEN_NOW + timedelta(hours=12)  # 23:00 in Sydney
    legs = [dataclasses.replace(s, received_at=night, due_at=night) for s in switch()]
    out = decide_all(policy(), legs, batch(now=night))
    assert {t.stage for t in out.values()} == {Stage.QUEUED_HOURS}
    assert len({t.due_at for t in out.values()}) == 1


def test_an_unpriceable_leg_refuses_the_package() -> None:
    class OneUnpriceable(LinearMargin):
        def margin_impact(self, trade: Trade, *args: object, **kw: object):  # type: ignore[no-untyped-def,override]
            if trade.identifiers.source_trade_id == "P-2":
                return LinearMargin("AUD").margin_impact(trade, *args, **kw)  # type: ignore[arg-type]
            return super().margin_impact(trade, *args, **kw)  # type: ignore[arg-type]

    legs = [leg("P-1", 1), leg("P-2", 2)]
    b = batch()
    out = decide_all(policy(checker=OneUnpriceable()), legs, b)
    assert {t.stage for t in out.values()} == {Stage.REJECTED}
    assert R.RISK_UNPRICEABLE in codes(out[legs[1].id])
    assert codes(out[legs[0].id]) == [R.PACKAGE_LEG_REFUSED]
    assert not b.novated
    assert not b.touched


# ---------------------------------------------------------------- the invariant

LEG = st.tuples(
    st.sampled_from([5_000_000, 10_000_000, 20_000_000]),  # notional
    st.sampled_from([2, 5, 10]),  # years
    st.sampled_from([LEI_A, LEI_B]),  # who pays fixed
    st.booleans(),  # eligible (else it matures beyond the product's 30 years)
)


@settings(max_examples=150, deadline=None)
@given(
    package_legs=st.lists(st.lists(LEG, min_size=1, max_size=4), min_size=1, max_size=3),
    arrived=st.lists(st.booleans(), min_size=3, max_size=3),
    collateral=st.sampled_from([0, 200_000, 600_000, 2_000_000, 100_000_000]),
    on_shortfall=st.sampled_from(list(ShortfallAction)),
)
def test_no_package_is_ever_partly_novated(
    package_legs: list[list[tuple[int, int, str, bool]]],
    arrived: list[bool],
    collateral: int,
    on_shortfall: ShortfallAction,
) -> None:
    """Random packages in one pass, with random eligibility, margin and missing legs: each package is
    either novated whole (every leg, both sides) or not at all, and its legs always share one fate."""
    p = policy(on_shortfall=on_shortfall)
    b = batch(collateral=Decimal(collateral))
    ids = iter(range(100, 1000))
    for n, specs in enumerate(package_legs):
        name = f"PKG-{n}"
        legs = [
            leg(
                f"{name}-L{i}",
                i,
                size=len(specs),
                notional=notional,
                years=years if eligible else 40,
                fixed_payer=payer,
                row_id=next(ids),
                package_id=name,
            )
            for i, (notional, years, payer, eligible) in enumerate(specs, start=1)
        ]
        if not arrived[n] and len(legs) > 1:
            legs = legs[:-1]  # the last leg is still on its way
        out = decide_all(p, legs, b, name)
        novated = {x.row_id for x in b.novated} & {s.id for s in legs}
        assert novated in (set(), {s.id for s in legs})
        assert len({(t.stage, t.status) for t in out.values()}) <= 1  # one fate for every leg
        complete = len(legs) == len(specs)
        if novated:
            assert complete
            assert all(eligible for *_, eligible in specs)
            assert len([c for sid, c in b.cleared if sid in novated]) == 2 * len(legs)
        if not complete:
            assert {t.stage for t in out.values()} == {Stage.QUEUED_PACKAGE}
