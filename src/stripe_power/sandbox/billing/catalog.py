"""Products and prices (one-time and recurring)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ..core.accepted import refusal
from ..core.errors import invalid, missing_param, no_such, unknown_param
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.search import fields_of, search
from ..core.store import (
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
from . import custom_amounts

_CURRENCY = re.compile(r"^[a-z]{3}$")


def currency(value: Any, param: str = "currency") -> str:
    cur = as_str(value, param).lower()
    if not _CURRENCY.match(cur):
        raise invalid(
            f"Invalid currency: {value}. Use a three-letter ISO currency code in lowercase.", param=param
        )
    return cur


# -- products ------------------------------------------------------------------------------

_PRODUCT_DATA_KEYS = {
    "name",
    "active",
    "description",
    "images",
    "metadata",
    "statement_descriptor",
    "tax_code",
    "unit_label",
    "url",
    "id",
    "shippable",
    "marketing_features",
    "default_price_data",
    "package_dimensions",
    "tax_details",
}


def make_product(ctx: Ctx, data: dict[str, Any], param: str = "") -> JSON:
    def pn(name: str) -> str:
        return f"{param}[{name}]" if param else name

    for key in data:
        if key not in _PRODUCT_DATA_KEYS or (
            param and key in ("id", "default_price_data", "url", "shippable")
        ):
            raise unknown_param(pn(key))
    if "name" not in data or data["name"] == "":
        raise missing_param(pn("name"))
    pid = as_str(data["id"], "id") if "id" in data else new_id("prod", 14)
    if pid in ctx.acct.objects:
        raise invalid("Product already exists.", param="id", code="resource_already_exists")
    ts = now()
    prod: JSON = skeleton("product")
    prod.update(
        id=pid,
        object="product",
        active=True,
        created=ts,
        images=[],
        livemode=False,
        marketing_features=[],
        metadata={},
        name=as_str(data["name"], pn("name")),
        updated=ts,
        type="service",
    )
    _apply_product(prod, data, pn)
    ctx.acct.add(prod)
    ctx.acct.emit("product.created", prod)
    if "default_price_data" in data:
        dp = as_dict(data["default_price_data"], "default_price_data")
        price = make_price(ctx, {**dp, "product": pid}, "default_price_data")
        prod["default_price"] = price["id"]
    return prod


def _apply_product(prod: JSON, data: dict[str, Any], pn: Any) -> None:
    for key in ("description", "statement_descriptor", "tax_code", "unit_label", "url"):
        if key in data:
            prod[key] = as_str(data[key], pn(key)) or None
    if "name" in data:
        prod["name"] = as_str(data["name"], pn("name"))
    if "active" in data:
        prod["active"] = as_bool(data["active"], pn("active"))
    if "shippable" in data:
        prod["shippable"] = as_bool(data["shippable"], pn("shippable"))
    if "images" in data:
        prod["images"] = [as_str(x, pn("images")) for x in as_list(data["images"], pn("images"))]
    if "marketing_features" in data:
        prod["marketing_features"] = [
            {"name": as_str(as_dict(x, pn("marketing_features")).get("name", ""), pn("marketing_features"))}
            for x in as_list(data["marketing_features"], pn("marketing_features"))
        ]
    if "metadata" in data:
        prod["metadata"] = apply_metadata(prod["metadata"], data["metadata"], pn("metadata"))


def create_product(ctx: Ctx) -> JSON:
    return make_product(ctx, ctx.params)


def retrieve_product(ctx: Ctx) -> JSON:
    return ctx.acct.get("product", ctx.path_params["id"])


def update_product(ctx: Ctx) -> JSON:
    prod = ctx.acct.get("product", ctx.path_params["id"])
    before = snapshot(prod)
    params = dict(ctx.params)
    params.pop("expand", None)
    if "default_price" in params:
        ref = as_str(params.pop("default_price"), "default_price")
        if ref:
            price = ctx.acct.get("price", ref, param="default_price", status=400)
            if price["product"] != prod["id"]:
                raise invalid("The default price must belong to this product.", param="default_price")
        prod["default_price"] = ref or None
    _apply_product(prod, params, lambda n: n)
    prod["updated"] = now()
    previous = {k: v for k, v in before.items() if prod.get(k) != v and k != "updated"}
    if previous:
        ctx.acct.emit("product.updated", prod, previous)
    return prod


def delete_product(ctx: Ctx) -> JSON:
    prod = ctx.acct.get("product", ctx.path_params["id"])
    if any(p["product"] == prod["id"] for p in ctx.acct.of_type("price")):
        raise invalid("This product cannot be deleted because it has one or more user-created prices.")
    ctx.acct.objects[prod["id"]] = {"id": prod["id"], "object": "product", "deleted": True}
    ctx.acct.emit("product.deleted", prod)
    return {"id": prod["id"], "object": "product", "deleted": True}


def list_products(ctx: Ctx) -> JSON:
    p = ctx.params
    active = as_bool(p["active"], "active") if "active" in p else None
    ids = set(as_list(p["ids"], "ids")) if "ids" in p else None

    def pred(o: JSON) -> bool:
        if active is not None and o["active"] != active:
            return False
        return ids is None or o["id"] in ids

    return paginate(ctx.acct, "product", p, "/v1/products", pred)


def search_products(ctx: Ctx) -> JSON:
    fields = fields_of("name", "description", "active", "created", "url")
    return search(ctx, "product", fields, "/v1/products/search")


# -- prices --------------------------------------------------------------------------------

_PRICE_KEYS = {
    "currency",
    "unit_amount",
    "unit_amount_decimal",
    "recurring",
    "product",
    "product_data",
    "active",
    "metadata",
    "nickname",
    "lookup_key",
    "tax_behavior",
    "billing_scheme",
    "transfer_lookup_key",
    "expand",
    "custom_unit_amount",
    "currency_options",
    "tiers",
    "tiers_mode",
    "transform_quantity",
}


def make_price(ctx: Ctx, data: dict[str, Any], param: str = "", inline: bool = False) -> JSON:
    """Create a price from create params or inline ``price_data`` (``inline=True``)."""

    pn = _namer(param)
    for key in data:
        if key not in _PRICE_KEYS:
            raise unknown_param(pn(key))
    if "currency" not in data:
        raise missing_param(pn("currency"))
    cur = currency(data["currency"], pn("currency"))
    _refuse_unbillable(ctx, data, param)
    amount, decimal = _unit_amount(data, pn)
    custom = custom_amounts.price_param(data, pn, cur) if "custom_unit_amount" in data else None
    if amount is None and custom is None:
        raise missing_param(pn("unit_amount"))
    if "product" in data and "product_data" in data:
        raise invalid(
            "You may only specify one of these parameters: product, product_data.", param=pn("product")
        )
    if "product_data" in data:
        product = make_product(ctx, as_dict(data["product_data"], pn("product_data")), pn("product_data"))
        product_id = product["id"]
    elif "product" in data:
        product_id = as_str(data["product"], pn("product"))
        if ctx.acct.find("product", product_id) is None:
            raise no_such("product", product_id, param=pn("product"), status=400)
    else:
        raise missing_param(pn("product"))
    recurring = None
    if "recurring" in data:
        r = as_dict(data["recurring"], pn("recurring"))
        for key in r:
            if key not in ("interval", "interval_count", "usage_type", "meter", "trial_period_days"):
                raise unknown_param(f"{pn('recurring')}[{key}]")
        if "interval" not in r:
            raise missing_param(f"{pn('recurring')}[interval]")
        interval = as_enum(r["interval"], f"{pn('recurring')}[interval]", ("day", "week", "month", "year"))
        count = as_int(r.get("interval_count", 1), f"{pn('recurring')}[interval_count]", minimum=1)
        limits = {"day": 1095, "week": 156, "month": 36, "year": 3}
        if count > limits[interval]:
            raise invalid(
                "Invalid recurring interval: the maximum billing period is three years.",
                param=f"{pn('recurring')}[interval_count]",
            )
        recurring = {
            "interval": interval,
            "interval_count": count,
            "meter": r.get("meter"),
            "trial_period_days": None,
            "usage_type": as_enum(
                r.get("usage_type", "licensed"), f"{pn('recurring')}[usage_type]", ("licensed", "metered")
            ),
        }
    if custom is not None and recurring is not None:
        raise invalid(
            "You cannot use `custom_unit_amount` on a recurring price.", param=pn("custom_unit_amount")
        )
    price: JSON = skeleton("price")
    price.update(
        id=new_id("price", 24),
        object="price",
        active=True if "active" not in data else as_bool(data["active"], pn("active")),
        billing_scheme="per_unit",
        created=now(),
        currency=cur,
        custom_unit_amount=custom,
        livemode=False,
        metadata=apply_metadata({}, data.get("metadata", {}), pn("metadata")),
        product=product_id,
        recurring=recurring,
        tax_behavior=data.get("tax_behavior", "unspecified"),
        type="recurring" if recurring else "one_time",
        unit_amount=amount,
        unit_amount_decimal=decimal,
    )
    for key in ("nickname", "lookup_key"):
        if key in data:
            price[key] = as_str(data[key], pn(key)) or None
    if inline:
        price["active"] = False
    ctx.acct.add(price)
    # `currency_options` is sent only when expanded; it lists the price's own currency too.
    ctx.acct.hidden[price["id"]] = {"currency_options": _currency_options(data, pn, price)}
    ctx.acct.emit("price.created", price)
    return price


# Prices the sandbox cannot bill: tiers and quantity transforms change what a quantity costs, and
# metered prices bill usage reported to a Billing Meter, which the sandbox never computes.
_PRICES = ("POST /v1/prices",)
_TIERED = refusal(
    _PRICES,
    "`billing_scheme=tiered`, `tiers`, `tiers_mode`, `currency_options[...][tiers]`",
    "the sandbox computes per-unit prices only, not tiered ones",
)
_TRANSFORM = refusal(
    _PRICES, "`transform_quantity`", "the sandbox bills quantities as given, without transforming them"
)
_METERED = refusal(
    _PRICES,
    "`recurring[usage_type]=metered`, `recurring[meter]`",
    "the sandbox bills no usage: it totals no Billing Meter events",
)
_UNBILLABLE = (
    (("billing_scheme",), "tiered", _TIERED),
    (("tiers",), None, _TIERED),
    (("tiers_mode",), None, _TIERED),
    (("currency_options", "*", "tiers"), None, _TIERED),
    (("transform_quantity",), None, _TRANSFORM),
    (("recurring", "usage_type"), "metered", _METERED),
    (("recurring", "meter"), None, _METERED),
)


def _refuse_unbillable(ctx: Ctx, data: dict[str, Any], param: str) -> None:
    """A price the sandbox could store but not bill answers `sandbox_limit`, naming the parameter."""
    at = tuple(re.findall(r"[^\[\]]+", param))
    for path, value, limit in _UNBILLABLE:
        for found, where in _walk(data, path, ()):
            if value is None or found == value:
                raise limit.error(ctx.method or "POST", ctx.path or "/v1/prices", (*at, *where))


def _walk(node: Any, path: tuple[str, ...], at: tuple[str, ...]) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """The values at ``path`` in ``node`` (``*`` matches every key), with where each was found."""
    if not path:
        yield node, at
        return
    if not isinstance(node, dict):
        return
    keys = list(node) if path[0] == "*" else [path[0]] if path[0] in node else []
    for key in keys:
        yield from _walk(node[key], path[1:], (*at, key))


def _namer(at: str) -> Callable[[str], str]:
    """Parameter names under ``at``: ``name("unit_amount")`` is ``at[unit_amount]``."""
    return lambda name: f"{at}[{name}]" if at else name


def _unit_amount(data: dict[str, Any], pn: Callable[[str], str]) -> tuple[int | None, str | None]:
    """``unit_amount`` or ``unit_amount_decimal`` as (amount, decimal string); (None, None) if neither."""
    if "unit_amount" in data:
        amount = as_int(data["unit_amount"], pn("unit_amount"), minimum=0)
        return amount, str(amount)
    if "unit_amount_decimal" in data:
        decimal = as_str(data["unit_amount_decimal"], pn("unit_amount_decimal"))
        try:
            return round(float(decimal)), decimal
        except ValueError:
            raise invalid(f"Invalid decimal: {decimal}", param=pn("unit_amount_decimal")) from None
    return None, None


def _option(custom: JSON | None, amount: int | None, decimal: str | None, tax_behavior: str) -> JSON:
    return {
        "custom_unit_amount": custom,
        "tax_behavior": tax_behavior,
        "unit_amount": amount,
        "unit_amount_decimal": decimal,
    }


def _currency_options(data: dict[str, Any], pn: Callable[[str], str], price: JSON) -> JSON:
    """The price in each currency it offers (``currency_options``), its own currency first."""
    own = price["currency"]
    options = {
        own: _option(
            price["custom_unit_amount"],
            price["unit_amount"],
            price["unit_amount_decimal"],
            price["tax_behavior"],
        )
    }
    for code, entry_raw in as_dict(data.get("currency_options", {}), pn("currency_options")).items():
        at = f"{pn('currency_options')}[{code}]"
        entry = as_dict(entry_raw, at)
        cur = currency(code, at)
        if cur == own:
            raise invalid(
                f"The price's own currency ({cur}) cannot be one of its currency options.", param=at
            )
        name = _namer(at)
        amount, decimal = _unit_amount(entry, name)
        custom = custom_amounts.price_param(entry, name, cur) if "custom_unit_amount" in entry else None
        if amount is None and custom is None:
            raise missing_param(name("unit_amount"))
        behavior = as_enum(
            entry.get("tax_behavior", price["tax_behavior"]),
            f"{at}[tax_behavior]",
            ("exclusive", "inclusive", "unspecified"),
        )
        options[cur] = _option(custom, amount, decimal, behavior)
    return options


def create_price(ctx: Ctx) -> JSON:
    return make_price(ctx, ctx.params)


def retrieve_price(ctx: Ctx) -> JSON:
    return ctx.acct.get("price", ctx.path_params["price"])


def update_price(ctx: Ctx) -> JSON:
    price = ctx.acct.get("price", ctx.path_params["price"])
    before = snapshot(price)
    p = ctx.params
    if "active" in p:
        price["active"] = as_bool(p["active"], "active")
    for key in ("nickname", "lookup_key"):
        if key in p:
            price[key] = as_str(p[key], key) or None
    if "tax_behavior" in p:
        price["tax_behavior"] = as_enum(
            p["tax_behavior"], "tax_behavior", ("exclusive", "inclusive", "unspecified")
        )
    if "metadata" in p:
        price["metadata"] = apply_metadata(price["metadata"], p["metadata"])
    previous = {k: v for k, v in before.items() if price.get(k) != v}
    if previous:
        ctx.acct.emit("price.updated", price, previous)
    return price


def list_prices(ctx: Ctx) -> JSON:
    p = ctx.params
    active = as_bool(p["active"], "active") if "active" in p else None
    product = as_str(p["product"], "product") if "product" in p else None
    typ = as_enum(p["type"], "type", ("one_time", "recurring")) if "type" in p else None
    cur = currency(p["currency"]) if "currency" in p else None
    lookup = set(as_list(p["lookup_keys"], "lookup_keys")) if "lookup_keys" in p else None
    interval = as_dict(p["recurring"], "recurring").get("interval") if "recurring" in p else None

    def pred(o: JSON) -> bool:
        return (
            (active is None or o["active"] == active)
            and (product is None or o["product"] == product)
            and (typ is None or o["type"] == typ)
            and (cur is None or o["currency"] == cur)
            and (lookup is None or o.get("lookup_key") in lookup)
            and (interval is None or (o["recurring"] or {}).get("interval") == interval)
        )

    return paginate(ctx.acct, "price", p, "/v1/prices", pred)


def search_prices(ctx: Ctx) -> JSON:
    fields = fields_of("active", "currency", "lookup_key", "product", "type", "created")
    return search(ctx, "price", fields, "/v1/prices/search")


def product_name(acct: Account, price: JSON) -> str:
    return str(acct.objects.get(price["product"], {}).get("name") or "Item")


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/products",
        create_product,
        consumes=(
            "active",
            "default_price_data",
            "description",
            "id",
            "images",
            "marketing_features",
            "metadata",
            "name",
            "shippable",
            "statement_descriptor",
            "tax_code",
            "unit_label",
            "url",
        ),
    )
    router.add("GET", "/v1/products", list_products)
    router.add("GET", "/v1/products/search", search_products)
    router.add("GET", "/v1/products/{id}", retrieve_product)
    router.add(
        "POST",
        "/v1/products/{id}",
        update_product,
        consumes=(
            "active",
            "default_price",
            "description",
            "images",
            "marketing_features",
            "metadata",
            "name",
            "shippable",
            "statement_descriptor",
            "tax_code",
            "unit_label",
            "url",
        ),
    )
    router.add("DELETE", "/v1/products/{id}", delete_product)
    router.add(
        "POST",
        "/v1/prices",
        create_price,
        consumes=(
            "active",
            "billing_scheme",
            "currency",
            "lookup_key",
            "metadata",
            "nickname",
            "product",
            "product_data",
            "recurring",
            "tax_behavior",
            "tiers",
            "tiers_mode",
            "transform_quantity",
            "custom_unit_amount",
            "currency_options",
            "unit_amount",
            "unit_amount_decimal",
        ),
    )
    router.add("GET", "/v1/prices", list_prices)
    router.add("GET", "/v1/prices/search", search_prices)
    router.add("GET", "/v1/prices/{price}", retrieve_price)
    router.add(
        "POST",
        "/v1/prices/{price}",
        update_price,
        consumes=("active", "lookup_key", "metadata", "nickname", "tax_behavior"),
    )
