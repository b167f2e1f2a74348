"""Fuzzing the sandbox over Stripe's spec: no request, however wrong, gets a 500.

Every operation in `spec3.json` that the sandbox routes is a target. Hypothesis builds requests
from the operation's own parameter schema (right names with right or wrong shapes, unknown names,
empty strings, nested junk, missing required parameters) and sends them over HTTP as the SDK would
(form encoding with brackets), with keys nested hundreds of levels deep and numbers of thousands of
digits among the junk. The oracle:

- the sandbox answers with Stripe's error shape (`{"error": {"type", "message"}}`) and a 4xx, or a
  2xx, never a 5xx (docs.stripe.com/api/errors: 5xx means Stripe's servers failed);
- when `spec.check` finds a problem, the answer is 400 naming that problem's `param` (Stripe
  validates the request before it looks anything up).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stripe_power import spec
from stripe_power.sandbox import SandboxServer
from stripe_power.sandbox.core.app import Sandbox
from stripe_power.sandbox.core.forms import FormError, parse_pairs

ERROR_TYPES = {"invalid_request_error", "card_error", "idempotency_error", "api_error"}


def _served() -> list[spec.Operation]:
    router = Sandbox().router
    found = []
    for op in spec.operations():
        concrete = op.path.replace("{", "x_").replace("}", "")
        if op.method in ("GET", "POST", "DELETE") and router.match(op.method, concrete) is not None:
            found.append(op)
    return sorted(found, key=lambda o: o.key)


SERVED = _served()

# Numbers no Stripe parameter holds: past 64 bits, past float range, past the 4300 digits Python
# converts by default.
HUGE_NUMBERS = ["9" * 5000, "-" + "9" * 20, str(2**63), "1e309", "9" * 400 + ".5", "0." + "0" * 5000 + "1"]
NOT_FINITE = ["9" * 5000, "1e309", "-1e309", "9" * 400 + ".5"]  # decimals that overflow a float


def _nested(depth: int, list_of: bool) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value] if list_of else {"a": value}
    return value


# Keys nested past any parameter (Stripe's deepest nests 8 levels) and past a recursive walk's reach.
_deep = st.builds(_nested, st.integers(9, 700), st.booleans())

_junk = (
    st.recursive(
        st.one_of(
            st.text(max_size=12), st.sampled_from(["", "true", "-1", "0", "1e9", "x" * 6000, *HUGE_NUMBERS])
        ),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3)
        ),
        max_leaves=6,
    )
    | _deep
)


def _scalar(schema: spec.Schema) -> st.SearchStrategy[Any]:
    kind = schema.get("type")
    if schema.get("enum"):
        return st.sampled_from([str(e) for e in schema["enum"]])
    if kind == "integer":
        return st.integers(-(10**12), 10**12).map(str) | st.sampled_from(HUGE_NUMBERS)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False).map(str) | st.sampled_from(HUGE_NUMBERS)
    if kind == "boolean":
        return st.sampled_from(["true", "false"])
    return st.text(max_size=20)


def _value(schema: spec.Schema, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value shaped by `schema` most of the time, junk otherwise."""
    schema = spec.deref(schema)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        return st.one_of([_value(b, depth) for b in branches[:3]])
    kind = schema.get("type")
    if kind == "object" and depth < 3:
        props = schema.get("properties", {})
        if props:
            names = sorted(props)
            shaped = st.lists(st.sampled_from(names), max_size=3, unique=True).flatmap(
                lambda keys: st.fixed_dictionaries({k: _value(props[k], depth + 1) for k in keys})
            )
        else:
            shaped = st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=3)
        return st.one_of(shaped, _junk)
    if kind == "array" and depth < 3:
        return st.one_of(st.lists(_value(schema.get("items", {}), depth + 1), max_size=2), _junk)
    return st.one_of(_scalar(schema), _scalar(schema), _junk)


@st.composite
def _request(draw: st.DrawFn) -> tuple[spec.Operation, dict[str, Any]]:
    op = draw(st.sampled_from(SERVED))
    props = op.params.get("properties", {})
    names = sorted(props)
    chosen = draw(st.lists(st.sampled_from(names), max_size=4, unique=True)) if names else []
    params = {name: draw(_value(props[name])) for name in chosen}
    if draw(st.booleans()):
        params.update(draw(st.dictionaries(st.text(min_size=1, max_size=10), _junk, max_size=2)))
    return op, params


