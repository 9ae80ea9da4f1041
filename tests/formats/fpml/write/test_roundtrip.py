"""Round trips through the FpML reader (gateway.formats.fpml.read): parse(write(x)) == x.

The reader returns exactly what the writers wrote: the source's own trade id only as the source id,
parties in the document's (the trade's) order, rollConvention NONE as no roll convention, identifiers
with everything but XML white space kept, and the exact ReasonCode from ``validationRuleId``.

Four differences remain, each because the document does not say what the canonical value says; each
is asserted exactly where it applies and nowhere else:

- **party scheme**: a party whose scheme is not given is written with the ``partyIdScheme`` the writer
  chooses for it (``default_party_scheme``: the LEI scheme or ``urn:clearing-gateway:participant``), and
  the reader cannot tell a chosen scheme from a stated one, so it comes back with that scheme.
- **owner's id when the sender is not the owner**: the reader knows a trade's own id from the other
  party trade ids only through ``header/sentBy`` (the sender's id is the source id). A cleared trade is
  owned by the CCP, one of its two parties; when the message is sent under another address than the
  CCP's party id, the CCP's own id (written as its ``versionedTradeId`` in the source-trade-id scheme)
  is the source id and is also listed first among ``party_trade_ids``.
- **party order in a shared party table**: a trade's parties come back in the order of the document's
  ``party`` elements. A ``clearingConfirmed`` with the submitted trade writes one party table for all
  three trades (the members as the submitted trade orders them, then the CCP), so a cleared trade whose
  canonical order puts the CCP first comes back with the member first.
- **Cleared status**: ``ClearingStatusCode.CLEARED`` is written ``Registered`` (the scheme's word for
  cleared) and read back as REGISTERED.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.messages import ClearingConfirmation, ClearingStatusReport, MessageHeader
from gateway.domain.reasons import REASONS, ReasonCode
from gateway.domain.trade import Party, PartyTradeId, Trade
from gateway.formats.fpml.read import parse_fpml, parse_trade_xml
from gateway.formats.fpml.write import clearing_confirmed, clearing_status, trade_document
from gateway.formats.fpml.write.parties import default_party_scheme
from gateway.formats.fpml.write.schemes import SOURCE_TRADE_ID
from tests.formats.fpml.write import shapes
from tests.formats.fpml.write.cases import AT
from tests.strategies import LEI_A, LEI_B, irs_trades


def with_written_schemes(trade: Trade) -> Trade:
    """``trade`` with each party's scheme as written: its own when given, else the writer's default."""
    parties = tuple(replace(p, scheme=p.scheme or default_party_scheme(p.party_id)) for p in trade.parties)
    return replace(trade, parties=(parties[0], parties[1]))


def with_owner_id_listed(trade: Trade, owner: str) -> Trade:
    """``trade`` read from a message whose sender is not ``owner``: the owner's own id is listed first."""
    ids = trade.identifiers
    own = PartyTradeId(owner, ids.source_trade_id, SOURCE_TRADE_ID)
    return replace(trade, identifiers=replace(ids, party_trade_ids=(own, *ids.party_trade_ids)))


def in_party_order(trade: Trade, order: list[str]) -> Trade:
    """``trade`` with its two parties in the document's party order ``order`` (party ids)."""
    first, second = sorted(trade.parties, key=lambda p: order.index(p.party_id))
    return replace(trade, parties=(first, second))


def _round_trip(trade: Trade) -> Trade:
    return parse_trade_xml(trade_document(trade, source=shapes.SOURCE))


@pytest.mark.parametrize("name", sorted(shapes.EXAMPLES))
def test_each_shape_round_trips_exactly(name: str) -> None:
    trade = shapes.EXAMPLES[name]()
    assert all(p.scheme for p in trade.parties)  # every shape states its schemes: no difference applies
    assert _round_trip(trade) == trade


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trade=st.one_of(shapes.all_shapes(), irs_trades()))
def test_random_trades_round_trip(trade: Trade) -> None:
    assert _round_trip(trade) == with_written_schemes(trade)


