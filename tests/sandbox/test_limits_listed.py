"""docs/sandbox.md lists the sandbox's limits from the code (tests/test_contract.py fails on drift);
this checks that what it lists is real: each value refused by hand names operations of Stripe's
spec that a hand-written route serves, so a reader can find and try every one."""

from __future__ import annotations

from stripe_power import spec
from stripe_power.sandbox import Sandbox
from stripe_power.sandbox.core import accepted, coverage


def test_each_refusal_names_a_hand_written_operation() -> None:
    router = Sandbox().router
    assert accepted.REFUSALS
    for refusal in accepted.REFUSALS:
        for key in refusal.operations:
            method, path = key.split(" ", 1)
            assert spec.operation(method, path) is not None, key
            assert key in router.hand_written(), key
        assert refusal.when and refusal.why


def test_the_figures_add_up() -> None:
    router = Sandbox().router
    table = coverage.by_kind(router)
    total = len(spec.operations())
    assert sum(len(v) for v in table.values()) == total
    params = coverage.parameter_limits(router)
    assert coverage.figures(router).startswith(
        f"{total}: {total - len(table['limit'])} emulated, {len(table['limit'])} answered"
    )
    assert f"{sum(len(v) for v in params.values())} parameters" in coverage.figures(router)
    assert all(key not in table["limit"] for key in params)  # listed per parameter only when served
