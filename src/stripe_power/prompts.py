"""Prompts: one short plan per seed workflow, written with this server's tool names.

Each plan names its tools in backticks; a test checks every such name against the registry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

from mcp.server import MCPServer
from pydantic import Field

from .money import format_amount


def accept_one_time_payment(
    product_name: Annotated[str, Field(description="What is sold")],
    amount: Annotated[int, Field(description="Minor units, e.g. 2999")],
    currency: str = "usd",
) -> str:
    price = format_amount(amount, currency) or f"{amount} {currency}"
    return f"""Accept a one-time payment of {price} for "{product_name}" with Stripe Checkout:
1. `create_checkout_session` mode="payment", line_items=[{{price_data: {{currency: "{currency}",
   product_data: {{name: "{product_name}"}}, unit_amount: {amount}}}, quantity: 1}}], success_url and
   cancel_url on your site. (A catalog price instead: `create_price`, toolset catalog, then line_items=[{{price, quantity: 1}}].)
   Do not pass payment_method_types (dynamic payment methods).
2. Send the customer to the session `url` (in the offline sandbox, `pay_checkout_session` pays it).
3. Fulfil on the `checkout.session.completed` webhook, not on the redirect: `wait_for_event`
   type="checkout.session.completed" to see it, `retrieve_checkout_session` to check payment_status="paid".
4. In test mode, pay the page with 4242 4242 4242 4242; see stripe://testing/cards for declines."""


def start_subscription(
    customer_email: Annotated[str, Field(description="The subscriber")],
    price: Annotated[str | None, Field(description="An existing recurring price_...")] = None,
    amount: Annotated[int | None, Field(description="Minor units, when there is no price yet")] = None,
    interval: str = "month",
    currency: str = "usd",
) -> str:
    make_price = (
        f"Use the recurring price {price}."
        if price
        else f'Give the price inline: line_items=[{{price_data: {{currency: "{currency}", unit_amount: {amount}, '
        f'product_data: {{name: ...}}, recurring: {{interval: "{interval}"}}}}, quantity: 1}}] (or a catalog price: '
        f'`create_product` and `create_price` recurring={{interval: "{interval}"}}, toolset catalog).'
    )
    return f"""Start a {interval}ly subscription for {customer_email}:
1. {make_price}
2. `create_customer` email="{customer_email}" (to reuse an existing one: `list_customers`
   email="{customer_email}").
3. Preferred: `create_checkout_session` mode="subscription", customer=cus_..., line_items with that price,
   success_url; send them to `url` (in the offline sandbox, `pay_checkout_session` pays it).
   Then `retrieve_checkout_session` for its subscription, and `retrieve_subscription` to see it active.
4. With a saved payment method instead (toolset subscriptions): `create_subscription` customer, items=[{{price, quantity: 1}}],
   default_payment_method=pm_...; otherwise payment_behavior="default_incomplete" and confirm the first
   invoice's payment on the client.
5. Handle `invoice.paid` and `invoice.payment_failed` webhooks to grant or pause access."""


def process_refund(
    payment_intent: Annotated[str, Field(description="pi_... to refund")],
    amount: Annotated[int | None, Field(description="Minor units; omit for the full remainder")] = None,
) -> str:
    what = f"amount={amount}" if amount is not None else "no amount (the full remaining amount)"
    return f"""Refund {payment_intent}:
1. `retrieve_payment_intent` payment_intent="{payment_intent}": it must be succeeded; note the amount received.
2. `list_refunds` payment_intent="{payment_intent}" to see what was already refunded.
3. `create_refund` payment_intent="{payment_intent}", {what}, with a reason. The server refuses a refund
   larger than what remains, and may ask the user to confirm.
4. `wait_for_event` type="charge.refunded" (or `refund.updated`) and tell the customer."""


def save_payment_method(customer_email: Annotated[str, Field(description="Whose card to save")]) -> str:
    return f"""Save a payment method for {customer_email} to charge later:
1. `create_customer` email="{customer_email}" (to reuse an existing one: `list_customers`
   email="{customer_email}").
2. Preferred: `create_checkout_session` mode="setup" with that customer; or `create_setup_intent` customer,
   usage="off_session" and confirm it on the client with its client_secret (in test mode:
   `confirm_setup_intent` payment_method="pm_card_visa", return_url=https://... as its next_step says).
3. `list_payment_methods` customer=... to get the saved pm_...; to make it the default for invoices,
   `update_customer` invoice_settings={{default_payment_method: pm_...}} (toolset customers).
4. Later: `create_payment_intent` amount, currency, customer, payment_method, off_session=true, confirm=true.
   On authentication_required, bring the customer back on-session."""


def go_live_checklist() -> str:
    return """Walk through going live, one item at a time:
1. `get_account_info`: confirm the account, country and default currency.
2. Read stripe://guide/best-practices (the go-live checklist at its end) and stripe://guide/guardrails.
3. Run `check_integration_code` (toolset lint) on each payment file (or `stripe-power lint` on the repo):
   fix every error.
4. Check webhooks: the handler verifies signatures (`send_test_webhook` to it, toolset events), and handles
   checkout.session.completed, payment_intent.succeeded/payment_failed, invoice.paid/payment_failed.
5. Test declines and 3D Secure in test mode: `create_payment_intent` amount, currency, confirm=true, with
   payment_method=pm_card_chargeDeclined, then pm_card_authenticationRequired.
6. Switch to a live restricted key with --allow-live, --max-amount and --max-daily-refunds set."""


