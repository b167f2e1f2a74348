"""Spending limits: a per-call cap on amounts and a per-day cap on refunds, per currency.

Money tools call `check_amount` / `check_refund` before they send anything; refunds that
went through are recorded in `<state_dir>/refund-ledger.json` so the daily cap survives a
restart.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from .errors import GuardrailRefusal
from .guardrails import rule
from .money import format_amount


def limit_for(limits: Mapping[str, int], currency: str) -> int | None:
    return limits.get(currency.lower(), limits.get("*"))


class SpendingLimits:
    def __init__(
        self, max_amount: Mapping[str, int], max_daily_refunds: Mapping[str, int], state_dir: Path
    ) -> None:
        self.max_amount = dict(max_amount)
        self.max_daily_refunds = dict(max_daily_refunds)
        self.ledger = state_dir / "refund-ledger.json"
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return bool(self.max_amount or self.max_daily_refunds)

    def check_amount(self, amount: int, currency: str, param: str = "amount") -> None:
        cap = limit_for(self.max_amount, currency)
        if cap is not None and amount > cap:
            raise GuardrailRefusal(
                "spending-limit",
                rule("spending-limit").message(
                    f"`{param}` {format_amount(amount, currency)} is over the per-call limit of "
                    f"{format_amount(cap, currency)} (--max-amount)"
                ),
            )

    def check_refund(self, amount: int, currency: str) -> None:
        self.check_amount(amount, currency)
        cap = limit_for(self.max_daily_refunds, currency)
        if cap is None:
            return
        today = self._today().get(currency.lower(), 0)
        if today + amount > cap:
            raise GuardrailRefusal(
                "spending-limit",
                rule("spending-limit").message(
                    f"refunding {format_amount(amount, currency)} would bring today's refunds to "
                    f"{format_amount(today + amount, currency)}, over the daily limit of "
                    f"{format_amount(cap, currency)} (--max-daily-refunds; "
                    f"{format_amount(max(cap - today, 0), currency)} left today)"
                ),
            )

    def record_refund(self, amount: int, currency: str) -> None:
        if not self.max_daily_refunds:
            return
        with self._lock:
            data = self._read()
            day = data.setdefault(self._date(), {})
            day[currency.lower()] = day.get(currency.lower(), 0) + amount
            self.ledger.parent.mkdir(parents=True, exist_ok=True)
            self.ledger.write_text(json.dumps({self._date(): day}))

    def _today(self) -> dict[str, int]:
        with self._lock:
            return self._read().get(self._date(), {})

    def _read(self) -> dict[str, dict[str, int]]:
        try:
            data = json.loads(self.ledger.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _date() -> str:
        return datetime.now(UTC).date().isoformat()
