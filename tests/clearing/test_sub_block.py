"""The sub-block decision (pure) and its thresholds in the clearing settings."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from gateway.clearing.sub_block import decide_sub_block
from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.domain.values import Step
from gateway.rules.settings import BlockThresholds, ClearingSettings
from tests.strategies import vanilla_irs

THRESHOLDS = BlockThresholds({"EUR": {"IRS": Decimal(250_000_000)}})


def _eur(notional: int, *, flag: bool = True) -> Trade:
    return replace(vanilla_irs(notional=Decimal(notional)), sub_block=flag)


def test_no_flag_means_the_normal_check_and_no_reason() -> None:
    d = decide_sub_block(_eur(100_000_000_000, flag=False), from_venue=True, thresholds=THRESHOLDS)
    assert (d.skip_credit_check, d.reason) == (False, None)


def test_only_a_venue_below_the_threshold_skips_the_check() -> None:
    below = decide_sub_block(_eur(200_000_000), from_venue=True, thresholds=THRESHOLDS)
    assert below.skip_credit_check
    assert below.reason is None
    for trade, venue in (
        (_eur(200_000_000), False),
        (_eur(250_000_000), True),
        (_eur(100_000_000_000), False),
    ):
        d = decide_sub_block(trade, from_venue=venue, thresholds=THRESHOLDS)
        assert not d.skip_credit_check
        assert d.reason is not None
        assert d.reason.code is ReasonCode.RISK_SUB_BLOCK_NOT_HONOURED
    not_venue = decide_sub_block(_eur(200_000_000), from_venue=False, thresholds=THRESHOLDS)
    assert not_venue.reason is not None
    assert "not a registered venue" in not_venue.reason.message


def test_a_currency_or_product_without_a_threshold_is_never_honoured() -> None:
    usd = replace(vanilla_irs(notional=Decimal(1_000_000), currency="USD", index="USD-SOFR"), sub_block=True)
    d = decide_sub_block(usd, from_venue=True, thresholds=THRESHOLDS)
    assert not d.skip_credit_check
    assert d.reason is not None
    assert "no block threshold for USD IRS" in d.reason.message


def test_a_notional_step_above_the_threshold_counts() -> None:
    t = _eur(200_000_000)
    stepped = replace(
        t,
        streams=tuple(
            replace(s, notional_steps=(Step(s.effective_date.replace(year=2027), Decimal(300_000_000)),))
            for s in t.streams
        ),
    )
    assert not decide_sub_block(stepped, from_venue=True, thresholds=THRESHOLDS).skip_credit_check


def test_thresholds_are_read_from_the_settings_and_checked() -> None:
    shipped = ClearingSettings.load().block_thresholds
    assert shipped.threshold("EUR", "IRS") == Decimal(250_000_000)
    assert shipped.threshold("JPY", "IRS") is None
    s = ClearingSettings.from_toml('[block_thresholds.AUD]\nIRS = 1_000\nFRA = "2000.5"\n')
    assert s.block_thresholds.threshold("AUD", "FRA") == Decimal("2000.5")
    for bad in (
        "[block_thresholds.AUD]\nSWAPTION = 1\n",
        "[block_thresholds.aud]\nIRS = 1\n",
        "[block_thresholds.AUD]\nIRS = -1\n",
    ):
        with pytest.raises(InputRejected) as exc:
            ClearingSettings.from_toml(bad)
        assert exc.value.code is ReasonCode.REF_INVALID_INPUT
