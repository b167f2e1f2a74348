"""Log notifications to the MCP client: declared, filtered at the level the client asked for,
sent for refusals, retries, replays and webhooks, never carrying a secret; on both protocol eras.

Handshake era (`mode="legacy"`): `logging/setLevel` per connection, nothing before it.
2026-07-28 era: `logging/setLevel` is "Method not found"; a request opts in through `_meta`
(`Client(log_level=...)`) and gets the notices about itself.
"""

from __future__ import annotations

import json
import uuid
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.types import LoggingLevel, LoggingMessageNotificationParams

from stripe_power.client_log import client_log_of
from stripe_power.http import create_http_app
from stripe_power.server import create_server
from stripe_power.webhooks import sign, webhook_routes

from .conftest import error_text, payload, settings_for
from .fakes import Answer, Recorded, RecordingStripe
from .servers import free_port, serve_in_thread

CUSTOMER = {"id": "cus_1", "object": "customer", "email": "a@example.com"}
CHARGE = {"method": "POST", "path": "/v1/charges", "params": {"amount": 500, "currency": "usd"}}
TOKEN = "log-token-" + "y" * 24


class Notices:
    """Collects the log notifications a client receives."""

    def __init__(self) -> None:
        self.received: list[LoggingMessageNotificationParams] = []
        self._arrived = anyio.Event()

    async def __call__(self, params: LoggingMessageNotificationParams) -> None:
        self.received.append(params)
        self._arrived.set()

    async def wait_for(self, count: int) -> list[LoggingMessageNotificationParams]:
        with anyio.fail_after(5):
            while len(self.received) < count:
                self._arrived = anyio.Event()
                if len(self.received) < count:
                    await self._arrived.wait()
        return self.received

    def messages(self) -> list[str]:
        return [str(n.data["message"]) for n in self.received]  # type: ignore[index]


async def set_level(client: Client, level: LoggingLevel) -> None:
    with pytest.warns(MCPDeprecationWarning, match="deprecated as of 2026-07-28"):
        result = await client.set_logging_level(level)
    assert result.model_dump(exclude_none=True) == {}


def legacy(settings: Any, notices: Notices, **options: Any) -> Client:
    return Client(create_server(settings), mode="legacy", logging_callback=notices, **options)


async def test_both_capabilities_are_declared(fake: RecordingStripe, tmp_path: Path) -> None:
    async with legacy(settings_for(fake.url, tmp_path), Notices()) as client:
        capabilities = client.server_capabilities
    assert capabilities.logging is not None and capabilities.completions is not None


async def test_refusal_is_told_at_the_level_asked_and_not_before(
    fake: RecordingStripe, tmp_path: Path
) -> None:
    notices = Notices()
    async with legacy(settings_for(fake.url, tmp_path), notices) as client:
        error_text(await client.call_tool("call_stripe_api", CHARGE))  # no level set yet: nothing
        await set_level(client, "error")
        error_text(await client.call_tool("call_stripe_api", CHARGE))  # a warning is below error
        await client.list_tools()  # one more round trip: anything sent by now has arrived
        assert notices.received == []
        await set_level(client, "warning")
        refused = error_text(await client.call_tool("call_stripe_api", CHARGE))
        (notice,) = await notices.wait_for(1)
    assert "charges-api" in refused
    assert notice.level == "warning" and notice.logger == "stripe-power"
    assert notice.data["rule"] == "charges-api" and notice.data["path"] == "/v1/charges"  # type: ignore[index]
    assert "nothing was sent to Stripe" in notice.data["message"]  # type: ignore[index]
    assert fake.requests == []


async def test_refusal_notice_carries_no_secret(fake: RecordingStripe, tmp_path: Path) -> None:
    secret = "whsec_" + uuid.uuid4().hex
    card = "4242424242424242"
    notices = Notices()
    async with legacy(settings_for(fake.url, tmp_path), notices) as client:
        await set_level(client, "debug")
        params = {"card": {"number": card}, "metadata": {"note": secret}}
        error_text(
            await client.call_tool(
                "call_stripe_api", {"method": "POST", "path": "/v1/tokens", "params": params}
            )
        )
        (notice,) = await notices.wait_for(1)
    sent = json.dumps(notice.data)
    assert notice.data["rule"] in ("tokens-api", "raw-card-data")  # type: ignore[index]
    assert secret not in sent and card not in sent
    assert fake.requests == []


def failing_once(status: int) -> Any:
    answers = iter(
        [(status, {"error": {"type": "api_error", "message": "Try again."}}, {"Retry-After": "0"})]
    )

    def answer(_request: Recorded) -> Answer:
        return next(answers, (200, CUSTOMER))

    return answer