def debug_failed_payment(payment_intent: Annotated[str, Field(description="pi_... that failed")]) -> str:
    return f"""Find out why {payment_intent} failed and what to do next:
1. `retrieve_payment_intent` payment_intent="{payment_intent}": read status, last_payment_error (code,
   decline_code and its meaning) and next_step.
2. `list_events` type="payment_intent.*" (toolset events) and look for this id: the order of attempts and
   failures.
3. requires_payment_method after a decline: ask the customer for another method (do not retry the same
   card for fraudulent/lost/stolen). requires_action: the customer must authenticate on-session.
   requires_capture: `capture_payment_intent` (toolset payment_intents) within 7 days.
4. Explain the cause in plain words and the single next step."""


def simulate_billing_cycle(
    price: Annotated[str, Field(description="Your recurring price_...")],
    months: Annotated[int, Field(description="How many cycles to run")] = 2,
    card: Annotated[
        str, Field(description="pm_card_visa, or pm_card_chargeCustomerFail for failures")
    ] = "pm_card_visa",
) -> str:
    return f"""Simulate {months} billing cycle(s) of {price} with a test clock (test mode or the sandbox).
It needs tools outside the default list: start the server with
--toolsets default,test_clocks,subscriptions,invoices (or --toolsets all).
1. `create_test_clock` name="billing simulation" (frozen_time defaults to now); note its id.
2. `create_customer` email="clock@example.com", test_clock=<clock id>, payment_method="{card}",
   invoice_settings={{default_payment_method: "{card}"}}.
3. `create_subscription` customer=<customer id>, items=[{{price: "{price}"}}],
   payment_behavior="allow_incomplete" (charges the saved card now; add trial_period_days to start with a trial).
4. `advance_test_clock` test_clock=<clock id> (no days: it moves just past the next renewal, once the
   renewal invoice is finalized and paid); repeat for each of the {months} cycle(s). Each result lists
   the invoices created, paid and failed and the subscriptions whose status changed.
5. `list_invoices` customer=<customer id> to read every invoice; `retrieve_subscription` for its state.
   With {card} failing, expect past_due, retries, then cancellation.
6. `delete_test_clock` when done: it deletes the customer and everything on the clock."""


PROMPTS = (
    accept_one_time_payment,
    start_subscription,
    process_refund,
    save_payment_method,
    go_live_checklist,
    debug_failed_payment,
    simulate_billing_cycle,
)

TITLES = {
    "accept_one_time_payment": "Accept a one-time payment",
    "start_subscription": "Create a subscription",
    "process_refund": "Process a refund",
    "save_payment_method": "Save a payment method for later",
    "go_live_checklist": "Go-live checklist",
    "debug_failed_payment": "Debug a failed payment",
    "simulate_billing_cycle": "Simulate billing cycles with a test clock",
}


def register_prompts(server: MCPServer[Any]) -> None:
    """Each prompt, listed from its published arguments (`published_schemas.json`); its
    argument checks (the SDK's `validate_call`) are built on its first use."""
    from mcp.server.mcpserver.prompts import Prompt
    from mcp.server.mcpserver.prompts.base import PromptArgument

    from .published import prompt_key, published_schemas

    published = published_schemas()
    for prompt in PROMPTS:
        name, title = prompt.__name__, TITLES[prompt.__name__]
        arguments = published.get(prompt_key(name))
        if arguments is None:  # not generated yet: built from the function now
            server.prompt(name=name, title=title, description=title)(prompt)
            continue
        server.add_prompt(
            Prompt(
                name=name,
                title=title,
                description=title,
                arguments=[PromptArgument(**argument) for argument in arguments],
                fn=_checked_on_first_use(prompt),
                context_kwarg=None,  # no prompt takes the request context
            )
        )


def published_prompt_arguments() -> dict[str, Any]:
    """Each prompt's arguments as the SDK derives them (for `scripts/gen_schemas.py`)."""
    from mcp.server.mcpserver.prompts import Prompt

    from .published import prompt_key

    return {
        prompt_key(prompt.__name__): [
            argument.model_dump(exclude_none=True)
            for argument in Prompt.from_function(prompt).arguments or []
        ]
        for prompt in PROMPTS
    }


def _checked_on_first_use(prompt: Callable[..., str]) -> Callable[..., str]:
    """`prompt` behind pydantic's `validate_call`, as `Prompt.from_function` wraps it, built
    when the prompt is first rendered rather than at start-up."""
    checked: list[Callable[..., str]] = []

    @functools.wraps(prompt)
    def render(**arguments: Any) -> str:
        if not checked:
            from pydantic import validate_call

            checked.append(validate_call(prompt))
        return checked[0](**arguments)

    return render
