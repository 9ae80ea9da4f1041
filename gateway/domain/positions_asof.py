"""The CCP's positions as they stood at a business date's end of day: the published query.

One SQL text over the gateway database's published views, read by ``clearing-gateway export positions
--date D`` and ``clearing-recon run --db URL --date D`` alike, so the file and the database give the same
rows (docs/RECON_FORMATS.md, "Positions as of a date"):

- ``member_positions``: each cleared member side's terms (``MEMBER_POSITIONS_VIEW``);
- ``position_states``: each side's state by business date, as novated (``sequence`` 0, from its
  registration date) and after every lifecycle event confirmed on it (its notional, status, the event and
  its date); the state as of D is the one with the highest ``sequence`` among those from D or earlier;
- ``position_npvs``: the NPV of each side at each end of day (``npv_history``).

A side registered after D has no state as of D and is left out. A live side at or past its maturity date
on D is ``MATURED`` (end of day matures it), and left out too. The rows kept are the open ones
(``CLEARED``) and the sides an event ended on D itself (``TERMINATED``, ``DEREGISTERED``): a member's book
of that date may still hold them (the position file, open positions only, leaves them out). The
notional is the one after the last event up to D, the NPV the one of D's end of day (empty when D was
not revalued).

Bind parameters: ``as_of`` (a date), and ``member`` / ``account`` when the query was made with them.
"""

from __future__ import annotations

from typing import Final

from gateway.domain.clearing import MEMBER_POSITION_COLUMNS, MEMBER_POSITIONS_VIEW
from gateway.domain.enums import PositionStatus

POSITION_STATES_VIEW: Final = "position_states"
POSITION_NPVS_VIEW: Final = "position_npvs"

_CLEARED = PositionStatus.CLEARED.value
_MATURED = PositionStatus.MATURED.value
_ENDED = (PositionStatus.TERMINATED.value, PositionStatus.DEREGISTERED.value)

# where each output column comes from (p: the side's terms, s: its state as of D, n: D's NPV)
_SOURCES: Final[dict[str, str]] = {
    "notional": "s.notional",
    "status": (
        f"CASE WHEN s.status = '{_CLEARED}' AND p.maturity_date <= :as_of THEN '{_MATURED}' ELSE s.status END"
    ),
    "npv": "n.npv",
    "last_event": "s.last_event",
    "last_event_date": "s.last_event_date",
}


def positions_as_of_sql(*, member: bool, account: bool = False, ended: bool = True) -> str:
    """The query of the positions as of ``:as_of``, of ``:member`` (and its ``:account``) when asked,
    every member's otherwise; its columns are ``MEMBER_POSITION_COLUMNS``, ordered by member, account and
    trade id. ``ended``: with the sides an event ended on the date (reconciliation reads them); without,
    the open positions only (the position file)."""
    if account and not member:
        raise ValueError("an account filter needs a member filter")
    columns = ",\n       ".join(f"{_SOURCES.get(c, 'p.' + c)} AS {c}" for c in MEMBER_POSITION_COLUMNS)
    filters = "".join(
        [
            "\n  AND p.member = :member" if member else "",
            "\n  AND p.account = :account" if account else "",
        ]
    )
    kept = f"d.status = '{_CLEARED}'"
    if ended:
        codes = ", ".join(f"'{e}'" for e in _ENDED)
        kept += f" OR (d.status IN ({codes}) AND d.last_event_date = :as_of)"
    # every name in the text is one of this module's constants: the caller's values are bind parameters
    return f"""SELECT d.* FROM (
SELECT {columns}
FROM {MEMBER_POSITIONS_VIEW} p
JOIN {POSITION_STATES_VIEW} s ON s.trade_id = p.trade_id
LEFT JOIN {POSITION_NPVS_VIEW} n ON n.trade_id = p.trade_id AND n.business_date = :as_of
WHERE s.sequence = (
  SELECT MAX(x.sequence) FROM {POSITION_STATES_VIEW} x WHERE x.trade_id = p.trade_id AND x.valid_from <= :as_of
){filters}
) d
WHERE {kept}
ORDER BY d.member, d.account, d.trade_id"""  # noqa: S608
