"""Settling margin calls: what a member pays is lodged through the account's holdings (so its excess shows
it) and counted towards the call, in one transaction. A partial payment leaves the rest outstanding; an
intraday call is paid in cash only. Every refusal names the field and carries its reason code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gateway.admin.reference import ReferenceData, cash
from gateway.clearing import calls as rules
from gateway.clearing.calls import MarginCall
from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from gateway.refdata.model import Holding
from gateway.store import calls_repo


@dataclass(frozen=True, slots=True)
class Settlement:
    call: MarginCall
    lodged: Holding
    credited: Decimal  # what the lodgement counts for, in the call's currency


class CallDesk:
    def __init__(self, refdata: ReferenceData) -> None:
        self.refdata = refdata

    async def settle(
        self, call_id: str, amount: Decimal, by: str, *, security: Holding | None = None
    ) -> Settlement:
        """Pay ``amount`` of the call in cash in its currency, or lodge ``security``: its value after
        haircuts, in the call's currency, is what it counts for (``amount`` must not exceed it)."""
        if not amount.is_finite() or amount <= 0:
            raise InputRejected.of(
                ReasonCode.CALL_BAD_AMOUNT, "amount", f"settle a positive amount, not {amount}"
            )
        engine, fx = self.refdata.engine, self.refdata.fx
        at = self.refdata.clock.now()
        async with engine.begin() as conn:
            call = await calls_repo.get(conn, call_id, lock=True)
            if call is None:
                raise InputRejected.of(ReasonCode.CALL_UNKNOWN, "call_id", f"no margin call {call_id!r}")
            if security is None:
                lodged, credited = cash(call.currency, amount), amount
            else:
                value = fx.convert(security.collateral_value, security.currency, call.currency)
                if value < amount:
                    raise InputRejected.of(
                        ReasonCode.CALL_BAD_AMOUNT,
                        "amount",
                        f"{security.asset_id} is worth {value:.2f} {call.currency} after haircuts, less than {amount}",
                    )
                lodged, credited = security, amount
            settled = rules.settle(call, credited, security is None, by, at)
            await self.refdata.lodge_in(conn, call.member_id, call.account_id, lodged)
            await calls_repo.put_settlement(conn, settled)
        if self.refdata.on_lodged is not None:
            self.refdata.on_lodged()
        return Settlement(settled, lodged, credited)
