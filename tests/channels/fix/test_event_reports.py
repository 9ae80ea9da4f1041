"""An event report (TradeContinuation) on an acceptor with no lifecycle event port, and from a trade
source's session: refused with an AR naming the field, over a real FIX session (the session lives on)."""

from __future__ import annotations

from gateway.channels.fix.acceptor import FixAcceptor
from tests.channels.fix.script import GOLDEN, parse_pairs
from tests.channels.fix.test_flows import _ask, _session

PROPOSAL = [
    (35, "AE"),
    *parse_pairs((GOLDEN / "event_partial_termination.fix").read_text(encoding="utf-8"))[1:],
]


async def test_an_event_report_without_an_event_port_is_refused_naming_the_field(
    acceptor: FixAcceptor,
) -> None:
    for sender in ("MEMBER1", "VENUE"):
        client = await _session(acceptor, sender)
        try:
            ack = await _ask(client, PROPOSAL)
            assert (ack[35], ack[571], ack[1523], ack[939], ack[751]) == ("AR", "E1", "1", "1", "99")
            assert ack[1328].startswith("TradeContinuation(1937): lifecycle events over FIX are proposed")
            again = await _ask(client, [(35, "1"), (112, "STILL-THERE")])
            assert again[35] == "0"
        finally:
            await client.close()
