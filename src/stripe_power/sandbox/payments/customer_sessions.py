"""``POST /v1/customer_sessions``: a short-lived client secret that lets Stripe's client
components (Payment Element, pricing table, buy button) act for one customer. Valid 30 minutes,
as Stripe documents; not retrievable afterwards (Stripe has no retrieve endpoint)."""

from __future__ import annotations

from ..core.errors import missing_param
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.schema_objects import apply, new_object
from ..core.store import JSON
from .customers import customer_ref

LIFETIME_S = 30 * 60


def create_customer_session(ctx: Ctx) -> JSON:
    p = ctx.params
    if "customer" not in p:
        raise missing_param("customer")
    session = new_object("customer_session")
    apply("customer_session", session, {"components": p.get("components", {})})
    session["customer"] = customer_ref(ctx, p["customer"])
    session["client_secret"] = new_id("cuss_secret", 48)
    session["expires_at"] = session["created"] + LIFETIME_S
    return session


def register(router: Router) -> None:
    router.add("POST", "/v1/customer_sessions", create_customer_session, consumes=("components", "customer"))
