"""Auth, errors, request ids, params, idempotency, pagination, metadata, isolation, request log."""

from __future__ import annotations

import uuid

import httpx
import pytest
import stripe

from stripe_power.sandbox import SandboxServer
from stripe_power.sandbox.core.forms import parse_query


def test_form_parsing_matches_sdk_encoding() -> None:
    parsed = parse_query(
        "a=1&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=T&line_items%5B0%5D%5Bquantity%5D=2"
        "&expand%5B0%5D=x&expand%5B1%5D=y&metadata%5B0%5D=z&types[]=a&types[]=b&m%5Bk%5D="
    )
    assert parsed == {
        "a": "1",
        "line_items": [{"price_data": {"product_data": {"name": "T"}}, "quantity": "2"}],
        "expand": ["x", "y"],
        "metadata": {"0": "z"},
        "types": ["a", "b"],
        "m": {"k": ""},
    }


def test_missing_and_invalid_keys_are_401(sandbox: SandboxServer) -> None:
    r = httpx.get(f"{sandbox.url}/v1/customers")
    assert r.status_code == 401
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert r.headers["request-id"].startswith("req_")
    r = httpx.get(f"{sandbox.url}/v1/customers", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert "Invalid API Key" in r.json()["error"]["message"]
    assert "nope" not in r.json()["error"]["message"] or r.json()["error"]["message"].count("*")
    live = stripe.StripeClient("sk_live_" + "x" * 24, base_addresses={"api": sandbox.url})
    with pytest.raises(stripe.AuthenticationError, match="test keys only"):
        live.v1.customers.list()


def test_basic_auth_and_restricted_keys(sandbox: SandboxServer) -> None:
    key = "rk_test_" + uuid.uuid4().hex
    r = httpx.post(f"{sandbox.url}/v1/customers", auth=(key, ""), data={"email": "b@example.com"})
    assert r.status_code == 200
    r2 = httpx.get(f"{sandbox.url}/v1/customers", headers={"Authorization": f"Bearer {key}"})
    assert [c["email"] for c in r2.json()["data"]] == ["b@example.com"]


def test_unknown_path_and_param(client: stripe.StripeClient, sandbox: SandboxServer, api_key: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.raw_request("get", "/v1/nonsense")
    assert exc.value.http_status == 404
    assert "Unrecognized request URL (GET: /v1/nonsense)" in str(exc.value.user_message)
    assert exc.value.request_id and exc.value.request_id.startswith("req_")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create({"emial": "x@example.com"})  # type: ignore[typeddict-unknown-key]
    assert exc.value.code == "parameter_unknown"
    assert exc.value.param == "emial"
    r = httpx.put(f"{sandbox.url}/v1/customers", headers={"Authorization": f"Bearer {api_key}"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")


def test_missing_param_and_missing_resource(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"currency": "usd"})  # type: ignore[typeddict-item]
    assert exc.value.code == "parameter_missing"
    assert exc.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.retrieve("cus_doesnotexist")
    assert exc.value.http_status == 404
    assert exc.value.code == "resource_missing"
    assert exc.value.param == "id"
    assert "No such customer: 'cus_doesnotexist'" in str(exc.value.user_message)


def test_idempotent_replay_and_mismatch(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    key = uuid.uuid4().hex
    first = client.v1.customers.create({"email": "i@example.com"}, {"idempotency_key": key})
    again = client.v1.customers.create({"email": "i@example.com"}, {"idempotency_key": key})
    assert first.id == again.id
    assert again.last_response is not None
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(sandbox.objects(api_key, "customer")) == 1
    with pytest.raises(stripe.IdempotencyError) as exc:
        client.v1.customers.create({"email": "other@example.com"}, {"idempotency_key": key})
    assert exc.value.http_status == 400
    # keys are per account
    other = stripe.StripeClient("sk_test_" + uuid.uuid4().hex, base_addresses={"api": sandbox.url})
    assert other.v1.customers.create({"email": "x@example.com"}, {"idempotency_key": key}).id != first.id


def test_pagination_newest_first(client: stripe.StripeClient) -> None:
    ids = [client.v1.products.create({"name": f"P{i}"}).id for i in range(7)]
    page = client.v1.products.list({"limit": 3})
    assert [p.id for p in page.data] == ids[::-1][:3]
    assert page.has_more is True
    assert page.url == "/v1/products"
    page2 = client.v1.products.list({"limit": 3, "starting_after": page.data[-1].id})
    assert [p.id for p in page2.data] == ids[::-1][3:6]
    back = client.v1.products.list({"limit": 2, "ending_before": page2.data[0].id})
    assert [p.id for p in back.data] == ids[::-1][1:3]
    assert [p.id for p in client.v1.products.list({"limit": 3}).auto_paging_iter()] == ids[::-1]
    for bad in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.products.list({"limit": bad})
        assert exc.value.param == "limit"


def test_metadata_rules(client: stripe.StripeClient) -> None:
    c = client.v1.customers.create({"metadata": {"a": "1", "b": "2"}})
    c = client.v1.customers.update(c.id, {"metadata": {"a": ""}})
    assert c.metadata.to_dict() == {"b": "2"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create({"metadata": {"k" * 41: "v"}})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create({"metadata": {"k": "v" * 501}})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create({"metadata": {f"k{i}": "v" for i in range(51)}})


def test_accounts_are_isolated(sandbox: SandboxServer) -> None:
    a = stripe.StripeClient("sk_test_" + uuid.uuid4().hex, base_addresses={"api": sandbox.url})
    b = stripe.StripeClient("sk_test_" + uuid.uuid4().hex, base_addresses={"api": sandbox.url})
    cust = a.v1.customers.create({"email": "a@example.com"})
    assert b.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        b.v1.customers.retrieve(cust.id)


def test_request_log_and_introspection(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    client.v1.customers.create(
        {"email": "log@example.com", "metadata": {"k": "v"}}, {"idempotency_key": "ik-1"}
    )
    client.v1.customers.list({"limit": 1})
    log = sandbox.request_log(api_key)
    assert [(r.method, r.path) for r in log] == [("POST", "/v1/customers"), ("GET", "/v1/customers")]
    assert log[0].params == {"email": "log@example.com", "metadata": {"k": "v"}}
    assert log[0].headers["idempotency-key"] == "ik-1"
    assert log[0].headers["stripe-version"]
    assert log[0].status == 200
    headers = {"Authorization": f"Bearer {api_key}"}
    r = httpx.get(f"{sandbox.url}/_sandbox/requests", headers=headers)
    assert [e["path"] for e in r.json()["data"]] == ["/v1/customers", "/v1/customers"]
    assert httpx.delete(f"{sandbox.url}/_sandbox/requests", headers=headers).status_code == 200
    assert sandbox.request_log(api_key) == []


def test_account_and_balance(client: stripe.StripeClient) -> None:
    acct = client.v1.accounts.retrieve_current()
    assert acct.id.startswith("acct_")
    bal = client.v1.balance.retrieve()
    assert bal.livemode is False
    assert bal.available[0].amount == 0


def test_excluded_payment_method_types_is_accepted(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "excluded_payment_method_types": ["ideal"]}  # type: ignore[list-item]
    )
    assert pi.status == "requires_payment_method"
