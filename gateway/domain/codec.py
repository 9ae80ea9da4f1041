"""Canonical JSON: the project's interchange format for trades (snake_case, ISO dates, exact decimals).

Decimals are written as JSON numbers when a float carries them exactly, else as strings, so a round
trip never loses a digit; both forms are read back.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.domain.enums import BusinessDayConvention, CompoundingMethod, DayCount, ProductClass
from gateway.domain.errors import InputRejected, Issue, TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import (
    PackageRef,
    Party,
    PartyTradeId,
    PrincipalExchanges,
    Stream,
    Trade,
    TradeIdentifiers,
)
from gateway.domain.values import DateAdjustment, Period, Step

JsonDict = dict[str, Any]


def _num(d: Decimal) -> float | str:
    as_float = float(d)
    return as_float if Decimal(repr(as_float)) == d else str(d)


def _adj(a: DateAdjustment) -> JsonDict:
    return {"convention": a.convention.value, "business_centers": list(a.business_centers)}


def _steps(steps: tuple[Step, ...]) -> list[JsonDict]:
    return [{"date": s.date.isoformat(), "value": _num(s.value)} for s in steps]


def stream_to_dict(s: Stream) -> JsonDict:
    return {
        "payer": s.payer,
        "receiver": s.receiver,
        "notional": _num(s.notional),
        "notional_steps": _steps(s.notional_steps),
        "currency": s.currency,
        "fixed_rate": None if s.fixed_rate is None else _num(s.fixed_rate),
        "fixed_rate_steps": _steps(s.fixed_rate_steps),
        "floating_index": s.floating_index,
        "index_tenor": None if s.index_tenor is None else str(s.index_tenor),
        "spread": _num(s.spread),
        "day_count": s.day_count.value,
        "effective_date": s.effective_date.isoformat(),
        "termination_date": s.termination_date.isoformat(),
        "calculation_frequency": str(s.calculation_frequency),
        "payment_frequency": str(s.payment_frequency),
        "reset_frequency": None if s.reset_frequency is None else str(s.reset_frequency),
        "fixing_offset_days": s.fixing_offset_days,
        "roll_convention": s.roll_convention,
        "effective_date_adjustment": _adj(s.effective_date_adjustment),
        "termination_date_adjustment": _adj(s.termination_date_adjustment),
        "calculation_adjustment": _adj(s.calculation_adjustment),
        "payment_adjustment": _adj(s.payment_adjustment),
        "payment_offset_days": s.payment_offset_days,
        "first_regular_period_start": None
        if s.first_regular_period_start is None
        else s.first_regular_period_start.isoformat(),
        "last_regular_period_end": None
        if s.last_regular_period_end is None
        else s.last_regular_period_end.isoformat(),
        "compounding_method": s.compounding_method.value,
        "principal_exchanges": {
            "initial": s.principal_exchanges.initial,
            "intermediate": s.principal_exchanges.intermediate,
            "final": s.principal_exchanges.final,
        },
    }


def trade_to_dict(t: Trade) -> JsonDict:
    ids = t.identifiers
    out: JsonDict = {
        "source_trade_id": ids.source_trade_id,
        "source_version": ids.source_version,
        "uti": ids.uti,
        "usi": ids.usi,
        "party_trade_ids": [
            {"party_id": p.party_id, "trade_id": p.trade_id, "scheme": p.scheme} for p in ids.party_trade_ids
        ],
        "trade_date": t.trade_date.isoformat(),
        "product": t.product.value,
        "execution_venue": t.execution_venue,
        "sub_block": t.sub_block,
        "parties": [
            {"party_id": p.party_id, "scheme": p.scheme, "name": p.name, "account": p.account}
            for p in t.parties
        ],
        "streams": [stream_to_dict(s) for s in t.streams],
    }
    if t.package is not None:  # only when there is one: the JSON of a trade outside a package is unchanged
        pkg = t.package
        out["package"] = {
            "package_id": pkg.package_id,
            "size": pkg.size,
            "sequence": pkg.sequence,
            "issuer": pkg.issuer,
        }
    return out


def dumps(t: Trade, *, indent: int | None = None) -> str:
    return json.dumps(trade_to_dict(t), indent=indent, sort_keys=False)


# ---------------------------------------------------------------- reading


class _Reader:
    """Reads one JSON object, raising InputRejected that names the offending path."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise InputRejected([Issue(ReasonCode.FPML_INVALID_VALUE, path, "expected a JSON object")])
        self.data: JsonDict = data
        self.path = path

    def _bad(self, key: str, message: str) -> InputRejected:
        return InputRejected([Issue(ReasonCode.FPML_INVALID_VALUE, f"{self.path}.{key}", message)])

    def raw(self, key: str, *, required: bool = True) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                raise InputRejected([Issue(ReasonCode.FPML_MISSING_FIELD, f"{self.path}.{key}", "required")])
            return None
        return self.data[key]

    def str_(self, key: str, *, required: bool = True) -> str | None:
        v = self.raw(key, required=required)
        if v is None:
            return None
        if not isinstance(v, str):
            raise self._bad(key, "expected a string")
        return v

    def req_str(self, key: str) -> str:
        v = self.str_(key)
        assert v is not None
        return v

    def decimal(self, key: str, *, required: bool = True) -> Decimal | None:
        v = self.raw(key, required=required)
        if v is None:
            return None
        return _to_decimal(v, lambda m: self._bad(key, m))

    def req_decimal(self, key: str) -> Decimal:
        v = self.decimal(key)
        assert v is not None
        return v

    def int_(self, key: str, default: int) -> int:
        v = self.raw(key, required=False)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int):
            raise self._bad(key, "expected an integer")
        return v

    def bool_(self, key: str, default: bool) -> bool:
        v = self.raw(key, required=False)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise self._bad(key, "expected true or false")
        return v

    def date_(self, key: str, *, required: bool = True) -> date | None:
        v = self.str_(key, required=required)
        if v is None:
            return None
        try:
            return date.fromisoformat(v)
        except ValueError:
            raise self._bad(key, f"not an ISO date: {v!r}") from None

    def req_date(self, key: str) -> date:
        v = self.date_(key)
        assert v is not None
        return v

    def period(self, key: str, *, required: bool = True) -> Period | None:
        v = self.str_(key, required=required)
        if v is None:
            return None
        try:
            return Period.parse(v)
        except TradeInvalid:
            raise self._bad(key, f"not a period: {v!r}") from None

    def req_period(self, key: str) -> Period:
        v = self.period(key)
        assert v is not None
        return v

    def enum(self, key: str, kind: type[Any], default: Any = None) -> Any:
        v = self.str_(key, required=default is None)
        if v is None:
            return default
        try:
            return kind(v)
        except ValueError:
            raise InputRejected(
                [
                    Issue(
                        ReasonCode.FPML_UNKNOWN_CODE,
                        f"{self.path}.{key}",
                        f"unsupported {kind.__name__} {v!r}",
                    )
                ]
            ) from None

    def list_(self, key: str) -> list[Any]:
        v = self.raw(key, required=False)
        if v is None:
            return []
        if not isinstance(v, list):
            raise self._bad(key, "expected a list")
        return v

    def sub(self, key: str) -> _Reader | None:
        v = self.raw(key, required=False)
        return None if v is None else _Reader(v, f"{self.path}.{key}")


