"""Spending limits: a per-call cap on amounts and a per-day cap on refunds, per currency.

Money tools call `check_amount` before they send anything, and refunds go through
`refund_reserved`, which counts the amount against today's cap before the request (so
two refunds at once cannot both slip under it) and gives it back if Stripe refuses.
Once any limit is set, a currency with no limit of its own (and no `*` default) is
refused rather than left unlimited. Today's refunds live in the state's refund ledger
(state.sqlite3, or PostgreSQL shared by every instance), per scope (the caller's key, hashed),
so the cap survives a restart and counts refunds made through any instance.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

import anyio

from . import clock
from .errors import GuardrailRefusal
from .guardrails import rule
from .money import format_amount
from .oauth.access import current_access
from .state import State


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
        self,
        max_amount: Mapping[str, int],
        max_daily_refunds: Mapping[str, int],
        state: State,
        scope: Callable[[], str],
    ) -> None:
        self._max_amount = dict(max_amount)
        self._max_daily_refunds = dict(max_daily_refunds)
        self.state = state
        self.scope = scope

    # In OAuth mode each person's access rule sets their own caps (limits per person, counted in
    # their own ledger: the scope includes them); the server's flags apply where a rule sets none.
    @property
    def max_amount(self) -> dict[str, int]:
        access = current_access.get()
        return dict(access.max_amount) if access is not None and access.max_amount else self._max_amount

    @property
    def max_daily_refunds(self) -> dict[str, int]:
        access = current_access.get()
        if access is not None and access.max_daily_refunds:
            return dict(access.max_daily_refunds)
        return self._max_daily_refunds

    @staticmethod
    def _named(option: str) -> str:
        """Where a cap comes from, for the refusal: the flag, or the person's access rule."""
        access = current_access.get()
        field = option.removeprefix("--").replace("-", "_")
        limits = (
            (access.max_amount if field == "max_amount" else access.max_daily_refunds) if access else None
        )
        return f"{field} of access rule {access.rule!r}" if access is not None and limits else option

    @property
    def active(self) -> bool:
        return bool(self.max_amount or self.max_daily_refunds)

    def check_amount(self, amount: int, currency: str, param: str = "amount") -> None:
        cap = limit_for(self.max_amount, currency, self._named("--max-amount"))
        if cap is not None and amount > cap:
            raise _refuse(
                f"`{param}` {format_amount(amount, currency)} is over the per-call limit of "
                f"{format_amount(cap, currency)} ({self._named('--max-amount')})"
            )

    @asynccontextmanager
    async def refund_reserved(
        self, amount: int, currency: str
    ) -> AsyncIterator[Callable[[], Awaitable[None]]]:
        """Check the per-call and daily caps and hold `amount` against today's total while the
        refund is sent. Yields `release`, to await when nothing was refunded after all (a replay,
        a failed refund); the block raising releases it too."""
        self.check_amount(amount, currency)
        cap = limit_for(self.max_daily_refunds, currency, self._named("--max-daily-refunds"))
        if cap is None:

            async def nothing() -> None:
                return None

            yield nothing
            return
        code, scope, day = currency.lower(), self.scope(), self._date()
        if await self.state.reserve_refund(scope, day, code, amount, cap) is None:
            spent = (await self.state.refunded(scope, day)).get(code, 0)
            raise _refuse(
                f"refunding {format_amount(amount, currency)} would bring today's refunds to "
                f"{format_amount(spent + amount, currency)}, over the daily limit of "
                f"{format_amount(cap, currency)} ({self._named('--max-daily-refunds')}; "
                f"{format_amount(max(cap - spent, 0), currency)} left today)"
            )
        held = [amount]

        async def release() -> None:
            if held:
                with anyio.CancelScope(shield=True):
                    await self.state.release_refund(scope, day, code, held.pop())

        try:
            yield release
        except BaseException:
            await release()
            raise

    @staticmethod
    def _date() -> str:
        return clock.today()
