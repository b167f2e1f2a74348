"""Rules Stripe writes in its descriptions, not in its schema, as one table read by `check`.

The spec types `items` as an array, but its description says "up to 20"; it types `customer_update`
as an object, but says "Can only be provided when `customer` is provided". Schema validation
(`validation.py`) cannot see these, so each is a row here: the operation, the object in the
request it reads (`scope`, with `*` for every element of a list), the conditions that together
break it, the parameter Stripe names, Stripe's message and the source. Rows that hold wherever a
pair of parameters appears (`unit_amount` with `unit_amount_decimal`, `starting_after` with
`ending_before`) are generated from the spec, so a new operation is covered when the index is.

`check` runs for every request after schema validation and before any handler (hand-written or
generic), at the time of the request's test clock.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from ... import spec
from ...money import THREE_DECIMAL
from .constraint_conditions import (
    DAY,
    Before,
    Beyond,
    Given,
    Includes,
    Is,
    Missing,
    MoreThan,
    NotMultiple,
    Other,
    Reached,
    Root,
    Rule,
    Unknown,
    Unmatched,
)
from .errors import StripeError
from .store import Account

# -- the table ---------------------------------------------------------------------------------

SPEC = "spec3.json, the description of"
SUB, SUB_ID = "POST /v1/subscriptions", "POST /v1/subscriptions/{subscription_exposed_id}"
CS, PL, PL_ID = (
    "POST /v1/checkout/sessions",
    "POST /v1/payment_links",
    "POST /v1/payment_links/{payment_link}",
)
INV, INV_ID = "POST /v1/invoices", "POST /v1/invoices/{invoice}"
PI, CH = "POST /v1/payment_intents", "POST /v1/charges"
CUS, CUS_ID = "POST /v1/customers", "POST /v1/customers/{customer}"
WE, WE_ID = "POST /v1/webhook_endpoints", "POST /v1/webhook_endpoints/{webhook_endpoint}"
_MODES = ("payment", "setup", "subscription")


def _at_most(operation: str, key: str, limit: int, noun: str, source: str) -> Rule:
    return Rule(
        operation,
        (MoreThan(key, limit),),
        key,
        f"You can pass at most {limit} {noun} in `{key}`.",
        source,
    )


def _only_in_mode(key: str, modes: tuple[str, ...]) -> Rule:
    others = tuple(m for m in _MODES if m not in modes)
    return Rule(
        CS,
        (Given(key), Other("mode", frozenset(modes), "payment")),
        key,
        f"You can not pass `{key}` in `{'` or `'.join(others)}` mode.",
        f"{SPEC} `{key}` (POST /v1/checkout/sessions): only in `{'` and `'.join(modes)}` mode",
    )


def _with_confirm(key: str) -> Rule:
    return Rule(
        PI,
        (Given(key), Other("confirm", frozenset({"true"}), "false")),
        key,
        f"`{key}` can only be used with `confirm=true`.",
        f"{SPEC} `{key}` (POST /v1/payment_intents): 'can only be used with confirm=true'",
    )


def _amounts(operation: str) -> tuple[Rule, ...]:
    currencies = "https://docs.stripe.com/currencies#special-cases"
    return (
        Rule(
            operation,
            (Is("currency", frozenset({"isk"})), NotMultiple("amount", 100)),
            "amount",
            "Amounts in ISK must be divisible by 100: ISK is charged in whole krónur, written with two "
            "decimals that are always 00 (500 for 5 ISK).",
            f"{currencies} (Icelandic króna)",
        ),
        Rule(
            operation,
            (Is("currency", THREE_DECIMAL), NotMultiple("amount", 10)),
            "amount",
            "Amounts in three-decimal currencies (BHD, JOD, KWD, OMR, TND) must end in 0: round the "
            "amount to the nearest ten (5.124 KWD is sent as 5120).",
            f"{currencies} (three-decimal currencies)",
        ),
    )


_HAND_WRITTEN: tuple[Rule, ...] = (
    # Subscriptions
    *(
        rule
        for op in (SUB, SUB_ID)
        for rule in (
            _at_most(
                op,
                "items",
                20,
                "subscription items",
                f"{SPEC} `items`: 'A list of up to 20 subscription items'",
            ),
            _at_most(
                op,
                "add_invoice_items",
                20,
                "items",
                f"{SPEC} `add_invoice_items`: 'You may pass up to 20 items.'",
            ),
        )
    ),
    Rule(
        SUB,
        (Given("billing_cycle_anchor"), Given("billing_cycle_anchor_config")),
        "billing_cycle_anchor_config",
        "You may only specify one of these parameters: billing_cycle_anchor, billing_cycle_anchor_config.",
        f"{SPEC} `billing_cycle_anchor_config`: 'Mutually exclusive with billing_cycle_anchor'",
    ),
    Rule(
        SUB,
        (
            Given("days_until_due"),
            Other("collection_method", frozenset({"send_invoice"}), "charge_automatically"),
        ),
        "days_until_due",
        "You can only set days_until_due if collection_method is send_invoice.",
        f"{SPEC} `days_until_due`: 'Valid only for subscriptions where collection_method is set to send_invoice'",
    ),
    *(
        Rule(
            op,
            (Before("cancel_at"),),
            "cancel_at",
            "Invalid cancel_at: it must be a time in the future.",
            "spec3.json, the subscription's `cancel_at`: 'A date in the future at which the subscription "
            "will automatically get canceled'",
        )
        for op in (SUB, SUB_ID)
    ),
    Rule(
        SUB,
        (Is("payment_behavior", frozenset({"pending_if_incomplete"})),),
        "payment_behavior",
        "payment_behavior=pending_if_incomplete is only supported when updating a subscription.",
        "https://docs.stripe.com/billing/subscriptions/pending-updates (pending updates apply to updates "
        "of an existing subscription)",
    ),
    Rule(
        SUB,
        (Beyond("trial_end", 730 * DAY),),
        "trial_end",
        "`trial_end` can be at most two years from `billing_cycle_anchor`.",
        f"{SPEC} `trial_end`: 'Can be at most two years from billing_cycle_anchor'",
    ),
    # Checkout Sessions
    _at_most(
        CS, "shipping_options", 5, "shipping options", f"{SPEC} `shipping_options`: 'Up to a maximum of 5.'"
    ),
    Rule(
        CS,
        (MoreThan("discounts", 1),),
        "discounts",
        "You can only apply one discount to a Checkout Session: pass one coupon or promotion code in "
        "`discounts`.",
        f"{SPEC} `discounts` (POST /v1/checkout/sessions): 'Currently, only up to one may be specified.'",
    ),
    _at_most(
        CS, "custom_fields", 3, "custom fields", f"{SPEC} `custom_fields`: 'Up to 3 fields are supported.'"
    ),
    _at_most(
        CS,
        "optional_items",
        10,
        "optional items",
        f"{SPEC} `optional_items`: 'a maximum of 10 optional items'",
    ),
    Rule(
        CS,
        (Is("mode", frozenset({"payment"}), "payment"), MoreThan("line_items", 100)),
        "line_items",
        "You can pass at most 100 line items in `payment` mode.",
        f"{SPEC} `line_items`: 'For payment mode, there is a maximum of 100 line items'",
    ),
    Rule(
        CS,
        (Given("customer_update"), Missing("customer")),
        "customer_update",
        "`customer_update` can only be used with `customer`.",
        f"{SPEC} `customer_update`: 'Can only be provided when customer is provided.'",
    ),
    _only_in_mode("submit_type", ("payment", "subscription")),
    _only_in_mode("customer_creation", ("payment", "setup")),
    _only_in_mode("payment_method_collection", ("subscription",)),
    _only_in_mode("saved_payment_method_options", ("payment", "subscription")),
    _only_in_mode("payment_intent_data", ("payment",)),
    _only_in_mode("subscription_data", ("subscription",)),
    _only_in_mode("setup_intent_data", ("setup",)),
    # Payment Links
    *(
        rule
        for op in (PL, PL_ID)
        for rule in (
            _at_most(
                op,
                "line_items",
                20,
                "line items",
                f"{SPEC} `line_items` (POST /v1/payment_links): 'Up to 20 line items'",
            ),
            _at_most(
                op,
                "custom_fields",
                3,
                "custom fields",
                f"{SPEC} `custom_fields`: 'Up to 3 fields are supported.'",
            ),
        )
    ),
    # Invoices
    *(
        Rule(
            op,
            (Before("due_date"),),
            "due_date",
            "The `due_date` must be in the future.",
            "https://docs.stripe.com/api/invoices/create#create_invoice-due_date (the date on which "
            "payment is due: a due date in the past is refused)",
        )
        for op in (INV, INV_ID)
    ),
    *(
        Rule(
            INV,
            (Given(key), Other("collection_method", frozenset({"send_invoice"}), "charge_automatically")),
            key,
            f"You can only set {key} if collection_method is send_invoice.",
            f"{SPEC} `{key}` (POST /v1/invoices): 'Valid only for invoices where collection_method=send_invoice'",
        )
        for key in ("days_until_due", "due_date")
    ),
    *(
        _at_most(
            op,
            "custom_fields",
            4,
            "custom fields",
            f"{SPEC} `custom_fields`: 'A list of up to 4 custom fields'",
        )
        for op in (INV, INV_ID)
    ),
    *(
        Rule(
            op,
            (Beyond("automatically_finalizes_at", 5 * 365 * DAY),),
            "automatically_finalizes_at",
            "`automatically_finalizes_at` can be at most 5 years in the future.",
            f"{SPEC} `automatically_finalizes_at`: '(up to 5 years in the future)'",
        )
        for op in (INV, INV_ID)
    ),
    # Customers
    *(
        Rule(
            op,
            (Unmatched("invoice_prefix", "[A-Z0-9]{3,12}"),),
            "invoice_prefix",
            "Invalid invoice_prefix: it must be 3–12 uppercase letters or numbers.",
            f"{SPEC} `invoice_prefix`: 'Must be 3–12 uppercase letters or numbers.'",
        )
        for op in (CUS, CUS_ID)
    ),
    # PaymentIntents and charges
    Rule(
        PI,
        (Given("statement_descriptor"), Includes("payment_method_types", "card")),
        "statement_descriptor",
        "The `statement_descriptor` parameter is not supported for card payments. Use "
        "`statement_descriptor_suffix` instead.",
        f"{SPEC} `statement_descriptor` (POST /v1/payment_intents): 'Setting this value for a card charge "
        "returns an error.'",
    ),
    *(_with_confirm(key) for key in ("error_on_requires_action", "mandate", "mandate_data", "off_session")),
    *_amounts(PI),
    *_amounts(CH),
    # Invoice items
    Rule(
        "POST /v1/invoiceitems",
        (Given("amount"), Given("unit_amount_decimal")),
        "unit_amount_decimal",
        "You may only specify one of these parameters: amount, unit_amount_decimal.",
        "https://docs.stripe.com/api/invoiceitems/create (`amount`, or `unit_amount_decimal` times the "
        "quantity, or a price: one way to say the amount)",
    ),
    # Prices
    Rule(
        "POST /v1/prices",
        (Given("transform_quantity"), Given("tiers")),
        "transform_quantity",
        "You may only specify one of these parameters: tiers, transform_quantity.",
        f"{SPEC} `transform_quantity` (POST /v1/prices): 'Cannot be combined with tiers.'",
    ),
    # Webhook endpoints
    Rule(
        WE,
        (Reached("webhook_endpoint", 16),),
        "url",
        "You have reached the maximum of 16 test webhook endpoints on this account. Delete one before "
        "adding another.",
        "https://docs.stripe.com/webhooks#register-webhook ('You can register up to 16 webhook "
        "endpoints on each Stripe account.')",
    ),
    *(
        Rule(
            op,
            (Unknown(WE, "enabled_events"),),
            "enabled_events",
            "Invalid enabled_events: each must be `*` or an event type Stripe sends "
            "(https://docs.stripe.com/api/events/types).",
            f"{SPEC} `enabled_events` (an enum the schema lets through: x-stripeBypassValidation)",
        )
        for op in (WE, WE_ID)
    ),
)


def _pairs(first: str, second: str, source: str) -> tuple[Rule, ...]:
    """`first` and `second` sent together, in every operation of the spec where they sit side by
    side (at any depth: `line_items[0][price_data]` as much as the top level)."""
    rules = []
    for operation, paths in spec.holders(second).items():
        for path in paths:
            parent = path[:-1]
            method, template = operation.split(" ", 1)
            op = spec.operation(method, template)
            assert op is not None
            if spec.lookup(op, ".".join((*parent, first))) is None:
                continue
            rules.append(
                Rule(
                    operation,
                    (Given(first), Given(second)),
                    second,
                    f"You may only specify one of these parameters: {first}, {second}.",
                    source,
                    scope=_scope(op, parent),
                )
            )
    return tuple(rules)


def _scope(op: spec.Operation, parent: tuple[str, ...]) -> str:
    """The dotted scope of ``parent``, with `*` after each name that is a list."""
    parts: list[str] = []
    for i, name in enumerate(parent):
        parts.append(name)
        node = spec.deref(spec.lookup(op, ".".join(parent[: i + 1])) or {})
        branches = [node, *(spec.deref(b) for b in node.get("anyOf", ()))]
        if any(b.get("type") == "array" for b in branches):
            parts.append("*")
    return ".".join(parts)


# What a pending update can carry (docs.stripe.com/billing/subscriptions/pending-updates-reference;
# `metadata` since 2026-05-27.dahlia); of an item, its price and quantity.
PENDING_PARAMS = frozenset(
    {
        "add_invoice_items", "billing_cycle_anchor", "expand", "items", "metadata", "off_session",
        "payment_behavior", "proration_behavior", "proration_date", "trial_end", "trial_from_plan",
    }
)  # fmt: skip
PENDING_ITEM_PARAMS = frozenset({"id", "price", "price_data", "quantity"})
_PENDING_SOURCE = (
    "https://docs.stripe.com/billing/subscriptions/pending-updates-reference (supported attributes)"
)


def _pending_only() -> tuple[Rule, ...]:
    """With `payment_behavior=pending_if_incomplete`, every other parameter of the update is refused."""
    op = spec.operation("POST", "/v1/subscriptions/{subscription_exposed_id}")
    assert op is not None
    pending = Is("payment_behavior", frozenset({"pending_if_incomplete"}))
    top = [
        Rule(
            SUB_ID,
            (pending, Given(name)),
            name,
            f"You cannot pass `{name}` with `payment_behavior=pending_if_incomplete`: pending updates support "
            "only " + ", ".join(sorted(PENDING_PARAMS)) + ".",
            _PENDING_SOURCE,
        )
        for name in sorted(op.params["properties"])
        if name not in PENDING_PARAMS
    ]
    item = spec.lookup(op, "items") or {}
    item_keys = spec.deref(spec.deref(item).get("items", {})).get("properties", {})
    nested = [
        Rule(
            SUB_ID,
            (Root(pending), Given(name)),
            name,
            f"You cannot change an item's `{name}` with `payment_behavior=pending_if_incomplete`: pending "
            "updates change an item's price and quantity only.",
            _PENDING_SOURCE,
            scope="items.*",
        )
        for name in sorted(item_keys)
        if name not in PENDING_ITEM_PARAMS
    ]
    return (*top, *nested)


@functools.cache
def table() -> tuple[Rule, ...]:
    return (
        *_HAND_WRITTEN,
        *_pending_only(),
        *_pairs(
            "unit_amount",
            "unit_amount_decimal",
            f"{SPEC} `unit_amount_decimal`: 'Only one of unit_amount and unit_amount_decimal can be set.'",
        ),
        *_pairs(
            "starting_after",
            "ending_before",
            "https://docs.stripe.com/api/pagination ('ending_before ... starting_after': a cursor "
            "for one direction of one page)",
        ),
    )


@functools.cache
def _by_operation() -> dict[str, tuple[Rule, ...]]:
    found: dict[str, list[Rule]] = {}
    for rule in table():
        found.setdefault(rule.operation, []).append(rule)
    return {k: tuple(v) for k, v in found.items()}


def _objects(
    value: Any, parts: list[str], here: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Each object at the dotted ``parts`` under ``value``, with its wire path."""
    if not parts:
        if isinstance(value, dict):
            yield here, value
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = (
            enumerate(value) if isinstance(value, list) else value.items() if isinstance(value, dict) else ()
        )
        for index, item in items:
            yield from _objects(item, rest, (*here, index))
    elif isinstance(value, dict) and head in value:
        yield from _objects(value[head], rest, (*here, head))


def check(operation: str, params: dict[str, Any], acct: Account) -> None:
    """Refuse ``params`` with Stripe's message for the first rule of ``operation`` it breaks."""
    for rule in _by_operation().get(operation, ()):
        parts = rule.scope.split(".") if rule.scope else []
        for where, obj in _objects(params, parts, ()):
            if all(cond.holds(obj, acct, params) for cond in rule.when):
                raise StripeError(400, rule.message, param=spec.bracketed((*where, rule.param)))
