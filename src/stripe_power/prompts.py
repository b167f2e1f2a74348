"""Prompts: one short plan per seed workflow, each step an exact tool call.

Each step is a hint reference (hints.py), written when the prompt is sent for the server's
listing: the tool where it is listed, else the call_stripe_api call that does the same.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import Field

from . import clock
from .hints import call
from .money import format_amount


def _step(tool: str, /, **arguments: Any) -> str:
    """A tool call in a plan, in backticks: written for the server's listing when the prompt is sent
    (the tool, or the call_stripe_api call that does the same)."""
    return f"`{call(tool, **arguments)}`"


SUCCESS_URL = "https://example.com/success"
CANCEL_URL = "https://example.com/cancel"


def accept_one_time_payment(
    product_name: Annotated[str, Field(description="What is sold")],
    amount: Annotated[int, Field(description="Minor units, e.g. 2999")],
    currency: str = "usd",
) -> str:
    price = format_amount(amount, currency) or f"{amount} {currency}"
    inline = {"currency": currency, "product_data": {"name": product_name}, "unit_amount": amount}
    session = _step(
        "create_checkout_session",
        mode="payment",
        line_items=[{"price_data": inline, "quantity": 1}],
        success_url=SUCCESS_URL,
        cancel_url=CANCEL_URL,
    )
    return f"""Accept a one-time payment of {price} for "{product_name}" with Stripe Checkout:
1. {session}
   (your own success_url and cancel_url; a catalog price instead: {_step("create_price", currency=currency, unit_amount=amount, product_data={"name": product_name})},
   then line_items=[{{price: "price_...", quantity: 1}}]). Do not pass payment_method_types (dynamic payment methods).
2. Send the customer to the session `url` (in the offline sandbox: {_step("pay_checkout_session", session="cs_...", payment_method="pm_card_visa")}).
3. Fulfil on the `checkout.session.completed` webhook, not on the redirect: {_step("wait_for_event", type="checkout.session.completed", object_id="cs_...")}
   to see it, {_step("retrieve_checkout_session", session="cs_...")} to check payment_status="paid".
4. In test mode, pay the page with 4242 4242 4242 4242; see stripe://testing/cards for declines."""


def start_subscription(
    customer_email: Annotated[str, Field(description="The subscriber")],
    price: Annotated[str | None, Field(description="An existing recurring price_...")] = None,
    amount: Annotated[int | None, Field(description="Minor units, when there is no price yet")] = None,
    interval: str = "month",
    currency: str = "usd",
) -> str:
    if price:
        item: dict[str, Any] = {"price": price, "quantity": 1}
        make_price = f"Use the recurring price {price}."
    else:
        recurring = {"interval": interval}
        item = {
            "price_data": {
                "currency": currency,
                "unit_amount": amount,
                "product_data": {"name": "..."},
                "recurring": recurring,
            },
            "quantity": 1,
        }
        catalog = _step(
            "create_price",
            currency=currency,
            unit_amount=amount,
            product_data={"name": "..."},
            recurring=recurring,
        )
        make_price = f"Give the price inline in line_items (step 3), or make a catalog price: {catalog}."
    session = _step(
        "create_checkout_session",
        mode="subscription",
        customer="cus_...",
        line_items=[item],
        success_url=SUCCESS_URL,
    )
    saved = _step(
        "create_subscription",
        customer="cus_...",
        items=[{"price": price or "price_...", "quantity": 1}],
        default_payment_method="pm_...",
    )
    return f"""Start a {interval}ly subscription for {customer_email}:
1. {make_price}
2. {_step("create_customer", email=customer_email)} (to reuse an existing one: {_step("list_customers", email=customer_email)}).
3. Preferred: {session}; send them to `url` (in the offline sandbox: {_step("pay_checkout_session", session="cs_...", payment_method="pm_card_visa")}).
   Then {_step("retrieve_checkout_session", session="cs_...")} for its subscription, and {_step("retrieve_subscription", subscription="sub_...")} to see it active.
4. With a saved payment method instead: {saved}; otherwise payment_behavior="default_incomplete" and confirm the first
   invoice's payment on the client.
5. Handle `invoice.paid` and `invoice.payment_failed` webhooks to grant or pause access."""


