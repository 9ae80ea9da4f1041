"""The invariant of packages through the whole clearing service (on the in-memory store, so that hypothesis
can run many days): legs of random packages submitted in random order, interleaved with other packages,
some never arriving, some ineligible, with random collateral and clearing passes of random batch sizes in
between. After every pass, no package is partly novated: its legs are all cleared or none is."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.admin.reference import cash
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain.clearing import Channel, Submission
from gateway.domain.trade import PackageRef
from gateway.domain.workflow import Stage
from gateway.store.memory import MemoryClearingStore
from tests.clearing.conftest import OPEN_NOW, aud_irs, member
from tests.clearing.doubles import LinearMargin
from tests.strategies import LEI_A, LEI_B

LEG = st.tuples(
    st.sampled_from([5_000_000, 10_000_000, 20_000_000]),  # notional
    st.sampled_from([2, 5, 10]),  # years
    st.sampled_from([LEI_A, LEI_B]),  # who pays fixed
    st.sampled_from([True, True, True, True, False]),  # eligible (else beyond the 30 years A$ IRS clear to)
    st.sampled_from([True, True, True, True, False]),  # arrives (else never sent)
)


async def _stages(store: MemoryClearingStore, names: list[str]) -> dict[str, set[Stage]]:
    """The stages of every stored leg of each package, read through the store's own interface."""
    async with store.read() as uow:
        legs = await uow.submissions.package_legs([("MARKITWIRE", n) for n in names])
    return {key[1]: {r.stage for r in rows} for key, rows in legs.items() if rows}


async def _day(
    packages: list[list[tuple[int, int, str, bool, bool]]],
    order: list[int],
    batches: list[int],
    collateral: int,
) -> None:
    store = MemoryClearingStore()
    store.add_member(member("BANKA", LEI_A))
    store.add_member(member("BANKB", LEI_B))
    store.lodge("BANKA", "HOUSE", cash("AUD", Decimal(100_000_000)))
    if collateral:
        store.lodge("BANKB", "HOUSE", cash("AUD", Decimal(collateral)))
    clock = FixedClock(OPEN_NOW)
    svc = ClearingService(None, LinearMargin(), clock=clock, store=store)
    subs = []
    for n, specs in enumerate(packages):
        for i, (notional, years, payer, eligible, arrives) in enumerate(specs, start=1):
            if not arrives:
                continue
            trade = aud_irs(f"P{n}-L{i}", notional=Decimal(notional), years=years if eligible else 40)
            trade = dataclasses.replace(
                trade,
                streams=tuple(
                    dataclasses.replace(s, payer=LEI_B if s.payer == LEI_A else LEI_A, receiver=s.payer)
                    if payer == LEI_B
                    else s
                    for s in trade.streams
                ),
                package=PackageRef(f"PKG-{n}", len(specs), i, "MARKITWIRE"),
            )
            subs.append(
                Submission(
                    Channel.MQTT_FPML,
                    "MARKITWIRE",
                    f"M-{n}-{i}",
                    OPEN_NOW,
                    trade,
                    package_id=f"PKG-{n}",
                )
            )
    sizes = {f"PKG-{n}": len(specs) for n, specs in enumerate(packages)}
    arrived = {f"PKG-{n}": sum(1 for *_, a in specs if a) for n, specs in enumerate(packages)}
    passes = iter(batches)

    async def check() -> None:
        for package, stages in (await _stages(store, list(sizes))).items():
            if Stage.CLEARED in stages:
                assert stages == {Stage.CLEARED}, (package, stages)
                assert arrived[package] == sizes[package]

    for k in order:
        if k < len(subs):
            await svc.submit(subs[k])
        size = next(passes, 0)
        if size:
            await svc.drain(batch=size)
            await check()
    await svc.drain(batch=3)
    await check()
    clock.advance(timedelta(seconds=301))  # every incomplete package's time has passed
    await svc.drain(batch=2)
    await check()
    for package, stages in (await _stages(store, list(sizes))).items():
        if arrived[package] < sizes[package]:
            assert stages == {Stage.REJECTED}, (package, stages)


@settings(max_examples=100, deadline=None)
@given(
    packages=st.lists(st.lists(LEG, min_size=1, max_size=4), min_size=1, max_size=3),
    order=st.permutations(list(range(12))),
    batches=st.lists(st.integers(min_value=0, max_value=4), max_size=12),
    collateral=st.sampled_from([0, 300_000, 1_000_000, 100_000_000]),
)
def test_no_package_is_ever_partly_novated_by_the_service(
    packages: list[list[tuple[int, int, str, bool, bool]]],
    order: list[int],
    batches: list[int],
    collateral: int,
) -> None:
    asyncio.run(_day(packages, order, batches, collateral))
