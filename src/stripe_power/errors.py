"""One small error tree. Every message says what happened and what to do next.

Nothing here may carry a secret: messages are shown to agents and written to logs.
"""

from __future__ import annotations


class StripePowerError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(StripePowerError):
    """The server cannot start with this configuration; the message names the fix."""


class InputError(StripePowerError):
    """A tool argument is wrong; the message names the parameter and the fix."""

    def __init__(self, param: str, problem: str, fix: str = "") -> None:
        self.param = param
        text = f"Invalid `{param}`: {problem}"
        super().__init__(f"{text} {fix}".strip())


class GuardrailRefusal(StripePowerError):
    """A rule of the guardrail table refused the request before anything was sent."""

    def __init__(self, rule_id: str, message: str) -> None:
        self.rule_id = rule_id
        super().__init__(message)


class StateError(StripePowerError):
    """The state (ledger, tokens, replay window) failed before a request: nothing was sent."""


class StripeAPIError(StripePowerError):
    """Stripe (or the sandbox) answered with an error, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.http_status = http_status
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.request_id = request_id
        super().__init__(message)


# What a decline code means in plain language and what to do next.
DECLINE_MEANINGS: dict[str, str] = {
    "generic_decline": "the bank declined without a reason; ask the customer for another payment method",
    "insufficient_funds": "the card has insufficient funds; ask for another payment method or a smaller amount",
    "fraudulent": "Stripe or the bank suspects fraud; do not retry this card",
    "lost_card": "the card was reported lost; ask for another payment method",
    "stolen_card": "the card was reported stolen; ask for another payment method",
    "expired_card": "the card has expired; ask the customer to update the card",
    "incorrect_cvc": "the CVC is wrong; ask the customer to re-enter the card details",
    "processing_error": "an error occurred while processing the card; retry shortly",
    "card_velocity_exceeded": "the card went over its limit or frequency; ask for another payment method",
    "authentication_required": "the bank requires authentication (3D Secure); bring the customer on-session "
    "to confirm the PaymentIntent with its client_secret",
}

# The next step for Stripe error codes an agent can act on.
NEXT_STEPS: dict[str, str] = {
    "card_declined": "Ask the customer for another payment method; do not retry the same card.",
    "authentication_required": "Bring the customer back on-session to authenticate, then confirm again.",
    "resource_missing": "Check the id (and that it belongs to this account and mode).",
    "parameter_unknown": "Remove the parameter or check its spelling against Stripe's API reference.",
    "parameter_missing": "Add the missing parameter.",
    "parameter_invalid_integer": "Pass a whole number in the currency's minor unit.",
    "idempotency_error": "Reuse an idempotency key only with identical parameters; use a new key.",
    "rate_limit": "Wait a moment and retry; lower the request rate.",
    "charge_already_refunded": "Nothing left to refund on this payment.",
    "amount_too_small": "Raise the amount above the currency's minimum charge amount.",
    "payment_method_types_no_longer_supported": "Omit payment_method_types (dynamic payment methods).",
    "payment_intent_unexpected_state": "Retrieve the PaymentIntent and act on its current status.",
    # The embedded sandbox of `serve --sandbox` (sandbox_listener), not Stripe's.
    "sandbox_unavailable": "Restart the MCP server (stripe-power serve --sandbox); its log says why "
    "the sandbox failed.",
}


def token_for_payment_method(param: str, token: str) -> InputError:
    """A card token (`tok_visa`) where Stripe takes a PaymentMethod id: Stripe's test tokens and
    test PaymentMethods are named alike (`tok_visa` is `pm_card_visa`'s card), and a real token
    becomes a PaymentMethod with `POST /v1/payment_methods` (`type=card`, `card[token]`)."""
    test = "pm_card_" + token.removeprefix("tok_")
    return InputError(
        param,
        f"takes a PaymentMethod id (pm_...), and {token!r} is a card token.",
        f"For the test token {token} pass {param.rsplit('.', 1)[-1]}={test} (every test token tok_X has "
        "the test PaymentMethod pm_card_X); a token from Stripe.js becomes a PaymentMethod with POST "
        "/v1/payment_methods type=card, card[token]=tok_.... Nothing was sent to Stripe.",
    )
