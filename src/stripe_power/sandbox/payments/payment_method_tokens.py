"""``POST /v1/payment_methods``: a card PaymentMethod from a test token (``card[token]=tok_visa``).

Each test token names the same test card as its PaymentMethod id (``tok_visa`` ↔
``pm_card_visa``, ``tok_chargeDeclined`` ↔ ``pm_card_chargeDeclined``), so the new PaymentMethod
behaves like that card when charged. Raw card numbers get Stripe's test-mode refusal.
"""

from __future__ import annotations

from ..core.accepted import refusal
from ..core.errors import StripeError, invalid, missing_param
from ..core.router import Ctx, Router
from ..core.store import JSON, apply_metadata, as_dict, as_enum, as_str
from .cards import card_for_token
from .payment_methods import make_card_pm

RAW_CARD_REFUSAL = (
    "Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens "
    "that map to the test card you are using, see https://stripe.com/docs/testing. To enable testing raw card "
    "data APIs, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis."
)


_NOT_A_CARD = refusal(
    ("POST /v1/payment_methods",),
    "`type` other than `card`",
    "the sandbox makes card PaymentMethods from test tokens only",
)


def create_payment_method(ctx: Ctx) -> JSON:
    p = ctx.params
    if "type" not in p:
        raise missing_param("type")
    kind = as_str(p["type"], "type")
    if kind != "card":
        raise _NOT_A_CARD.error(ctx.method, ctx.path or "/v1/payment_methods", ("type",))
    card_param = as_dict(p.get("card", {}), "card")
    if "number" in card_param:
        raise StripeError(400, RAW_CARD_REFUSAL, param="card[number]")
    if "token" not in card_param:
        raise missing_param("card[token]")
    token = as_str(card_param["token"], "card[token]")
    card = card_for_token(token)
    if card is None:
        raise invalid(f"No such token: '{token}'", param="card[token]", code="resource_missing")
    pm = make_card_pm(ctx, card, p.get("billing_details"))
    if "metadata" in p:
        pm["metadata"] = apply_metadata({}, p["metadata"])
    if "allow_redisplay" in p:
        pm["allow_redisplay"] = as_enum(
            p["allow_redisplay"], "allow_redisplay", ("always", "limited", "unspecified")
        )
    return pm


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/payment_methods",
        create_payment_method,
        consumes=(
            "allow_redisplay",
            "billing_details.address",
            "billing_details.email",
            "billing_details.name",
            "billing_details.phone",
            "card",
            "metadata",
            "type",
        ),
    )
