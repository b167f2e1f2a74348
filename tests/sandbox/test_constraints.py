"""The description-only rules (`sandbox/core/constraints.py`), tested from the table itself.

For every row: a request built from the spec (its required parameters, sample values of the
right type) and made to break the row is refused with the row's message and parameter, and the
account is left unchanged; the same request with any one condition undone is not refused by that
row (the sandbox is not stricter than the rule). Each row names its source (the spec's
description, or a Stripe docs page); a test checks every row names an operation and parameters
the spec has.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from stripe_power import spec
from stripe_power.sandbox import SandboxServer
from stripe_power.sandbox.core import constraints as c
from stripe_power.sandbox.core.store import Account, at_time

from .billing_setup import DAY, T0

RULES = c.table()


def _id(rule: c.Rule) -> str:
    scope = f"{rule.scope}." if rule.scope else ""
    return f"{rule.operation} {scope}{rule.param}"


def _sample(node: spec.Schema, name: str = "") -> Any:
    """A minimal value of the schema's type, in wire form."""
    node = spec.deref(node)
    if "anyOf" in node:
        return _sample(_branch(node), name)
    if name == "currency":
        return "usd"
    if name.endswith("url"):  # web addresses are checked (http or https)
        return "https://example.com/x"
    if node.get("format") == "unix-time":  # a time ahead of the test clock
        return str(T0 + DAY)
    kind = node.get("type")
    if node.get("enum"):
        return next(v for v in node["enum"] if v != "")
    if kind in ("integer", "number"):
        return "1"
    if kind == "boolean":
        return "true"
    if kind == "array":
        return [_sample(node.get("items", {}))]
    if kind == "object":
        props = node.get("properties", {})
        if not props:  # a map (metadata)
            return {"key": "value"}
        required = node.get("required", [])
        if not required:  # an empty hash is not sent at all: give it one plain field
            plain = [k for k, v in props.items() if _branch(v).get("type") in ("string", "integer")]
            required = plain[:1] or list(props)[:1]
        return {k: _sample(v, k) for k, v in props.items() if k in required}
    return "x"


def _branch(node: spec.Schema) -> spec.Schema:
    """The branch of an anyOf that is not the empty string (Stripe's "unset")."""
    node = spec.deref(node)
    branches = [spec.deref(b) for b in node.get("anyOf", [node])]
    return next(b for b in branches if b.get("enum") != [""])


def _op(rule: c.Rule) -> spec.Operation:
    method, path = rule.operation.split(" ", 1)
    op = spec.operation(method, path)
    assert op is not None, rule.operation
    return op


def _schema(op: spec.Operation, scope: list[str], key: str) -> spec.Schema:
    names = [s for s in scope if s != "*"]
    found = spec.lookup(op, ".".join([*names, key]))
    assert found is not None, (op.key, scope, key)
    return found


def _scoped(params: dict[str, Any], op: spec.Operation, scope: list[str]) -> dict[str, Any]:
    """The object at `scope` in `params`, made where missing (one element for each list)."""
    node: Any = params
    names: list[str] = []
    for i, part in enumerate(scope):
        if part == "*":
            continue
        names.append(part)
        is_list = i + 1 < len(scope) and scope[i + 1] == "*"
        if part not in node:
            sample = _sample(spec.lookup(op, ".".join(names)) or {}, part)
            node[part] = sample if is_list else (sample if isinstance(sample, dict) else {})
        node = node[part][0] if is_list else node[part]
    assert isinstance(node, dict)
    return node


def _other(op: spec.Operation, scope: list[str], key: str, avoid: frozenset[str]) -> str:
    node = _branch(_schema(op, scope, key))
    choices = {"boolean": ["true", "false"], "string": ["usd"]}.get(node.get("type", ""), [])
    return next(v for v in node.get("enum") or choices if v not in avoid)


