"""The sandbox dashboard over plain HTTP: what each page shows, what it never shows (keys,
secrets), the request log it reads, its loopback-only guard, and that pages stay fast with
thousands of objects. The browser walk-through is tests/test_dashboard_browser.py."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stripe_power.sandbox import SandboxServer
from stripe_power.sandbox.core import store as sandbox_store
from stripe_power.sandbox.payments.cards import TEST_PAYMENT_METHODS

from .conftest import Connect, error_text, new_key, payload
from .servers import free_port, serve_in_thread

BIN = Path(sys.executable).parent


def sdk(sandbox: Any, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": sandbox.url}, max_network_retries=0)


def pay(client: stripe.StripeClient, amount: int, payment_method: str, **more: Any) -> stripe.PaymentIntent:
    """A confirmed card payment, as a server-side integration makes one."""
    params: Any = {
        "amount": amount, "currency": "usd", "payment_method": payment_method, "confirm": True,
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}, **more,
    }  # fmt: skip
    return client.v1.payment_intents.create(params=params)


def account_id(sandbox: Any, key: str) -> str:
    acct_id: str = sandbox.sandbox.state.accounts[key].id
    return acct_id


def get(url: str, **kwargs: Any) -> httpx.Response:
    response = httpx.get(url, timeout=10, **kwargs)
    assert response.status_code == 200, response.text[:500]
    return response


def text_of(response: httpx.Response) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.text))


def links_of(response: httpx.Response) -> list[str]:
    return [html.unescape(h) for h in re.findall(r"href='([^']+)'", response.text)]


def test_accounts_are_listed_by_masked_key_and_no_page_or_url_carries_the_key(sandbox: Any) -> None:
    key = new_key()
    client = sdk(sandbox, key)
    customer = client.v1.customers.create(params={"email": "mask@example.com"})
    pay(client, 1000, "pm_card_visa", customer=customer.id)
    home = get(sandbox.dashboard_url)
    assert f"sk_test_…{key[-4:]}" in text_of(home)
    base = f"/dashboard/{account_id(sandbox, key)}"
    assert base in links_of(home)
    # Every page reachable from the account's overview (lists, objects, events, requests).
    seen = {sandbox.dashboard_url: home}
    frontier = [base]
    while frontier and len(seen) < 80:
        url = sandbox.url + frontier.pop(0)
        if url in seen:
            continue
        seen[url] = get(url)
        frontier += [p for p in links_of(seen[url]) if p.startswith(base)]
    assert len(seen) >= 20
    for url, page in seen.items():
        assert key not in url and key not in page.text, url
        assert key[8:] not in page.text, url  # not even the key's body


def test_payments_list_shows_amount_refunded_customer_charge_and_decline(sandbox: Any) -> None:
    key = new_key()
    client = sdk(sandbox, key)
    customer = client.v1.customers.create(params={"email": "pay@example.com"})
    paid = pay(client, 4200, "pm_card_visa", customer=customer.id)
    client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1200})
    with pytest.raises(stripe.CardError):
        pay(client, 700, "pm_card_chargeDeclinedInsufficientFunds")
    page = get(f"{sandbox.dashboard_url}/{account_id(sandbox, key)}/list/payments")
    rows = re.findall(r"<tr>(.*?)</tr>", page.text)
    row = html.unescape(re.sub(r"<[^>]+>", " ", next(r for r in rows if paid.id in r)))
    assert "$42.00" in row and "$12.00" in row and "succeeded" in row
    assert customer.id in row and str(paid.latest_charge) in row
    declined = html.unescape(re.sub(r"<[^>]+>", " ", next(r for r in rows if "$7.00" in r)))
    assert "insufficient_funds" in declined and "requires_payment_method" in declined


def test_request_log_shows_params_response_idempotency_and_replays_without_secrets(sandbox: Any) -> None:
    key = new_key()
    client = sdk(sandbox, key)
    options: Any = {"idempotency_key": "order-42"}
    first = client.v1.payment_intents.create(params={"amount": 1500, "currency": "usd"}, options=options)
    client.v1.payment_intents.create(params={"amount": 1500, "currency": "usd"}, options=options)
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}
    )
    records = sandbox.request_log(key)
    assert [r.replayed for r in records] == [False, True, False]
    assert all(r.duration_ms is not None and r.response for r in records)
    base = f"{sandbox.dashboard_url}/{account_id(sandbox, key)}/requests"
    listing = text_of(get(base))
    assert listing.count("order-42") == 2 and listing.count("replayed") == 1
    assert "POST /v1/payment_intents" in listing and "POST /v1/webhook_endpoints" in listing
    one = get(f"{base}/{records[0].request_id}")
    shown = text_of(one)
    assert '"amount": 1500' in shown and first.id in shown and "order-42" in shown
    assert str(first.client_secret) not in one.text and "[redacted]" in shown
    hook = get(f"{base}/{records[2].request_id}")
    assert str(endpoint.secret) not in hook.text and "whsec_" not in hook.text.replace(
        "whsec_…[redacted]", ""
    )


def test_request_log_is_bounded_per_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_store, "REQUEST_LOG_LIMIT", 5)
    key = new_key()
    with SandboxServer() as own:
        client = sdk(own, key)
        made = [client.v1.customers.create(params={"name": f"n{i}"}).id for i in range(8)]
        kept = own.request_log(key)
        assert len(kept) == 5
        assert [r.params["name"] for r in kept] == [f"n{i}" for i in range(3, 8)]
        page = text_of(get(f"{own.dashboard_url}/{account_id(own, key)}/requests"))
        assert "newest 5 requests" in page
    assert len(made) == 8


def test_object_page_links_related_objects_and_event_shows_previous_attributes(sandbox: Any) -> None:
    key = new_key()
    client = sdk(sandbox, key)
    customer = client.v1.customers.create(params={"email": "old@example.com"})
    client.v1.customers.update(customer.id, params={"email": "new@example.com"})
    paid = pay(client, 900, "pm_card_visa", customer=customer.id)
    base = f"{sandbox.dashboard_url}/{account_id(sandbox, key)}"
    page = get(f"{base}/objects/{paid.id}")
    assert f"/dashboard/{account_id(sandbox, key)}/objects/{customer.id}" in links_of(page)
    assert f"/dashboard/{account_id(sandbox, key)}/objects/{paid.latest_charge}" in links_of(page)
    assert "payment_intent.succeeded" in text_of(page)  # its events
    updated = next(e for e in sandbox.objects(key, "event") if e["type"] == "customer.updated")
    event = text_of(get(f"{base}/objects/{updated['id']}"))
    previous = event.split("previous_attributes", 1)[1].split("Webhook deliveries", 1)[0]
    assert '"email": "old@example.com"' in previous
    assert "caused by request req_" in event


def test_event_page_lists_every_webhook_delivery_attempt(sandbox: Any) -> None:
    answers = iter([500, 200])

    async def hook(request: Request) -> Response:
        await request.body()
        return Response(status_code=next(answers, 200))

    key = new_key()
    client = sdk(sandbox, key)
    with serve_in_thread(Starlette(routes=[Route("/hook", hook, methods=["POST"])]), free_port()) as url:
        client.v1.webhook_endpoints.create(
            params={"url": f"{url}/hook", "enabled_events": ["customer.created"]}
        )
        client.v1.customers.create(params={"email": "hook@example.com"})
        event = next(e for e in sandbox.objects(key, "event") if e["type"] == "customer.created")
        deadline = time.monotonic() + 10
        while not any(d.delivered for d in sandbox.webhook_deliveries() if d.event_id == event["id"]):
            assert time.monotonic() < deadline, "webhook was not delivered"
            time.sleep(0.05)
    page = get(f"{sandbox.dashboard_url}/{account_id(sandbox, key)}/objects/{event['id']}")
    rows = [html.unescape(re.sub(r"<[^>]+>", " ", r)) for r in re.findall(r"<tr>(.*?)</tr>", page.text)]
    attempts = [r.split() for r in rows if f"{url}/hook" in r]
    assert [(a[1], a[2], a[3]) for a in attempts] == [("1", "first", "500"), ("2", "retry", "200")]
    listing = text_of(get(f"{sandbox.dashboard_url}/{account_id(sandbox, key)}/events"))
    assert "500, 200" in listing


def test_dashboard_answers_only_a_loopback_host(sandbox: Any) -> None:
    refused = httpx.get(sandbox.dashboard_url, headers={"Host": "attacker.example"}, timeout=10)
    assert refused.status_code == 403 and "loopback" in refused.text
    assert httpx.get(sandbox.dashboard_url, headers={"Host": "localhost"}, timeout=10).status_code == 200


def test_pages_stay_fast_and_paginate_with_thousands_of_objects(sandbox: Any) -> None:
    key = new_key()
    first = sdk(sandbox, key).v1.customers.create(params={"name": "first"})
    # Thousands of objects and requests are put in the store directly: creating them over HTTP
    # would make this test slow without changing what the pages have to read.
    with sandbox.sandbox.state.lock:
        acct = sandbox.sandbox.state.accounts[key]
        template = dict(sandbox.objects(key, "customer")[0])
        for i in range(5000):
            acct.add({**template, "id": f"cus_bulk{i:06d}", "name": f"bulk {i}"})
        record = acct.requests[0]
        for i in range(5000):
            acct.requests.append(
                sandbox_store.RecordedRequest(f"req_bulk{i:06d}", "GET", "/v1/customers", {}, {}, 200)
            )
    assert len(acct.requests) == 5000 and record not in acct.requests  # bounded: the oldest went
    base = f"{sandbox.dashboard_url}/{account_id(sandbox, key)}"
    timings = []
    for path in [
        "/list/customers",
        "/list/customers?page=60",
        "/list/customers?page=101",
        "/requests?page=50",
        "/agent",
        "",
    ]:
        started = time.perf_counter()
        page = get(base + path)
        timings.append(time.perf_counter() - started)
        if path == "/list/customers":
            assert "cus_bulk004999" in page.text and "cus_bulk004950" in page.text
            assert "cus_bulk004949" not in page.text and "Older" in page.text
        if path.endswith("page=101"):  # the last page: the oldest object, no older page
            assert first.id in page.text and "cus_bulk" not in page.text and "Older" not in page.text
        if path.startswith("/requests"):  # the 2451st to 2500th newest requests
            assert "req_bulk002549" in page.text and "req_bulk002500" in page.text
    print("dashboard page timings (s):", [round(t, 3) for t in timings])
    assert max(timings) < 1.0, timings


def test_a_limit_refusal_is_on_the_timeline_and_never_reached_the_sandbox(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect, tmp_path: Path
) -> None:
    sandbox.watch_audit_log(sandbox_key, tmp_path / "state" / "audit.jsonl")

    async def run() -> None:
        async with connect_sandbox(max_amount="usd:1000") as client:
            payload(await client.call_tool("create_customer", {"email": "limit@example.com"}))
            refused = await client.call_tool(
                "create_payment_intent",
                {"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
            )
            assert "spending-limit" in error_text(refused)

    import anyio

    anyio.run(run)
    assert [r.path for r in sandbox.request_log(sandbox_key)] == ["/v1/customers"]
    page = get(f"{sandbox.dashboard_url}/{account_id(sandbox, sandbox_key)}/agent")
    calls = [
        (part.split("'", 1)[0], part.split("'>", 1)[1])
        for part in page.text.split("<div class=call id='")[1:]
    ]
    assert len(calls) == 2
    refused_call = html.unescape(re.sub(r"<[^>]+>", " ", calls[0][1]))
    assert "create_payment_intent" in refused_call and "refused: spending-limit" in refused_call
    assert "Never sent to Stripe" in refused_call and '"amount": 5000' in refused_call
    # The other call links to its request, and the request back to the call.
    request_id = sandbox.request_log(sandbox_key)[0].request_id
    assert request_id in calls[1][1]
    request_page = text_of(
        get(f"{sandbox.dashboard_url}/{account_id(sandbox, sandbox_key)}/requests/{request_id}")
    )
    assert "Made by tool call" in request_page and f"create_customer ({calls[1][0]})" in request_page


def test_hosted_checkout_offers_the_common_test_cards(sandbox: Any) -> None:
    key = new_key()
    client = sdk(sandbox, key)
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Tea"}}, "quantity": 1}],
            "success_url": "http://127.0.0.1:9/done",
        }
    )  # fmt: skip
    answer = get(str(session.url))
    page = answer.text
    numbers = {card.id: card.number for card in TEST_PAYMENT_METHODS}
    for pm in ("pm_card_visa", "pm_card_chargeDeclined", "pm_card_authenticationRequired"):
        assert f"data-number='{numbers[pm]}'" in page
    assert "3-D Secure" in page and "Declined" in page
    # The buttons work from a served script and the styles from a served sheet: no inline script.
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "onclick" not in page and "<style" not in page
    assert "overflow-wrap:anywhere" in get(f"{sandbox.url}/_sandbox/static/page.css").text
    assert "dataset.number" in get(f"{sandbox.url}/_sandbox/static/page.js").text


def test_serve_sandbox_prints_the_dashboard_url(tmp_path: Path) -> None:
    # (`stripe-power sandbox`'s line is checked in tests/test_cli.py.)
    # serve --sandbox over stdio: stdin at EOF, so it logs its start-up lines and exits.
    done = subprocess.run(
        [str(BIN / "stripe-power"), "serve", "--sandbox", "--state-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert re.search(
        r"Sandbox dashboard \(what the agent did\): http://127\.0\.0\.1:\d+/dashboard", done.stderr
    )
    assert done.stdout == ""


def test_demo_keep_open_leaves_the_dashboard_with_the_agent_session(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [str(BIN / "stripe-power"), "demo", "--keep-open"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    try:
        assert demo.stdout is not None
        lines = []
        while not (lines and lines[-1].startswith("The sandbox stays up")):
            line = demo.stdout.readline()
            assert line, "demo ended early:\n" + "".join(lines)
            lines.append(line)
        url = re.search(r"(http://127\.0\.0\.1:\d+/dashboard)", lines[-1])
        assert url and "All steps passed.\n" in lines
        home = get(url.group(1))
        account = next(p for p in links_of(home) if p.startswith("/dashboard/acct_"))
        timeline = text_of(get(url.group(1).removesuffix("/dashboard") + account + "/agent"))
        assert "refused: charges-api" in timeline and "create_refund" in timeline
        assert "Never sent to Stripe: POST /v1/charges" in timeline
    finally:
        demo.send_signal(signal.SIGINT)
        demo.communicate(timeout=20)
    assert demo.returncode == 0


def test_disputes_and_test_clocks_appear_once_the_store_has_them(sandbox: Any) -> None:
    key = new_key()
    sdk(sandbox, key).v1.customers.create(params={"name": "clock"})
    base = f"{sandbox.dashboard_url}/{account_id(sandbox, key)}"
    before = text_of(get(base))
    assert "Test clocks" not in before and "Disputes" not in before
    # Neither resource is served by the sandbox yet (test clocks are coming from another module):
    # put one of each in the store, shaped as the API returns them, as that module will.
    with sandbox.sandbox.state.lock:
        acct = sandbox.sandbox.state.accounts[key]
        acct.add({"id": "clock_1Qdash", "object": "test_helpers.test_clock", "name": "Renewals",
                  "frozen_time": 1767225600, "status": "ready", "created": 1767225600})  # fmt: skip
        acct.add({"id": "du_1Qdash", "object": "dispute", "amount": 4200, "currency": "usd",
                  "status": "needs_response", "reason": "fraudulent", "charge": None, "created": 1767225600})  # fmt: skip
    clocks = text_of(get(f"{base}/list/test_clocks"))
    assert "clock_1Qdash" in clocks and "Renewals" in clocks and "2026-01-01 00:00:00" in clocks
    disputes = text_of(get(f"{base}/list/disputes"))
    assert "du_1Qdash" in disputes and "$42.00" in disputes and "fraudulent" in disputes
    assert "Test clocks" in text_of(get(base)) and "Disputes" in text_of(get(base))


async def test_without_an_audit_log_requests_still_name_their_tool_call(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "header@example.com"}))
        payload(await client.call_tool("retrieve_customer", {"customer": customer["id"]}))
    records = sandbox.request_log(sandbox_key)
    calls = [r.headers.get("x-stripe-power-call") for r in records]
    assert [r.headers.get("x-stripe-power-tool") for r in records] == ["create_customer", "retrieve_customer"]
    assert all(c and c.startswith("call_") for c in calls) and calls[0] != calls[1]
    base = f"{sandbox.dashboard_url}/{account_id(sandbox, sandbox_key)}"
    log = get(f"{base}/requests")
    assert f"/dashboard/{account_id(sandbox, sandbox_key)}/agent?call={calls[0]}" in links_of(log)
    one_call = text_of(get(f"{base}/agent", params={"call": calls[0]}))
    assert "No MCP server audit log is attached" in one_call
    assert "create_customer" in one_call and records[0].request_id in one_call
    assert "retrieve_customer" not in one_call


def test_a_test_clock_is_advanced_from_its_page_and_only_from_it(sandbox: Any) -> None:
    key = new_key()
    client = sdk(sandbox, key)
    frozen = 1_767_225_600  # 2026-01-01
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": frozen, "name": "Renewals"})
    customer = client.v1.customers.create(
        {"test_clock": clock.id, "payment_method": "pm_card_visa",
         "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )  # fmt: skip
    price = client.v1.prices.create(
        {
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "P"},
        }
    )
    client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    page_url = f"{sandbox.url}/dashboard/{account_id(sandbox, key)}/objects/{clock.id}"
    page = get(page_url).text
    token = re.search(r"name=token value='([^']+)'", page)
    assert token and "Advance the clock" in page
    action = f"{page_url}/advance"
    forged = httpx.post(action, data={"token": "guess", "days": "31"}, timeout=10)
    foreign = httpx.post(
        action,
        data={"token": token.group(1), "days": "31"},
        headers={"Origin": "http://evil.example"},
        timeout=10,
    )
    assert (forged.status_code, foreign.status_code) == (403, 403)
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).frozen_time == frozen
    done = httpx.post(action, data={"token": token.group(1), "days": "32"}, timeout=10, follow_redirects=True)
    assert done.status_code == 200 and done.url == httpx.URL(page_url)
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).frozen_time == frozen + 32 * 86400
    renewals = [
        i
        for i in client.v1.invoices.list({"customer": customer.id}).data
        if i.billing_reason == "subscription_cycle"
    ]
    assert len(renewals) == 1 and renewals[0].status == "paid"