def test_party_without_scheme_comes_back_with_the_scheme_written_for_it() -> None:
    lei_party, participant = Party(LEI_A, account="HOUSE"), Party("BANKB", account="CLIENT-7")
    trade = shapes.irs()
    trade = replace(
        trade,
        parties=(lei_party, participant),
        identifiers=replace(trade.identifiers, party_trade_ids=()),
        streams=tuple(
            replace(
                s,
                payer=s.payer if s.payer == LEI_A else "BANKB",
                receiver=s.receiver if s.receiver == LEI_A else "BANKB",
            )
            for s in trade.streams
        ),
    )
    back = _round_trip(trade)
    assert back.parties == (
        Party(LEI_A, shapes.LEI_SCHEME, None, "HOUSE"),
        Party("BANKB", "urn:clearing-gateway:participant", None, "CLIENT-7"),
    )
    assert replace(back, parties=trade.parties) == trade  # nothing else differs


def test_parties_are_kept_as_written_when_their_scheme_is_given() -> None:
    trade = shapes.basis()
    assert all(p.scheme for p in trade.parties)
    assert _round_trip(trade).parties == trade.parties


@pytest.mark.parametrize("trade_id", ["MW-7\u0085", "\u00a0MW-7", "MW\u2028-7\u00a0"])
def test_identifier_with_non_xml_white_space_round_trips(trade_id: str) -> None:
    trade = shapes.irs(trade_id)
    back = _round_trip(trade)
    assert back.identifiers.source_trade_id == trade_id
    assert back == trade


def test_roll_convention_none_is_read_as_no_roll_convention() -> None:
    trade = shapes.irs()
    trade = replace(trade, streams=tuple(replace(s, roll_convention=None) for s in trade.streams))
    assert b"<rollConvention>NONE</rollConvention>" in trade_document(trade, source=shapes.SOURCE)
    assert _round_trip(trade) == trade


# ---------------------------------------------------------------- messages

HEADER = MessageHeader("CCP-1", "EXCLEAR", ("MARKITWIRE", "549300VBWWV6BYQOWM67"), AT, "SRC-1")
issues = st.builds(
    Issue,
    st.sampled_from(list(ReasonCode)),
    st.text(alphabet="abcdefghij/[]123@=", min_size=1, max_size=30),
    st.text(alphabet="abcdefghij klmnop,.%-0123456789", min_size=1, max_size=60).map(str.strip).filter(bool),
)
statuses = st.sampled_from([s for s in ClearingStatusCode if s is not ClearingStatusCode.CLEARED])


def _status_view(report: ClearingStatusReport) -> ClearingStatusReport:
    return replace(report, trade=None if report.trade is None else with_written_schemes(report.trade))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    trade=shapes.all_shapes(),
    status=statuses,
    reasons=st.lists(issues, max_size=3).map(tuple),
    sequence=st.none() | st.integers(1, 10**6),
)
def test_clearing_status_round_trips(
    trade: Trade, status: ClearingStatusCode, reasons: tuple[Issue, ...], sequence: int | None
) -> None:
    report = ClearingStatusReport(HEADER, status, trade, "CORR-1", sequence, reasons)
    parsed = parse_fpml(clearing_status(report, source=shapes.SOURCE))
    assert parsed.message == report


def test_clearing_status_by_identifiers_survives_the_reader() -> None:
    report = ClearingStatusReport(
        replace(HEADER, creation_timestamp=AT.astimezone(timezone(timedelta(hours=10)))),
        ClearingStatusCode.AWAITING_ACCEPTANCE,
        None,
        "CORR-2",
        None,
        trade_ids=(
            PartyTradeId(shapes.SOURCE, "MW-9", "urn:x:trade"),
            PartyTradeId(LEI_B, "B-9", "urn:y"),
        ),
        status_applies_to=(LEI_B,),
    )
    assert parse_fpml(clearing_status(report, source=shapes.SOURCE)).message == report


def test_cleared_status_comes_back_as_registered() -> None:
    report = ClearingStatusReport(HEADER, ClearingStatusCode.CLEARED, shapes.irs(), "CORR-1")
    parsed = parse_fpml(clearing_status(report, source=shapes.SOURCE)).message
    assert parsed == replace(_status_view(report), status=ClearingStatusCode.REGISTERED)


