"""The product scope table: which currency/product/index/maturity the CCP clears. Configuration, not code."""

from __future__ import annotations

import calendar
import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from gateway.domain.enums import PeriodUnit, ProductClass
from gateway.domain.errors import InputRejected, Issue, TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.domain.values import Period
from gateway.refdata.indices import ALIASES
from gateway.rules.files import read_rules_text


def _bad(path: str, message: str) -> InputRejected:
    return InputRejected([Issue(ReasonCode.REF_INVALID_INPUT, path, message)])


def add_period(d: date, p: Period) -> date:
    """``d`` plus a tenor, the day clamped to the month's end (unadjusted)."""
    months = p.months
    if months is not None:
        total = d.month - 1 + months
        y, m = d.year + total // 12, total % 12 + 1
        return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))
    if p.unit is PeriodUnit.WEEK:
        return d + timedelta(weeks=p.multiplier)
    if p.unit is PeriodUnit.DAY:
        return d + timedelta(days=p.multiplier)
    raise ValueError(f"cannot add {p} to a date")


def _same_tenor(a: Period, b: Period) -> bool:
    return a == b or (a.months is not None and a.months == b.months)


@dataclass(frozen=True, slots=True)
class ProductRule:
    """One cleared product line."""

    name: str
    product: ProductClass
    currency: str
    indices: frozenset[str]
    max_maturity: Period
    tenors: tuple[Period, ...] = ()  # empty: any tenor (overnight indices)

    def issues(self, trade: Trade) -> list[Issue]:
        out: list[Issue] = []
        floating = [(i, s) for i, s in enumerate(trade.streams) if s.floating_index is not None]
        fixed = [s for s in trade.streams if s.fixed_rate is not None]
        if self.product is ProductClass.BASIS:
            shape_ok = len(floating) == 2 and not fixed
        else:
            shape_ok = len(floating) == 1 and len(fixed) == 1
        if not shape_ok:
            out.append(
                Issue(
                    ReasonCode.ELIG_PRODUCT_NOT_ELIGIBLE,
                    "streams",
                    f"{self.name} needs {'two floating' if self.product is ProductClass.BASIS else 'one fixed and one floating'} streams",
                )
            )
        for i, s in floating:
            if s.floating_index not in self.indices:
                out.append(
                    Issue(
                        ReasonCode.ELIG_INDEX_NOT_ELIGIBLE,
                        f"streams[{i}].floatingRateIndex",
                        f"{s.floating_index} is not cleared for {self.name} (cleared: {', '.join(sorted(self.indices))})",
                    )
                )
            elif self.tenors and (
                s.index_tenor is None or not any(_same_tenor(s.index_tenor, t) for t in self.tenors)
            ):
                out.append(
                    Issue(
                        ReasonCode.ELIG_INDEX_NOT_ELIGIBLE,
                        f"streams[{i}].indexTenor",
                        f"tenor {s.index_tenor} of {s.floating_index} is not cleared for {self.name} "
                        f"(cleared: {', '.join(str(t) for t in self.tenors)})",
                    )
                )
        limit = add_period(trade.effective_date, self.max_maturity)
        if trade.maturity_date > limit:
            out.append(
                Issue(
                    ReasonCode.ELIG_MATURITY_TOO_LONG,
                    "streams.terminationDate",
                    f"maturity {trade.maturity_date} is beyond the {self.max_maturity} limit of {self.name} ({limit})",
                )
            )
        return out


@dataclass(frozen=True, slots=True)
class ProductTable:
    rules: tuple[ProductRule, ...]
    aliases: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(ALIASES))

    def canonical_index(self, name: str) -> str:
        return self.aliases.get(name, name)

    def normalise(self, trade: Trade) -> Trade:
        """The trade with every floating index under its canonical FpML name."""
        streams = tuple(
            s
            if s.floating_index is None or s.floating_index not in self.aliases
            else dataclasses.replace(s, floating_index=self.aliases[s.floating_index])
            for s in trade.streams
        )
        return trade if streams == trade.streams else dataclasses.replace(trade, streams=streams)

    def check(self, trade: Trade) -> list[Issue]:
        """Every scope issue of a (normalised) trade; empty when some product line clears it."""
        same_product = [r for r in self.rules if r.product is trade.product]
        if not same_product:
            cleared = sorted({r.product.value for r in self.rules})
            return [
                Issue(
                    ReasonCode.ELIG_PRODUCT_NOT_ELIGIBLE,
                    "product",
                    f"{trade.product} is not cleared (cleared: {', '.join(cleared)})",
                )
            ]
        candidates = [r for r in same_product if r.currency == trade.currency]
        if not candidates:
            cleared = sorted({r.currency for r in same_product})
            return [
                Issue(
                    ReasonCode.ELIG_CURRENCY_NOT_ELIGIBLE,
                    "streams.currency",
                    f"{trade.product} in {trade.currency} is not cleared (cleared: {', '.join(cleared)})",
                )
            ]
        best: list[Issue] | None = None
        for rule in candidates:
            found = rule.issues(trade)
            if not found:
                return []
            if best is None or len(found) < len(best):
                best = found
        assert best is not None
        return best

    @classmethod
    def from_toml(cls, text: str, where: str = "products") -> ProductTable:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _bad(where, str(exc)) from None
        rules = []
        for i, row in enumerate(data.get("product", [])):
            rules.append(_rule(row, f"{where}.product[{i}]"))
        if not rules:
            raise _bad(where, "no [[product]] rows")
        aliases = data.get("aliases", {})
        if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
            raise _bad(f"{where}.aliases", "expected a table of index name = canonical name")
        return cls(tuple(rules), {**ALIASES, **aliases})

    @classmethod
    def load(cls, path: Path | None = None) -> ProductTable:
        text, where = read_rules_text(path, "products.toml")
        return cls.from_toml(text, where)


def _rule(row: Any, path: str) -> ProductRule:
    if not isinstance(row, dict):
        raise _bad(path, "expected a table")
    unknown = set(row) - {"name", "product", "currency", "indices", "tenors", "max_maturity"}
    if unknown:
        raise _bad(f"{path}.{sorted(unknown)[0]}", "unknown key")
    try:
        product = ProductClass(row["product"])
        indices = row["indices"]
        if not isinstance(indices, list) or not indices:
            raise _bad(f"{path}.indices", "expected a non-empty list")
        return ProductRule(
            name=str(row.get("name", f"{row['currency']} {product}")),
            product=product,
            currency=str(row["currency"]),
            indices=frozenset(str(x) for x in indices),
            max_maturity=Period.parse(str(row["max_maturity"])),
            tenors=tuple(Period.parse(str(x)) for x in row.get("tenors", [])),
        )
    except KeyError as exc:
        raise _bad(f"{path}.{exc.args[0]}", "required") from None
    except (ValueError, TradeInvalid) as exc:
        raise _bad(path, str(exc)) from None
