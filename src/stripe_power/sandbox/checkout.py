"""Checkout Sessions (payment, subscription and setup modes) and their completion."""

from __future__ import annotations

from typing import Any

from . import (
    catalog,
    checkout_totals,
    customers,
    payment_intents,
    payment_methods,
    setup_intents,
)
from .errors import StripeError, invalid, missing_param, no_such, unknown_param
from .ids import client_secret, new_id
from .router import Ctx, Router
from .store import (
    JSON,
    Account,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_int,
    as_list,
    as_str,
    now,
    paginate,
    skeleton,
    snapshot,
)
from .subscription_create import Terms, start_subscription

UI_MODES = {
    "hosted": "hosted_page",
    "hosted_page": "hosted_page",
    "embedded": "embedded_page",
    "embedded_page": "embedded_page",
}
_LINE_ITEM_KEYS = {
    "price",
    "price_data",
    "quantity",
    "adjustable_quantity",
    "dynamic_tax_rates",
    "tax_rates",
    "metadata",
}
_PRICE_DATA_KEYS = {
    "currency",
    "product",
    "product_data",
    "unit_amount",
    "unit_amount_decimal",
    "recurring",
    "tax_behavior",
}


def build_line_items(ctx: Ctx, raw: Any, param: str = "line_items") -> list[tuple[JSON, int, JSON]]:
    """Resolve ``line_items`` into (price, quantity, adjustable_quantity) triples."""
    items = as_list(raw, param)
    out: list[tuple[JSON, int, JSON]] = []
    for i, item_raw in enumerate(items):
        ip = f"{param}[{i}]"
        item = as_dict(item_raw, ip)
        for key in item:
            if key not in _LINE_ITEM_KEYS:
                raise unknown_param(f"{ip}[{key}]")
        if "price" in item and "price_data" in item:
            raise invalid(
                "You may only specify one of these parameters: price, price_data.", param=f"{ip}[price]"
            )
        if "price" in item:
            price = ctx.acct.find("price", item["price"])
            if price is None:
                raise no_such("price", str(item["price"]), param=f"{ip}[price]", status=400)
            if not price["active"]:
                raise invalid(
                    f"The price `{price['id']}` is not active, and so cannot be used.", param=f"{ip}[price]"
                )
        elif "price_data" in item:
            pd = as_dict(item["price_data"], f"{ip}[price_data]")
            for key in pd:
                if key not in _PRICE_DATA_KEYS:
                    raise unknown_param(f"{ip}[price_data][{key}]")
            price = catalog.make_price(ctx, pd, f"{ip}[price_data]", inline=True)
        else:
            raise invalid(f"You must specify either `price` or `price_data` in {ip}.", param=f"{ip}[price]")
        qty = as_int(item.get("quantity", 1), f"{ip}[quantity]", minimum=0)
        if "quantity" not in item and "adjustable_quantity" not in item:
            raise missing_param(f"{ip}[quantity]")
        adjustable: JSON = {}
        if "adjustable_quantity" in item:
            aq = as_dict(item["adjustable_quantity"], f"{ip}[adjustable_quantity]")
            enabled = as_bool(aq.get("enabled", False), f"{ip}[adjustable_quantity][enabled]")
            adjustable = {
                "enabled": enabled,
                "maximum": as_int(aq["maximum"], f"{ip}[adjustable_quantity][maximum]")
                if "maximum" in aq
                else None,
                "minimum": as_int(aq["minimum"], f"{ip}[adjustable_quantity][minimum]")
                if "minimum" in aq
                else None,
            }
        out.append((price, qty, adjustable))
    return out


def _line_item_object(ctx: Ctx, price: JSON, qty: int) -> JSON:
    product = ctx.acct.objects.get(price["product"], {})
    amount = int(price["unit_amount"] or 0) * qty
    item: JSON = skeleton("item")
    item.update(
        id=new_id("li", 24),
        object="item",
        amount_discount=0,
        amount_subtotal=amount,
        amount_tax=0,
        amount_total=amount,
        currency=price["currency"],
        description=product.get("name"),
        price=price,
        quantity=qty,
    )
    ctx.acct.add(item)
    return item