def test_reason_codes_sharing_an_fpml_reason_round_trip() -> None:
    shared = REASONS[ReasonCode.FIX_MISSING_FIELD].fpml_reason
    siblings = [c for c in ReasonCode if REASONS[c].fpml_reason == shared]
    assert len(siblings) > 1
    assert siblings[0] is not ReasonCode.FIX_MISSING_FIELD
    reasons = (Issue(ReasonCode.FIX_MISSING_FIELD, "tag 55", "Symbol missing"),)
    report = ClearingStatusReport(HEADER, ClearingStatusCode.PENDING, shapes.irs(), "CORR-1", 1, reasons)
    parsed = parse_fpml(clearing_status(report, source=shapes.SOURCE)).message
    assert isinstance(parsed, ClearingStatusReport)
    assert parsed.reasons == reasons


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trade=st.one_of(shapes.all_shapes(), irs_trades()), sequence=st.none() | st.integers(1, 99))
def test_clearing_confirmed_round_trips(trade: Trade, sequence: int | None) -> None:
    cleared = shapes.novate(trade)
    confirmation = ClearingConfirmation(
        HEADER, trade, cleared, shapes.LEI_CCP, "CORR-3", sequence, "Clearing"
    )
    parsed = parse_fpml(clearing_confirmed(confirmation, source=shapes.SOURCE)).message
    assert HEADER.sent_by != shapes.LEI_CCP  # sent under an address that is not the CCP's party id
    order = [p.party_id for p in trade.parties] + [shapes.LEI_CCP]
    expected = replace(
        confirmation,
        submitted=with_written_schemes(trade),
        cleared=tuple(
            in_party_order(with_owner_id_listed(with_written_schemes(t), shapes.LEI_CCP), order)
            for t in cleared
        ),
    )
    assert parsed == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trade=st.one_of(shapes.all_shapes(), irs_trades()), sequence=st.none() | st.integers(1, 99))
def test_clearing_confirmed_sent_by_the_ccp_round_trips(trade: Trade, sequence: int | None) -> None:
    """Sent under the CCP's party id (the default), only the shared party order differs."""
    confirmation = ClearingConfirmation(
        replace(HEADER, sent_by=shapes.LEI_CCP),
        trade,
        shapes.novate(trade),
        shapes.LEI_CCP,
        "CORR-3",
        sequence,
        "Clearing",
    )
    parsed = parse_fpml(clearing_confirmed(confirmation, source=shapes.SOURCE)).message
    expected = replace(
        confirmation,
        submitted=with_written_schemes(trade),
        cleared=tuple(
            in_party_order(with_written_schemes(t), [p.party_id for p in trade.parties] + [shapes.LEI_CCP])
            for t in confirmation.cleared
        ),
    )
    assert parsed == expected


def test_single_trade_confirmation_round_trips() -> None:
    """With one cleared trade the reader finds the CCP only as the sender, so the CCP sends under its LEI."""
    cleared = shapes.novate(shapes.ois())[1]
    header = replace(HEADER, sent_by=shapes.LEI_CCP)
    confirmation = ClearingConfirmation(
        header, None, (cleared,), shapes.LEI_CCP, originating_event="Exercise"
    )
    parsed = parse_fpml(clearing_confirmed(confirmation, source=shapes.SOURCE)).message
    assert parsed == confirmation


def test_member_confirmation_round_trips() -> None:
    """A member's confirmation is a single-trade clearingConfirmed: the reader finds the CCP as its sender."""
    from gateway.formats.fpml.write import CcpIdentity, status_update_to_fpml
    from tests.formats.fpml.write.cases import cleared_update

    u = cleared_update(shapes.irs())
    ccp = CcpIdentity(shapes.LEI_CCP, name="Example Clearing House")  # sentBy is the CCP's party id
    parsed = parse_fpml(status_update_to_fpml(u, ccp=ccp, recipient="BANKA", member_party=LEI_A)).message
    assert isinstance(parsed, ClearingConfirmation)
    assert parsed.submitted is None
    assert parsed.ccp_party_id == shapes.LEI_CCP
    assert parsed.originating_event == "Clearing"
    assert u.cleared is not None
    assert parsed.cleared == (u.cleared[0],)