@pytest.mark.parametrize("status", [503, 429])
async def test_retry_after_5xx_or_429_is_told(fake: RecordingStripe, tmp_path: Path, status: int) -> None:
    fake.on("POST", "/v1/customers", failing_once(status))
    notices = Notices()
    async with legacy(settings_for(fake.url, tmp_path), notices) as client:
        await set_level(client, "warning")
        made = payload(await client.call_tool("create_customer", {"email": "a@example.com"}))
        (notice,) = await notices.wait_for(1)
    assert made["id"] == "cus_1"
    first, retry = fake.requests
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    assert notice.level == "warning"
    assert notice.data["status"] == status and notice.data["retry"] == 1  # type: ignore[index]
    assert "retrying POST /v1/customers" in notice.data["message"]  # type: ignore[index]


async def test_replayed_write_is_told_at_info_only(fake: RecordingStripe, tmp_path: Path) -> None:
    fake.on("POST", "/v1/customers", lambda _r: (200, CUSTOMER, {"Idempotent-Replayed": "true"}))
    notices = Notices()
    async with legacy(settings_for(fake.url, tmp_path), notices) as client:
        await set_level(client, "warning")
        payload(await client.call_tool("create_customer", {"email": "a@example.com"}))
        await client.list_tools()
        assert notices.received == []  # a replay is info, below warning
        await set_level(client, "info")
        result = payload(await client.call_tool("create_customer", {"email": "a@example.com"}))
        (notice,) = await notices.wait_for(1)
    assert result["replayed"] is True
    assert notice.level == "info" and "idempotency cache" in notice.data["message"]  # type: ignore[index]
    # The id of the replayed POST (each replay also re-reads the customer, which takes an id too).
    last_post = max(n for n, r in enumerate(fake.requests, 1) if r.method == "POST")
    assert notice.data["request_id"] == f"req_fake{last_post}"  # type: ignore[index]


async def test_webhook_received_is_told_to_clients_that_asked(fake: RecordingStripe, tmp_path: Path) -> None:
    secret = "whsec_" + uuid.uuid4().hex
    settings = replace(settings_for(fake.url, tmp_path), webhook_receiver=True, webhook_secrets=(secret,))
    server = create_server(settings)
    port = free_port()
    routes = webhook_routes(settings, on_received=client_log_of(server).webhook_received)
    app = create_http_app(server, host="127.0.0.1", port=port, token=TOKEN, extra_routes=routes)
    event = json.dumps({"id": "evt_log1", "object": "event", "type": "invoice.paid",
                        "data": {"object": {"id": "in_1", "object": "invoice"}}})  # fmt: skip
    listening, silent = Notices(), Notices()
    with serve_in_thread(app, port) as base:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http2,
            Client(streamable_http_client(f"{base}/mcp", http_client=http2), mode="legacy",
                   logging_callback=listening) as client,
            Client(streamable_http_client(f"{base}/mcp", http_client=http2), mode="legacy",
                   logging_callback=silent) as other,
        ):  # fmt: skip
            await set_level(client, "info")
            await other.list_tools()
            async with httpx.AsyncClient(base_url=base) as http:
                for _ in range(2):
                    answer = await http.post(
                        "/webhooks/stripe", content=event, headers={"Stripe-Signature": sign(event, secret)}
                    )
                    assert answer.status_code == 200
            first, again = await listening.wait_for(2)
            await other.list_tools()
    assert first.level == "info" and first.data["event"] == "evt_log1"  # type: ignore[index]
    assert first.data["type"] == "invoice.paid" and first.data["duplicate"] is False  # type: ignore[index]
    assert again.data["duplicate"] is True  # type: ignore[index]
    assert secret not in json.dumps(first.data)
    assert silent.received == []  # the other session never asked


async def test_new_era_has_no_set_level_and_honours_the_request_opt_in(
    fake: RecordingStripe, tmp_path: Path
) -> None:
    quiet, opted_in = Notices(), Notices()
    settings = settings_for(fake.url, tmp_path)
    async with Client(create_server(settings), logging_callback=quiet) as client:
        assert client.protocol_version == "2026-07-28"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            with pytest.raises(MCPError, match="Method not found"):
                await client.set_logging_level("info")
        assert "charges-api" in error_text(await client.call_tool("call_stripe_api", CHARGE))
    async with Client(create_server(settings), logging_callback=opted_in, log_level="warning") as client:
        assert "charges-api" in error_text(await client.call_tool("call_stripe_api", CHARGE))
        (notice,) = await opted_in.wait_for(1)
    assert quiet.received == []
    assert notice.level == "warning" and notice.data["rule"] == "charges-api"  # type: ignore[index]
    assert fake.requests == []