def _break(
    cond: Any, obj: dict[str, Any], op: spec.Operation, scope: list[str], root: dict[str, Any]
) -> None:
    """Make `cond` hold on `obj` (a `Root` condition: on the request's top level, `root`)."""
    if isinstance(cond, c.Root):
        _break(cond.cond, root, op, [], root)
    elif isinstance(cond, c.Given):
        obj[cond.key] = _sample(_schema(op, scope, cond.key), cond.key)
    elif isinstance(cond, c.Missing):
        obj.pop(cond.key, None)
    elif isinstance(cond, c.Other):
        obj[cond.key] = _other(op, scope, cond.key, cond.allowed)
    elif isinstance(cond, c.Is):
        obj[cond.key] = sorted(cond.values)[0]
    elif isinstance(cond, c.MoreThan):
        item = _sample(_branch(_schema(op, scope, cond.key)).get("items", {}))
        obj[cond.key] = [item] * (cond.limit + 1)
    elif isinstance(cond, c.Before):
        obj[cond.key] = str(T0 - DAY)
    elif isinstance(cond, c.Beyond):
        obj[cond.key] = str(T0 + cond.seconds + DAY)
    elif isinstance(cond, c.NotMultiple):
        obj[cond.key] = str(cond.of * 100 + 1)
    elif isinstance(cond, c.Unmatched):
        obj[cond.key] = "bad-prefix"
    elif isinstance(cond, c.Includes):
        obj.pop(cond.key, None) if cond.absent_has else obj.update({cond.key: [cond.value]})
    elif isinstance(cond, c.Unknown):
        obj[cond.key] = ["not_an.event_type"]
    else:
        raise AssertionError(f"no way to break {cond!r}")


def _undo(cond: Any, obj: dict[str, Any], op: spec.Operation, scope: list[str], root: dict[str, Any]) -> None:
    """Make `cond` fail on `obj` (the rule's other conditions untouched)."""
    if isinstance(cond, c.Root):
        _undo(cond.cond, root, op, [], root)
    elif isinstance(cond, c.Given):
        obj.pop(cond.key, None)
    elif isinstance(cond, c.Missing):
        obj[cond.key] = _sample(_schema(op, scope, cond.key), cond.key)
    elif isinstance(cond, c.Other):
        obj[cond.key] = sorted(cond.allowed)[0]
    elif isinstance(cond, c.Is):
        obj[cond.key] = _other(op, scope, cond.key, cond.values)
    elif isinstance(cond, c.MoreThan):
        obj[cond.key] = obj[cond.key][: cond.limit]
    elif isinstance(cond, c.Before | c.Beyond):
        obj[cond.key] = str(T0 + DAY)
    elif isinstance(cond, c.NotMultiple):
        obj[cond.key] = str(cond.of * 100)
    elif isinstance(cond, c.Unmatched):
        obj[cond.key] = "ABC123"
    elif isinstance(cond, c.Includes):
        obj[cond.key] = [f"not_{cond.value}"]
    elif isinstance(cond, c.Unknown):
        obj[cond.key] = ["*"]
    else:
        raise AssertionError(f"no way to undo {cond!r}")


def _key(cond: Any) -> str | None:
    key = _key(cond.cond) if isinstance(cond, c.Root) else getattr(cond, "key", None)
    return key if isinstance(key, str) else None


def _keys(rule: c.Rule) -> set[str]:
    return {k for cond in rule.when if (k := _key(cond)) is not None}


class World:
    """The objects the generated requests point at: a customer on a test clock at T0 (so the
    timestamp rules are judged at the clock's time, not the wall clock's) and its draft invoice."""

    def __init__(self, client: stripe.StripeClient) -> None:
        clock = client.v1.test_helpers.test_clocks.create({"frozen_time": T0})
        self.customer = client.v1.customers.create({"test_clock": clock.id}).id
        self.invoice = client.v1.invoices.create({"customer": self.customer}).id
        pm = client.v1.payment_methods.attach("pm_card_visa", {"customer": self.customer})
        price = client.v1.prices.create(
            {
                "currency": "usd",
                "unit_amount": 1000,
                "recurring": {"interval": "month"},
                "product_data": {"name": "P"},
            }
        )
        self.subscription = client.v1.subscriptions.create(
            {
                "customer": self.customer,
                "items": [{"price": price.id}],
                "default_payment_method": pm.id,
            }
        ).id

    def request(self, rule: c.Rule) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
        """(method, path, params, the scoped object) breaking `rule`, and no other row of its operation."""
        op = _op(rule)
        path = op.path
        for name in op.path_params:
            ours = {"invoice": self.invoice, "subscription_exposed_id": self.subscription}
            path = path.replace("{" + name + "}", ours.get(name, "x_1"))
        required = op.params.get("required", [])
        params: dict[str, Any] = {k: _sample(op.params["properties"][k], k) for k in required}
        if "customer" in op.params["properties"]:  # the request lives at the clock's time
            params["customer"] = self.customer
        scope = rule.scope.split(".") if rule.scope else []
        obj = _scoped(params, op, scope)
        for cond in rule.when:
            _break(cond, obj, op, scope, params)
        _quiet_others(rule, params, op)
        return op.method, path, params, obj


