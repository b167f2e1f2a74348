"""Hosted pages: http(s) URLs only where Stripe validates them, and no page runs inline script.

Source: Stripe answers a non-URL `success_url` (Checkout) or `return_url` (portal) with
`{"code": "url_invalid", "message": "Not a valid URL", "param": ..., "type":
"invalid_request_error"}` (StripeInvalidRequestError reports in public issue trackers, e.g.
AntonioErdeljac/next13-ai-saas#40 and #41), and one over 5000 characters with "Invalid URL: URL
must be 5000 characters or less." (vm0-ai/vm0#25340).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import stripe

from stripe_power import spec
from stripe_power.sandbox import SandboxServer
from stripe_power.sandbox.core.app import create_app
from stripe_power.sandbox.core.errors import StripeError
from stripe_power.sandbox.core.validation import WEB_URLS, check_urls
from stripe_power.sandbox.dashboard.sections import SECTIONS

from .connect_setup import onboard

NOT_URLS = [
    "javascript:alert(document.domain)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "javascript://x.com/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "file:///etc/passwd", "//evil.example/x",
    "http:evil.example", "https://", "http://", "example.com/success", "/success", "http://exa mple.com/",
    "http://example.com/\nx", "\thttps://example.com/", "http://[::1/", "http://example.com:99999/", "ftp://example.com/",
]  # fmt: skip
URLS = [
    "https://example.com/success?session_id={CHECKOUT_SESSION_ID}", "http://localhost:3000/done",
    "http://127.0.0.1:4242/return#top", "HTTPS://EXAMPLE.COM/", "https://bücher.example/danke",
]  # fmt: skip


def _with(path: tuple[str, ...], value: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    node = params
    for name in path[:-1]:
        node = node.setdefault(name, {})
    node[path[-1]] = value
    return params


def _cases() -> list[Any]:
    return [
        pytest.param(key, path, id=f"{key} {spec.bracketed(path)}")
        for key, paths in WEB_URLS.items()
        for path in paths
    ]


@pytest.mark.parametrize(("key", "path"), _cases())
def test_each_web_url_parameter_is_stripes_and_refuses_what_is_not_a_url(
    key: str, path: tuple[str, ...]
) -> None:
    method, template = key.split(" ")
    op = spec.operation(method, template)
    assert op is not None, key
    assert spec.check(op, _with(path, "https://example.com/"), wire=True) == [] or all(
        p.param != spec.bracketed(path)
        for p in spec.check(op, _with(path, "https://example.com/"), wire=True)
    ), f"{spec.bracketed(path)} is not a parameter of {key}"
    for value in NOT_URLS:
        with pytest.raises(StripeError) as refused:
            check_urls(op, _with(path, value))
        body = refused.value.body()["error"]
        assert (refused.value.status, body["code"], body["param"], body["message"]) == (
            400, "url_invalid", spec.bracketed(path), "Not a valid URL"
        ), value  # fmt: skip
    with pytest.raises(StripeError, match="5000 characters or less"):
        check_urls(op, _with(path, "https://example.com/" + "a" * 5000))
    for value in [*URLS, ""]:  # "" unsets where Stripe allows it (spec.check decides)
        check_urls(op, _with(path, value))


def _refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        call()
    error: dict[str, Any] = refused.value.json_body["error"]
    return error


LINE = {"price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Tea"}}, "quantity": 1}


@pytest.mark.parametrize(
    "value", ["javascript:alert(document.cookie)", "data:text/html,hi", "//evil.example"]
)
def test_hosted_page_urls_refused_over_the_sdk_and_nothing_stored(
    client: stripe.StripeClient, value: str
) -> None:
    customer = client.v1.customers.create({"email": "a@example.com"})
    refusals = {
        "success_url": _refusal(lambda: client.v1.checkout.sessions.create(
            {"mode": "payment", "line_items": [LINE], "success_url": value})),
        "cancel_url": _refusal(lambda: client.v1.checkout.sessions.create(
            {"mode": "payment", "line_items": [LINE], "success_url": "https://example.com/ok", "cancel_url": value})),
        "return_url": _refusal(lambda: client.v1.billing_portal.sessions.create(
            {"customer": customer.id, "return_url": value})),
        "default_return_url": _refusal(lambda: client.v1.billing_portal.configurations.create(
            {"features": {"invoice_history": {"enabled": True}}, "default_return_url": value})),
    }  # fmt: skip
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 700, "product_data": {"name": "Mug"}})
    redirect = {"type": "redirect", "redirect": {"url": value}}
    refusals["after_completion[redirect][url]"] = _refusal(
        lambda: client.v1.payment_links.create(
            {"line_items": [{"price": price.id, "quantity": 1}], "after_completion": redirect}
        )
    )
    for param, error in refusals.items():
        assert (error["code"], error["param"], error["message"]) == ("url_invalid", param, "Not a valid URL")
    # Changes nothing: no session, configuration or link was made.
    assert client.v1.checkout.sessions.list().data == []
    assert client.v1.billing_portal.configurations.list().data == []
    assert client.v1.payment_links.list().data == []


# -- every page carries the policy and runs no inline script ----------------------------------

INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # a script element without src
    re.compile(r"\son[a-z]+\s*=", re.I),  # an event handler attribute
    re.compile(r"<style|\sstyle\s*=", re.I),
    re.compile(r"(href|src|action)\s*=\s*['\"]?\s*javascript:", re.I),
]
PAGE_TEMPLATES = {  # every HTML route the sandbox serves, by template
    "/c/pay/{session}", "/c/recover/{session}", "/pl/{link}", "/i/{invoice}", "/i/{invoice}/pdf", "/3ds/{intent}", "/receipts/{charge}",
    "/p/session/{session}", "/dashboard", "/dashboard/{acct}", "/dashboard/{acct}/list/{slug}",
    "/dashboard/{acct}/objects/{oid}", "/dashboard/{acct}/events", "/dashboard/{acct}/requests",
    "/dashboard/{acct}/requests/{request_id}", "/dashboard/{acct}/agent",
    "/connect/setup/{account}/{token}", "/connect/express/{account}/{token}",
}  # fmt: skip


def test_the_page_list_is_every_html_route() -> None:
    served = {
        route.path  # type: ignore[attr-defined]
        for route in create_app().routes
        if "GET" in (getattr(route, "methods", None) or ())
        and not route.path.startswith(("/v1/", "/_sandbox/"))  # type: ignore[attr-defined]
        and route.path != "/{rest:path}"  # type: ignore[attr-defined]
    }
    assert served == PAGE_TEMPLATES


def _world(client: stripe.StripeClient) -> dict[str, str]:
    """One object behind each page."""
    customer = client.v1.customers.create({"email": "p@example.com", "payment_method": "pm_card_visa",
                                           "invoice_settings": {"default_payment_method": "pm_card_visa"}})  # fmt: skip
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "line_items": [LINE], "success_url": "https://example.com/ok", "cancel_url": "https://example.com/no"}
    )  # fmt: skip
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 900, "product_data": {"name": "Cup"}})
    link = client.v1.payment_links.create({"line_items": [{"price": price.id, "quantity": 1}]})
    client.v1.invoice_items.create({"customer": customer.id, "amount": 1200, "currency": "usd"})
    invoice = client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice",
                                         "days_until_due": 7, "pending_invoice_items_behavior": "include"})  # fmt: skip
    invoice = client.v1.invoices.finalize_invoice(invoice.id)
    intent = client.v1.payment_intents.create({
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_authenticationRequired", "confirm": True,
        "return_url": "https://example.com/back"})  # fmt: skip
    paid = client.v1.payment_intents.create({
        "amount": 800, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})  # fmt: skip
    portal = client.v1.billing_portal.sessions.create(
        {"customer": customer.id, "return_url": "https://example.com/acct"}
    )
    assert intent.next_action is not None
    express = client.v1.accounts.create({"type": "express"})
    onboard(client, express.id)
    setup = client.v1.account_links.create(
        {"account": express.id, "type": "account_onboarding", "refresh_url": "https://example.com/r",
         "return_url": "https://example.com/done"})  # fmt: skip
    login = client.v1.accounts.login_links.create(express.id)
    abandoned = client.v1.checkout.sessions.create(
        {"mode": "payment", "line_items": [LINE], "success_url": "https://example.com/ok",
         "after_expiration": {"recovery": {"enabled": True}}}
    )  # fmt: skip
    recovery = client.v1.checkout.sessions.expire(abandoned.id).after_expiration.recovery  # type: ignore[union-attr]
    return {
        "account_link": str(setup.url), "login_link": str(login.url), "recover": str(recovery.url),
        "session": str(session.url), "link": str(link.url), "invoice": str(invoice.hosted_invoice_url),
        "intent": str(intent.next_action.redirect_to_url.url),
        "charge": f"/receipts/{paid.latest_charge}", "portal": str(portal.url), "customer": customer.id,
    }  # fmt: skip


def test_every_page_carries_the_policy_and_no_inline_script(
    sandbox: SandboxServer, client: stripe.StripeClient, api_key: str
) -> None:
    made = _world(client)
    acct = sandbox.sandbox.state.accounts[api_key].id
    request_id = sandbox.request_log(api_key)[0].request_id
    base = sandbox.url
    dash = f"{base}/dashboard/{acct}"
    urls = {
        "/c/pay/{session}": made["session"], "/c/recover/{session}": made["recover"], "/pl/{link}": made["link"], "/i/{invoice}": made["invoice"],
        "/i/{invoice}/pdf": made["invoice"] + "/pdf", "/3ds/{intent}": made["intent"],
        "/receipts/{charge}": base + made["charge"], "/p/session/{session}": made["portal"],
        "/dashboard": f"{base}/dashboard", "/dashboard/{acct}": dash,
        "/dashboard/{acct}/objects/{oid}": f"{dash}/objects/{made['customer']}",
        "/dashboard/{acct}/events": f"{dash}/events", "/dashboard/{acct}/requests": f"{dash}/requests",
        "/dashboard/{acct}/requests/{request_id}": f"{dash}/requests/{request_id}", "/dashboard/{acct}/agent": f"{dash}/agent",
        "/connect/setup/{account}/{token}": made["account_link"], "/connect/express/{account}/{token}": made["login_link"],
    }  # fmt: skip
    pages = [(template, url) for template, url in urls.items()]
    pages += [("/dashboard/{acct}/list/{slug}", f"{dash}/list/{section.slug}") for section in SECTIONS]
    pages += [("not found", f"{base}/c/pay/cs_test_nope"), ("not found", f"{dash}/objects/cus_nope")]
    assert {template for template, _ in pages} - {"not found"} == PAGE_TEMPLATES
    with httpx.Client(follow_redirects=True, timeout=10) as http:
        answers = [(url, http.get(url)) for _, url in pages]
        declined = http.post(made["session"], data={"card_number": "4000000000000002"})
        answers.append(("declined checkout", declined))
        portal_error = http.post(made["portal"], data={"action": "nope"})
        answers.append(("portal error", portal_error))
    for url, answer in answers:
        assert answer.headers["content-type"].startswith("text/html"), url
        policy = answer.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "default-src 'none'" in policy, (url, policy)
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        found = [pattern.pattern for pattern in INLINE if pattern.search(answer.text)]
        assert not found, (url, found)
    assert declined.status_code == 402 and portal_error.status_code == 400


# -- the hosted Checkout form's quantity fields ----------------------------------------------

ADJUSTABLE = {**LINE, "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 10}}
BAD_QUANTITIES = [
    pytest.param({"quantity_" + "9" * 5000: "2"}, id="5000-digit-line"),
    pytest.param({"quantity_0": "9" * 5000}, id="5000-digit-quantity"),
    pytest.param({"quantity_0": "-1"}, id="negative"),
    pytest.param({"quantity_0": "1.5"}, id="fraction"),
    pytest.param({"quantity_0": "two"}, id="words"),
    pytest.param({"quantity_0": "٣"}, id="arabic-digit"),
    pytest.param({"quantity_0": "11"}, id="over-maximum"),
    pytest.param({"quantity_1": "2"}, id="no-such-line"),
    pytest.param({"quantity_x": "2"}, id="not-an-index"),
    pytest.param({"quantity_1": "2", "fixed": "1"}, id="not-adjustable"),
]


@pytest.mark.parametrize("fields", BAD_QUANTITIES)
def test_a_bad_quantity_field_is_a_400_page_and_charges_nothing(
    client: stripe.StripeClient, fields: dict[str, str]
) -> None:
    lines = [ADJUSTABLE, LINE] if fields.pop("fixed", None) else [ADJUSTABLE]
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "line_items": lines, "success_url": "https://example.com/ok"}  # type: ignore[typeddict-item]
    )
    answer = httpx.post(str(session.url), data={"card_number": "4242424242424242", **fields}, timeout=10)
    assert answer.status_code == 400, answer.text[-300:]
    assert "role=alert" in answer.text and "content-security-policy" in answer.headers
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.payment_intents.list().data == []


def test_an_adjustable_quantity_is_charged_as_chosen(client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "line_items": [ADJUSTABLE], "success_url": "https://example.com/ok"}  # type: ignore[typeddict-item]
    )
    answer = httpx.post(
        str(session.url), data={"card_number": "4242424242424242", "quantity_0": "3"}, timeout=10
    )
    assert answer.status_code == 303 and answer.headers["location"] == "https://example.com/ok"
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert paid.status == "complete" and paid.amount_total == 1500
