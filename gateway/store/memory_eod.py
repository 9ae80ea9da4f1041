"""The memory store's end-of-day repository (``EodRepository`` of gateway/clearing/eod_ports.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from gateway.clearing.eod_ports import EodStepRow, StepState
from gateway.clearing.margin_cycle import AccountKey, FeePaid, PaiFigure, TradeDay, TradeVm
from gateway.domain.events import EventOutcome
from gateway.store.memory_books import CLEARED, State


class MemoryEod:
    def __init__(self, state: State) -> None:
        self.s = state

    async def steps(self, business_date: date) -> list[EodStepRow]:
        rows = [r for (d, _), r in self.s.eod_steps.items() if d == business_date]
        return sorted(rows, key=lambda r: r.started_at)

    async def start_step(self, business_date: date, step: str, owner: str, at: datetime) -> None:
        self.s.eod_steps[(business_date, step)] = EodStepRow(
            business_date, step, StepState.RUNNING, at, None, owner
        )

    async def finish_step(
        self, business_date: date, step: str, state: StepState, at: datetime, detail: str | None
    ) -> None:
        row = self.s.eod_steps[(business_date, step)]
        self.s.eod_steps[(business_date, step)] = dataclasses.replace(
            row, state=state, finished_at=at, detail=detail
        )

    async def put_npvs(self, business_date: date, npvs: Sequence[tuple[str, Decimal, str]]) -> None:
        for ccp_trade_id, npv, currency in npvs:
            self.s.npvs[(ccp_trade_id, business_date)] = (npv, currency)

    async def vm_inputs(self, business_date: date) -> list[TradeDay]:
        last: dict[str, TradeVm] = {}
        last_date: dict[str, date] = {}
        for (ccp_trade_id, d), row in self.s.vm.items():
            if d < business_date and d >= last_date.get(ccp_trade_id, date.min):
                last[ccp_trade_id], last_date[ccp_trade_id] = row, d
        out: list[TradeDay] = []
        for ccp_trade_id, c in sorted(self.s.cleared.items()):
            live = c.status == CLEARED and c.business_date <= business_date <= c.row.maturity_date
            today = self.s.npvs.get((ccp_trade_id, business_date))
            previous = last[ccp_trade_id].npv if ccp_trade_id in last else None
            if not live and today is None and (previous is None or previous == 0):
                continue
            out.append(
                TradeDay(
                    ccp_trade_id,
                    c.row.member_id,
                    c.row.account_id,
                    c.row.currency,
                    None if today is None else today[0],
                    previous,
                    live,
                )
            )
        return out

    async def fees(self, start: datetime, end: datetime) -> list[FeePaid]:
        out: list[FeePaid] = []
        for event_id, e in sorted(self.s.events.items()):
            at = self.s.event_at[event_id]
            fee = e.note.terms.fee
            if e.note.outcome is not EventOutcome.CONFIRMED or fee is None or not start < at <= end:
                continue
            for ccp_trade_id in e.note.ccp_trade_ids:
                c = self.s.cleared.get(ccp_trade_id)
                if c is not None:
                    out.append(
                        FeePaid(
                            ccp_trade_id,
                            c.row.member_id,
                            c.row.account_id,
                            c.row.party_id,
                            fee.amount.currency,
                            fee.payer,
                            fee.receiver,
                            fee.amount.amount,
                            fee.payment_date,
                        )
                    )
        return out

    async def put_vm(self, business_date: date, rows: Sequence[TradeVm]) -> None:
        for key in [k for k in self.s.vm if k[1] == business_date]:
            del self.s.vm[key]
        for r in rows:
            self.s.vm[(r.ccp_trade_id, business_date)] = r

    async def vm(self, business_date: date, member_id: str | None = None) -> list[TradeVm]:
        rows = [
            r
            for (_, d), r in self.s.vm.items()
            if d == business_date and (member_id is None or r.member_id == member_id)
        ]
        return sorted(rows, key=lambda r: (r.member_id, r.account_id, r.currency, r.ccp_trade_id))

    async def vm_balances(self, business_date: date) -> dict[AccountKey, Decimal]:
        out: dict[AccountKey, Decimal] = {}
        for (_, d), r in self.s.vm.items():
            if d <= business_date:
                key = (r.member_id, r.account_id, r.currency)
                out[key] = out.get(key, Decimal(0)) + r.vm
        return dict(sorted(out.items()))

    async def put_pai(self, business_date: date, figures: Sequence[PaiFigure]) -> None:
        for key in [k for k in self.s.pai if k[0] == business_date]:
            del self.s.pai[key]
        for f in figures:
            self.s.pai[(business_date, (f.member_id, f.account_id, f.currency))] = f

    async def pai(self, business_date: date, member_id: str | None = None) -> list[PaiFigure]:
        return [
            f
            for (d, _), f in sorted(self.s.pai.items())
            if d == business_date and (member_id is None or f.member_id == member_id)
        ]
