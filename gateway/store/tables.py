"""The schema, as SQLAlchemy Core tables. Migrations under ``migrations/`` create exactly this.

Decimals are exact (``ExactDecimal``), times aware UTC (``UtcDateTime``). Trades are kept as canonical JSON
(``gateway.domain.codec``) next to the columns that queries filter on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    cast,
    false,
    func,
    literal,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Dialect

from gateway.domain.clearing import (
    MEMBER_POSITION_COLUMNS,
    MEMBER_POSITIONS_VIEW,
    POSITION_COLUMNS,
    SIDE_ATTRIBUTES,
)
from gateway.domain.enums import PositionStatus
from gateway.store.types import ExactDecimal, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# a submission whose stage is not terminal-and-dead holds its UTI (cleared trades keep it)
LIVE_UTI = text("stage NOT IN ('REJECTED', 'WITHDRAWN')")

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY

members = Table(
    "members",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("tolerance_limit", ExactDecimal(), nullable=False),
    Column("credit_score", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

member_parties = Table(
    "member_parties",
    metadata,
    Column("party_id", String(64), primary_key=True),  # LEI or FpML party id, unique across members
    Column("member_id", String(64), ForeignKey("members.member_id"), nullable=False, index=True),
)

member_comp_ids = Table(
    "member_comp_ids",
    metadata,
    Column("comp_id", String(64), primary_key=True),
    Column("member_id", String(64), ForeignKey("members.member_id"), nullable=False, index=True),
)

accounts = Table(
    "accounts",
    metadata,
    Column("member_id", String(64), ForeignKey("members.member_id"), primary_key=True),
    Column("account_id", String(64), primary_key=True),
    Column("account_type", String(8), nullable=False),
    Column("base_currency", String(3), nullable=False),
)

collateral = Table(
    "collateral",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("account_id", String(64), primary_key=True),
    Column("asset_id", String(32), primary_key=True),  # currency code for cash, ISIN for a security
    Column("kind", String(8), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("quantity", ExactDecimal(), nullable=False),
    Column("price", ExactDecimal(), nullable=False),
    Column("haircut", ExactDecimal(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    ForeignKeyConstraint(["member_id", "account_id"], ["accounts.member_id", "accounts.account_id"]),
)

collateral_movements = Table(
    "collateral_movements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("member_id", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("asset_id", String(32), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("quantity_delta", ExactDecimal(), nullable=False),
    Column("price", ExactDecimal(), nullable=False),
    Column("haircut", ExactDecimal(), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_collateral_movements_account", "member_id", "account_id"),
)

account_risk = Table(
    "account_risk",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("account_id", String(64), primary_key=True),
    Column("margin", ExactDecimal(), nullable=False),  # initial margin requirement, account base currency
    Column("pnl_vector", LargeBinary, nullable=True),  # scenario P&L of the account's cleared portfolio
    Column("trade_count", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    ForeignKeyConstraint(["member_id", "account_id"], ["accounts.member_id", "accounts.account_id"]),
)

credit_reservations = Table(
    "credit_reservations",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("order_id", String(128), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("message_id", String(256), nullable=False),
    Column("source_trade_id", String(256), nullable=False),
    Column("source_version", Integer, nullable=False),
    Column("is_correction", Boolean, nullable=False),
    Column("correlation_id", String(256), nullable=True),
    Column("package_id", String(256), nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("trade_json", Text, nullable=False),
    Column("trade_date", Date, nullable=False),
    Column("product", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("party_a", String(64), nullable=False),
    Column("party_b", String(64), nullable=False),
    Column("member_a", String(64), nullable=True),
    Column("member_b", String(64), nullable=True),
    Column("sub_block", Boolean, nullable=False),
    Column("stage", String(24), nullable=False),
    Column("status", String(24), nullable=False),
    Column("last_sequence", Integer, nullable=False),
    Column("due_at", UtcDateTime(), nullable=True),
    Column("business_date", Date, nullable=True),
    Column("backload", Boolean, nullable=False),
    Column("needs_recheck", Boolean, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # the trade's UTI while it may be live as this submission (NULL for a correction until its earlier
    # versions are withdrawn, and for a trade without a UTI): one live UTI is one trade
    Column("uti", String(128), nullable=True),
    # a trade reported by a member (not an approved source): the member that must affirm it
    Column("affirm_member", String(64), nullable=True),
    UniqueConstraint("source", "message_id"),
    UniqueConstraint("source", "source_trade_id", "source_version"),
    Index("ix_submissions_stage_due", "stage", "due_at"),
    Index("ix_submissions_package", "source", "package_id"),  # a package's legs (migration 0007)
    Index(
        "uq_submissions_live_uti",
        "uti",
        unique=True,
        sqlite_where=LIVE_UTI,
        postgresql_where=LIVE_UTI,
    ),
)

status_history = Table(
    "status_history",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("submission_id", Id, ForeignKey("submissions.id"), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("status", String(24), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of Issue.to_dict()
    Column("ccp_trade_ids", Text, nullable=False),  # JSON list
    Column("business_date", Date, nullable=True),
    # set when the status is about a lifecycle event on the cleared trade (migration 0005)
    Column("event_id", Id, ForeignKey("trade_events.id"), nullable=True),
    UniqueConstraint("submission_id", "sequence"),
)

cleared_trades = Table(
    "cleared_trades",
    metadata,
    Column("ccp_trade_id", String(40), primary_key=True),
    Column("submission_id", Id, ForeignKey("submissions.id"), nullable=False, index=True),
    Column("member_id", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("party_id", String(64), nullable=False),
    Column("uti", String(128), nullable=True),
    Column("product", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("notional", ExactDecimal(), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("fixed_rate", ExactDecimal(), nullable=True),
    Column("floating_index", String(64), nullable=True),
    Column("index_tenor", String(8), nullable=True),
    Column("spread", ExactDecimal(), nullable=True),
    Column("effective_date", Date, nullable=False),
    Column("maturity_date", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("npv", ExactDecimal(), nullable=True),
    Column("business_date", Date, nullable=False),
    Column("novated_at", UtcDateTime(), nullable=False),
    Column("trade_json", Text, nullable=False),
    # the side's lifecycle: the notional it was novated with, its last event (an EventKind value) and
    # that event's business date (migration 0010_lifecycle_history)
    Column("original_notional", ExactDecimal(), nullable=True),
    Column("last_event", String(24), nullable=True),
    Column("last_event_date", Date, nullable=True),
    Index("ix_cleared_trades_member", "member_id", "account_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(8), nullable=False),
    Column("role", String(8), nullable=False),
    Column("recipient", String(128), nullable=False),
    Column("history_id", Id, ForeignKey("status_history.id"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Index("ix_outbox_pending", "channel", "delivered_at", "id"),
)

# Lifecycle events on cleared trades (terminations, ...): one row per event request taken, confirmed or
# refused, with its effect; its statuses are status_history rows of the trade's submission (migration 0005).
trade_events = Table(
    "trade_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("submission_id", Id, ForeignKey("submissions.id"), nullable=False, index=True),
    Column("source", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("message_id", String(256), nullable=False),
    Column("correlation_id", String(256), nullable=True),
    Column("kind", String(24), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("ccp_trade_ids", Text, nullable=False),  # JSON list (A-CCP, CCP-B)
    Column("terms_json", Text, nullable=False),  # the event as requested (gateway.domain.events)
    Column("notional_before", ExactDecimal(), nullable=True),  # the effect, when confirmed
    Column("notional_after", ExactDecimal(), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("fee_amount", ExactDecimal(), nullable=True),
    Column("fee_currency", String(3), nullable=True),
    Column("result_json", Text, nullable=False),  # JSON list: the two cleared trades after the event
    Column("raw", LargeBinary, nullable=False),
    # a PENDING event (short of collateral) to be decided again: set by a lodgement, cleared by a decision
    Column("needs_recheck", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("source", "message_id"),
)

# The daily margin cycle (migration 0012_eod_cycle): each end of day's progress by step, the NPV of every
# cleared trade side at each end of day, its variation margin, and the price alignment interest per account.
eod_runs = Table(
    "eod_runs",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("step", String(16), primary_key=True),
    Column("state", String(12), nullable=False),  # running, done, skipped, failed
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("owner", String(128), nullable=False),  # the process that ran the step (host:pid:instance)
    Column("detail", Text, nullable=True),  # why a step was skipped or failed, what it left out
)

npv_history = Table(
    "npv_history",
    metadata,
    Column("ccp_trade_id", String(40), ForeignKey("cleared_trades.ccp_trade_id"), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("npv", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Index("ix_npv_history_business_date", "business_date"),
)

variation_margin = Table(
    "variation_margin",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("ccp_trade_id", String(40), ForeignKey("cleared_trades.ccp_trade_id"), primary_key=True),
    Column("member_id", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("npv", ExactDecimal(), nullable=False),
    Column("previous_npv", ExactDecimal(), nullable=False),
    Column("payments", ExactDecimal(), nullable=False),
    Column("vm", ExactDecimal(), nullable=False),
    Index("ix_variation_margin_trade", "ccp_trade_id", "business_date"),
    Index("ix_variation_margin_account", "member_id", "account_id", "currency", "business_date"),
)

price_alignment_interest = Table(
    "price_alignment_interest",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("account_id", String(64), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("balance", ExactDecimal(), nullable=False),
    Column("overnight_index", String(16), nullable=False),
    Column("rate", ExactDecimal(), nullable=False),
    Column("days", Integer, nullable=False),
    Column("basis", Integer, nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
)

# One margin call per account, currency, business date and kind (an intraday one per time of the day): its
# id says which (gateway/clearing/calls.py ``call_id``), so issuing the same call again is a no-op.
margin_calls = Table(
    "margin_calls",
    metadata,
    Column("call_id", String(200), primary_key=True),
    Column("member_id", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("kind", String(8), nullable=False),  # EOD | INTRADAY
    Column("amount", ExactDecimal(), nullable=False),
    Column("components", Text, nullable=False),  # JSON: im, vm_owed, pai_owed, collateral
    Column("due_at", UtcDateTime(), nullable=False),
    Column("state", String(8), nullable=False),  # ISSUED | SETTLED | OVERDUE
    Column("settled_amount", ExactDecimal(), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("settled_at", UtcDateTime(), nullable=True),
    Column("settled_by", String(128), nullable=True),
    Index("ix_margin_calls_member", "member_id", "business_date"),
    Index("ix_margin_calls_state", "state", "due_at"),
)

# Cash flows of cleared trades (migration 0015_cashflows): one row per payment of a member side, written by
# the end of day named in ``business_date`` (its ``cashflows`` step replaces its own rows); and the same
# netted per payment date, member, account and currency, rebuilt from them for each payment date touched.
cash_flows = Table(
    "cash_flows",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("business_date", Date, nullable=False),
    Column("payment_date", Date, nullable=False),
    Column("ccp_trade_id", String(40), ForeignKey("cleared_trades.ccp_trade_id"), nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("stream", Integer, nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("notional", ExactDecimal(), nullable=True),
    Column("rate", ExactDecimal(), nullable=True),
    Column("accrual_start", Date, nullable=True),
    Column("accrual_end", Date, nullable=True),
    Column("floating_index", String(64), nullable=True),
    Column("fixing_date", Date, nullable=True),
    Index("ix_cash_flows_business_date", "business_date"),
    Index("ix_cash_flows_payment", "payment_date", "member_id", "account_id", "currency"),
)

net_cash_flows = Table(
    "net_cash_flows",
    metadata,
    Column("payment_date", Date, primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("account_id", String(64), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("amount", ExactDecimal(), nullable=False),
    Column("flows", Integer, nullable=False),
)

# The members' daily reports (migration 0017_member_reports): each account's initial margin as the reports
# of a business date took it (the margin report and the statement's chart read it back), and one
# notification per member and date, kept until the MQTT publisher has delivered it.
margin_history = Table(
    "margin_history",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("account_id", String(64), primary_key=True),
    Column("currency", String(3), nullable=False),  # the account's base currency
    Column("initial_margin", ExactDecimal(), nullable=False),
    Column("trade_count", Integer, nullable=False),
)

report_notices = Table(
    "report_notices",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("payload", Text, nullable=False),  # the JSON published: files' names and sha256
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Index("ix_report_notices_pending", "delivered_at"),
)

# The view ``ccp_positions`` (the standard position layout read by clearing-recon --db) over
# ``cleared_trades`` is created by the migrations.


# Each side's state after every lifecycle event confirmed on it, by the event's business date (migration
# 0016_positions_asof): what the positions as of a past date are read from (the view ``position_states``).
side_events = Table(
    "side_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ccp_trade_id", String(40), ForeignKey("cleared_trades.ccp_trade_id"), nullable=False),
    Column("kind", String(24), nullable=False),  # an EventKind value
    Column("business_date", Date, nullable=False),
    Column("notional", ExactDecimal(), nullable=False),  # the side's notional after the event
    Column("status", String(16), nullable=False),  # the side's status after the event
    Index("ix_side_events_trade", "ccp_trade_id", "business_date"),
)


# ---------------------------------------------------------------- views
# Views are declared here once, as the query that makes each one, and created by the migrations from that
# query (``create_view``). Their Table forms live in ``views``, not ``metadata``: nothing creates them as
# tables and the schema comparison does not take them for missing tables.

views = MetaData()

# One row per cleared member side, exactly the position columns in their order (gateway.domain.clearing):
# what the SQL store's positions, ``export positions`` and clearing-recon --db read.
member_positions_query = select(
    *(cleared_trades.c[SIDE_ATTRIBUTES.get(name, name)].label(name) for name in MEMBER_POSITION_COLUMNS)
)
member_positions = Table(
    MEMBER_POSITIONS_VIEW,
    views,
    *(Column(c.name, c.type) for c in member_positions_query.selected_columns),
)

# The open positions under their earlier name (migration 0002), for readers that still use it.
ccp_positions_query = select(*(member_positions.c[name] for name in POSITION_COLUMNS)).where(
    member_positions.c.status == PositionStatus.CLEARED.value
)
ccp_positions = Table(
    "ccp_positions", views, *(Column(c.name, c.type) for c in ccp_positions_query.selected_columns)
)


# A side's states by business date: as novated (sequence 0, from its registration date), then after each
# lifecycle event (sequence = the event row's id). The state of a side as of a date is its row with the
# highest sequence among those from that date or earlier (gateway.domain.positions_asof).
_novated = cleared_trades.c
_event = side_events.c
position_states_query = union_all(
    select(
        _novated.ccp_trade_id.label("trade_id"),
        _novated.business_date.label("valid_from"),
        literal(0, Integer).label("sequence"),
        cast(null(), String(24)).label("last_event"),
        cast(null(), Date).label("last_event_date"),
        func.coalesce(_novated.original_notional, _novated.notional).label("notional"),
        literal(PositionStatus.CLEARED.value, String(16)).label("status"),
    ),
    select(
        _event.ccp_trade_id,
        _event.business_date,
        _event.id,
        _event.kind,
        _event.business_date,
        _event.notional,
        _event.status,
    ),
)
position_states = Table(
    "position_states",
    views,
    Column("trade_id", String(40)),
    Column("valid_from", Date),
    Column("sequence", BigInteger),
    Column("last_event", String(24)),
    Column("last_event_date", Date),
    Column("notional", ExactDecimal()),
    Column("status", String(16)),
)

# The NPV of each side at each end of day, under the position layout's names (clearing-recon --db --date).
position_npvs_query = select(
    npv_history.c.ccp_trade_id.label("trade_id"),
    npv_history.c.business_date,
    npv_history.c.npv,
    npv_history.c.currency,
)
position_npvs = Table(
    "position_npvs",
    views,
    *(Column(c.name, c.type) for c in position_npvs_query.selected_columns),
)


# The variation margin of each side on each business date under the figure layout's names: the CCP's side
# of clearing-recon's VM matching (docs/RECON_FORMATS.md, "Figures").
member_variation_margin_query = select(
    variation_margin.c.business_date,
    variation_margin.c.ccp_trade_id.label("trade_id"),
    variation_margin.c.member_id.label("member"),
    variation_margin.c.account_id.label("account"),
    variation_margin.c.currency,
    variation_margin.c.vm.label("amount"),
)
member_variation_margin = Table(
    "member_variation_margin",
    views,
    *(Column(c.name, c.type) for c in member_variation_margin_query.selected_columns),
)


def create_view(name: str, query: Select[Any], dialect: Dialect) -> str:
    """``CREATE VIEW name AS query`` for ``dialect``, its values written in (a view takes no parameters)."""
    body = query.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return f"CREATE VIEW {name} AS {body}"


trade_sources = Table(
    "trade_sources",
    metadata,
    Column("source_id", String(64), primary_key=True),  # the topic id of ccp/in/{id}/fpml
    Column("mqtt_user", String(128), nullable=False),
    Column("fix_comp_id", String(64), nullable=True, unique=True),
    Column("venue", Boolean, nullable=False),
    Column("party_id", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("operator", String(128), nullable=False),
    Column("command", String(64), nullable=False),
    Column("arguments", Text, nullable=False),  # JSON object
    Column("outcome", Text, nullable=False),  # "ok" or "refused: CODE[, CODE]"
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_operator", "operator"),
)

fixings = Table(
    "fixings",
    metadata,
    # the index as a curve is named: overnight indices bare, term indices "INDEX TENOR"
    Column("index", String(64), primary_key=True),
    Column("fixing_date", Date, primary_key=True),
    Column("rate", ExactDecimal(), nullable=False),
    Column("source", String(256), nullable=False),  # the file (or drop folder) it was loaded from
    Column("loaded_at", UtcDateTime(), nullable=False),
)
