"""What one clearing member may see of a status, on every channel (MQTT FpML and FIX alike).

A member sees its own side of a trade: its own account and party trade ids, never the other member's
(the source, which submitted both sides, sees everything). Credit reasons carry the path
``member[M].account[A]`` and name the shortfall; another member's figures are replaced by a plain
statement that the counterparty's side is not yet covered.

    view = member_view(update, member_id="BANKB", member_party=LEI_B, ccp_party_id=ccp)

``member_view`` is the one place that decides: the MQTT publisher renders the view as FpML
(``gateway.formats.fpml.write.status``), the FIX publisher sends it as a TradeCaptureReport
(``gateway.formats.fix.replies``). ``own_side`` is the trade-level part, used by the FpML writer when it
is given a member's party id directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from gateway.clearing.ports import StatusUpdate
from gateway.domain.errors import Issue
from gateway.domain.trade import Trade

_PREFIX = "member["


def reasons_for_member(reasons: Iterable[Issue], member_id: str) -> tuple[Issue, ...]:
    """``reasons`` with another member's credit figures replaced by a plain statement."""
    own = f"{_PREFIX}{member_id}]"
    out: list[Issue] = []
    for issue in reasons:
        if issue.path.startswith(_PREFIX) and not issue.path.startswith(own):
            redacted = Issue(issue.code, "counterparty", "the counterparty's side is not yet covered")
            if redacted not in out:
                out.append(redacted)
        else:
            out.append(issue)
    return tuple(out)


def own_side(trade: Trade, keep: set[str]) -> Trade:
    """``trade`` without the accounts and party trade ids of parties outside ``keep`` (itself if none)."""
    withheld = [p.party_id not in keep and p.account is not None for p in trade.parties]
    ids = trade.identifiers.party_trade_ids
    kept = tuple(p for p in ids if p.party_id in keep)
    if not any(withheld) and len(kept) == len(ids):
        return trade
    parties = tuple(
        replace(p, account=None) if hide else p for p, hide in zip(trade.parties, withheld, strict=True)
    )
    return replace(
        trade,
        parties=(parties[0], parties[1]),
        identifiers=replace(trade.identifiers, party_trade_ids=kept),
    )


def member_view(
    update: StatusUpdate, *, member_id: str, member_party: str, ccp_party_id: str
) -> StatusUpdate:
    """``update`` as clearing member ``member_id`` (party ``member_party`` in the trade) may see it: no
    other member's account or party trade ids, in the submitted trade or the cleared ones, and no other
    member's credit figures. ``LookupError`` if ``member_party`` is not a party of the trade."""
    if member_party not in (p.party_id for p in update.trade.parties):
        raise LookupError(f"{member_party} is not a party of submission {update.submission_id}")
    keep = {member_party, ccp_party_id}
    trade = own_side(update.trade, keep)
    cleared = update.cleared
    if cleared is not None:
        first, second = own_side(cleared[0], keep), own_side(cleared[1], keep)
        if first is not cleared[0] or second is not cleared[1]:
            cleared = (first, second)
    reasons = reasons_for_member(update.reasons, member_id)
    event = update.event
    if event is not None:  # the cleared trades an event tells of: the member's own ids only
        first, second = own_side(event.cleared[0], keep), own_side(event.cleared[1], keep)
        if first is not event.cleared[0] or second is not event.cleared[1]:
            event = replace(event, cleared=(first, second))
    if (
        trade is update.trade
        and cleared is update.cleared
        and reasons == update.reasons
        and event is update.event
    ):
        return update  # nothing to withhold (own_side returns the trade itself then)
    return replace(update, trade=trade, cleared=cleared, reasons=reasons, event=event)
