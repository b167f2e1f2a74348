"""What a Checkout Session's page collects besides the card, and where Stripe records it.

Configured at create: `shipping_address_collection` (allowed countries), `billing_address_collection`,
`phone_number_collection`, `consent_collection` (promotions, terms of service), `custom_fields`
(up to 3 text, numeric or dropdown fields) and `customer_update` (what the session may change on
an existing customer). At completion the page's answers are checked and recorded:
`collected_information.shipping_details`, `customer_details` (name, phone, billing address),
`consent`, each custom field's `value`; a customer the session creates gets the shipping address
and phone, an existing one what `customer_update` allows
(docs.stripe.com/api/checkout/sessions/object, docs.stripe.com/payments/checkout/custom-fields,
docs.stripe.com/payments/checkout/collect-additional-info).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.errors import StripeError, invalid, missing_param
from ..core.store import JSON, Account, as_bool, as_dict, as_enum, as_int, as_list, as_str

FIELD_TYPES = ("dropdown", "numeric", "text")
MAX_FIELD_LENGTH = 255  # a text or numeric field holds at most 255 characters
ADDRESS_KEYS = ("line1", "line2", "city", "state", "postal_code", "country")


def configure(cs: JSON, p: dict[str, Any]) -> None:
    """Read the collection parameters of a session create onto ``cs``."""
    if "shipping_address_collection" in p:
        sac = as_dict(p["shipping_address_collection"], "shipping_address_collection")
        countries = [
            as_str(c, "shipping_address_collection[allowed_countries]")
            for c in as_list(
                sac.get("allowed_countries", []), "shipping_address_collection[allowed_countries]"
            )
        ]
        if not countries:
            raise missing_param("shipping_address_collection[allowed_countries]")
        cs["shipping_address_collection"] = {"allowed_countries": countries}
    if "billing_address_collection" in p:
        cs["billing_address_collection"] = as_enum(
            p["billing_address_collection"], "billing_address_collection", ("auto", "required")
        )
    if "phone_number_collection" in p:
        phone = as_dict(p["phone_number_collection"], "phone_number_collection")
        cs["phone_number_collection"] = {
            "enabled": as_bool(phone.get("enabled", False), "phone_number_collection[enabled]")
        }
    if "consent_collection" in p:
        cs["consent_collection"] = _consent_collection(as_dict(p["consent_collection"], "consent_collection"))
    if "custom_fields" in p:
        fields = [_custom_field(f, i) for i, f in enumerate(as_list(p["custom_fields"], "custom_fields"))]
        keys = [f["key"] for f in fields]
        for i, key in enumerate(keys):
            if key in keys[:i]:
                raise invalid(
                    f"Custom field keys must be unique; `{key}` is used twice.",
                    param=f"custom_fields[{i}][key]",
                )
        cs["custom_fields"] = fields


def customer_update(p: dict[str, Any]) -> JSON:
    """``customer_update``: which collected details a session saves on its existing customer."""
    raw = as_dict(p.get("customer_update", {}), "customer_update")
    return {
        key: as_enum(raw.get(key, "never"), f"customer_update[{key}]", ("auto", "never"))
        for key in ("address", "name", "shipping")
    }


def _consent_collection(raw: JSON) -> JSON:
    reuse = None
    if "payment_method_reuse_agreement" in raw:
        agreement = as_dict(
            raw["payment_method_reuse_agreement"], "consent_collection[payment_method_reuse_agreement]"
        )
        reuse = {
            "position": as_enum(
                agreement.get("position"),
                "consent_collection[payment_method_reuse_agreement][position]",
                ("auto", "hidden"),
            )
        }
    return {
        "payment_method_reuse_agreement": reuse,
        "promotions": as_enum(raw["promotions"], "consent_collection[promotions]", ("auto", "none"))
        if "promotions" in raw
        else None,
        "terms_of_service": as_enum(
            raw["terms_of_service"], "consent_collection[terms_of_service]", ("none", "required")
        )
        if "terms_of_service" in raw
        else None,
    }


def _custom_field(raw: Any, i: int) -> JSON:
    param = f"custom_fields[{i}]"
    entry = as_dict(raw, param)
    for name in ("key", "label", "type"):
        if name not in entry:
            raise missing_param(f"{param}[{name}]")
    label = as_dict(entry["label"], f"{param}[label]")
    typ = as_enum(entry["type"], f"{param}[type]", FIELD_TYPES)
    out: JSON = {
        "dropdown": None,
        "key": as_str(entry["key"], f"{param}[key]"),
        "label": {"custom": as_str(label.get("custom", ""), f"{param}[label][custom]"), "type": "custom"},
        "numeric": None,
        "optional": as_bool(entry.get("optional", False), f"{param}[optional]"),
        "text": None,
        "type": typ,
    }
    for other in FIELD_TYPES:
        if other != typ and other in entry:
            raise invalid(
                f"`{param}[{other}]` can only be set when `{param}[type]` is `{other}`.",
                param=f"{param}[{other}]",
            )
    sub = as_dict(entry.get(typ, {}), f"{param}[{typ}]")
    if typ == "dropdown":
        if "options" not in sub:
            raise missing_param(f"{param}[dropdown][options]")
        options = [
            {
                "label": as_str(
                    as_dict(o, f"{param}[dropdown][options][{j}]").get("label"),
                    f"{param}[dropdown][options][{j}][label]",
                ),
                "value": as_str(o.get("value"), f"{param}[dropdown][options][{j}][value]"),
            }
            for j, o in enumerate(as_list(sub["options"], f"{param}[dropdown][options]"))
        ]
        default = sub.get("default_value")
        if default is not None and default not in [o["value"] for o in options]:
            raise invalid(
                f"`{param}[dropdown][default_value]` must be the value of one of the options.",
                param=f"{param}[dropdown][default_value]",
            )
        out["dropdown"] = {"default_value": default, "options": options, "value": None}
    else:
        low = as_int(sub.get("minimum_length", 0), f"{param}[{typ}][minimum_length]", minimum=0)
        high = as_int(
            sub.get("maximum_length", MAX_FIELD_LENGTH), f"{param}[{typ}][maximum_length]", minimum=1
        )
        if high > MAX_FIELD_LENGTH or low > high:
            raise invalid(
                f"`{param}[{typ}]` lengths must satisfy minimum_length <= maximum_length <= {MAX_FIELD_LENGTH}.",
                param=f"{param}[{typ}][maximum_length]",
            )
        out[typ] = {
            "default_value": sub.get("default_value"),
            "maximum_length": sub.get("maximum_length") and high,
            "minimum_length": sub.get("minimum_length") and low,
            "value": None,
        }
    return out


# -- completion --------------------------------------------------------------------------------


@dataclass
class Collected:
    """What the customer entered on the hosted page besides the card."""

    email: str | None = None
    name: str | None = None
    phone: str | None = None
    shipping: JSON = field(default_factory=dict)  # name and address keys
    billing: JSON = field(default_factory=dict)  # address keys
    fields: dict[str, str] = field(default_factory=dict)  # custom field key -> value
    terms_accepted: bool = False
    promotions: bool = False


def _need(value: Any, what: str, param: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StripeError(400, f"Please enter {what}.", param=param)
    return value.strip()


def _address(raw: JSON) -> JSON:
    return {key: (raw.get(key) or "").strip() or None for key in ADDRESS_KEYS}


def record(cs: JSON, got: Collected) -> None:
    """Check the page's answers against what the session asked for and record them on ``cs``
    (raises a 400 naming the first missing or wrong answer; nothing is recorded then)."""
    shipping = None
    sac = cs.get("shipping_address_collection")
    if sac:
        name = _need(got.shipping.get("name"), "the shipping name", "shipping_name")
        for key, what in (("line1", "the shipping address"), ("country", "the shipping country")):
            _need(got.shipping.get(key), what, f"shipping_{key}")
        address = _address(got.shipping)
        if address["country"] not in sac["allowed_countries"]:
            raise StripeError(
                400,
                f"We don't ship to {address['country']}; choose one of: {', '.join(sac['allowed_countries'])}.",
                param="shipping_country",
            )
        shipping = {"address": address, "name": name}
    billing = None
    if cs.get("billing_address_collection") == "required":
        for key, what in (("line1", "the billing address"), ("country", "the billing country")):
            _need(got.billing.get(key), what, f"billing_{key}")
        billing = _address(got.billing)
    phone = None
    if (cs.get("phone_number_collection") or {}).get("enabled"):
        phone = _need(got.phone, "a phone number", "phone")
    values = _field_values(cs, got.fields)
    consent = cs.get("consent_collection") or {}
    if consent.get("terms_of_service") == "required" and not got.terms_accepted:
        raise StripeError(400, "Please agree to the terms of service to continue.", param="terms_of_service")
    for custom, value in zip(cs.get("custom_fields") or [], values, strict=True):
        custom[custom["type"]]["value"] = value
    if shipping is not None:
        cs["collected_information"] = {
            "business_name": None,
            "individual_name": None,
            "shipping_details": shipping,
        }
    if consent.get("promotions") == "auto" or consent.get("terms_of_service") == "required":
        cs["consent"] = {
            "promotions": ("opt_in" if got.promotions else "opt_out")
            if consent.get("promotions") == "auto"
            else None,
            "terms_of_service": "accepted" if consent.get("terms_of_service") == "required" else None,
        }
    cs["customer_details"] = {
        "address": billing,
        "business_name": None,
        "email": got.email,
        "individual_name": None,
        "name": (got.name or "").strip() or (shipping or {}).get("name"),
        "phone": phone,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def _field_values(cs: JSON, given: dict[str, str]) -> list[str | None]:
    values: list[str | None] = []
    for custom in cs.get("custom_fields") or []:
        key, typ = custom["key"], custom["type"]
        param, label = f"custom_{key}", custom["label"]["custom"] or key
        value = (given.get(key) or "").strip() or None
        if value is None:
            if not custom["optional"]:
                raise StripeError(400, f"Please fill in “{label}”.", param=param)
            values.append(None)
            continue
        spec = custom[typ]
        if typ == "dropdown" and value not in [o["value"] for o in spec["options"]]:
            raise StripeError(400, f"Choose one of the options for “{label}”.", param=param)
        if typ == "numeric" and not (value.isascii() and value.isdigit()):
            raise StripeError(400, f"“{label}” takes digits only.", param=param)
        if typ != "dropdown":
            low, high = spec["minimum_length"] or 0, spec["maximum_length"] or MAX_FIELD_LENGTH
            if not low <= len(value) <= high:
                raise StripeError(400, f"“{label}” must be {low} to {high} characters long.", param=param)
        values.append(value)
    return values


def save_on_customer(acct: Account, cs: JSON, customer: JSON, created: bool) -> None:
    """A customer the session created takes the shipping address, phone and name collected; an
    existing one what ``customer_update`` allows (``auto``)."""
    details = cs.get("customer_details") or {}
    shipping = ((cs.get("collected_information") or {}).get("shipping_details")) or None
    allowed = acct.priv(cs).get("customer_update") or {}
    if (created or allowed.get("shipping") == "auto") and shipping is not None:
        customer["shipping"] = {**shipping, "phone": details.get("phone")}
    if (created or allowed.get("address") == "auto") and details.get("address"):
        customer["address"] = details["address"]
    if (created or allowed.get("name") == "auto") and details.get("name"):
        customer["name"] = details["name"]
    if created and details.get("phone"):
        customer["phone"] = details["phone"]


def shipping_of(cs: JSON) -> JSON | None:
    """The collected shipping details as a PaymentIntent's ``shipping``."""
    found = ((cs.get("collected_information") or {}).get("shipping_details")) or None
    if found is None:
        return None
    return {
        "address": found["address"],
        "carrier": None,
        "name": found["name"],
        "phone": None,
        "tracking_number": None,
    }
