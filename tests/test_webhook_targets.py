"""send_test_webhook in team mode: a remote client may not make the server post to its own
machine or network, however the address is spelled, unless the operator allows it.

A real handler listens on 127.0.0.1; what it received (and with which Host) is the proof that
something was or was not sent. The Events API is the recording fake.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stripe_power.config import Settings, load_settings
from stripe_power.http import create_http_app
from stripe_power.server import create_server
from stripe_power.webhook_targets import public

from .conftest import error_text, new_key, payload, settings_for
from .fakes import RecordingStripe
from .servers import free_port, serve_in_thread

SECRET = "whsec_" + "t" * 32
EMPTY = {"object": "list", "data": [], "has_more": False}


@pytest.fixture
def handler() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """A webhook handler on 127.0.0.1 that keeps the Host and type of each delivery."""
    received: list[dict[str, Any]] = []

    async def hook(request: Request) -> Response:
        received.append(
            {"host": request.headers.get("host"), "type": json.loads(await request.body())["type"]}
        )
        return JSONResponse({"ok": True})

    async def moved(_: Request) -> Response:
        return Response(status_code=307, headers={"Location": "/hook"})

    port = free_port()
    app = Starlette(routes=[Route("/hook", hook, methods=["POST"]), Route("/moved", moved, methods=["POST"])])
    with serve_in_thread(app, port):
        yield port, received


def team(fake: RecordingStripe, tmp_path: Path, **more: Any) -> Settings:
    """A server whose HTTP clients are on other machines (non-loopback bind or --allowed-host)."""
    settings = settings_for(fake.url, tmp_path, **more)
    return replace(settings, webhook_receiver=True, webhook_secrets=(SECRET,), remote_clients=True)


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[Client]:
    async with Client(create_server(settings)) as client:
        yield client


def inside_spellings(port: int) -> list[str]:
    """The server's own machine and network, spelled every way a URL parser or resolver takes."""
    return [
        f"http://127.0.0.1:{port}/hook", f"http://localhost:{port}/hook", f"http://LOCALHOST:{port}/hook",
        f"http://[::1]:{port}/hook", f"http://0.0.0.0:{port}/hook", f"http://127.1:{port}/hook",
        f"http://2130706433:{port}/hook", f"http://0x7f000001:{port}/hook", f"http://017700000001:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook", f"http://[::ffff:7f00:1]:{port}/hook",
        f"http://[2002:7f00:1::]:{port}/hook", f"http://127.0.0.2:{port}/hook",
        "http://10.0.0.1/hook", "http://172.16.5.4/hook", "http://192.168.1.1/hook", "http://100.64.0.1/hook",
        "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/hook", "http://[fc00::1]/hook",
        "http://224.0.0.1/hook", "http://[::]/hook", "https://127.0.0.1/hook",
    ]  # fmt: skip


def host_of(url: str) -> str:
    return httpx2.URL(url).host


async def test_team_mode_refuses_every_spelling_of_the_servers_own_network(
    fake: RecordingStripe, tmp_path: Path, handler: tuple[int, list[dict[str, Any]]]
) -> None:
    port, received = handler
    fake.on("GET", "/v1/events", EMPTY)
    targets = inside_spellings(port)
    unlisted = team(fake, tmp_path)
    # The operator listing the name does not make it public: the addresses are judged too.
    listed = replace(unlisted, allow_webhook_hosts=frozenset(host_of(t).lower() for t in targets))
    refusals: dict[str, tuple[str, str]] = {}
    for name, settings in (("unlisted", unlisted), ("listed", listed)):
        async with client_for(settings) as client:
            for target in targets:
                result = await client.call_tool(
                    "send_test_webhook", {"type": "customer.created", "url": target}
                )
                refusals[f"{name} {target}"] = (name, error_text(result))
    assert received == []  # nothing was posted anywhere
    for case, (name, message) in refusals.items():
        assert "Invalid `url`" in message and "nothing was sent" in message, case
        if name == "listed":
            assert "--allow-private-webhook-targets" in message or "not a valid URL" in message, (
                case,
                message,
            )
        else:
            assert "--allow-webhook-host" in message, (case, message)


