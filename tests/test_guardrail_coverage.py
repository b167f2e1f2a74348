"""Guardrail coverage generated from Stripe's spec and from lists of formats (issue 13, classes 1-3).

Every request is sent through the MCP client to a recording fake of Stripe: a refusal is proven
by the fake's empty request log.
"""

from __future__ import annotations

import json
import random
import re
import string
from typing import Any

import pytest

from stripe_power import spec
from stripe_power.guardrails import find_card_number, redact_card_numbers, violation
from stripe_power.wire import canonical

from .conftest import Connect, error_text
from .fakes import RecordingStripe

# --- building requests from the spec ------------------------------------------------------------


def sample(schema: dict[str, Any]) -> Any:
    """A small valid value for a parameter schema: what a caller who read the spec would send."""
    schema = spec.deref(schema)
    branches = [spec.deref(b) for b in schema.get("anyOf", ())]
    if branches:
        return sample(next((b for b in branches if b.get("enum") != [""]), branches[0]))
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: sample(props[name]) for name in schema.get("required", ()) if name in props}
    if kind == "array":
        return [sample(schema.get("items", {}))]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return 1
    enum = [e for e in schema.get("enum", ()) if e != ""]
    return enum[0] if enum else "x"


def concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "obj_1", template)


def put(op: spec.Operation, params: dict[str, Any], place: tuple[str, ...], value: Any) -> None:
    """Set `value` at `place`, creating objects (or one-element lists of them) on the way."""
    node: Any = params
    for depth, name in enumerate(place[:-1]):
        schema = spec.lookup(op, ".".join(place[: depth + 1])) or {}
        is_array = any(spec.deref(b).get("type") == "array" for b in [schema, *schema.get("anyOf", ())])
        current = node.get(name)
        if is_array:
            if not isinstance(current, list) or not current or not isinstance(current[0], dict):
                node[name] = [{}]
            node = node[name][0]
        else:
            if not isinstance(current, dict):
                node[name] = {}
            node = node[name]
    node[place[-1]] = value


def minimal(op: spec.Operation) -> dict[str, Any]:
    params = sample(op.params)
    assert isinstance(params, dict)
    return params


PMT_CASES = [
    (key, place) for key, places in sorted(spec.holders("payment_method_types").items()) for place in places
]


def test_the_rules_read_exactly_what_the_spec_lists() -> None:
    from stripe_power.guardrails import _places

    for name, ops in _places().items():
        assert ops == {k: tuple(v) for k, v in spec.holders(name).items()}, name


def test_the_spec_lists_the_endpoints_the_hand_list_missed() -> None:
    keys = {key for key, _ in PMT_CASES}
    assert "POST /v1/payment_intents/{intent}/confirm" in keys
    assert "POST /v1/customers/{customer}/subscriptions" in keys
    assert len(PMT_CASES) >= 14


async def test_every_endpoint_with_payment_method_types_refuses_it(
    fake: RecordingStripe, connect: Connect
) -> None:
    """Generated from the spec: each operation whose request has `payment_method_types`, at each
    place it has it, is refused through call_stripe_api and nothing reaches Stripe."""
    missed = []
    async with connect() as client:
        for key, place in PMT_CASES:
            op = spec.operation(*key.split(" ", 1))
            assert op is not None
            params = minimal(op)
            put(op, params, place, ["card"])
            result = await client.call_tool(
                "call_stripe_api", {"method": op.method, "path": concrete(op.path), "params": params}
            )
            text = result.content[0].text  # type: ignore[union-attr]
            if not (result.is_error and "guardrail `payment-method-types`" in text):
                missed.append(f"{key} at {'.'.join(place)}: {text[:200]}")
    assert not missed, "\n".join(missed)
    assert fake.requests == []


