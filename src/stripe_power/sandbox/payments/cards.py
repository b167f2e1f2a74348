"""Test payment methods and card numbers the sandbox understands, as data.

``TEST_PAYMENT_METHODS`` is public: the MCP server serves it as a resource so an agent can pick
the right test card for the scenario it wants to exercise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

# declined_after_attach: saving it (attach, SetupIntent) succeeds; every charge is declined.
Outcome = Literal[
    "succeeded", "declined", "declined_after_attach", "requires_action", "requires_action_on_session"
]


@dataclass(frozen=True, slots=True)
class TestPaymentMethod:
    """One test card: its PaymentMethod id, number, and what happens when it is charged."""

    __test__ = False  # not a pytest test class

    id: str
    number: str
    brand: str
    last4: str
    outcome: Outcome
    meaning: str
    decline_code: str | None = None
    error_code: str | None = None
    funding: str = "credit"
    country: str = "US"
    aliases: tuple[str, ...] = ()
    risk_level: str = "normal"  # Radar's risk level on the charge
    dispute: str | None = None  # the reason of the dispute opened after the charge succeeds
    inquiry: bool = False  # the dispute is an inquiry (warning_needs_response)

    @property
    def declines_charges(self) -> bool:
        return self.outcome in ("declined", "declined_after_attach")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _c(
    pm_id: str,
    number: str,
    brand: str,
    outcome: Outcome,
    meaning: str,
    decline_code: str | None = None,
    error_code: str | None = None,
    funding: str = "credit",
    aliases: tuple[str, ...] = (),
    risk_level: str = "normal",
    dispute: str | None = None,
    inquiry: bool = False,
) -> TestPaymentMethod:
    if decline_code and not error_code:
        error_code = "card_declined"
    return TestPaymentMethod(
        id=pm_id,
        number=number,
        brand=brand,
        last4=number[-4:],
        outcome=outcome,
        meaning=meaning,
        decline_code=decline_code,
        error_code=error_code,
        funding=funding,
        aliases=aliases,
        risk_level=risk_level,
        dispute=dispute,
        inquiry=inquiry,
    )


TEST_PAYMENT_METHODS: tuple[TestPaymentMethod, ...] = (
    _c("pm_card_visa", "4242424242424242", "visa", "succeeded", "Visa; the payment succeeds."),
    _c(
        "pm_card_visa_debit",
        "4000056655665556",
        "visa",
        "succeeded",
        "Visa debit; the payment succeeds.",
        funding="debit",
    ),
    _c(
        "pm_card_mastercard",
        "5555555555554444",
        "mastercard",
        "succeeded",
        "Mastercard; the payment succeeds.",
    ),
    _c(
        "pm_card_mastercard_debit",
        "5200828282828210",
        "mastercard",
        "succeeded",
        "Mastercard debit; the payment succeeds.",
        funding="debit",
    ),
    _c(
        "pm_card_mastercard_prepaid",
        "5105105105105100",
        "mastercard",
        "succeeded",
        "Mastercard prepaid; the payment succeeds.",
        funding="prepaid",
    ),
    _c("pm_card_amex", "378282246310005", "amex", "succeeded", "American Express; the payment succeeds."),
    _c("pm_card_discover", "6011111111111117", "discover", "succeeded", "Discover; the payment succeeds."),
    _c("pm_card_diners", "3056930009020004", "diners", "succeeded", "Diners Club; the payment succeeds."),
    _c("pm_card_jcb", "3566002020360505", "jcb", "succeeded", "JCB; the payment succeeds."),
    _c("pm_card_unionpay", "6200000000000005", "unionpay", "succeeded", "UnionPay; the payment succeeds."),
    _c(
        "pm_card_chargeDeclinedVelocityLimitExceeded",
        "4000000000006975",
        "visa",
        "declined",
        "Declined: the card's velocity limit is exceeded (card_velocity_exceeded).",
        decline_code="card_velocity_exceeded",
    ),
    _c(
        "pm_card_riskLevelElevated",
        "4000000000009235",
        "visa",
        "succeeded",
        "The payment succeeds with Radar risk level elevated.",
        risk_level="elevated",
    ),
    _c(
        "pm_card_riskLevelHighest",
        "4000000000004954",
        "visa",
        "declined",
        "Radar risk level highest: blocked by Radar's default rules (card_declined / fraudulent).",
        decline_code="fraudulent",
        risk_level="highest",
    ),
    _c(
        "pm_card_createDispute",
        "4000000000000259",
        "visa",
        "succeeded",
        "The payment succeeds, then the cardholder disputes it as fraudulent.",
        dispute="fraudulent",
    ),
    _c(
        "pm_card_createDisputeProductNotReceived",
        "4000000000002685",
        "visa",
        "succeeded",
        "The payment succeeds, then the cardholder disputes it as product not received.",
        dispute="product_not_received",
    ),
    _c(
        "pm_card_createDisputeInquiry",
        "4000000000001976",
        "visa",
        "succeeded",
        "The payment succeeds, then the cardholder opens an inquiry (fraudulent).",
        dispute="fraudulent",
        inquiry=True,
    ),
    _c(
        "pm_card_chargeCustomerFail",
        "4000000000000341",
        "visa",
        "declined_after_attach",
        "Attaching it to a customer succeeds, but charging the customer is declined (card_declined); "
        "use it to test failed renewals.",
        decline_code="generic_decline",
    ),
    _c(
        "pm_card_chargeDeclined",
        "4000000000000002",
        "visa",
        "declined",
        "Always declined with a generic decline (card_declined / generic_decline).",
        decline_code="generic_decline",
        aliases=("pm_card_visa_chargeDeclined",),
    ),
    _c(
        "pm_card_chargeDeclinedInsufficientFunds",
        "4000000000009995",
        "visa",
        "declined",
        "Declined: the card has insufficient funds (insufficient_funds).",
        decline_code="insufficient_funds",
        aliases=("pm_card_visa_chargeDeclinedInsufficientFunds",),
    ),
    _c(
        "pm_card_chargeDeclinedLostCard",
        "4000000000009987",
        "visa",
        "declined",
        "Declined: the card is reported lost (lost_card).",
        decline_code="lost_card",
        aliases=("pm_card_visa_chargeDeclinedLostCard",),
    ),
    _c(
        "pm_card_chargeDeclinedStolenCard",
        "4000000000009979",
        "visa",
        "declined",
        "Declined: the card is reported stolen (stolen_card).",
        decline_code="stolen_card",
        aliases=("pm_card_visa_chargeDeclinedStolenCard",),
    ),
    _c(
        "pm_card_chargeDeclinedFraudulent",
        "4100000000000019",
        "visa",
        "declined",
        "Blocked as fraudulent by Radar (card_declined / fraudulent).",
        decline_code="fraudulent",
        aliases=("pm_card_radarBlock", "pm_card_visa_chargeDeclinedFraudulent"),
        risk_level="highest",
    ),
    _c(
        "pm_card_chargeDeclinedExpiredCard",
        "4000000000000069",
        "visa",
        "declined",
        "Declined: the card has expired (expired_card).",
        decline_code="expired_card",
        error_code="expired_card",
    ),
    _c(
        "pm_card_chargeDeclinedIncorrectCvc",
        "4000000000000127",
        "visa",
        "declined",
        "Declined: the security code is incorrect (incorrect_cvc).",
        decline_code="incorrect_cvc",
        error_code="incorrect_cvc",
    ),
    _c(
        "pm_card_chargeDeclinedProcessingError",
        "4000000000000119",
        "visa",
        "declined",
        "Declined: a processing error occurred (processing_error).",
        decline_code="processing_error",
        error_code="processing_error",
    ),
    _c(
        "pm_card_authenticationRequired",
        "4000002760003184",
        "visa",
        "requires_action",
        "3D Secure authentication is required on every payment, including off-session ones "
        "(off-session payments fail with authentication_required).",
        aliases=("pm_card_threeDSecure2Required",),
    ),
    _c(
        "pm_card_authenticationRequiredOnSetup",
        "4000002500003155",
        "visa",
        "requires_action_on_session",
        "3D Secure is required for on-session payments unless the card was set up for future use; "
        "off-session payments after setup succeed.",
    ),
)

_CARDS_BY_ID: dict[str, TestPaymentMethod] = {}
for _card in TEST_PAYMENT_METHODS:
    _CARDS_BY_ID[_card.id] = _card
    for _alias in _card.aliases:
        _CARDS_BY_ID[_alias] = _card
_CARDS_BY_NUMBER: dict[str, TestPaymentMethod] = {c.number: c for c in TEST_PAYMENT_METHODS}
_CARDS_BY_NUMBER["4000000000003220"] = _CARDS_BY_ID["pm_card_authenticationRequired"]

DECLINE_MESSAGES: dict[str, str] = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
    "fraudulent": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "card_velocity_exceeded": "Your card was declined for making repeated attempts too frequently or exceeding "
    "its amount limit.",
}


def card_for_test_pm(pm_id: str) -> TestPaymentMethod | None:
    """The test card behind a magic PaymentMethod id such as ``pm_card_visa``."""
    return _CARDS_BY_ID.get(pm_id)


def card_for_token(token: str) -> TestPaymentMethod | None:
    """The test card behind a legacy test token: `tok_visa` is `pm_card_visa`'s card."""
    return _CARDS_BY_ID.get("pm_card_" + token.removeprefix("tok_")) if token.startswith("tok_") else None


def card_for_number(number: str) -> TestPaymentMethod | None:
    """The test card for a card number (spaces ignored); unknown numbers that pass Luhn succeed."""
    digits = "".join(ch for ch in number if ch.isdigit())
    known = _CARDS_BY_NUMBER.get(digits)
    if known is not None:
        return known
    if 12 <= len(digits) <= 19 and luhn_ok(digits):
        brand = {"4": "visa", "5": "mastercard", "3": "amex", "6": "discover"}.get(digits[0], "unknown")
        return TestPaymentMethod(
            id="",
            number=digits,
            brand=brand,
            last4=digits[-4:],
            outcome="succeeded",
            meaning="A card number that passes the Luhn check; the payment succeeds.",
        )
    return None


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0
