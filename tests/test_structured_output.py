"""`--structured-output`: output schemas in tools/list and structured results that match the text."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from .conftest import Connect, error_text, mcp_client, settings_for
from .fakes import RecordingStripe

CUSTOMER = {
    "id": "cus_1",
    "object": "customer",
    "email": "a@example.com",
    "name": None,
    "created": 1700000000,
}


async def test_structured_results_match_their_schema_and_text(fake: RecordingStripe, tmp_path: Path) -> None:
    fake.on("POST", "/v1/customers", CUSTOMER)
    fake.on("GET", "/v1/customers", {"object": "list", "data": [CUSTOMER], "has_more": False})
    async with mcp_client(settings_for(fake.url, tmp_path), structured_output=True) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        created = await client.call_tool("create_customer", {"email": "a@example.com"})
        listed = await client.call_tool("list_customers", {})
    assert all(tool.output_schema for tool in tools.values())
    for name, result in (("create_customer", created), ("list_customers", listed)):
        assert not result.is_error
        assert result.structured_content == json.loads(result.content[0].text)  # type: ignore[union-attr]
        jsonschema.validate(result.structured_content, tools[name].output_schema)


async def test_default_mode_publishes_no_output_schemas(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("POST", "/v1/customers", CUSTOMER)
    async with connect() as client:
        tools = (await client.list_tools()).tools
        result = await client.call_tool("create_customer", {"email": "a@example.com"})
    assert all(tool.output_schema is None for tool in tools)
    assert result.structured_content is None
    assert json.loads(result.content[0].text)["id"] == "cus_1"  # type: ignore[union-attr]


async def test_confirmation_request_in_structured_mode_is_an_error_result(
    fake: RecordingStripe, tmp_path: Path
) -> None:
    settings = settings_for(fake.url, tmp_path, confirm_writes=True)
    async with mcp_client(settings, structured_output=True) as client:
        held = error_text(
            await client.call_tool("call_stripe_api", {"method": "DELETE", "path": "/v1/customers/cus_1"})
        )
    assert json.loads(held)["status"] == "confirmation_required"
    assert fake.requests == []
