"""Completions with `--client-keys` (one HTTP server, each client its own Stripe account): each
client is offered its own account's objects, never another client's, even within the few seconds
a fetched list is kept for further keystrokes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import PromptReference, ResourceTemplateReference

from stripe_power.config import load_settings
from stripe_power.http import create_http_app
from stripe_power.server import create_server

from .conftest import new_key, payload
from .servers import free_port, serve_in_thread

EMAIL = {"name": "customer_email", "value": ""}
PROMPT = PromptReference(type="ref/prompt", name="start_subscription")
TEMPLATE = ResourceTemplateReference(type="ref/resource", uri="stripe://{object_type}/{id}")


@asynccontextmanager
async def client_at(url: str, key: str) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            yield client


async def test_each_client_key_completes_only_its_own_accounts_objects(sandbox: Any, tmp_path: Path) -> None:
    settings = load_settings(
        {}, api_base=sandbox.url, state_dir=str(tmp_path / "state"), client_keys=True, webhook_receiver=True
    )
    port = free_port()
    app = create_http_app(create_server(settings), host="127.0.0.1", port=port, token=None, client_keys=True)
    offered: dict[str, Any] = {}
    with serve_in_thread(app, port) as url:
        for name in ("alice", "bob"):
            async with client_at(url, new_key()) as client:
                made = payload(await client.call_tool("create_customer", {"email": f"{name}@example.com"}))
                emails = (await client.complete(PROMPT, EMAIL)).completion.values
                ids = (
                    await client.complete(TEMPLATE, {"name": "id", "value": ""}, {"object_type": "customer"})
                ).completion.values
                offered[name] = (emails, ids, made["id"])
    for name, (emails, ids, own) in offered.items():
        assert emails == [f"{name}@example.com"], offered
        assert ids == [own], offered
