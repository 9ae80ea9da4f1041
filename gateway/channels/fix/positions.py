"""RequestForPositions (AN): a member's own cleared trades, one PositionReport each after the ack.

A member asks only for its own positions (its party, its accounts); the trades are as their lifecycle
events left them (a partly terminated trade at its outstanding notional, a terminated one gone).
"""

from __future__ import annotations

from gateway.channels.fix.config import FixSession
from gateway.clearing.ports import ClearingPort
from gateway.domain.errors import GatewayError, Issue
from gateway.formats.fix import replies
from gateway.formats.fix.dictionary import Dictionary
from gateway.formats.fix.reader import Reader
from gateway.formats.fix.tags import T
from gateway.formats.fix.wire import FieldSet, Out


async def positions(port: ClearingPort, d: Dictionary, member: FixSession, body: FieldSet) -> list[Out]:
    """The RequestForPositionsAck, then one PositionReport per cleared trade of the member (its account)."""
    req_id = body.get(T.PosReqID) or ""
    account = body.get(T.Account)
    issues: list[Issue] = []
    business_date = Reader(body, d, issues).day(T.ClearingBusinessDate, required=True)

    def ack(count: int, result: str, text: str | None = None) -> Out:
        return replies.positions_ack(
            req_id=req_id,
            participant=member.participant,
            account=account,
            business_date=business_date,
            count=count,
            result=result,
            text=text,
        )

    named = {p.get(T.PartyID) for p in body.group(T.NoPartyIDs)}
    if named - {member.participant}:
        return [ack(0, "3", f"a member may request only its own positions ({member.participant})")]
    if member.accounts and account is not None and account not in member.accounts:
        return [ack(0, "3", f"{account!r} is not an account of {member.participant}")]
    if issues or business_date is None:
        return [ack(0, "1", replies.explain(issues))]
    try:
        positions = await port.positions(member.participant, account, business_date)
    except GatewayError as exc:
        return [ack(0, "99", replies.explain(exc.issues))]
    if not positions:
        return [ack(0, "2", "no positions for the request")]
    out = [ack(len(positions), "0")]
    out += [
        replies.position_report(
            p,
            req_id=req_id,
            index=i,
            total=len(positions),
            business_date=business_date,
            participant=member.participant,
        )
        for i, p in enumerate(positions, start=1)
    ]
    return out
