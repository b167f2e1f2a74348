"""Confirmation before money moves or something is destroyed: elicitation, or a two-step token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcp.types import ElicitRequestParams, ElicitResult

from stripe_power.confirm import ConfirmationTokens
from stripe_power.errors import InputError
from stripe_power.server import create_server
from stripe_power.state.embedded import EmbeddedState

from .conftest import Connect, error_text, payload, settings_for
from .fakes import RecordingStripe

DELETE = {"method": "DELETE", "path": "/v1/customers/cus_1"}
DELETED = {"id": "cus_1", "object": "customer", "deleted": True}


def confirmation(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(error_text(result))
    assert data["status"] == "confirmation_required"
    return data


async def test_test_mode_runs_without_confirmation(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("DELETE", "/v1/customers/cus_1", DELETED)
    async with connect() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert payload(await client.call_tool("call_stripe_api", DELETE))["deleted"] is True
    assert "confirmation_token" not in tools["call_stripe_api"].input_schema["properties"]


async def test_two_step_token_flow(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("DELETE", "/v1/customers/cus_1", DELETED)
    fake.on("DELETE", "/v1/customers/cus_2", DELETED | {"id": "cus_2"})
    async with connect(confirm_writes=True) as client:
        first = confirmation(await client.call_tool("call_stripe_api", DELETE))
        assert "DELETE" in first["preview"] and "/v1/customers/cus_1" in first["preview"]
        assert first["expires_in_seconds"] == 300
        assert fake.requests == []

        token = first["confirmation_token"]
        other = {"method": "DELETE", "path": "/v1/customers/cus_2", "confirmation_token": token}
        assert "different arguments" in error_text(await client.call_tool("call_stripe_api", other))
        assert fake.requests == []  # a mismatched redemption sends nothing and leaves the token to its owner

        done = payload(await client.call_tool("call_stripe_api", DELETE | {"confirmation_token": token}))
        assert done["deleted"] is True
        again = error_text(await client.call_tool("call_stripe_api", DELETE | {"confirmation_token": token}))
        assert "already used" in again
        # reads never ask
        fake.on("GET", "/v1/customers/cus_1", {"id": "cus_1", "object": "customer"})
        payload(await client.call_tool("call_stripe_api", {"method": "GET", "path": "/v1/customers/cus_1"}))
    assert [(r.method, r.path) for r in fake.requests] == [
        ("DELETE", "/v1/customers/cus_1"),
        ("GET", "/v1/customers/cus_1"),
    ]


async def test_tokens_expire(tmp_path: Path) -> None:
    state = EmbeddedState(tmp_path)
    await state.start()
    tokens = ConfirmationTokens(state, lambda: "scope", ttl=0.0)
    token = await tokens.issue("create_refund", {"payment_intent": "pi_1"})
    await anyio.sleep(0.01)
    with pytest.raises(InputError, match="expired"):
        await tokens.redeem(token, "create_refund", {"payment_intent": "pi_1"})
    await state.stop()


def elicitation(answer: str, seen: list[str]) -> Any:
    async def respond(context: Any, params: ElicitRequestParams) -> ElicitResult:
        seen.append(params.message)
        if answer == "accept":
            return ElicitResult(action="accept", content={"confirm": True})
        if answer == "accept-no":
            return ElicitResult(action="accept", content={"confirm": False})
        return ElicitResult(action="decline")

    return respond


async def run_with_elicitation(
    fake: RecordingStripe, tmp_path: Any, answer: str, mode: str
) -> tuple[Any, list[str]]:
    seen: list[str] = []
    server = create_server(settings_for(fake.url, tmp_path, confirm_writes=True))
    async with Client(server, mode=mode, elicitation_callback=elicitation(answer, seen)) as client:  # type: ignore[arg-type]
        with anyio.fail_after(20):
            result = await client.call_tool("call_stripe_api", DELETE)
    return result, seen


async def test_elicitation_accepted_executes(fake: RecordingStripe, tmp_path: Any) -> None:
    fake.on("DELETE", "/v1/customers/cus_1", DELETED)
    result, seen = await run_with_elicitation(fake, tmp_path, "accept", "legacy")
    assert payload(result)["deleted"] is True
    assert len(seen) == 1 and "/v1/customers/cus_1" in seen[0]
    assert len(fake.requests) == 1


async def test_elicitation_declined_sends_nothing(fake: RecordingStripe, tmp_path: Any) -> None:
    for answer in ("decline", "accept-no"):
        result, seen = await run_with_elicitation(fake, tmp_path, answer, "legacy")
        assert "Not confirmed by the user" in error_text(result)
        assert len(seen) == 1
    assert fake.requests == []


async def test_client_that_cannot_be_asked_gets_two_step(fake: RecordingStripe, tmp_path: Any) -> None:
    # The 2026-07-28 protocol has no server-to-client requests: fall back to the token flow.
    result, seen = await run_with_elicitation(fake, tmp_path, "accept", "auto")
    assert confirmation(result)["confirmation_token"].startswith("conf_")
    assert seen == []
    assert fake.requests == []


async def test_generic_tool_classifies_calls_failing_closed(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("POST", "/v1/customers", {"id": "cus_1", "object": "customer"})
    calls = {
        "money": {"method": "POST", "path": "/v1/payment_intents",
                  "params": {"amount": 999999, "currency": "usd", "confirm": True}},
        "unknown endpoint": {"method": "POST", "path": "/v1/credit_notes", "params": {"invoice": "in_1"}},
        "destructive": {"method": "POST", "path": "/v1/invoices/in_1/void"},
    }  # fmt: skip
    async with connect(confirm_writes=True) as client:
        for name, arguments in calls.items():
            assert confirmation(await client.call_tool("call_stripe_api", arguments))["preview"], name
        payload(await client.call_tool("call_stripe_api", {"method": "POST", "path": "/v1/customers"}))
    assert [(r.method, r.path) for r in fake.requests] == [("POST", "/v1/customers")]


async def test_generic_tool_cannot_go_around_spending_limits(fake: RecordingStripe, connect: Connect) -> None:
    async with connect(max_amount="usd:1000") as client:
        message = error_text(await client.call_tool(
            "call_stripe_api",
            {"method": "POST", "path": "/v1/payment_intents/pi_1", "params": {"amount": 999999}},
        ))  # fmt: skip
    assert "spending-limit" in message and "create_payment_intent" in message
    assert fake.requests == []
