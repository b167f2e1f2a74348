"""The customer portal: ``POST /v1/billing_portal/sessions`` and the page its ``url`` serves.

On the page the customer can cancel a subscription (at period end, as Stripe's default portal
configuration does), switch its price (to another active recurring price in the same currency;
prorated), and replace the payment method (a test card number; it becomes the customer's default).
Each action goes through the same code as the API, so the events are the ones Stripe sends:
``customer.subscription.updated``, ``payment_method.attached``, ``customer.updated``.
Configurations are the generic layer's; the first session makes the account's default one.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..billing import subscriptions
from ..billing.invoice_lifecycle import price_desc
from ..core.errors import StripeError, missing_param
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.schema_objects import new_object
from ..core.store import JSON, Account, as_str
from ..payments import customers, payment_methods
from ..payments.customers import customer_ref
from .page import _link, _money, _not_found, _page

if TYPE_CHECKING:
    from ..core.app import Sandbox

_LIVE = ("active", "trialing", "past_due")


def _default_configuration(acct: Account) -> JSON:
    found = next((c for c in acct.of_type("billing_portal.configuration") if c["is_default"]), None)
    if found is not None:
        return found
    config = new_object("billing_portal.configuration")
    config.update(active=True, is_default=True, updated=config["created"])
    features = config["features"]
    features["subscription_cancel"].update(enabled=True, mode="at_period_end")
    features["subscription_update"].update(
        enabled=True, default_allowed_updates=["price"], proration_behavior="create_prorations"
    )
    features["payment_method_update"]["enabled"] = True
    features["invoice_history"]["enabled"] = True
    acct.add(config)
    acct.emit("billing_portal.configuration.created", config)
    return config


def create_session(ctx: Ctx) -> JSON:
    p = ctx.params
    if "customer" not in p:
        raise missing_param("customer")
    customer = customer_ref(ctx, p["customer"])
    if "configuration" in p:
        config = ctx.acct.get(
            "billing_portal.configuration",
            as_str(p["configuration"], "configuration"),
            param="configuration",
            status=400,
        )
    else:
        config = _default_configuration(ctx.acct)
    session = new_object("billing_portal.session")
    sid = new_id("bps", 24)
    session.update(
        id=sid,
        configuration=config["id"],
        customer=customer,
        locale=as_str(p["locale"], "locale") if "locale" in p else None,
        return_url=as_str(p["return_url"], "return_url")
        if "return_url" in p
        else config.get("default_return_url"),
        url=f"{ctx.base_url}/p/session/{sid}",
    )
    ctx.acct.add(session)
    ctx.own(session)
    ctx.acct.emit("billing_portal.session.created", session)
    return session


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/billing_portal/sessions",
        create_session,
        consumes=("configuration", "customer", "locale", "return_url"),
    )


# -- the page ----------------------------------------------------------------------------------


def _choices(acct: Account, sub: JSON) -> list[JSON]:
    current = sub["items"]["data"][0]["price"]
    return [
        price
        for price in acct.of_type("price")
        if price["active"]
        and price.get("recurring")
        and price["currency"] == current["currency"]
        and price["id"] != current["id"]
    ]


def _sub_block(acct: Account, sub: JSON) -> str:
    item = sub["items"]["data"][0]
    price = item["price"]
    name = html.escape(price_desc(acct, price, int(item.get("quantity") or 1)))
    state = "cancels at period end" if sub["cancel_at_period_end"] else sub["status"]
    sid = html.escape(sub["id"])
    block = f"<h2>{name}</h2><p class=muted>{sid} · {html.escape(state)}</p>"
    options = "".join(
        f"<option value='{html.escape(p['id'])}'>{html.escape(p['id'])} — "
        f"{html.escape(_money(p['unit_amount'], p['currency']))} / {html.escape(p['recurring']['interval'])}</option>"
        for p in _choices(acct, sub)
    )
    if options:
        block += (
            f"<form method=post><input type=hidden name=subscription value='{sid}'>"
            f"<label for=price_{sid}>Switch plan</label><select id=price_{sid} name=price>{options}</select>"
            "<button name=action value=switch>Switch plan</button></form>"
        )
    if not sub["cancel_at_period_end"]:
        block += (
            f"<form method=post><input type=hidden name=subscription value='{sid}'>"
            "<button class=secondary name=action value=cancel>Cancel plan</button></form>"
        )
    return block


def routes(sb: Sandbox) -> list[Route]:
    def found(session_id: str) -> tuple[Account, JSON] | None:
        acct = sb.state.owners.get(session_id)
        session = acct.find("billing_portal.session", session_id) if acct else None
        return (acct, session) if acct is not None and session is not None else None

    def render(
        acct: Account, session: JSON, note: str = "", error: str = "", request_id: str = ""
    ) -> HTMLResponse:
        subs = [
            s
            for s in acct.of_type("subscription")
            if s["customer"] == session["customer"] and s["status"] in _LIVE
        ]
        body = "<h1>Manage billing</h1>"
        body += f"<p class=muted>Customer {html.escape(session['customer'])}</p>"
        body += "".join(_sub_block(acct, s) for s in subs) or "<p class=muted>No active subscriptions.</p>"
        body += (
            "<form method=post><label for=card_number>New card number</label>"
            "<input id=card_number name=card_number inputmode=numeric placeholder='4242 4242 4242 4242'>"
            "<button class=secondary name=action value=payment_method>Update payment method</button></form>"
        )
        if note:
            body += f"<p class=ok>{html.escape(note)}</p>"
        if error:
            body += f"<div class=error role=alert>{html.escape(error)}</div>"
        body += _link(session.get("return_url"), "Return")
        return _page("Customer portal", body, 400 if error else 200, request_id)

    async def get(request: Request) -> Response:
        with sb.state.lock:
            hit = found(request.path_params["session"])
            if hit is None:
                return _not_found("This portal session")
            return render(*hit)

    async def post(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        request_id = new_id("req", 14)
        with sb.state.lock:
            hit = found(request.path_params["session"])
            if hit is None:
                return _not_found("This portal session")
            acct, session = hit
            acct.current_request = (request_id, None)
            base = str(request.base_url).rstrip("/")
            try:
                note = _act(sb, acct, session, form, base, request_id)
            except StripeError as err:
                note, error = "", err.message
            else:
                error = ""
            home = acct.home  # a connected account's events wait on its platform (Connect webhooks)
            pending, home.pending_events = home.pending_events, []
            for event in pending:
                sb.webhooks.schedule(home, event)
            if not error and session.get("return_url") and form.get("return") == "1":
                return RedirectResponse(session["return_url"], status_code=303)
            return render(acct, session, note, error, request_id)

    return [
        Route("/p/session/{session}", get, methods=["GET"]),
        Route("/p/session/{session}", post, methods=["POST"]),
    ]


def _act(sb: Sandbox, acct: Account, session: JSON, form: dict[str, str], base: str, request_id: str) -> str:
    """Run one portal action through the API's own handlers; returns what to tell the customer."""
    customer = session["customer"]

    def ctx(params: dict[str, Any], path_params: dict[str, str] | None = None) -> Ctx:
        return Ctx(sb, acct, params, path_params or {}, base, request_id, "POST", "")

    action = form.get("action")
    if action == "payment_method":
        pm = payment_methods.pm_from_number(ctx({}), form.get("card_number", ""))
        customers.update(
            ctx({"invoice_settings": {"default_payment_method": pm["id"]}}, {"customer": customer})
        )
        return f"Your card ending in {pm['card']['last4']} is now your default payment method."
    sub = acct.find("subscription", form.get("subscription"))
    if sub is None or sub["customer"] != customer or sub["status"] not in _LIVE:
        raise StripeError(400, "This subscription cannot be changed here.")
    where = {"subscription_exposed_id": sub["id"]}
    if action == "cancel":
        subscriptions.update_subscription(ctx({"cancel_at_period_end": "true"}, where))
        return "Your plan will be canceled at the end of the billing period."
    if action == "switch":
        price = next((p for p in _choices(acct, sub) if p["id"] == form.get("price")), None)
        if price is None:
            raise StripeError(400, "Choose one of the plans offered.")
        item = sub["items"]["data"][0]
        subscriptions.update_subscription(
            ctx(
                {
                    "items": [{"id": item["id"], "price": price["id"]}],
                    "proration_behavior": "create_prorations",
                },
                where,
            )
        )
        return "Your plan was switched."
    raise StripeError(400, "Unknown action.")
