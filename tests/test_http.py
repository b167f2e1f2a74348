"""Streamable HTTP: bearer token on every MCP request, Host/Origin checks, /healthz."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client

from stripe_power.errors import ConfigError
from stripe_power.http import create_http_app
from stripe_power.server import create_server

from .conftest import settings_for
from .servers import free_port, serve_in_thread

TOKEN = "test-token-" + "x" * 24
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def http_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    server = create_server(settings_for("http://127.0.0.1:9", tmp_path))
    with serve_in_thread(create_http_app(server, host="127.0.0.1", port=port, token=TOKEN), port) as url:
        yield url


def test_healthz_needs_no_token(http_url: str) -> None:
    response = httpx2.get(f"{http_url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_missing_or_wrong_token_is_401(http_url: str, authorization: str | None) -> None:
    headers = HEADERS | ({"Authorization": authorization} if authorization else {})
    response = httpx2.post(f"{http_url}/mcp", json=INIT, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN not in response.text


def test_bad_origin_is_403_and_bad_host_421(http_url: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    evil_origin = httpx2.post(
        f"{http_url}/mcp", json=INIT, headers=HEADERS | auth | {"Origin": "https://evil.example"}
    )
    assert evil_origin.status_code == 403
    evil_host = httpx2.post(f"{http_url}/mcp", json=INIT, headers=HEADERS | auth | {"Host": "evil.example"})
    assert evil_host.status_code == 421


async def test_good_token_lists_tools(http_url: str) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with Client(streamable_http_client(f"{http_url}/mcp", http_client=http)) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
    assert "create_customer" in names


def test_refuses_to_start_without_token(tmp_path: Path) -> None:
    server = create_server(settings_for("http://127.0.0.1:9", tmp_path))
    with pytest.raises(ConfigError, match="STRIPE_POWER_HTTP_TOKEN"):
        create_http_app(server, host="0.0.0.0", port=8000, token=None)
    with pytest.raises(ConfigError, match="STRIPE_POWER_HTTP_TOKEN"):
        create_http_app(server, host="127.0.0.1", port=8000, token="")


async def test_replay_window_and_tokens_are_per_session(tmp_path: Path) -> None:
    """Two HTTP sessions sharing one server never share idempotency keys or confirmation tokens."""
    from .fakes import recording_stripe

    with recording_stripe() as fake:
        fake.on("POST", "/v1/customers", {"id": "cus_1", "object": "customer"})
        port = free_port()
        server = create_server(settings_for(fake.url, tmp_path, confirm_writes=True))
        app = create_http_app(server, host="127.0.0.1", port=port, token=TOKEN)
        with serve_in_thread(app, port) as url:
            tokens = []
            for _ in range(2):
                async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
                    async with Client(
                        streamable_http_client(f"{url}/mcp", http_client=http), mode="legacy"
                    ) as client:
                        for _ in range(2):
                            await client.call_tool("create_customer", {"email": "same@example.com"})
                        held = await client.call_tool(
                            "call_stripe_api", {"method": "DELETE", "path": "/v1/customers/cus_1"}
                        )
                        tokens.append(json.loads(held.content[0].text)["confirmation_token"])  # type: ignore[union-attr]
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
                async with Client(
                    streamable_http_client(f"{url}/mcp", http_client=http), mode="legacy"
                ) as client:
                    stolen = await client.call_tool(
                        "call_stripe_api",
                        {"method": "DELETE", "path": "/v1/customers/cus_1", "confirmation_token": tokens[0]},
                    )
    keys = [r.headers["Idempotency-Key"] for r in fake.requests]
    assert len(keys) == 4
    assert keys[0] == keys[1] and keys[2] == keys[3] and keys[0] != keys[2]
    assert stolen.is_error and "different arguments" in stolen.content[0].text  # type: ignore[union-attr]
    assert all(r.method == "POST" for r in fake.requests)
