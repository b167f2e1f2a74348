"""The generic layer: every operation in Stripe's spec answers, storage resources are stateful
and spec-valid, and what the sandbox cannot emulate says so (never "Unrecognized request URL")."""

from __future__ import annotations

import re
from typing import Any

import pytest
import stripe

from stripe_power import spec
from stripe_power.sandbox import Sandbox, SandboxServer
from stripe_power.sandbox.core.coverage import by_kind, probe
from stripe_power.sandbox.core.generic import classify

from ..spec_objects import assert_matches_spec

HAND_WRITTEN = Sandbox().router.hand_written()


def sample(node: dict[str, Any], name: str = "") -> Any:
    """The smallest request value the spec accepts for ``node`` (required fields only)."""
    node = spec.deref(node)
    if "anyOf" in node:
        return sample(node["anyOf"][0], name)
    if node.get("enum"):
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        props = node.get("properties", {})
        # An empty hash is not sent at all: where nothing is required, send one field.
        names = (
            node.get("required") or [n for n in props if n != "expand"][:1]
            if name
            else node.get("required", [])
        )
        return {k: sample(props[k], k) for k in names}
    if kind == "array":
        return [sample(node.get("items", {}), name)]
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    return "usd" if "currency" in name else "x"


def _ops(kind: str) -> list[spec.Operation]:
    return [op for op in spec.operations() if op.key not in HAND_WRITTEN and classify(op).name == kind]


# Storage resources at the top level that have a retrieve: created, read back, updated, listed, deleted.
def _item_template(op: spec.Operation, method: str) -> str | None:
    for o in spec.operations():
        if o.method == method and re.fullmatch(re.escape(op.path) + r"/\{\w+\}", o.path):
            return o.path
    return None


STORAGE = [op for op in _ops("create") if "{" not in op.path and _item_template(op, "GET")]


@pytest.mark.parametrize("op", STORAGE, ids=lambda op: op.path)
def test_storage_resource_lifecycle(client: stripe.StripeClient, op: spec.Operation) -> None:
    typ = classify(op).typ
    params = sample(op.params)
    body = client.raw_request("post", op.path, **params).data
    assert_matches_spec(typ, body)
    assert body["object"] == typ and body.get("livemode", False) is False
    for name, value in params.items():  # a param that is a field of the object is stored as sent
        if isinstance(value, str) and isinstance(body.get(name), str):
            assert body[name] == value, name
    item = _item_template(op, "GET")
    assert item is not None
    url = re.sub(r"\{\w+\}", body["id"], item)
    again = client.raw_request("get", url).data
    assert again == body
    if _item_template(op, "POST") and "metadata" in body and f"POST {item}" not in HAND_WRITTEN:
        updated = client.raw_request("post", url, metadata={"order": "42"}).data
        assert updated["metadata"] == {"order": "42"}
        assert_matches_spec(typ, updated)
    list_op = spec.operation("GET", op.path)
    if list_op is not None:
        # Required filters (value_list...) as the object has them; an object whose filter field is
        # null (set by Stripe from another object) is listed under no value.
        required = sample(list_op.params)
        filters = {k: body.get(k) if isinstance(body.get(k), str) else v for k, v in required.items()}
        listed = client.raw_request("get", op.path, **filters).data
        findable = all(isinstance(body.get(k), str) for k in required)
        assert [o["id"] for o in listed["data"]] == ([body["id"]] if findable else [])
    if _item_template(op, "DELETE"):
        deleted = client.raw_request("delete", url).data
        assert deleted == {"id": body["id"], "object": typ, "deleted": True}
        with pytest.raises(stripe.InvalidRequestError) as gone:
            client.raw_request("get", url)
        assert gone.value.http_status == 404 and gone.value.code == "resource_missing"


def test_storage_covers_the_simple_resources_of_the_issue() -> None:
    paths = {op.path for op in STORAGE}
    assert {"/v1/tax_rates", "/v1/shipping_rates", "/v1/tax_ids"} <= paths, paths


