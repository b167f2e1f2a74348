"""Reliability under faults: 500 creates through the MCP tools against a sandbox that fails ~20% of
requests (500s, 429s, connections dropped before and after commit, added latency).

Every call must end in a result or a clear tool error within its timeout; a call that failed is
retried with the same idempotency_key, as an agent would; in the end the account holds exactly one
customer per call: none lost, none duplicated.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client import Client

from stripe_power.sandbox import FaultConfig, SandboxServer

from .conftest import mcp_client, new_key, settings_for

CREATES = 500
PARALLEL = 20  # calls in flight at once over the one MCP session
CALL_TIMEOUT = 15.0  # seconds: SDK retries with backoff (0.5 s, 1 s) stay far below it
MAX_ATTEMPTS = 8  # tool calls per customer before the test gives up on it
FAULTS = FaultConfig(
    error_500_rate=0.05,
    error_429_rate=0.05,
    drop_before_commit_rate=0.05,
    drop_after_commit_rate=0.05,
    latency_ms=2,
    seed=20240817,
)

# An error an agent can act on names what happened and says to retry (or to wait and retry).
CLEAR_ERRORS = (
    "Could not reach Stripe",  # connection dropped on every attempt
    "code=rate_limit",  # 429 (the SDK does not retry it)
    "type=api_error",  # 500 on every attempt
)


@pytest.fixture(scope="module")
def faulty_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(port=0, faults=FAULTS) as server:
        yield server


async def create_until_done(client: Client, index: int, errors: list[str]) -> dict[str, Any]:
    """One customer, retried with the same idempotency_key after each tool error."""
    arguments = {
        "email": f"fault-{index}@example.com",
        "metadata": {"n": str(index)},
        "idempotency_key": f"faults-{index}",
    }
    for _ in range(MAX_ATTEMPTS):
        with anyio.fail_after(CALL_TIMEOUT):
            result = await client.call_tool("create_customer", arguments)
        text = result.content[0].text  # type: ignore[union-attr]
        if not result.is_error:
            customer: dict[str, Any] = json.loads(text)
            return customer
        errors.append(text)
    raise AssertionError(f"customer {index} still failing after {MAX_ATTEMPTS} attempts: {errors[-1]}")


async def test_500_creates_under_faults_make_exactly_500_customers(
    faulty_sandbox: SandboxServer, tmp_path: Path
) -> None:
    key = new_key()
    settings = settings_for(faulty_sandbox.url, tmp_path, api_key=key)
    results: dict[int, dict[str, Any]] = {}
    errors: list[str] = []
    started = time.monotonic()
    async with mcp_client(settings) as client:
        limiter = anyio.Semaphore(PARALLEL)

        async def one(index: int) -> None:
            async with limiter:
                results[index] = await create_until_done(client, index, errors)

        async with anyio.create_task_group() as group:
            for index in range(CREATES):
                group.start_soon(one, index)
    elapsed = time.monotonic() - started

    # Every call ended; every error was a clear tool error that says what to do.
    assert len(results) == CREATES
    unclear = [e for e in errors if not any(marker in e for marker in CLEAR_ERRORS)]
    assert not unclear, unclear[:3]
    assert all("retry" in e.lower() for e in errors if "rate_limit" in e), errors
    assert all("idempotency_key" in e for e in errors if "Could not reach Stripe" in e), errors

    # Exactly one customer per call: none lost, none duplicated.
    customers = faulty_sandbox.objects(key, "customer")
    assert len(customers) == CREATES
    assert sorted(c["email"] for c in customers) == sorted(f"fault-{i}@example.com" for i in range(CREATES))
    assert {r["id"] for r in results.values()} == {c["id"] for c in customers}
    for index, customer in results.items():
        assert customer["email"] == f"fault-{index}@example.com"

    # The faults really happened, each kind many times.
    faults = Counter(r.fault for r in faulty_sandbox.request_log(key) if r.fault)
    assert set(faults) == {"error_500", "error_429", "drop_before_commit", "drop_after_commit"}, faults
    assert min(faults.values()) >= 10, faults
    print(f"\n{CREATES} creates in {elapsed:.1f} s; faults {dict(faults)}; tool errors {len(errors)}")