def _to_decimal(v: Any, bad: Any) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, int | float | str | Decimal):
        raise bad("expected a number")
    try:
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    except InvalidOperation:
        raise bad(f"not a number: {v!r}") from None
    if not d.is_finite():
        raise bad(f"not a finite number: {v!r}")
    return d


def _read_steps(r: _Reader, key: str) -> tuple[Step, ...]:
    out = []
    for i, item in enumerate(r.list_(key)):
        sr = _Reader(item, f"{r.path}.{key}[{i}]")
        out.append(Step(sr.req_date("date"), sr.req_decimal("value")))
    return tuple(out)


def _read_adj(r: _Reader, key: str) -> DateAdjustment:
    sr = r.sub(key)
    if sr is None:
        return DateAdjustment(BusinessDayConvention.NONE)
    centres = sr.list_("business_centers")
    if not all(isinstance(c, str) for c in centres):
        raise sr._bad("business_centers", "expected a list of strings")
    return DateAdjustment(sr.enum("convention", BusinessDayConvention), tuple(centres))


def stream_from_dict(data: Any, path: str = "stream") -> Stream:
    r = _Reader(data, path)
    px = r.sub("principal_exchanges")
    return Stream(
        payer=r.req_str("payer"),
        receiver=r.req_str("receiver"),
        notional=r.req_decimal("notional"),
        notional_steps=_read_steps(r, "notional_steps"),
        currency=r.req_str("currency"),
        fixed_rate=r.decimal("fixed_rate", required=False),
        fixed_rate_steps=_read_steps(r, "fixed_rate_steps"),
        floating_index=r.str_("floating_index", required=False),
        index_tenor=r.period("index_tenor", required=False),
        spread=r.decimal("spread", required=False) or Decimal(0),
        day_count=r.enum("day_count", DayCount),
        effective_date=r.req_date("effective_date"),
        termination_date=r.req_date("termination_date"),
        calculation_frequency=r.req_period("calculation_frequency"),
        payment_frequency=r.req_period("payment_frequency"),
        reset_frequency=r.period("reset_frequency", required=False),
        fixing_offset_days=r.int_("fixing_offset_days", 0),
        roll_convention=r.str_("roll_convention", required=False),
        effective_date_adjustment=_read_adj(r, "effective_date_adjustment"),
        termination_date_adjustment=_read_adj(r, "termination_date_adjustment"),
        calculation_adjustment=_read_adj(r, "calculation_adjustment"),
        payment_adjustment=_read_adj(r, "payment_adjustment"),
        payment_offset_days=r.int_("payment_offset_days", 0),
        first_regular_period_start=r.date_("first_regular_period_start", required=False),
        last_regular_period_end=r.date_("last_regular_period_end", required=False),
        compounding_method=r.enum("compounding_method", CompoundingMethod, CompoundingMethod.NONE),
        principal_exchanges=PrincipalExchanges()
        if px is None
        else PrincipalExchanges(
            px.bool_("initial", False), px.bool_("intermediate", False), px.bool_("final", False)
        ),
    )


