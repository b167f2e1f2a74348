"""20 MCP sessions in parallel over Streamable HTTP, each creating and listing its own customers:
0 errors, and each session sees exactly what it made (no cross-talk between sessions)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client

from stripe_power.http import create_http_app
from stripe_power.server import create_server

from .conftest import settings_for
from .servers import free_port, serve_in_thread

SESSIONS = 20
CUSTOMERS_EACH = 3
TOKEN = "concurrency-" + uuid.uuid4().hex


async def one_session(url: str, index: int, run: str) -> dict[str, Any]:
    tag = f"{run}-s{index}"
    made: list[str] = []
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            for n in range(CUSTOMERS_EACH):
                email = f"{tag}-{n}@example.com"
                result = await client.call_tool(
                    "create_customer", {"email": email, "metadata": {"session": tag}}
                )
                assert not result.is_error, result.content
                made.append(json.loads(result.content[0].text)["id"])  # type: ignore[union-attr]
            found = await client.call_tool(
                "search_customers", {"query": f"metadata['session']:'{tag}'", "limit": 100}
            )
            assert not found.is_error, found.content
            by_email = [
                json.loads(  # type: ignore[union-attr]
                    (await client.call_tool("list_customers", {"email": f"{tag}-{n}@example.com"}))
                    .content[0]
                    .text
                )
                for n in range(CUSTOMERS_EACH)
            ]
    return {"made": made, "found": json.loads(found.content[0].text), "by_email": by_email}  # type: ignore[union-attr]


async def test_twenty_parallel_http_sessions_see_only_their_own_customers(
    sandbox: Any, tmp_path: Path
) -> None:
    port = free_port()
    server = create_server(settings_for(sandbox.url, tmp_path))
    run = uuid.uuid4().hex[:8]
    outcomes: dict[int, dict[str, Any]] = {}
    with serve_in_thread(create_http_app(server, host="127.0.0.1", port=port, token=TOKEN), port) as url:

        async def session(index: int) -> None:
            with anyio.fail_after(60):
                outcomes[index] = await one_session(url, index, run)

        async with anyio.create_task_group() as group:
            for index in range(SESSIONS):
                group.start_soon(session, index)

    assert len(outcomes) == SESSIONS
    all_ids = [cid for outcome in outcomes.values() for cid in outcome["made"]]
    assert len(set(all_ids)) == SESSIONS * CUSTOMERS_EACH
    for index, outcome in outcomes.items():
        tag = f"{run}-s{index}"
        found = outcome["found"]["data"]
        assert sorted(c["id"] for c in found) == sorted(outcome["made"]), (tag, found)
        assert all(c["metadata"] == {"session": tag} for c in found)
        for n, page in enumerate(outcome["by_email"]):
            assert [c["id"] for c in page["data"]] == [outcome["made"][n]], (tag, n, page)
