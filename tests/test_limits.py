"""Spending limits: per call, per day, per currency; the daily total survives restarts and races."""

from __future__ import annotations

from pathlib import Path

import pytest

from stripe_power.errors import GuardrailRefusal
from stripe_power.limits import SpendingLimits


def test_unlisted_currency_is_refused_once_limits_are_set(tmp_path: Path) -> None:
    limits = SpendingLimits({"usd": 1000}, {}, tmp_path)
    limits.check_amount(1000, "usd")
    with pytest.raises(GuardrailRefusal, match=r"over the per-call limit of \$10.00"):
        limits.check_amount(1001, "usd")
    with pytest.raises(GuardrailRefusal, match="not for eur"):
        limits.check_amount(1, "eur")
    SpendingLimits({"usd": 1000, "*": 50}, {}, tmp_path).check_amount(50, "eur")
    SpendingLimits({}, {}, tmp_path).check_amount(10**9, "eur")  # no limits at all


def test_daily_refund_cap_reserves_releases_and_persists(tmp_path: Path) -> None:
    limits = SpendingLimits({}, {"usd": 5000}, tmp_path)
    with limits.refund_reserved(3000, "usd"):
        # while the first refund is in flight, a second one cannot take the same room
        with pytest.raises(GuardrailRefusal, match=r"\$20.00 left today"):
            with limits.refund_reserved(2500, "usd"):
                pass
    with pytest.raises(RuntimeError), limits.refund_reserved(2000, "usd"):
        raise RuntimeError("Stripe refused the refund")  # released: nothing was refunded
    with limits.refund_reserved(2000, "usd") as release:
        release()  # a replay made nothing new
    restarted = SpendingLimits({}, {"usd": 5000}, tmp_path)
    with pytest.raises(GuardrailRefusal, match=r"would bring today's refunds to \$50.01"):
        with restarted.refund_reserved(2001, "usd"):
            pass
    with restarted.refund_reserved(2000, "usd"):
        pass


def test_unreadable_ledger_refuses_instead_of_resetting(tmp_path: Path) -> None:
    limits = SpendingLimits({}, {"usd": 5000}, tmp_path)
    limits.ledger.write_text("{not json")
    with pytest.raises(GuardrailRefusal, match="unreadable"):
        with limits.refund_reserved(100, "usd"):
            pass