def _schema_names(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            found.add(name)
            found |= _schema_names(sub)
        for value in node.values():
            if isinstance(value, (dict, list)):
                found |= _schema_names(value)
    elif isinstance(node, list):
        for item in node:
            found |= _schema_names(item)
    return found


async def test_no_typed_tool_can_carry_payment_method_types(connect: Connect) -> None:
    """The typed tools' inputs are Stripe's names: none takes `payment_method_types` at any depth,
    so call_stripe_api (proven above, endpoint by endpoint) is the only way to send it. A tool
    that adds it must be added to the generated test above."""
    async with connect() as client:
        tools = (await client.list_tools()).tools
    carriers = [
        t.name
        for t in tools
        if t.name != "call_stripe_api" and "payment_method_types" in _schema_names(t.input_schema)
    ]
    assert carriers == []


# --- Connect charge types: every holder the spec lists, together ---------------------------------
def _connect_places() -> dict[str, set[tuple[str, ...]]]:
    found: dict[str, set[tuple[str, ...]]] = {}
    for name in ("on_behalf_of", "transfer_data", "application_fee_amount", "application_fee_percent"):
        for key, places in spec.holders(name).items():
            found.setdefault(key, set()).update(p[:-1] for p in places)
    return found


CONNECT = _connect_places()


def _takes(op: spec.Operation, place: tuple[str, ...], dotted: str) -> bool:
    return spec.lookup(op, ".".join((*place, *dotted.split(".")))) is not None


def connect_cases() -> list[tuple[str, str, dict[str, Any], str | None]]:
    """(label, key, params, stripe_account) that must be refused, for every holder of every
    operation: on_behalf_of against another destination, a destination on a direct charge, and
    the same with every other holder present but empty (`{}`), which must hide nothing."""
    cases: list[tuple[str, str, dict[str, Any], str | None]] = []
    for key, places in sorted(CONNECT.items()):
        op = spec.operation(*key.split(" ", 1))
        assert op is not None
        # Nested holders that are plain objects: sent empty, they must not hide anything.
        empty = [
            p
            for p in places
            if len(p) == 1 and spec.deref(spec.lookup(op, p[0]) or {}).get("type") == "object"
        ]
        for place in sorted(places):
            if not _takes(op, place, "transfer_data.destination"):
                continue
            where = ".".join(place) or "top level"
            direct = minimal(op)
            put(op, direct, (*place, "transfer_data"), {"destination": "acct_B"})
            cases.append((f"{key} {where}: direct+destination", key, direct, "acct_D"))
            if _takes(op, place, "on_behalf_of"):
                mixed = minimal(op)
                put(op, mixed, (*place, "on_behalf_of"), "acct_A")
                put(op, mixed, (*place, "transfer_data"), {"destination": "acct_B"})
                cases.append((f"{key} {where}: on_behalf_of vs destination", key, mixed, None))
            for other in sorted(places - {place}):
                if _takes(op, other, "on_behalf_of"):
                    split = minimal(op)
                    for holder in empty:
                        put(op, split, holder, {})
                    put(op, split, (*other, "on_behalf_of"), "acct_A")
                    put(op, split, (*place, "transfer_data"), {"destination": "acct_B"})
                    label = f"{key} {where} vs {'.'.join(other) or 'top level'}: split holders"
                    cases.append((label, key, split, None))
    return cases


CONNECT_CASES = connect_cases()


def test_connect_cases_cover_the_spec() -> None:
    keys = {key for _, key, _, _ in CONNECT_CASES}
    assert {"POST /v1/checkout/sessions", "POST /v1/payment_links", "POST /v1/subscriptions",
            "POST /v1/invoices", "POST /v1/subscription_schedules"} <= keys  # fmt: skip
    labels = " ".join(label for label, *_ in CONNECT_CASES)
    assert "subscription_data" in labels and "payment_intent_data" in labels


async def test_every_connect_holder_is_checked(fake: RecordingStripe, connect: Connect) -> None:
    missed = []
    async with connect(connect=True) as client:
        for label, key, params, account in CONNECT_CASES:
            method, template = key.split(" ", 1)
            arguments: dict[str, Any] = {"method": method, "path": concrete(template), "params": params}
            if account:
                arguments["stripe_account"] = account
            result = await client.call_tool("call_stripe_api", arguments)
            text = result.content[0].text  # type: ignore[union-attr]
            # The Charges API is refused as a whole, before its parameters are read.
            expected = "charges-api" if template.startswith("/v1/charges") else "connect-charge-type"
            if not (result.is_error and f"guardrail `{expected}`" in text):
                missed.append(f"{label}: {text[:200]}")
    assert not missed, "\n".join(missed)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("path", "params", "account"),
    [
        ("/v1/payment_intents", {"amount": 100, "currency": "usd", "on_behalf_of": "acct_A",
                                 "transfer_data": {"destination": "acct_A"}, "application_fee_amount": 10}, None),
        ("/v1/payment_intents", {"amount": 100, "currency": "usd", "application_fee_amount": 10}, "acct_D"),
        ("/v1/checkout/sessions", {"mode": "subscription", "subscription_data": {
            "on_behalf_of": "acct_A", "transfer_data": {"destination": "acct_A"}}}, None),
        ("/v1/payment_links", {"on_behalf_of": "acct_A", "transfer_data": {"destination": "acct_A"},
                               "payment_intent_data": {}}, None),
    ],
)  # fmt: skip
def test_consistent_charge_types_pass(path: str, params: dict[str, Any], account: str | None) -> None:
    assert violation(canonical("POST", path, params), stripe_account=account) is None


