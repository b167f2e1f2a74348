"""Spending limits: per call, per day, per currency; the daily total survives restarts and races,
on both state backends (the PostgreSQL cases skip with the reason where none is reachable)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio
import pytest

from stripe_power.errors import GuardrailRefusal, StripeAPIError
from stripe_power.limits import SpendingLimits
from stripe_power.state import State
from stripe_power.state.embedded import EmbeddedState
from stripe_power.state.postgres import PostgresState

Opener = Callable[[], AbstractAsyncContextManager[State]]


@pytest.fixture(params=["embedded", "postgres"])
def open_state(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """`async with open_state() as state`: a started state; a second one is a restart (or another instance)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None

    @asynccontextmanager
    async def opened() -> AsyncIterator[State]:
        state: State = PostgresState(url) if url else EmbeddedState(tmp_path)
        await state.start()
        try:
            yield state
        finally:
            await state.stop()

    return opened


def limits_for(state: State, max_amount: dict[str, int], daily: dict[str, int]) -> SpendingLimits:
    return SpendingLimits(max_amount, daily, state, lambda: state.scope_of("sk_test_limits"))


async def test_unlisted_currency_is_refused_once_limits_are_set(tmp_path: Path) -> None:
    state = EmbeddedState(tmp_path)
    await state.start()
    limits = limits_for(state, {"usd": 1000}, {})
    limits.check_amount(1000, "usd")
    with pytest.raises(GuardrailRefusal, match=r"over the per-call limit of \$10.00"):
        limits.check_amount(1001, "usd")
    with pytest.raises(GuardrailRefusal, match="not for eur"):
        limits.check_amount(1, "eur")
    limits_for(state, {"usd": 1000, "*": 50}, {}).check_amount(50, "eur")
    limits_for(state, {}, {}).check_amount(10**9, "eur")  # no limits at all
    await state.stop()


async def test_daily_refund_cap_reserves_releases_and_persists(open_state: Opener) -> None:
    async with open_state() as state:
        limits = limits_for(state, {}, {"usd": 5000})
        async with limits.refund_reserved(3000, "usd"):
            # while the first refund is in flight, a second one cannot take the same room
            with pytest.raises(GuardrailRefusal, match=r"\$20.00 left today"):
                async with limits.refund_reserved(2500, "usd"):
                    pass
        with pytest.raises(StripeAPIError):
            async with limits.refund_reserved(2000, "usd"):
                raise StripeAPIError("Stripe refused the refund", http_status=402)  # released: nothing moved
        async with limits.refund_reserved(2000, "usd") as release:
            await release()  # a replay made nothing new
    async with open_state() as restarted:
        limits = limits_for(restarted, {}, {"usd": 5000})
        with pytest.raises(GuardrailRefusal, match=r"would bring today's refunds to \$50.01"):
            async with limits.refund_reserved(2001, "usd"):
                pass
        async with limits.refund_reserved(2000, "usd"):
            pass
        # another key's ledger is its own
        other = SpendingLimits({}, {"usd": 5000}, restarted, lambda: restarted.scope_of("sk_test_other"))
        async with other.refund_reserved(5000, "usd"):
            pass


async def test_concurrent_reservations_never_pass_the_cap(open_state: Opener) -> None:
    """40 reservations of $1 at once against a $25 cap, through two state objects (two instances
    on PostgreSQL): exactly 25 get through and the ledger says $25."""
    async with open_state() as first, open_state() as second:
        granted: list[int] = []

        async def one(state: State, n: int) -> None:
            try:
                async with limits_for(state, {}, {"usd": 2500}).refund_reserved(100, "usd"):
                    granted.append(n)
            except GuardrailRefusal:
                pass

        async with anyio.create_task_group() as group:
            for n in range(40):
                group.start_soon(one, first if n % 2 else second, n)
        assert len(granted) == 25
        day = SpendingLimits._date()
        assert await first.refunded(first.scope_of("sk_test_limits"), day) == {"usd": 2500}