def _pairs(value: Any, prefix: str) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _pairs(v, f"{prefix}[{k}]")]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in _pairs(v, f"{prefix}[{i}]")]
    return [(prefix, str(value))]


def _encode(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [pair for k, v in params.items() for pair in _pairs(v, k)]


@pytest.fixture(scope="module")
def http(sandbox: SandboxServer) -> Any:
    key = "sk_test_" + uuid.uuid4().hex
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as c:
        yield c


def test_the_fuzz_targets_cover_what_the_sandbox_serves() -> None:
    keys = {op.key for op in SERVED}
    assert len(SERVED) >= 60
    for key in ("POST /v1/customers", "POST /v1/invoiceitems", "GET /v1/payment_intents/{intent}"):
        assert key in keys


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=_request(), ident=st.sampled_from(["x", "cus_nope", "pi_nope", "", "%2E%2E"]))
def test_every_bad_request_gets_a_stripe_shaped_4xx(http: httpx.Client, request: Any, ident: str) -> None:
    op, params = request
    path = op.path
    for name in op.path_params:
        path = path.replace("{" + name + "}", ident or "x")
    pairs = _encode(params)
    if op.method == "POST":
        body = urlencode(pairs)
        r = http.post(path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        r = http.request(op.method, path, params=pairs)
    assert r.status_code < 500, (op.key, params, r.text[:300])
    if r.status_code >= 400:
        err = r.json()["error"]
        assert err["type"] in ERROR_TYPES and err["message"], (op.key, params, err)
    try:
        decoded = parse_pairs(pairs)
    except FormError:  # a key such as `a]b[`: Stripe refuses the form itself
        assert r.status_code == 400, (op.key, params, r.text[:300])
        return
    resolved = spec.resolve(op.method, path)
    problems = spec.check(resolved, decoded, wire=True) if resolved is not None else []
    if problems:
        assert r.status_code == 400, (op.key, decoded, r.text[:300])
        assert r.json()["error"].get("param") == problems[0].param, (op.key, decoded, r.text[:300])


# -- deep nesting and huge numbers on every served operation ---------------------------------


def _first_param(op: spec.Operation, kind: str) -> str | None:
    props = op.params.get("properties", {})
    for name in sorted(props):
        schema = spec.deref(props[name])
        branches = [spec.deref(b) for b in schema.get("anyOf", [schema])]
        if any(b.get("type") == kind for b in branches):
            return name
    return None


def _send(http: httpx.Client, op: spec.Operation, pairs: list[tuple[str, str]]) -> httpx.Response:
    path = op.path
    for name in op.path_params:
        path = path.replace("{" + name + "}", "x")
    if op.method == "POST":
        body = urlencode(pairs)
        return http.post(path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    return http.request(op.method, path, params=pairs)


@pytest.mark.parametrize("op", SERVED, ids=lambda op: op.key)
def test_deep_keys_and_huge_numbers_are_400_on_every_operation(
    http: httpx.Client, op: spec.Operation
) -> None:
    """500 levels of `metadata` (`expand` on reads) and of the first parameter, a 5000-digit list
    index, and each huge number in the first integer and decimal parameter: a 400, never a 500."""
    first = sorted(op.params.get("properties", {}) or {"metadata": {}})[0]
    deep = ("expand", first) if op.method == "GET" else ("metadata", first)  # one parser for every key
    cases: list[tuple[str, list[tuple[str, str]]]] = [(name, [(name + "[a]" * 500, "x")]) for name in deep]
    cases.append((first, [(f"{first}[{'9' * 5000}][a]", "x")]))
    for kind, values in (("integer", HUGE_NUMBERS), ("number", NOT_FINITE)):
        name = _first_param(op, kind)
        if name is not None:
            cases += [(name, [(name, value)]) for value in values]
    for name, pairs in cases:
        answer = _send(http, op, pairs)
        assert answer.status_code == 400, (op.key, pairs[0][0][:60], pairs[0][1][:40], answer.text[:300])
        error = answer.json()["error"]
        assert error["type"] == "invalid_request_error" and error["message"], (op.key, error)
        assert str(error.get("param", name)).startswith(name) or op.path_params, (op.key, name, error)
