"""Spending limits: a per-call cap on amounts and a per-day cap on refunds, per currency.

Money tools call `check_amount` before they send anything, and refunds go through
`refund_reserved`, which counts the amount against today's cap before the request (so
two refunds at once cannot both slip under it) and gives it back if Stripe refuses.
Once any limit is set, a currency with no limit of its own (and no `*` default) is
refused rather than left unlimited. Today's refunds live in `<state_dir>/refund-ledger.json`
(written atomically) so the cap survives a restart; one server process per state dir.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import GuardrailRefusal
from .guardrails import rule
from .money import format_amount


def _refuse(detail: str) -> GuardrailRefusal:
    return GuardrailRefusal("spending-limit", rule("spending-limit").message(detail))


def limit_for(limits: Mapping[str, int], currency: str, option: str) -> int | None:
    """The cap for `currency`; None when no limits are set at all; refused when some are set
    but none covers this currency (an unlisted currency must not be a way around them)."""
    if not limits:
        return None
    cap = limits.get(currency.lower(), limits.get("*"))
    if cap is None:
        raise _refuse(
            f"{option} is set for {', '.join(sorted(limits))} but not for {currency.lower()}; "
            f"add {currency.lower()}:AMOUNT or a default without a currency"
        )
    return cap


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
        cap = limit_for(self.max_amount, currency, "--max-amount")
        if cap is not None and amount > cap:
            raise _refuse(
                f"`{param}` {format_amount(amount, currency)} is over the per-call limit of "
                f"{format_amount(cap, currency)} (--max-amount)"
            )

    @contextmanager
    def refund_reserved(self, amount: int, currency: str) -> Iterator[Callable[[], None]]:
        """Check the per-call and daily caps and hold `amount` against today's total while the
        refund is sent. Yields `release`, to call when nothing was refunded after all (a replay,
        a failed refund); the block raising releases it too."""
        self.check_amount(amount, currency)
        cap = limit_for(self.max_daily_refunds, currency, "--max-daily-refunds")
        if cap is None:
            yield lambda: None
            return
        code = currency.lower()
        with self._lock:
            today = self._read_today()
            spent = today.get(code, 0)
            if spent + amount > cap:
                raise _refuse(
                    f"refunding {format_amount(amount, currency)} would bring today's refunds to "
                    f"{format_amount(spent + amount, currency)}, over the daily limit of "
                    f"{format_amount(cap, currency)} (--max-daily-refunds; "
                    f"{format_amount(max(cap - spent, 0), currency)} left today)"
                )
            self._write_today({**today, code: spent + amount})
        held = [amount]

        def release() -> None:
            with self._lock:
                if held:
                    today = self._read_today()
                    self._write_today({**today, code: max(today.get(code, 0) - held.pop(), 0)})

        try:
            yield release
        except BaseException:
            release()
            raise

    def _read_today(self) -> dict[str, int]:
        try:
            data = json.loads(self.ledger.read_text())
        except FileNotFoundError:
            return {}
        except ValueError:
            # Never treat an unreadable ledger as "nothing refunded today".
            raise _refuse(f"the refund ledger {self.ledger} is unreadable; fix or remove it") from None
        day = data.get(self._date(), {}) if isinstance(data, dict) else {}
        return {str(k): int(v) for k, v in day.items()} if isinstance(day, dict) else {}

    def _write_today(self, totals: dict[str, int]) -> None:
        self.ledger.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.ledger.with_suffix(".tmp")
        scratch.write_text(json.dumps({self._date(): totals}))
        os.replace(scratch, self.ledger)

    @staticmethod
    def _date() -> str:
        return datetime.now(UTC).date().isoformat()
