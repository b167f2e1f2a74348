"""A wrong prompt argument or an unknown prompt is the caller's mistake (issue 28, item 9):
JSON-RPC -32602 naming the argument (or the prompt) and what it takes, with no traceback in the
server's log, on both protocol eras."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from stripe_power.server import create_server

from .conftest import settings_for

ERAS = ["legacy", None]  # the handshake era (up to 2025-11-25), and the client's newest (2026-07-28)


def _client(tmp_path: Path, mode: str | None) -> Client:
    server = create_server(settings_for("http://127.0.0.1:9", tmp_path))
    return Client(server, mode=mode) if mode else Client(server)  # type: ignore[arg-type]


async def _refused(client: Client, name: str, arguments: dict[str, Any]) -> MCPError:
    with pytest.raises(MCPError) as raised:
        await client.get_prompt(name, arguments)
    return raised.value


@pytest.mark.parametrize("mode", ERAS)
async def test_wrong_arguments_and_unknown_prompts_are_invalid_params(
    tmp_path: Path, mode: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with _client(tmp_path, mode) as client:
        months = await _refused(client, "simulate_billing_cycle", {"price": "price_1", "months": "two"})
        amount = await _refused(client, "accept_one_time_payment", {"product_name": "Tee", "amount": "12.5"})
        missing = await _refused(client, "process_refund", {})
        extra = await _refused(client, "go_live_checklist", {"currency": "usd"})
        unknown = await _refused(client, "simulate_billing_cycles", {"price": "price_1"})
        fine = await client.get_prompt("simulate_billing_cycle", {"price": "price_1", "months": "2"})
    for error in (months, amount, missing, extra, unknown):
        assert error.error.code == INVALID_PARAMS, error.error
    assert "`months`" in months.error.message and '"two"' in months.error.message
    assert 'a whole number written in digits, e.g. "2"' in months.error.message
    assert "`amount`" in amount.error.message and "whole number" in amount.error.message
    assert "missing required argument `payment_intent`" in missing.error.message
    assert "no argument `currency`" in extra.error.message and "It takes: no arguments" in extra.error.message
    assert "Unknown prompt: 'simulate_billing_cycles'" in unknown.error.message
    assert "simulate_billing_cycle" in unknown.error.message.split("Prompts:", 1)[1]
    assert "Simulate 2 billing cycle(s)" in fine.messages[0].content.text  # type: ignore[union-attr]
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "Traceback" not in logged and not any(r.exc_info for r in caplog.records)
    assert "Internal" not in logged
