"""Fuzzing every registered tool with hypothesis: random and malformed arguments (wrong types, huge
strings, negative and enormous amounts, numbers past 64 bits and of thousands of digits, values
nested 150 deep, unicode, injected path segments, form-key brackets, nulls, extra keys) must give a normal result or a tool error that names the parameter; never a crash,
never a protocol error, and nothing reaches Stripe (the recording fake) when the input is invalid.

How hypothesis is driven: the tests are plain sync `@given` tests, so shrinking, the example
database, `--hypothesis-profile` and `derandomize` all work as usual. The MCP client lives in an
anyio blocking portal (an event loop in a helper thread) that is opened once per test function;
each example is one `portal.call(...)`. Entering and leaving the client happens in the portal's own
task, so anyio's cancel scopes stay in one task. Profiles (tests/conftest.py): `ci` is the default
(25 examples per tool, or `FUZZ_EXAMPLES`; derandomized, so a CI run is reproducible), `long` is
`--hypothesis-profile=long` (1000 per tool, random, with the example database).

Validity is decided the way the server decides it (unknown argument names, then the tool's full
pydantic model), so the oracle is exact: invalid input must be refused by name with no request
sent; valid input may reach the fake, which answers 404 to everything.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import given
from hypothesis import strategies as st
from mcp.client import Client
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult
from pydantic import ValidationError

from stripe_power.config import Settings
from stripe_power.server import build_tools
from stripe_power.tools import TOOLSETS

from .conftest import mcp_client, settings_for
from .fakes import RecordingStripe, recording_stripe

CALL_TIMEOUT = 30.0

INJECTIONS = [
    "../charges",
    "cus_1/../../v1/charges",
    "cus_1/../charges",
    "/v1/charges",
    "..",
    ".",
    "cus_1%2F..%2Fcharges",
    "cus_%2e%2e",
    "cus_1?expand[]=customer",
    "cus_1#frag",
    "cus_1\n",
    "cus_1\r\nX-Injected: 1",
    "cus_1\x00",
    "cus_\u202e1",
    "ｃｕｓ_１",
    "cus_١٢٣",
    "pi_1/capture",
    "price_1/../../charges",
    "https://evil.example/v1/customers",
    "metadata[a][b]",
    "payment_method_types[0]",
    "4242424242424242",
    "sk_test_" + "A" * 24,
    "",
    " ",
    "null",
    "🙂" * 50,
]
BRACKET_KEYS = ["metadata[a][b]", "a][b", "a]", "[", "payment_method_types[0]", "card[number]", "x[]"]
NUMBERS = [-1, -(2**31), -(2**63), 0, 2**31, 2**53 + 1, 2**63, 10**30, 99_999_999, 100_000_000]  # fmt: skip

# Past 64 bits, and up to the 4000 digits a JSON client sends (over stdio and HTTP the parser
# refuses more: "number out of range"); a 5000-digit one is in HOSTILE_CASES.
HUGE_NUMBERS = [2**63, -(2**63) - 1, 10**30, 10**400, -(10**4000), 1e308, -1e308, "9" * 5000, "1e309"]


def nested(depth: int, list_of: bool) -> Any:
    """A value nested `depth` levels deep: {"a": {"a": ...}} or [[...]]."""
    value: Any = "x"
    for _ in range(depth):
        value = [value] if list_of else {"a": value}
    return value


# Nesting deep enough to break a recursive walk, within what a JSON client serializes (~200).
DEEP: st.SearchStrategy[Any] = st.builds(nested, st.integers(20, 150), st.booleans())

HOSTILE: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(NUMBERS),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),  # JSON cannot carry NaN/inf: they arrive as null
    st.sampled_from(INJECTIONS),
    st.text(max_size=30),
    st.just("x" * 100_000),
    st.lists(st.sampled_from(INJECTIONS) | st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(BRACKET_KEYS) | st.text(max_size=8), st.text(max_size=8), max_size=3),
    st.sampled_from(HUGE_NUMBERS),
    DEEP,
)
EXTRA_KEYS = st.dictionaries(
    st.sampled_from(["payment_method_types", "metadata[a][b]", "api_key", "stripe_version", "__proto__"])
    | st.text(min_size=1, max_size=12),
    HOSTILE,
    min_size=1,
    max_size=2,
)


def from_schema(schema: dict[str, Any], defs: dict[str, Any], chaos: bool) -> st.SearchStrategy[Any]:
    """Values shaped by a parameter's full JSON schema (bounds included), sometimes just outside
    them; with `chaos`, any node may be replaced by a hostile value."""
    valid = _shaped(schema, defs, chaos)
    return st.one_of(valid, HOSTILE) if chaos else valid


def _shaped(schema: dict[str, Any], defs: dict[str, Any], chaos: bool) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, chaos)
    if "anyOf" in schema:
        return st.one_of([from_schema(option, defs, chaos) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        edges = [n for n in (low, high) if n is not None]
        edges += [n + d for n in edges for d in (-1, 1)]
        return st.integers(low, high) | st.sampled_from(edges or [0])
    if kind == "number":
        return st.floats(allow_nan=False)
    if kind == "string":
        if "pattern" in schema:
            shaped = st.from_regex(schema["pattern"], fullmatch=True)
        else:
            shaped = st.text(
                min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40)
            )
        if "maxLength" in schema:
            shaped |= st.just("a" * (schema["maxLength"] + 1))
        return shaped
    if kind == "array":
        items = from_schema(schema.get("items", {}), defs, chaos)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 3), 3))
    if kind == "object":
        properties = schema.get("properties")
        if properties:
            required = set(schema.get("required", []))
            return st.fixed_dictionaries(
                {k: from_schema(v, defs, chaos) for k, v in properties.items() if k in required},
                optional={k: from_schema(v, defs, chaos) for k, v in properties.items() if k not in required},
            )
        extra = schema.get("additionalProperties")
        values = from_schema(extra, defs, chaos) if isinstance(extra, dict) else st.text(max_size=10)
        return st.dictionaries(st.text(max_size=12) | st.sampled_from(BRACKET_KEYS), values, max_size=3)
    return HOSTILE


@st.composite
def tool_arguments(draw: st.DrawFn, schema: dict[str, Any]) -> dict[str, Any]:
    """Arguments for one call: all shaped by the schema, or one parameter hostile, or chaos."""
    defs = schema.get("$defs", {})
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    mode = draw(st.sampled_from(["shaped", "one_bad", "chaos"]))
    bad = draw(st.sampled_from(sorted(properties))) if mode == "one_bad" and properties else None
    arguments: dict[str, Any] = {}
    for name, sub in properties.items():
        if name == bad:
            include = True
        else:
            include = draw(st.integers(0, 9)) > 0 if name in required else draw(st.booleans())
        if include:
            arguments[name] = draw(HOSTILE if name == bad else from_schema(sub, defs, mode == "chaos"))
    if mode != "shaped" and draw(st.integers(0, 3)) == 0:
        arguments.update(draw(EXTRA_KEYS))
    return arguments


def fuzz_settings(fake_url: str, tmp_path: Path) -> Settings:
    """Every tool registered: Connect's stripe_account on all, the webhook receiver's tool and the
    sandbox's test helper."""
    settings = settings_for(fake_url, tmp_path, connect=True, sandbox=True)
    return dataclasses.replace(settings, webhook_receiver=True, webhook_secrets=("whsec_" + "f" * 32,))


