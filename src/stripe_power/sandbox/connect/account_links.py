"""Account links and login links: the hosted pages a platform sends its connected accounts to.

``POST /v1/account_links`` answers a single-use URL on the sandbox that expires five minutes after it
is made (``expires_at``); visited once, or after it expired, it sends the user to ``refresh_url``, as
Stripe's does (docs.stripe.com/connect/hosted-onboarding). The page completes onboarding with test
data, which meets the account's requirements, so its requested capabilities turn ``active``
(connect_accounts.py), then returns to ``return_url``. ``POST /v1/accounts/{account}/login_links``
is for accounts that use the Express Dashboard once they have completed onboarding; its single-use
URL opens a small Express Dashboard (balance, payments, payouts).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..core.errors import invalid
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.store import JSON, Account, as_enum, as_str, now, snapshot
from ..pages.page import _not_found, _page
from ..payments.charges import fmt_money
from . import connect_accounts, external_accounts
from .connect_accounts import collects, dashboard
from .connect_scope import connected

if TYPE_CHECKING:
    from ..core.app import Sandbox

LINK_LIFETIME = 300  # seconds: an account link expires a few minutes after it is created


def create_account_link(ctx: Ctx) -> JSON:
    p = ctx.params
    account, _ = connected(ctx, p["account"], "account")
    kind = as_enum(p["type"], "type", ("account_onboarding", "account_update"))
    if kind == "account_update" and (collects(account) != "application" or dashboard(account) != "none"):
        # The description of `type` (API reference).
        raise invalid(
            "You can create Account Links of type `account_update` only for connected accounts where your "
            "platform is responsible for collecting requirements, including Custom accounts. You can't create "
            "them for accounts that have access to a Stripe-hosted Dashboard.",
            param="type",
        )
    created = now()
    token = new_id("x", 24)[2:]
    home = ctx.acct.home
    home.private[f"account_link:{token}"] = {
        "account": account["id"],
        "type": kind,
        "refresh_url": as_str(p["refresh_url"], "refresh_url") if "refresh_url" in p else None,
        "return_url": as_str(p["return_url"], "return_url") if "return_url" in p else None,
        "expires_at": created + LINK_LIFETIME,
        "visit": None,  # the secret of the one visit the link allows
        # What to collect: the sandbox's onboarding collects everything, which covers either choice.
        "collect": p.get("collection_options") or p.get("collect") or {"fields": "currently_due"},
    }
    ctx.state.owners[f"account_link:{token}"] = home
    return {
        "object": "account_link",
        "created": created,
        "expires_at": created + LINK_LIFETIME,
        "url": f"{ctx.base_url}/connect/setup/{account['id']}/{token}",
    }


def create_login_link(ctx: Ctx) -> JSON:
    account, _ = connected(ctx, ctx.path_params["account"], "account")
    if dashboard(account) != "express":
        # The operation's description in the spec.
        raise invalid(
            "You can only create login links for accounts that use the Express Dashboard and are connected to "
            f"your platform; {account['id']} has `controller.stripe_dashboard.type={dashboard(account)}`.",
            param="account",
        )
    if not account["details_submitted"]:
        raise invalid("Cannot create a login link for an account that has not completed onboarding.")
    token = new_id("x", 24)[2:]
    home = ctx.acct.home
    home.private[f"login_link:{token}"] = {"account": account["id"], "used": False}
    ctx.state.owners[f"login_link:{token}"] = home
    return {
        "object": "login_link",
        "created": now(),
        "url": f"{ctx.base_url}/connect/express/{account['id']}/{token}",
    }


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/account_links",
        create_account_link,
        consumes=("account", "collect", "collection_options", "refresh_url", "return_url", "type"),
    )
    router.add("POST", "/v1/accounts/{account}/login_links", create_login_link, consumes=())


# -- the hosted pages ---------------------------------------------------------------------------


def _complete(sb: Sandbox, home: Account, account: JSON, base: str) -> None:
    """Onboarding with test data: what the form collects, then the requirements are met."""
    ctx = Ctx(sb, home, {}, {}, base, new_id("req", 14), "POST", "")
    before = snapshot(account)
    profile = account.get("business_profile") or {}
    profile.update(
        product_description=profile.get("product_description") or "Test business (sandbox onboarding)",
        support_phone=profile.get("support_phone") or "0000000000",
        url=profile.get("url") or "https://example.com",
    )
    account["business_profile"] = profile
    account["business_type"] = account.get("business_type") or "individual"
    account["tos_acceptance"] = {
        "date": now(),
        "ip": "127.0.0.1",
        "service_agreement": "full",
        "user_agent": "stripe-power sandbox onboarding",
    }
    if not any(b.get("account") == account["id"] for b in home.of_type("bank_account")):
        external_accounts.add(ctx, account, "btok_us_verified")
    home.priv(account)["onboarded"] = True
    connect_accounts.refresh(ctx, account, before)


def _express(home: Account, account: JSON) -> str:
    store = home.connected[account["id"]]
    funds = store.balance or {account["default_currency"]: 0}
    rows = "".join(
        f"<tr><td>Available ({html.escape(cur.upper())})</td><td class=amt>{html.escape(fmt_money(amt, cur))}</td></tr>"
        for cur, amt in sorted(funds.items())
    )
    payments = [c for c in store.of_type("charge")][-10:]
    payouts = [p for p in store.of_type("payout")][-10:]
    body = f"<h1>Express Dashboard</h1><p class=muted>{html.escape(account['id'])}</p><table>{rows}</table>"
    body += "<h2>Payments</h2>" + (
        "<table>"
        + "".join(
            f"<tr><td>{html.escape(c['id'])}</td><td class=amt>{html.escape(fmt_money(c['amount'], c['currency']))}</td></tr>"
            for c in reversed(payments)
        )
        + "</table>"
        if payments
        else "<p class=muted>No payments yet.</p>"
    )
    body += "<h2>Payouts</h2>" + (
        "<table>"
        + "".join(
            f"<tr><td>{html.escape(p['id'])} · {html.escape(p['status'])}</td>"
            f"<td class=amt>{html.escape(fmt_money(p['amount'], p['currency']))}</td></tr>"
            for p in reversed(payouts)
        )
        + "</table>"
        if payouts
        else "<p class=muted>No payouts yet.</p>"
    )
    return body


def routes(sb: Sandbox) -> list[Route]:
    def link(kind: str, account_id: str, token: str) -> tuple[Account, dict[str, Any], JSON] | None:
        home = sb.state.owners.get(f"{kind}:{token}")
        record = home.private.get(f"{kind}:{token}") if home else None
        if home is None or record is None or record["account"] != account_id:
            return None
        account = home.find("account", account_id)
        return (home, record, account) if account is not None else None

    def gone(record: dict[str, Any]) -> Response:
        if record.get("refresh_url"):
            return RedirectResponse(record["refresh_url"], status_code=303)
        return _page(
            "Link expired", "<h1>This link has expired</h1><p class=muted>Ask for a new one.</p>", 410
        )

    async def setup(request: Request) -> Response:
        with sb.state.lock:
            found = link("account_link", request.path_params["account"], request.path_params["token"])
            if found is None:
                return _not_found("This account link")
            _, record, account = found
            if record["visit"] is not None or now() > record["expires_at"]:
                return gone(record)
            record["visit"] = new_id("x", 24)[2:]
            title = "Update your account" if record["type"] == "account_update" else "Set up your account"
            body = (
                f"<h1>{title}</h1><p class=muted>{html.escape(account['id'])}</p>"
                "<p>The sandbox verifies at once: submitting fills in test business details, accepts the "
                "Stripe Services Agreement and adds a test bank account (STRIPE TEST BANK ••••6789).</p>"
                f"<form method=post><input type=hidden name=visit value='{record['visit']}'>"
                "<button name=action value=submit>Submit (use test data)</button>"
                "<button class=secondary name=action value=leave>Leave without finishing</button></form>"
            )
            return _page(title, body)

    async def submit(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        with sb.state.lock:
            found = link("account_link", request.path_params["account"], request.path_params["token"])
            if found is None:
                return _not_found("This account link")
            home, record, account = found
            if not record["visit"] or form.get("visit") != record["visit"]:
                return gone(record)
            record["visit"] = ""  # spent
            if form.get("action") == "submit":
                _complete(sb, home, account, str(request.base_url).rstrip("/"))
            pending, home.pending_events = home.pending_events, []
        for event in pending:
            sb.webhooks.schedule(home, event)
        if record.get("return_url"):
            return RedirectResponse(record["return_url"], status_code=303)
        return _page("Done", "<h1>You're all set</h1><p class=muted>You can close this page.</p>")

    async def express(request: Request) -> Response:
        with sb.state.lock:
            found = link("login_link", request.path_params["account"], request.path_params["token"])
            if found is None:
                return _not_found("This login link")
            home, record, account = found
            if record["used"]:
                return _page("Link used", "<h1>This login link was already used</h1>", 410)
            record["used"] = True
            return _page("Express Dashboard", _express(home, account))

    return [
        Route("/connect/setup/{account}/{token}", setup, methods=["GET"]),
        Route("/connect/setup/{account}/{token}", submit, methods=["POST"]),
        Route("/connect/express/{account}/{token}", express, methods=["GET"]),
    ]