def trade_from_dict(data: Any, path: str = "trade") -> Trade:
    r = _Reader(data, path)
    party_ids = []
    for i, item in enumerate(r.list_("party_trade_ids")):
        pr = _Reader(item, f"{path}.party_trade_ids[{i}]")
        party_ids.append(
            PartyTradeId(pr.req_str("party_id"), pr.req_str("trade_id"), pr.str_("scheme", required=False))
        )
    parties = []
    for i, item in enumerate(r.list_("parties")):
        pr = _Reader(item, f"{path}.parties[{i}]")
        parties.append(
            Party(
                pr.req_str("party_id"),
                pr.str_("scheme", required=False),
                pr.str_("name", required=False),
                pr.str_("account", required=False),
            )
        )
    if len(parties) != 2:
        raise InputRejected(
            [Issue(ReasonCode.FPML_PARTIES_NOT_DISTINCT, f"{path}.parties", "exactly two parties")]
        )
    return Trade(
        identifiers=TradeIdentifiers(
            source_trade_id=r.req_str("source_trade_id"),
            source_version=r.int_("source_version", 1),
            uti=r.str_("uti", required=False),
            usi=r.str_("usi", required=False),
            party_trade_ids=tuple(party_ids),
        ),
        trade_date=r.req_date("trade_date"),
        product=r.enum("product", ProductClass),
        execution_venue=r.str_("execution_venue", required=False),
        sub_block=r.bool_("sub_block", False),
        parties=(parties[0], parties[1]),
        streams=tuple(stream_from_dict(s, f"{path}.streams[{i}]") for i, s in enumerate(r.list_("streams"))),
        package=_read_package(r.sub("package"), path),
    )


def _read_package(r: _Reader | None, path: str) -> PackageRef | None:
    """The trade's package (``package``: absent for a trade outside one); an invalid one is TradeInvalid."""
    if r is None:
        return None
    sequence = None if r.raw("sequence", required=False) is None else r.int_("sequence", 0)
    return PackageRef(
        r.str_("package_id", required=False), r.int_("size", 0), sequence, r.str_("issuer", required=False)
    )


def loads(text: str | bytes) -> Trade:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputRejected(
            [Issue(ReasonCode.FPML_INVALID_VALUE, f"json:{exc.lineno}:{exc.colno}", exc.msg)]
        ) from None
    return trade_from_dict(data)