def create(ctx: Ctx) -> JSON:
    p = ctx.params
    acct = ctx.acct
    mode = as_enum(p.get("mode", "payment"), "mode", ("payment", "setup", "subscription"))
    ui_raw = as_str(p.get("ui_mode", "hosted_page"), "ui_mode")
    if ui_raw not in UI_MODES:
        raise invalid(
            f"Invalid ui_mode: {ui_raw}. The sandbox supports hosted_page and embedded_page.", param="ui_mode"
        )
    ui_mode = UI_MODES[ui_raw]
    if ui_mode == "embedded_page":
        if "success_url" in p:
            raise invalid(
                "You cannot pass `success_url` when `ui_mode` is `embedded_page`.", param="success_url"
            )
        if "cancel_url" in p:
            raise invalid(
                "You cannot pass `cancel_url` when `ui_mode` is `embedded_page`.", param="cancel_url"
            )
        if "return_url" not in p and p.get("redirect_on_completion") != "never":
            raise invalid(
                "`return_url` is required when `ui_mode` is `embedded_page`.",
                param="return_url",
                code="parameter_missing",
            )
    elif "return_url" in p:
        raise invalid(
            "You can only pass `return_url` when `ui_mode` is `embedded_page` or `elements`.",
            param="return_url",
        )
    if "customer" in p and "customer_email" in p:
        raise invalid(
            "You may only specify one of these parameters: customer, customer_email.", param="customer_email"
        )
    customer = None
    if "customer" in p:
        customer = as_str(p["customer"], "customer")
        if acct.find("customer", customer) is None:
            raise no_such("customer", customer, param="customer", status=400)
    items: list[tuple[JSON, int, JSON]] = []
    if "line_items" in p:
        items = build_line_items(ctx, p["line_items"])
    if mode in ("payment", "subscription") and not items:
        raise invalid(
            f"`line_items` is required in `{mode}` mode.", param="line_items", code="parameter_missing"
        )
    if mode == "setup" and items:
        raise invalid("You cannot pass `line_items` in `setup` mode.", param="line_items")
    # spec3.json `currency`: "Required in `setup` mode when `payment_method_types` is not set."
    if mode == "setup" and "currency" not in p and "payment_method_types" not in p:
        raise missing_param("currency")
    currencies = {price["currency"] for price, _, _ in items}
    if len(currencies) > 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    recurring = [price for price, _, _ in items if price["type"] == "recurring"]
    if mode == "payment" and recurring:
        raise invalid(
            "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use "
            "only one-time prices.",
            param="line_items",
        )
    if mode == "subscription" and not recurring:
        raise invalid(
            "You must provide at least one recurring price in `subscription` mode when using prices.",
            param="line_items",
        )
    created = now()
    expires_at = created + 24 * 3600
    if "expires_at" in p:
        expires_at = as_int(p["expires_at"], "expires_at")
        if expires_at > created + 24 * 3600:
            raise invalid(
                "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                param="expires_at",
            )
        if expires_at < created + 30 * 60 - 5:
            raise invalid(
                "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                param="expires_at",
            )
    cur = (
        next(iter(currencies))
        if currencies
        else (as_str(p["currency"], "currency").lower() if "currency" in p else None)
    )
    total = sum(int(price["unit_amount"] or 0) * qty for price, qty, _ in items)
    sid = new_id("cs_test", 58)
    cs: JSON = skeleton("checkout.session")
    cs.update(
        id=sid,
        object="checkout.session",
        allow_promotion_codes=as_bool(p["allow_promotion_codes"], "allow_promotion_codes")
        if "allow_promotion_codes" in p
        else None,
        amount_subtotal=total if mode != "setup" else None,
        amount_total=total if mode != "setup" else None,
        automatic_tax={"enabled": False, "liability": None, "provider": None, "status": None},
        cancel_url=as_str(p["cancel_url"], "cancel_url") if "cancel_url" in p else None,
        client_reference_id=as_str(p["client_reference_id"], "client_reference_id")
        if "client_reference_id" in p
        else None,
        client_secret=client_secret(sid) if ui_mode == "embedded_page" else None,
        created=created,
        currency=cur,
        custom_fields=[],
        custom_text={
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        customer=customer,
        customer_creation=(
            as_enum(p.get("customer_creation", "if_required"), "customer_creation", ("always", "if_required"))
            if (mode == "payment" or (mode == "setup" and "customer_creation" in p)) and customer is None
            else None
        ),
        customer_email=as_str(p["customer_email"], "customer_email") if "customer_email" in p else None,
        discounts=[],
        expires_at=expires_at,
        livemode=False,
        metadata=apply_metadata({}, p.get("metadata", {})),
        mode=mode,
        payment_method_collection="always" if mode != "payment" else None,
        payment_method_types=[
            as_str(t, "payment_method_types") for t in p.get("payment_method_types") or ["card"]
        ],
        payment_status="no_payment_required" if mode == "setup" else "unpaid",
        phone_number_collection={"enabled": False},
        shipping_options=[],
        status="open",
        success_url=as_str(p["success_url"], "success_url") if "success_url" in p else None,
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
        if mode != "setup"
        else None,
        ui_mode=ui_mode,
        url=f"{ctx.base_url}/c/pay/{sid}" if ui_mode == "hosted_page" else None,
    )
    if ui_mode == "embedded_page":
        cs["redirect_on_completion"] = as_enum(
            p.get("redirect_on_completion", "always"),
            "redirect_on_completion",
            ("always", "if_required", "never"),
        )
        if cs["redirect_on_completion"] != "never" or "return_url" in p:
            cs["return_url"] = as_str(p["return_url"], "return_url")
    if "excluded_payment_method_types" in p:
        cs["excluded_payment_method_types"] = list(p["excluded_payment_method_types"] or [])
    acct.add(cs)
    ctx.own(cs)
    line_objects = [_line_item_object(ctx, price, qty) for price, qty, _ in items]
    priv = acct.priv(cs)
    priv["line_item_ids"] = [li["id"] for li in line_objects]
    priv["adjustable"] = [adj for _, _, adj in items]
    priv["payment_intent_data"] = as_dict(p.get("payment_intent_data", {}), "payment_intent_data")
    priv["subscription_data"] = as_dict(p.get("subscription_data", {}), "subscription_data")
    priv["setup_intent_data"] = as_dict(p.get("setup_intent_data", {}), "setup_intent_data")
    pid = priv["payment_intent_data"]
    if "capture_method" in pid:
        as_enum(
            pid["capture_method"],
            "payment_intent_data[capture_method]",
            ("automatic", "automatic_async", "manual"),
        )
    if "setup_future_usage" in pid:
        as_enum(
            pid["setup_future_usage"],
            "payment_intent_data[setup_future_usage]",
            ("off_session", "on_session"),
        )
    sd = priv["subscription_data"]
    if "trial_period_days" in sd:
        as_int(sd["trial_period_days"], "subscription_data[trial_period_days]", minimum=1)
    checkout_totals.configure(ctx, cs, p)
    acct.hidden[sid] = {"line_items": _line_items_list(acct, cs)}
    return cs


def _line_items_list(acct: Account, cs: JSON) -> JSON:
    ids = acct.priv(cs).get("line_item_ids", [])
    return {
        "object": "list",
        "data": [acct.objects[i] for i in ids],
        "has_more": False,
        "url": f"/v1/checkout/sessions/{cs['id']}/line_items",
    }


def refresh(acct: Account, cs: JSON) -> JSON:
    """Expire an open session whose ``expires_at`` has passed (Stripe does this lazily too)."""
    if cs["status"] == "open" and cs["expires_at"] <= now():
        _expire(acct, cs)
    return cs


def _expire(acct: Account, cs: JSON) -> None:
    before = snapshot(cs)
    cs["status"] = "expired"
    cs["url"] = None
    acct.emit("checkout.session.expired", cs, {k: v for k, v in before.items() if cs.get(k) != v})


def retrieve(ctx: Ctx) -> JSON:
    return refresh(ctx.acct, ctx.acct.get("checkout.session", ctx.path_params["session"], param="session"))


def update(ctx: Ctx) -> JSON:
    cs = ctx.acct.get("checkout.session", ctx.path_params["session"], param="session")
    if "metadata" in ctx.params:
        cs["metadata"] = apply_metadata(cs["metadata"], ctx.params["metadata"])
    return cs


def expire(ctx: Ctx) -> JSON:
    cs = refresh(ctx.acct, ctx.acct.get("checkout.session", ctx.path_params["session"], param="session"))
    if cs["status"] != "open":
        raise invalid(
            f"Only Checkout Sessions with a status of `open` can be expired. This session has a status of "
            f"`{cs['status']}`.",
            param="session",
        )
    _expire(ctx.acct, cs)
    return cs


def list_(ctx: Ctx) -> JSON:
    p = ctx.params
    filters = {
        k: p[k] for k in ("customer", "status", "payment_intent", "subscription", "payment_link") if k in p
    }
    if "status" in filters:
        as_enum(filters["status"], "status", ("complete", "expired", "open"))
    for cs in ctx.acct.of_type("checkout.session"):
        if cs["status"] == "open":
            refresh(ctx.acct, cs)

    def pred(o: JSON) -> bool:
        return all(o.get(k) == v for k, v in filters.items())

    return paginate(ctx.acct, "checkout.session", p, "/v1/checkout/sessions", pred)


def line_items(ctx: Ctx) -> JSON:
    cs = ctx.acct.get("checkout.session", ctx.path_params["session"], param="session")
    ids = ctx.acct.priv(cs).get("line_item_ids", [])
    # Stripe lists line items in the order given, so page over them oldest-first.
    page = paginate(
        ctx.acct, "item", ctx.params, f"/v1/checkout/sessions/{cs['id']}/line_items", ids=list(reversed(ids))
    )
    return page


# -- completion (from the hosted page) -----------------------------------------------------


def complete(
    ctx: Ctx,
    cs: JSON,
    card_number: str,
    email: str | None,
    quantities: dict[int, int] | None = None,
    authenticate: bool = True,
) -> None:
    """Pay ``cs`` with a test card number, as the hosted page's form does. Raises StripeError on decline,
    or when the customer fails 3D Secure (`authenticate=False`); the session stays open."""
    acct = ctx.acct
    refresh(acct, cs)
    if cs["status"] != "open":
        raise invalid(f"This Checkout Session is no longer open (status: {cs['status']}).")
    before = snapshot(cs)
    priv = acct.priv(cs)
    if quantities:
        _apply_quantities(acct, cs, quantities)
        checkout_totals.recompute(acct, cs)
    pm = payment_methods.pm_from_number(ctx, card_number)
    card = payment_methods.card_of(acct, pm)
    email = email or cs.get("customer_email")
    mode = cs["mode"]
    cust_id = cs.get("customer")
    if card.outcome == "declined" and mode != "payment":
        raise payment_methods.card_error(card)
    if cust_id is None and (mode != "payment" or cs.get("customer_creation") == "always"):
        cust_ctx = Ctx(
            ctx.sandbox, acct, {"email": email} if email else {}, {}, ctx.base_url, ctx.request_id, "POST", ""
        )
        cust_id = customers.create(cust_ctx)["id"]
        cs["customer"] = cust_id
    cust = acct.find("customer", cust_id) if cust_id else None
    cs["customer_details"] = {
        "address": None,
        "business_name": None,
        "email": email or (cust or {}).get("email"),
        "individual_name": None,
        "name": (cust or {}).get("name"),
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    setup = checkout_totals.redeem(ctx, cs, cust_id) if mode != "setup" else None
    if mode == "payment":
        pid = priv.get("payment_intent_data", {})
        pi = payment_intents.new_payment_intent(
            ctx,
            int(cs["amount_total"] or 0),
            str(cs["currency"]),
            customer=cust_id,
            description=pid.get("description"),
            metadata=apply_metadata({}, pid.get("metadata", {})),
            capture_method=pid.get("capture_method", "automatic_async"),
            setup_future_usage=pid.get("setup_future_usage"),
            receipt_email=pid.get("receipt_email") or email,
        )
        acct.priv(pi)["hosted"] = True
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
        cs["payment_intent"] = pi["id"]
        payment_intents.confirm(ctx, pi, {})  # raises StripeError on decline
        if pi["status"] == "requires_action":
            payment_intents.authenticate(ctx, pi, authenticate)  # the customer does 3D Secure on the page
            _raise_failed(pi.get("last_payment_error"))
        cs["payment_status"] = "paid" if pi["status"] == "succeeded" else "unpaid"
    elif mode == "subscription":
        assert cust_id is not None
        payment_methods.attach(ctx, pm, cust_id)
        sd = priv.get("subscription_data", {})
        line_objects = [acct.objects[i] for i in priv.get("line_item_ids", [])]
        bought = [(li["price"], int(li["quantity"] or 1)) for li in line_objects]
        trial_days = int(sd["trial_period_days"]) if "trial_period_days" in sd else 0
        terms = Terms(
            cust_id,
            [(p, q) for p, q in bought if p["type"] == "recurring"],
            add_invoice_items=[(p, q) for p, q in bought if p["type"] != "recurring"],
            default_payment_method=pm["id"],
            trial_end=now() + 86400 * trial_days if trial_days else None,
            metadata=apply_metadata({}, sd.get("metadata", {})),
            description=sd.get("description"),
        )
        sub = start_subscription(ctx, terms, setup)
        cs["subscription"] = sub["id"]
        cs["invoice"] = sub.get("latest_invoice")
        cs["payment_status"] = "paid"
    else:
        sid_data = priv.get("setup_intent_data", {})
        si = setup_intents.new_setup_intent(
            ctx, cust_id, metadata=apply_metadata({}, sid_data.get("metadata", {}))
        )
        acct.priv(si)["hosted"] = True
        si["payment_method"] = pm["id"]
        si["status"] = "requires_confirmation"
        cs["setup_intent"] = si["id"]
        setup_intents.confirm_setup(ctx, si, {})
        if si["status"] == "requires_action":
            setup_intents.authenticate_setup(ctx, si, authenticate)
            _raise_failed(si.get("last_setup_error"))
        cs["payment_status"] = "no_payment_required"
    cs["status"] = "complete"
    cs["url"] = None
    acct.emit("checkout.session.completed", cs, {k: v for k, v in before.items() if cs.get(k) != v})


def _raise_failed(error: JSON | None) -> None:
    if error:
        raise StripeError(402, str(error["message"]), type="card_error", code=str(error["code"]))


def _apply_quantities(acct: Account, cs: JSON, quantities: dict[int, int]) -> None:
    priv = acct.priv(cs)
    ids = priv.get("line_item_ids", [])
    adjustable = priv.get("adjustable", [])
    for index, qty in quantities.items():
        if index >= len(ids) or not (adjustable[index] or {}).get("enabled"):
            continue
        adj = adjustable[index]
        lo = adj.get("minimum") or 0
        hi = adj.get("maximum") or 99
        if not lo <= qty <= hi:
            raise StripeError(400, f"Quantity must be between {lo} and {hi}.", param="quantity")
        li = acct.objects[ids[index]]
        li["quantity"] = qty
        amount = int(li["price"]["unit_amount"] or 0) * qty
        li["amount_subtotal"] = li["amount_total"] = amount
    total = sum(int(acct.objects[i]["amount_total"]) for i in ids)
    cs["amount_subtotal"] = cs["amount_total"] = total


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/checkout/sessions",
        create,
        consumes=(
            "allow_promotion_codes",
            "cancel_url",
            "client_reference_id",
            "currency",
            "customer",
            "customer_creation",
            "customer_email",
            "discounts",
            "excluded_payment_method_types",
            "expires_at",
            "line_items",
            "metadata",
            "mode",
            "payment_intent_data.capture_method",
            "payment_intent_data.description",
            "payment_intent_data.metadata",
            "payment_intent_data.receipt_email",
            "payment_intent_data.setup_future_usage",
            "payment_method_types",
            "redirect_on_completion",
            "return_url",
            "setup_intent_data.metadata",
            "shipping_options",
            "subscription_data.description",
            "subscription_data.metadata",
            "subscription_data.trial_period_days",
            "success_url",
            "ui_mode",
        ),
    )
    router.add("GET", "/v1/checkout/sessions", list_)
    router.add("GET", "/v1/checkout/sessions/{session}", retrieve)
    router.add("POST", "/v1/checkout/sessions/{session}", update, consumes=("metadata",))
    router.add("POST", "/v1/checkout/sessions/{session}/expire", expire, consumes=())
    router.add("GET", "/v1/checkout/sessions/{session}/line_items", line_items)
