"""``clearing-gateway source add|list|suspend|reinstate|acl``: the approved trade sources.

Only an active registered source may submit ``requestClearing`` (its MQTT intake topic, its FIX session).
Like ``participant``: ``--db URL``, a table or ``--json``, refusals as reasons on stderr with exit 2, and
every change recorded in the audit table with its operator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gateway.cli.app import app
from gateway.cli.audit import OperatorOption, audited
from gateway.cli.cmd_admin import PartySchemeOption, emit, open_db, party_ids
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption, sub_app

if TYPE_CHECKING:
    from gateway.admin.source_admin import TradeSources

source_app = sub_app("Approved trade sources: register, list, suspend, reinstate; the broker ACL.")
app.add_typer(source_app, name="source")

_COLUMNS = ["source", "mqtt_user", "fix_comp_id", "venue", "party_id", "status", "updated_at"]


async def _sources(db: str) -> tuple[Any, TradeSources]:
    from gateway.admin.source_admin import TradeSources

    engine = await open_db(db)
    return engine, TradeSources(engine)


@source_app.command("add")
def source_add(
    source: Annotated[str, typer.Argument(help="Source id: the topic id of ccp/in/{id}/fpml.")],
    mqtt_user: Annotated[str, typer.Option("--mqtt-user", help="The broker user that publishes for it.")],
    fix_comp_id: Annotated[
        str | None, typer.Option("--fix-comp-id", help="Its FIX SenderCompID (a source session).")
    ] = None,
    venue: Annotated[
        bool,
        typer.Option("--venue", help="An execution venue: its sub-block trades may skip the credit check."),
    ] = False,
    party: Annotated[
        str | None, typer.Option("--party", help="Its party id: an LEI, or an id of --party-scheme.")
    ] = None,
    party_scheme: PartySchemeOption = "lei",
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
) -> None:
    """Register an approved trade source (refused: an id or CompID a member or source already holds)."""
    if party is not None:
        party_ids([party], party_scheme)
    args = {
        "source": source,
        "mqtt_user": mqtt_user,
        "fix_comp_id": fix_comp_id,
        "venue": venue,
        "party": party,
        "party_scheme": party_scheme,
    }

    async def body() -> dict[str, Any]:
        from gateway.refdata.sources import TradeSource

        candidate = TradeSource(source, mqtt_user, fix_comp_id=fix_comp_id, venue=venue, party_id=party)
        engine, sources = await _sources(db)
        try:
            return (await sources.add(candidate)).to_dict()
        finally:
            await engine.dispose()

    row = audited(db, operator, "source add", args, body)
    emit(row if as_json else [row], as_json, _COLUMNS)


@source_app.command("list")
def source_list(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Every registered trade source."""
    from gateway.cli.running import run

    async def body() -> list[dict[str, Any]]:
        engine, sources = await _sources(db)
        try:
            return [s.to_dict() for s in await sources.list()]
        finally:
            await engine.dispose()

    emit(run(body), as_json, _COLUMNS)


@source_app.command("suspend")
def source_suspend(
    source: str, db: DbOption = DEFAULT_DB, as_json: JsonOption = False, operator: OperatorOption = None
) -> None:
    """Suspend a source: its submissions are refused (AUTH_SOURCE_SUSPENDED) from the gateway's next refresh."""
    _status(source, db, as_json, operator, suspend=True)


@source_app.command("reinstate")
def source_reinstate(
    source: str, db: DbOption = DEFAULT_DB, as_json: JsonOption = False, operator: OperatorOption = None
) -> None:
    """Make a suspended source active again."""
    _status(source, db, as_json, operator, suspend=False)


def _status(source: str, db: str, as_json: bool, operator: str | None, *, suspend: bool) -> None:
    async def body() -> dict[str, Any]:
        engine, sources = await _sources(db)
        try:
            found = await (sources.suspend(source) if suspend else sources.reinstate(source))
            return found.to_dict()
        finally:
            await engine.dispose()

    command = "source suspend" if suspend else "source reinstate"
    row = audited(db, operator, command, {"source": source}, body)
    emit(row if as_json else [row], as_json, _COLUMNS)


@source_app.command("acl")
def source_acl(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the Mosquitto ACL file.", dir_okay=False)
    ],
    topic_root: Annotated[str, typer.Option("--topic-root", help="The MQTT topic root.")] = "ccp",
    gateway_user: Annotated[
        str, typer.Option("--gateway-user", help="The gateway's broker user.")
    ] = "gateway",
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
) -> None:
    """Write the whole broker ACL: the gateway's and members' rules, one block per active source.

    Then make Mosquitto read it again: ``kill -HUP <mosquitto pid>`` (compose: ``docker compose kill -s
    HUP mosquitto``)."""
    from gateway.domain.errors import InputRejected
    from gateway.domain.reasons import ReasonCode

    args = {"out": str(out), "topic_root": topic_root, "gateway_user": gateway_user}

    async def body() -> dict[str, Any]:
        from gateway.channels.mqtt.broker.acl_file import acl_file

        engine, sources = await _sources(db)
        try:
            listed = await sources.list()
        finally:
            await engine.dispose()
        try:
            text = acl_file(listed, topic_root, gateway_user)
        except ValueError as exc:
            raise InputRejected.of(ReasonCode.REF_INVALID_INPUT, "--topic-root", str(exc)) from None
        # written in place (a bind-mounted file keeps its inode); Mosquitto reads it at the SIGHUP after
        out.write_text(text, encoding="utf-8")
        return {"out": str(out), "sources": [s.source_id for s in listed if s.is_active]}

    emit(audited(db, operator, "source acl", args, body), as_json, ["out", "sources"])
