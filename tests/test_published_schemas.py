"""The schemas listed from `published_schemas.json` are exactly what the models give.

The server lists each tool's `inputSchema` (and each prompt's arguments) from the generated
file and builds the tool's argument model on its first call (`LazyTool`). These tests prove the
file is current, that `tools/list` and `prompts/list` are the same, key order included, with and
without it, in every mode that changes a schema, and that a call is validated by the same model.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import stripe_power.published
import stripe_power.server
from stripe_power.arguments import LazyTool
from stripe_power.prompts import published_prompt_arguments
from stripe_power.published import FILE, encode
from stripe_power.server import build_tools, generate_published_schemas

from .conftest import Connect, error_text, payload

MODES = [
    {"toolsets": "all"},
    {"toolsets": "default", "read_only": True},
    {"toolsets": "all", "connect": True},
    {"toolsets": "all", "confirm_writes": True},
    {"toolsets": "all", "connect": True, "confirm_writes": True},
]


def test_file_is_generated_from_the_current_tools() -> None:
    fresh = encode(generate_published_schemas() | published_prompt_arguments())
    assert FILE.read_text(encoding="utf-8") == fresh, "stale: run python scripts/gen_schemas.py"


async def _listed(connect: Connect, options: dict[str, Any]) -> tuple[str, str]:
    async with connect(**options) as client:
        tools = (await client.list_tools()).tools
        prompts = (await client.list_prompts()).prompts
    dump = lambda items: json.dumps(  # noqa: E731  (key order kept: it is what goes on the wire)
        [item.model_dump(by_alias=True, exclude_none=True, mode="json") for item in items]
    )
    return dump(tools), dump(prompts)


@pytest.mark.parametrize("options", MODES)
async def test_lists_are_identical_with_and_without_the_file(
    connect: Connect, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    published = await _listed(connect, options)
    with monkeypatch.context() as patch:
        patch.setattr(stripe_power.server, "published_schemas", dict)
        patch.setattr(stripe_power.published, "published_schemas", dict)
        built = await _listed(connect, options)
    assert published[0] == built[0]
    assert published[1] == built[1]
    assert '"inputSchema"' in published[0] and '"arguments"' in published[1]


def test_every_listed_tool_is_lazy_and_builds_the_same_model(tmp_path: Any) -> None:
    from .conftest import settings_for

    settings = settings_for("http://127.0.0.1:9", tmp_path)
    lazy = build_tools(settings, structured_output=False)
    eager = {tool.name: tool for tool in build_tools(settings, structured_output=False, published=False)}
    assert all(isinstance(tool, LazyTool) for tool in lazy)
    assert all("fn_metadata" not in tool.__dict__ for tool in lazy)  # nothing built for the list
    for tool in lazy:
        assert tool.fn_metadata.arg_model.model_json_schema() == (
            eager[tool.name].fn_metadata.arg_model.model_json_schema()
        )
        assert tool.context_kwarg == eager[tool.name].context_kwarg


async def test_a_call_is_validated_strictly_on_first_use(connect: Connect, fake: Any) -> None:
    fake.on("POST", "/v1/customers", {"id": "cus_1", "object": "customer", "email": "a@example.com"})
    async with connect(toolsets="default") as client:
        refused = await client.call_tool("create_customer", {"email": "a@example.com", "nmae": "A"})
        wrong_type = await client.call_tool("list_customers", {"limit": "3"})
        done = await client.call_tool("create_customer", {"email": "a@example.com"})
    assert refused.is_error and "Did you mean `name`?" in error_text(refused)
    assert wrong_type.is_error and "`limit`" in error_text(wrong_type)
    assert not done.is_error and payload(done)["id"].startswith("cus_")
    assert len(fake.requests) == 1  # only the valid call reached Stripe


async def _rendered(connect: Connect) -> tuple[str, str]:
    async with connect() as client:
        good = await client.get_prompt("accept_one_time_payment", {"product_name": "Mug", "amount": "2999"})
        with pytest.raises(Exception) as bad:  # as the SDK words it (the same without the file)
            await client.get_prompt("accept_one_time_payment", {"product_name": "Mug", "amount": "lots"})
    return good.messages[0].content.text, str(bad.value)  # type: ignore[union-attr]


async def test_prompt_arguments_are_checked_on_first_render(
    connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = await _rendered(connect)
    with monkeypatch.context() as patch:
        patch.setattr(stripe_power.published, "published_schemas", dict)
        built = await _rendered(connect)
    assert "$29.99" in published[0]  # "2999" converted to an int, as the SDK's validate_call does
    assert published == built