# --- card numbers: formats from a list, precision from the spec's fixtures ------------------------
PANS = ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117", "4000056655665556"]
SEPARATORS = [" ", "-", ".", "/", "  ", " - ", "\u00a0 \u2007 \u00a0", "\u00a0", "\u2009", "\u202f", "\u3000", "\u2013", "\u2014",
              "\u2212", "_", ",", "\u200b", "\t", "\n"]  # fmt: skip
GLUE = [("", ""), ("card", ""), ("", "x"), ("abc", "def"), ("x_", "_y"), ("pi_", ""), ("#", "!")]


def spaced(pan: str, sep: str, groups: tuple[int, ...] = (4, 4, 4, 4)) -> str:
    parts, at = [], 0
    for size in groups:
        parts.append(pan[at : at + size])
        at += size
    parts.append(pan[at:])
    return sep.join(p for p in parts if p)


FORMATS = [
    f"{before}{spaced(pan, sep)}{after}" for pan in PANS for sep in SEPARATORS for before, after in GLUE
] + ["４２４２４２４２４２４２４２４２", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "4242 4242 4242 4242 and 1700000000"]


@pytest.mark.parametrize("text", FORMATS)
def test_card_numbers_are_found_and_redacted_in_every_format(text: str) -> None:
    assert find_card_number(text) is not None
    redacted = redact_card_numbers(text)
    assert "[card number redacted]" in redacted
    assert find_card_number(redacted) is None
    digits = "".join(c for c in redacted if c.isdecimal())
    assert len(digits) <= 10  # nothing of the PAN is left (at most the trailing timestamp)


async def test_card_number_in_any_format_never_reaches_stripe_or_the_audit_log(
    fake: RecordingStripe, connect: Connect, tmp_path: Any
) -> None:
    sent = FORMATS[:: max(1, len(FORMATS) // 40)]
    async with connect() as client:
        for text in sent:
            message = error_text(await client.call_tool(
                "call_stripe_api", {"method": "POST", "path": "/v1/customers", "params": {"description": text}}
            ))  # fmt: skip
            assert "guardrail `raw-card-data`" in message
    lines = [json.loads(line) for line in (tmp_path / "state" / "audit.jsonl").read_text().splitlines()]
    requests = [line for line in lines if "path" in line]  # the Gateway's lines (tool-call lines too)
    assert [line["refused"] for line in requests] == ["raw-card-data"] * len(sent)
    assert [line["params"]["description"] for line in requests] == [redact_card_numbers(t) for t in sent]
    assert [text for line in lines for text in _every_string(line) if find_card_number(text)] == []
    assert fake.requests == []


def _every_string(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, int) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_every_string(v))]
    if isinstance(value, list):
        return [s for item in value for s in _every_string(item)]
    return []


def test_no_false_positives_on_stripe_fixtures_ids_and_timestamps() -> None:
    fixtures = spec.fixtures()
    texts = [s for obj in fixtures.values() for s in _every_string(obj)]
    assert len(fixtures) > 100 and len(texts) > 5000
    rng = random.Random(13)
    alphabet = string.ascii_letters + string.digits
    prefixes = [
        "pi",
        "cus",
        "ch",
        "in",
        "sub",
        "price",
        "prod",
        "re",
        "tr",
        "po",
        "acct",
        "evt",
        "pm",
        "seti",
    ]
    ids = [f"{rng.choice(prefixes)}_{''.join(rng.choices(alphabet, k=24))}" for _ in range(20000)]
    stamps = [str(rng.randrange(1_000_000_000, 4_102_444_800)) for _ in range(5000)]
    together = [" ".join(stamps[i : i + 3]) for i in range(0, 300, 3)]
    found = [t for t in [*texts, *ids, *stamps, *together] if find_card_number(t)]
    assert found == []
    assert all(
        violation(canonical("POST", "/v1/customers", {"metadata": {"id": i}})) is None for i in ids[:500]
    )


def test_readme_security_section_names_every_rule() -> None:
    from pathlib import Path

    from stripe_power.guardrails import RULES

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Security", 1)[1].split("\n## ", 1)[0]
    missing = [r.id for r in RULES if f"`{r.id}`" not in section and r.id != "spending-limit"]
    assert missing == []
    assert "--max-amount" in section and "--max-daily-refunds" in section  # spending-limit