ALL_TOOLS = [spec.name for toolset in TOOLSETS for spec in toolset.tools]


@dataclasses.dataclass
class Harness:
    portal: BlockingPortal
    client: Client
    fake: RecordingStripe
    tools: dict[str, Tool]

    def call(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        async def call() -> CallToolResult:
            with anyio.fail_after(CALL_TIMEOUT):
                return await self.client.call_tool(name, arguments)

        return self.portal.call(call)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """One fake, one server, one MCP client for the module: every example of every tool (starting
    a server costs ~0.3 s, more than 25 examples). Examples stay independent: the tools keep no
    state between calls that matters here, and the fake's log is cleared before each call."""
    with ExitStack() as stack:
        fake = stack.enter_context(recording_stripe())
        settings = fuzz_settings(fake.url, tmp_path_factory.mktemp("fuzz"))
        portal = stack.enter_context(start_blocking_portal())
        client = stack.enter_context(portal.wrap_async_context_manager(mcp_client(settings)))
        tools = {tool.name: tool for tool in build_tools(settings, structured_output=False)}
        yield Harness(portal, client, fake, tools)


def offending_parameters(tool: Tool, arguments: dict[str, Any]) -> set[str] | None:
    """The parameters the server must name if it refuses these arguments; None if they are valid."""
    declared = tool.parameters.get("properties", {})
    unknown = {name for name in arguments if name not in declared}
    if unknown:
        return unknown  # `payment_method_types` first (its guardrail message), else any of them
    try:
        tool.fn_metadata.validate_arguments(dict(arguments))
    except ValidationError as error:
        return {str(item["loc"][0]) if item["loc"] else "(arguments)" for item in error.errors()}
    return None


def keys_with_brackets(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [str(k) for k in value if "[" in str(k) or "]" in str(k)]
        return own + [k for v in value.values() for k in keys_with_brackets(v)]
    if isinstance(value, list):
        return [k for v in value for k in keys_with_brackets(v)]
    return []


SAFE_PATH = re.compile(r"/v1(/[A-Za-z0-9_\-]+)+")
CRASH = re.compile(r"^Error executing tool \w+:?\s*$")


def check_call(harness: Harness, name: str, arguments: dict[str, Any]) -> None:
    harness.fake.requests.clear()
    result = harness.call(name, arguments)  # a protocol error raises here and fails the test
    sent = list(harness.fake.requests)
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    assert not CRASH.match(text.strip()), f"crash: {text!r} for {arguments!r}"
    offending = offending_parameters(harness.tools[name], arguments)
    if offending is not None:
        assert result.is_error, f"invalid arguments accepted: {arguments!r} -> {text[:300]}"
        assert not sent, f"invalid input reached Stripe: {[(r.method, r.path, r.form) for r in sent]}"
        assert any(f"`{param}" in text for param in offending), f"{text[:300]!r} names none of {offending}"
        return
    if result.is_error:
        assert len(text) > len(f"Error executing tool {name}: ") + 10, text
    for request in sent:  # valid input may reach Stripe, but only as a clean request
        assert SAFE_PATH.fullmatch(request.path), f"unsafe path {request.path!r} from {arguments!r}"
        assert not (request.method == "POST" and "/charges" in request.path), request.path
    if brackets := keys_with_brackets(arguments):
        assert not sent, f"form-key brackets {brackets} reached Stripe: {[r.form for r in sent]}"


@pytest.mark.parametrize("name", ALL_TOOLS)
@given(data=st.data())
def test_tool_survives_malformed_arguments(harness: Harness, name: str, data: st.DataObject) -> None:
    schema = harness.tools[name].fn_metadata.arg_model.model_json_schema()
    arguments = data.draw(tool_arguments(schema), label="arguments")
    try:
        check_call(harness, name, arguments)
    except BaseException as error:
        # Hypothesis may report a failure it cannot replay through the live server as
        # FlakyStrategyDefinition; the failure itself is then in the captured stderr.
        print(f"fuzz failure for {name}: {error!r}"[:3000], file=sys.stderr)
        raise


HOSTILE_CASES = [
    pytest.param(
        "create_customer",
        {"metadata": {"a][b": "x"}},
        id="metadata-key-brackets",
    ),
    pytest.param(
        "call_stripe_api",
        {"method": "POST", "path": "/v1/payment_intents", "params": {"payment_method_types[0]": "card"}},
        id="generic-api-bracket-keys",
    ),
    pytest.param(
        "send_test_webhook",
        {"type": "checkout.session.completed", "url": "http://]"},
        id="send-test-webhook-bad-url",
    ),
    pytest.param("retrieve_customer", {"customer": "cus_1/../../v1/charges"}, id="path-injection"),
    pytest.param("create_refund", {"payment_intent": "pi_1", "amount": -1}, id="negative-amount"),
    pytest.param("create_price", {"unit_amount": 10**30, "currency": "usd"}, id="enormous-amount"),
    pytest.param("create_refund", {"payment_intent": "pi_1", "amount": 10**5000}, id="5000-digit-amount"),
    pytest.param(
        "call_stripe_api",
        {"method": "POST", "path": "/v1/customers", "params": {"balance": 10**4000}},
        id="generic-4000-digit-integer",
    ),
    pytest.param(
        "call_stripe_api",
        {"method": "POST", "path": "/v1/customers", "params": {"metadata": nested(150, False)}},
        id="generic-metadata-150-deep",
    ),
    pytest.param(
        "call_stripe_api",
        {"method": "GET", "path": "/v1/customers", "params": {"expand": nested(150, True)}},
        id="generic-expand-150-deep",
    ),
    pytest.param("create_customer", {"metadata": nested(150, False)}, id="metadata-150-deep"),
]


@pytest.mark.parametrize(("name", "arguments"), HOSTILE_CASES)
def test_known_hostile_inputs(harness: Harness, name: str, arguments: dict[str, Any]) -> None:
    """Inputs the fuzzer found or must always cover; the xfails are open bugs (strict: they flip)."""
    check_call(harness, name, arguments)


def test_every_registered_tool_is_fuzzed(harness: Harness) -> None:
    assert sorted(harness.tools) == sorted(ALL_TOOLS)