def process_refund(
    payment_intent: Annotated[str, Field(description="pi_... to refund")],
    amount: Annotated[int | None, Field(description="Minor units; omit for the full remainder")] = None,
) -> str:
    what = f"amount {amount}" if amount is not None else "no amount: the full remaining amount"
    refund = _step(
        "create_refund", payment_intent=payment_intent, amount=amount, reason="requested_by_customer"
    )
    return f"""Refund {payment_intent}:
1. {_step("retrieve_payment_intent", payment_intent=payment_intent)}: it must be succeeded; note the amount received.
2. {_step("list_refunds", payment_intent=payment_intent)} to see what was already refunded.
3. {refund} ({what}; pick the reason). The server refuses a refund larger than what remains, and may ask the
   user to confirm.
4. {_step("wait_for_event", type="charge.refunded", object_id=payment_intent)} (or `refund.updated`) and tell the customer."""


def save_payment_method(customer_email: Annotated[str, Field(description="Whose card to save")]) -> str:
    setup = _step(
        "create_setup_intent",
        customer="cus_...",
        usage="off_session",
    )
    confirm = _step(
        "confirm_setup_intent",
        setup_intent="seti_...",
        payment_method="pm_card_visa",
        return_url="https://example.com/return",
    )
    default = _step(
        "update_customer", customer="cus_...", invoice_settings={"default_payment_method": "pm_..."}
    )
    charge = _step(
        "create_payment_intent",
        amount=2000,
        currency="usd",
        customer="cus_...",
        payment_method="pm_...",
        off_session=True,
        confirm=True,
    )
    return f"""Save a payment method for {customer_email} to charge later:
1. {_step("create_customer", email=customer_email)} (to reuse an existing one: {_step("list_customers", email=customer_email)}).
2. Preferred: {_step("create_checkout_session", mode="setup", customer="cus_...", currency="usd", success_url=SUCCESS_URL)};
   or {setup} and confirm it on the client with its client_secret (in test mode: {confirm}).
3. {_step("list_payment_methods", customer="cus_...")} to get the saved pm_...; to make it the default for invoices, {default}.
4. Later (your amount and currency): {charge}.
   On authentication_required, bring the customer back on-session."""


def go_live_checklist() -> str:
    charge = _step(
        "create_payment_intent",
        amount=2000,
        currency="usd",
        payment_method="pm_card_chargeDeclined",
        confirm=True,
    )
    return f"""Walk through going live, one item at a time:
1. {_step("get_account_info")}: confirm the account, country and default currency.
2. Read stripe://guide/best-practices (the go-live checklist at its end) and stripe://guide/guardrails.
3. Run {_step("check_integration_code", source="<the file's code>", filename="checkout.py")} on each payment file (or
   `stripe-power lint` on the repo): fix every error.
4. Check webhooks: the handler verifies signatures ({_step("send_test_webhook", url="http://127.0.0.1:PORT/webhooks", type="checkout.session.completed")}),
   and handles checkout.session.completed, payment_intent.succeeded/payment_failed, invoice.paid/payment_failed.
5. Test declines and 3D Secure in test mode: {charge}, then payment_method=pm_card_authenticationRequired.
6. Switch to a live restricted key with --allow-live, --max-amount and --max-daily-refunds set."""


def debug_failed_payment(payment_intent: Annotated[str, Field(description="pi_... that failed")]) -> str:
    return f"""Find out why {payment_intent} failed and what to do next:
1. {_step("retrieve_payment_intent", payment_intent=payment_intent)}: read status, last_payment_error (code,
   decline_code and its meaning) and next_step.
2. {_step("list_events", types=["payment_intent.*"], object_id=payment_intent)}: the order of attempts and failures.
3. requires_payment_method after a decline: ask the customer for another method (do not retry the same
   card for fraudulent/lost/stolen). requires_action: the customer must authenticate on-session.
   requires_capture: {_step("capture_payment_intent", payment_intent=payment_intent)} within 7 days.
4. Explain the cause in plain words and the single next step."""