def _quiet_others(rule: c.Rule, params: dict[str, Any], op: spec.Operation) -> None:
    """Undo, in another row of the same operation that the request also breaks, one condition on
    a key this row does not read (so the refusal seen is this row's)."""
    mine = _keys(rule)
    empty = Account("sk_test_none")
    for other in RULES:
        if other is rule or other.operation != rule.operation:
            continue
        scope = other.scope.split(".") if other.scope else []
        for _, obj in c._objects(params, scope, ()):
            with at_time(T0):
                broken = all(cond.holds(obj, empty, params) for cond in other.when)
            if broken:
                cond = next(x for x in other.when if _key(x) not in mine)
                _undo(cond, obj, op, scope, params)


def _count(sandbox: SandboxServer, api_key: str) -> int:
    with sandbox.sandbox.state.lock:
        return len(sandbox.sandbox.state.account(api_key).objects)


def _send(client: stripe.StripeClient, method: str, path: str, params: dict[str, Any]) -> Any:
    return client.raw_request(method.lower(), path, **params)


def _refused_by(err: stripe.InvalidRequestError, rule: c.Rule, where: str) -> bool:
    return bool(err.param == where and err.user_message == rule.message)


def _refuses(
    client: stripe.StripeClient, method: str, path: str, params: dict[str, Any], rule: c.Rule, where: str
) -> bool:
    """Whether the request is refused by `rule` (any other answer, success or error, is not)."""
    try:
        _send(client, method, path, params)
    except stripe.InvalidRequestError as err:
        return _refused_by(err, rule, where)
    except stripe.StripeError:
        return False
    return False


def _where(rule: c.Rule, params: dict[str, Any], obj: dict[str, Any]) -> str:
    scope = rule.scope.split(".") if rule.scope else []
    found = next(w for w, o in c._objects(params, scope, ()) if o is obj)
    return spec.bracketed((*found, rule.param))


def test_every_row_names_an_operation_and_parameters_the_spec_has() -> None:
    assert len([r for r in RULES if not r.scope and "GET" not in r.operation]) >= 30
    for rule in RULES:
        op = _op(rule)
        scope = rule.scope.split(".") if rule.scope else []
        for cond in rule.when:
            if isinstance(cond, c.Root):
                assert _schema(op, [], str(_key(cond))), (_id(rule), cond)
            elif _key(cond) is not None:
                assert _schema(op, scope, str(_key(cond))), (_id(rule), cond)
        assert _schema(op, scope, rule.param), _id(rule)
        assert rule.source and rule.message, _id(rule)


@pytest.mark.parametrize(
    "rule", [r for r in RULES if not any(isinstance(x, c.Reached) for x in r.when)], ids=_id
)
def test_a_request_breaking_the_row_is_refused_and_changes_nothing(
    rule: c.Rule, client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    world = World(client)
    method, path, params, obj = world.request(rule)
    before = _count(sandbox, api_key)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _send(client, method, path, params)
    where = _where(rule, params, obj)
    assert _refused_by(refused.value, rule, where), (refused.value.param, refused.value.user_message)
    assert refused.value.http_status == 400
    assert _count(sandbox, api_key) == before  # no object, no event
    # Undo any one condition: this row no longer refuses it (other answers are the handler's).
    for cond in rule.when:
        _, _, again, obj = world.request(rule)
        _undo(cond, obj, _op(rule), rule.scope.split(".") if rule.scope else [], again)
        assert not _refuses(client, method, path, again, rule, _where(rule, again, obj)), (cond, again)


def test_a_seventeenth_webhook_endpoint_is_refused(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    # docs.stripe.com/webhooks: up to 16 webhook endpoints on each account.
    (rule,) = [r for r in RULES if any(isinstance(x, c.Reached) for x in r.when)]
    params = {"url": "http://127.0.0.1:9/hook", "enabled_events": ["charge.dispute.closed"]}
    for _ in range(16):
        client.v1.webhook_endpoints.create(params)  # type: ignore[arg-type]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.webhook_endpoints.create(params)  # type: ignore[arg-type]
    assert refused.value.param == rule.param and refused.value.user_message == rule.message
    assert len(client.v1.webhook_endpoints.list({"limit": 100}).data) == 16
    client.v1.webhook_endpoints.delete(client.v1.webhook_endpoints.list().data[0].id)
    assert client.v1.webhook_endpoints.create(params).id  # type: ignore[arg-type]
