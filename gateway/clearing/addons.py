"""Initial margin add-ons in the clearing path: the model's base IM of an account plus a credit add-on by its
member's credit score and a concentration add-on beyond a standard size, as ``gateway.risk.margin.with_addons``
defines them, with the amounts of ``[credit]`` in the clearing settings. Pure.

The stored margin of an account (``account_risk.margin``) is the total; a margin model answers the base IM.
A trade's incremental margin is the total after it less the total before it, so the concentration add-on,
which is not linear, is charged on the trade that crosses the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from gateway.clearing.credit import MarginImpact
from gateway.refdata.fx import FxRates
from gateway.refdata.model import Member
from gateway.risk.config import MarginConfig
from gateway.risk.margin import with_addons
from gateway.rules.settings import CreditSettings

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class AddOnRule:
    """The add-ons of one member's account: its credit add-on fraction and the concentration threshold in the
    account's base currency."""

    member_id: str
    credit: Decimal
    threshold: Decimal | None
    rate: Decimal

    @classmethod
    def of(cls, settings: CreditSettings, fx: FxRates, member: Member, currency: str) -> AddOnRule:
        threshold = settings.concentration_threshold
        if threshold is not None:
            threshold = fx.convert(threshold, settings.concentration_currency, currency)
        return cls(
            member.member_id, settings.addon_for(member.credit_score), threshold, settings.concentration_rate
        )

    @property
    def none(self) -> bool:
        return self.credit == 0 and (self.threshold is None or self.rate == 0)

    def total(self, base: Decimal) -> Decimal:
        """The account's IM with its add-ons, to the cent."""
        if self.none:
            return base
        config = MarginConfig(
            credit_addon=MappingProxyType({self.member_id: float(self.credit)}),
            concentration_threshold=float("inf") if self.threshold is None else float(self.threshold),
            concentration_rate=float(self.rate),
        )
        total, _, _ = with_addons(float(base), config, self.member_id)
        return Decimal(repr(total)).quantize(_CENT)

    def impact(self, base: MarginImpact) -> MarginImpact:
        """A margin model's impact (base IM before and after the trade) with the add-ons on both sides."""
        if self.none:
            return base
        after = self.total(base.margin_after)
        before = self.total(base.margin_after - base.incremental_margin)
        return MarginImpact(after - before, after, base.pnl_after)


def member_total(
    settings: CreditSettings, fx: FxRates, member: Member, currency: str, base: Decimal
) -> Decimal:
    """``base`` (an account's base IM in ``currency``) with the member's add-ons."""
    return AddOnRule.of(settings, fx, member, currency).total(base)


def member_impact(
    settings: CreditSettings, fx: FxRates, member: Member, currency: str, base: MarginImpact
) -> MarginImpact:
    return AddOnRule.of(settings, fx, member, currency).impact(base)