def test_tax_ids_nested_under_a_customer(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({"email": "t@example.com"})
    other = client.v1.customers.create({})
    tax_id = client.v1.customers.tax_ids.create(cus.id, {"type": "eu_vat", "value": "DE123456789"})
    assert tax_id.id.startswith("txi_") and tax_id.customer == cus.id and tax_id.value == "DE123456789"
    assert_matches_spec("tax_id", tax_id.to_dict())
    assert [t.id for t in client.v1.customers.tax_ids.list(cus.id).data] == [tax_id.id]
    assert client.v1.customers.tax_ids.list(other.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as wrong_parent:
        client.v1.customers.tax_ids.retrieve(other.id, tax_id.id)
    assert wrong_parent.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as no_customer:
        client.v1.customers.tax_ids.create("cus_missing", {"type": "eu_vat", "value": "DE1"})
    assert no_customer.value.http_status == 404 and "cus_missing" in str(no_customer.value)
    deleted = client.v1.customers.tax_ids.delete(cus.id, tax_id.id)
    assert deleted.deleted is True


def test_typed_sdk_on_generic_resources(client: stripe.StripeClient) -> None:
    rate = client.v1.shipping_rates.create(
        {"display_name": "Ground", "type": "fixed_amount", "fixed_amount": {"amount": 500, "currency": "usd"}}
    )
    assert rate.fixed_amount is not None and rate.fixed_amount.amount == 500 and rate.active is True
    assert_matches_spec("shipping_rate", rate.to_dict())
    updated = client.v1.shipping_rates.update(rate.id, {"active": False})
    assert updated.active is False
    listed = client.v1.shipping_rates.list({"active": False})
    assert [r.id for r in listed.data] == [rate.id]
    assert client.v1.shipping_rates.list({"active": True}).data == []


def test_generic_events_use_stripes_event_types(client: stripe.StripeClient) -> None:
    rate = client.v1.tax_rates.create({"display_name": "VAT", "percentage": 19.0, "inclusive": False})
    client.v1.tax_rates.update(rate.id, {"display_name": "VAT DE"})
    types = [e.type for e in client.v1.events.list().data]
    assert types == ["tax_rate.updated", "tax_rate.created"]
    updated = client.v1.events.list().data[0]
    assert updated.data.previous_attributes is not None
    assert updated.data.previous_attributes.to_dict() == {"display_name": "VAT"}


def test_singletons_are_per_account(client: stripe.StripeClient) -> None:
    settings = client.v1.tax.settings.retrieve()
    assert_matches_spec("tax.settings", settings.to_dict())
    changed = client.v1.tax.settings.update({"defaults": {"tax_behavior": "exclusive"}})
    assert changed.defaults.tax_behavior == "exclusive"
    assert client.v1.tax.settings.retrieve().defaults.tax_behavior == "exclusive"


# -- coverage --------------------------------------------------------------------------------


def test_every_operation_in_the_spec_has_a_route() -> None:
    sandbox = Sandbox()
    table = by_kind(sandbox.router)
    assert sum(len(v) for v in table.values()) == len(spec.operations()) == 594
    for op in spec.operations():
        concrete = re.sub(r"\{\w+\}", "x_1", op.path)
        matched = sandbox.router.match(op.method, concrete)
        assert matched is not None, op.key
        assert matched[0].template == op.path, (op.key, matched[0].template)
    served = len(spec.operations()) - len(table["limit"])
    assert len(table["behaviour"]) >= 90
    assert served / len(spec.operations()) >= 0.85, {k: len(v) for k, v in table.items()}


def test_every_operation_answers_over_http_without_crashing(sandbox: SandboxServer) -> None:
    replies = probe(sandbox.url)
    assert len(replies) == 594
    assert [r.key for r in replies if not r.answered] == []
    assert [(r.key, r.status) for r in replies if r.status >= 500] == []


def test_sandbox_limits_say_so_over_http(sandbox: SandboxServer, client: stripe.StripeClient) -> None:
    limits = [op for op in spec.operations() if op.key not in HAND_WRITTEN and classify(op).name == "limit"]
    assert limits
    for op in limits:
        concrete = re.sub(r"\{\w+\}", "x_1", op.path)
        with pytest.raises(stripe.InvalidRequestError) as err:
            client.raw_request(op.method.lower(), concrete, **sample(op.params))
        assert err.value.http_status == 400 and err.value.code == "sandbox_limit", op.key
        assert "limit of the sandbox, not of Stripe" in str(err.value), op.key


def test_paths_stripe_does_not_have_are_still_unrecognized(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.raw_request("get", "/v1/no_such_things")
    assert err.value.http_status == 404 and "Unrecognized request URL" in str(err.value)