def simulate_billing_cycle(
    price: Annotated[str, Field(description="Your recurring price_...")],
    months: Annotated[int, Field(description="How many cycles to run")] = 2,
    card: Annotated[
        str, Field(description="pm_card_visa, or pm_card_chargeCustomerFail for failures")
    ] = "pm_card_visa",
) -> str:
    customer = _step(
        "create_customer",
        email="clock@example.com",
        test_clock="clock_...",
        payment_method=card,
        invoice_settings={"default_payment_method": card},
    )
    subscribe = _step(
        "create_subscription",
        customer="cus_...",
        items=[{"price": price}],
        payment_behavior="allow_incomplete",
    )
    return f"""Simulate {months} billing cycle(s) of {price} with a test clock (test mode or the sandbox).
1. {_step("create_test_clock", name="billing simulation", frozen_time=int(clock.now()))}; note its id.
2. {customer}.
3. {subscribe} (charges the saved card now; add trial_period_days to start with a trial).
4. {_step("advance_test_clock", test_clock="clock_...")} (no days: it moves just past the next renewal, once
   the renewal invoice is finalized and paid); repeat for each of the {months} cycle(s). Each result lists
   the invoices created, paid and failed and the subscriptions whose status changed.
5. {_step("list_invoices", customer="cus_...")} to read every invoice; {_step("retrieve_subscription", subscription="sub_...")} for its state.
   With {card} failing, expect past_due, retries, then cancellation.
6. {_step("delete_test_clock", test_clock="clock_...")} when done: it deletes the customer and everything on the clock."""


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
    argument checks (pydantic's `validate_call`, as the SDK's own) are built on its first use."""
    from mcp.server.mcpserver.prompts import Prompt
    from mcp.server.mcpserver.prompts.base import PromptArgument

    from .published import prompt_key, published_schemas

    published = published_schemas()
    for prompt in PROMPTS:
        name, title = prompt.__name__, TITLES[prompt.__name__]
        arguments = published.get(prompt_key(name))
        if arguments is None:  # not generated yet: derived from the function now
            arguments = _arguments(prompt)
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


def _arguments(prompt: Callable[..., str]) -> list[dict[str, Any]]:
    from mcp.server.mcpserver.prompts import Prompt

    return [
        argument.model_dump(exclude_none=True) for argument in Prompt.from_function(prompt).arguments or []
    ]


def published_prompt_arguments() -> dict[str, Any]:
    """Each prompt's arguments as the SDK derives them (for `scripts/gen_schemas.py`)."""
    from .published import prompt_key

    return {prompt_key(prompt.__name__): _arguments(prompt) for prompt in PROMPTS}


def _checked_on_first_use(prompt: Callable[..., str]) -> Callable[..., str]:
    """`prompt` behind pydantic's `validate_call`, as `Prompt.from_function` wraps it, built
    when the prompt is first rendered rather than at start-up. An argument it cannot take is
    the caller's mistake: JSON-RPC -32602 naming the argument and what it takes (prompt
    arguments arrive as strings; `"2"` is read as the number 2, `"two"` is refused)."""
    checked: list[Callable[..., str]] = []

    @functools.wraps(prompt)
    def render(**arguments: Any) -> str:
        from pydantic import ValidationError

        if not checked:
            from pydantic import validate_call

            checked.append(validate_call(prompt))
        try:
            return checked[0](**arguments)
        except ValidationError as error:
            raise _invalid_arguments(prompt, error) from None

    return render


_TAKES: dict[Any, str] = {int: 'a whole number written in digits, e.g. "2"', str: "text"}


def _takes(annotation: Any) -> str:
    import typing

    options = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    return " or ".join(_TAKES.get(option, getattr(option, "__name__", str(option))) for option in options)


def _invalid_arguments(prompt: Callable[..., str], error: Any) -> MCPError:
    import inspect
    import typing

    hints = typing.get_type_hints(prompt)  # Annotated[...] stripped to the type
    problems, names = [], []
    for item in error.errors(include_url=False):
        name = str(item["loc"][0]) if item["loc"] else "(arguments)"
        names.append(name)
        shown = json.dumps(item.get("input"), ensure_ascii=False)[:40]
        problems.append(f"`{name}` got {shown}: it takes {_takes(hints.get(name, str))}")
    return MCPError(
        code=INVALID_PARAMS,
        message=f"Invalid argument for prompt {prompt.__name__}: {'; '.join(problems)}. "
        f"Its arguments: {', '.join(inspect.signature(prompt).parameters)}.",
        data={"prompt": prompt.__name__, "arguments": names},
    )