async def test_the_operator_can_allow_private_targets(
    fake: RecordingStripe, tmp_path: Path, handler: tuple[int, list[dict[str, Any]]]
) -> None:
    port, received = handler
    fake.on("GET", "/v1/events", EMPTY)
    settings = team(fake, tmp_path, allow_private_webhook_targets=True)
    async with client_for(settings) as client:
        sent = payload(
            await client.call_tool(
                "send_test_webhook", {"type": "customer.created", "url": f"http://localhost:{port}/hook"}
            )
        )
        moved = payload(
            await client.call_tool(
                "send_test_webhook", {"type": "customer.created", "url": f"http://127.0.0.1:{port}/moved"}
            )
        )
    assert sent["status"] == 200
    # Posted to the address the name resolved to, as that name; a redirect is reported, not followed.
    assert received == [{"host": f"localhost:{port}", "type": "customer.created"}]
    assert moved["status"] == 307 and moved["location"] == "/hook"


async def test_local_mode_posts_to_loopback_as_before(
    fake: RecordingStripe, tmp_path: Path, handler: tuple[int, list[dict[str, Any]]]
) -> None:
    port, received = handler
    fake.on("GET", "/v1/events", EMPTY)
    local = replace(team(fake, tmp_path), remote_clients=False)
    async with client_for(local) as client:
        for host in ("127.0.0.1", "localhost", "[::ffff:127.0.0.1]"):
            result = await client.call_tool(
                "send_test_webhook", {"type": "customer.created", "url": f"http://{host}:{port}/hook"}
            )
            if host.startswith("["):  # not a loopback spelling the server knows: refused, as before
                assert "--allow-webhook-host" in error_text(result)
            else:
                assert payload(result)["status"] == 200
    assert [r["host"] for r in received] == [f"127.0.0.1:{port}", f"localhost:{port}"]


async def test_a_client_key_server_is_team_mode_over_real_http(
    sandbox: Any, tmp_path: Path, handler: tuple[int, list[dict[str, Any]]]
) -> None:
    """`serve --transport http --client-keys` on loopback: still a remote client's request."""
    port, received = handler
    settings = load_settings(
        {}, api_base=sandbox.url, state_dir=str(tmp_path / "state"), client_keys=True, webhook_receiver=True,
        toolsets="all",
    )  # fmt: skip
    server_port = free_port()
    app = create_http_app(
        create_server(settings), host="127.0.0.1", port=server_port, token=None, client_keys=True
    )
    key = new_key()
    with serve_in_thread(app, server_port) as url:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
                refused = error_text(
                    await client.call_tool(
                        "send_test_webhook",
                        {
                            "type": "customer.created",
                            "url": f"http://127.0.0.1:{port}/hook",
                            "secret": SECRET,
                        },
                    )
                )
    assert "--allow-webhook-host" in refused and "nothing was sent" in refused
    assert received == []


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("8.8.8.8", True), ("2606:4700:4700::1111", True), ("127.0.0.1", False), ("10.1.2.3", False),
        ("100.64.0.1", False), ("169.254.1.1", False), ("0.0.0.0", False), ("::1", False), ("::", False),
        ("::ffff:127.0.0.1", False), ("::ffff:8.8.8.8", True), ("2002:7f00:1::", False), ("fe80::1", False),
        ("fc00::1", False), ("224.0.0.1", False), ("ff02::1", False), ("192.0.2.1", False),
        # An IPv4 address inside NAT64 and IPv4-compatible IPv6 (the review's F4), and NAT64's local range.
        ("::7f00:1", False), ("::a00:1", False), ("::808:808", True), ("64:ff9b::7f00:1", False),
        ("64:ff9b::a00:1", False), ("64:ff9b::a9fe:a9fe", False), ("64:ff9b::808:808", True),
        ("64:ff9b:1::808:808", False), ("::ffff:0:7f00:1", False), ("::ffff:0:808:808", True), ("fec0::1", False),
    ],
)  # fmt: skip
def test_public_means_reachable_from_anywhere(address: str, expected: bool) -> None:
    assert public(ipaddress.ip_address(address)) is expected
