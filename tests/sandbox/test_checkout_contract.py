"""Checkout Sessions and Payment Links, as Stripe documents them: options stored, shown on the
hosted page where Stripe shows them, and what the customer enters recorded where Stripe records it.
Each test names its source and reads the state back through the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from .billing_setup import DAY, T0, clock

ADDRESS = {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}


def _price(client: stripe.StripeClient, amount: int = 1500, recurring: bool = False) -> stripe.Price:
    params: dict[str, Any] = {"currency": "usd", "unit_amount": amount, "product_data": {"name": "Mug"}}
    if recurring:
        params["recurring"] = {"interval": "month"}
    return client.v1.prices.create(params)  # type: ignore[arg-type]


def _session(client: stripe.StripeClient, **params: Any) -> stripe.checkout.Session:
    base: dict[str, Any] = {
        "mode": "payment",
        "success_url": "https://example.com/ok",
        "line_items": [{"price": _price(client).id, "quantity": 1}],
    }
    return client.v1.checkout.sessions.create({**base, **params})  # type: ignore[arg-type]


def _pay(url: str, **fields: str) -> httpx.Response:
    return httpx.post(url, data={"card_number": "4242424242424242", **fields})


def _shipping(**extra: str) -> dict[str, str]:
    return {"shipping_name": "Ada Lovelace", **{f"shipping_{k}": v for k, v in ADDRESS.items()}, **extra}


def test_shipping_address_collection_is_asked_and_recorded(client: stripe.StripeClient) -> None:
    # docs.stripe.com/payments/collect-addresses?payment-ui=checkout: `shipping_address_collection`
    # lists the allowed countries; the address is in `collected_information.shipping_details` and
    # on the PaymentIntent's `shipping`.
    cs = _session(client, shipping_address_collection={"allowed_countries": ["US", "CA"]})
    assert cs.shipping_address_collection.allowed_countries == ["US", "CA"]
    page = httpx.get(str(cs.url)).text
    assert "name=shipping_line1" in page and "<option value=CA>" in page and "<option value=FR>" not in page
    missing = _pay(str(cs.url))
    assert missing.status_code == 402 and "shipping name" in missing.text
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"
    elsewhere = _pay(str(cs.url), **_shipping(shipping_country="FR"))
    assert "t ship to FR; choose one of: US, CA" in elsewhere.text
    assert _pay(str(cs.url), **_shipping()).status_code == 303
    done = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["payment_intent"]})
    details = done.collected_information.shipping_details  # type: ignore[union-attr]
    assert details.name == "Ada Lovelace" and details.address.city == "Springfield"
    assert done.payment_intent.shipping.address.line1 == "1 Main St"  # type: ignore[union-attr]


def test_consent_collection_requires_the_terms_and_records_consent(client: stripe.StripeClient) -> None:
    # docs.stripe.com/payments/checkout/customization/policies: `consent_collection`
    # terms_of_service=required makes the customer accept before paying; `consent` records it.
    cs = _session(client, consent_collection={"terms_of_service": "required", "promotions": "auto"})
    assert cs.consent_collection.terms_of_service == "required" and cs.consent_collection.promotions == "auto"
    page = httpx.get(str(cs.url)).text
    assert "name=terms_of_service" in page and "name=promotions" in page
    refused = _pay(str(cs.url))
    assert refused.status_code == 402 and "terms of service" in refused.text
    assert _pay(str(cs.url), terms_of_service="accepted", promotions="opt_in").status_code == 303
    done = client.v1.checkout.sessions.retrieve(cs.id)
    assert done.consent.terms_of_service == "accepted" and done.consent.promotions == "opt_in"  # type: ignore[union-attr]


def test_custom_fields_are_shown_checked_and_recorded(client: stripe.StripeClient) -> None:
    # docs.stripe.com/payments/checkout/custom-fields: text, numeric and dropdown fields, each
    # `value` recorded on the session; optional fields may stay empty.
    fields = [
        {"key": "engraving", "label": {"type": "custom", "custom": "Engraving"}, "type": "text",
         "text": {"maximum_length": 10}},
        {"key": "size", "label": {"type": "custom", "custom": "Size"}, "type": "dropdown",
         "dropdown": {"options": [{"label": "Small", "value": "s"}, {"label": "Large", "value": "l"}]}},
        {"key": "ref", "label": {"type": "custom", "custom": "PO number"}, "type": "numeric", "optional": True},
    ]  # fmt: skip
    cs = _session(client, custom_fields=fields)
    assert [f.key for f in cs.custom_fields] == ["engraving", "size", "ref"]
    assert cs.custom_fields[0].text.maximum_length == 10 and cs.custom_fields[2].optional is True
    page = httpx.get(str(cs.url)).text
    assert "name=custom_engraving" in page and "<option value='l'>Large</option>" in page
    assert "PO number (optional)" in page
    too_long = _pay(str(cs.url), custom_engraving="x" * 11, custom_size="s")
    assert too_long.status_code == 402 and "Engraving" in too_long.text
    wrong = _pay(str(cs.url), custom_engraving="Hi", custom_size="xl")
    assert "Choose one of the options" in wrong.text
    assert _pay(str(cs.url), custom_engraving="Hi", custom_size="l").status_code == 303
    done = client.v1.checkout.sessions.retrieve(cs.id)
    assert [done.custom_fields[0].text.value, done.custom_fields[1].dropdown.value] == ["Hi", "l"]  # type: ignore[union-attr]
    assert done.custom_fields[2].numeric.value is None  # type: ignore[union-attr]
    with pytest.raises(stripe.InvalidRequestError) as bad:
        _session(
            client, custom_fields=[{**fields[1], "dropdown": {**fields[1]["dropdown"], "default_value": "m"}}]
        )  # type: ignore[dict-item]
    assert bad.value.param == "custom_fields[0][dropdown][default_value]"


def test_customer_update_saves_what_was_collected_on_the_customer(client: stripe.StripeClient) -> None:
    # spec3.json `customer_update`: "Controls what fields on Customer can be updated by the Checkout
    # Session. Can only be provided when customer is provided."
    customer = client.v1.customers.create({"email": "ada@example.com"})
    cs = _session(
        client,
        customer=customer.id,
        customer_update={"shipping": "auto", "name": "auto"},
        shipping_address_collection={"allowed_countries": ["US"]},
        phone_number_collection={"enabled": True},
    )
    assert _pay(str(cs.url), name="Ada L.", phone="+15555550100", **_shipping()).status_code == 303
    saved = client.v1.customers.retrieve(customer.id)
    assert saved.name == "Ada L." and saved.shipping.address.line1 == "1 Main St"  # type: ignore[union-attr]
    assert client.v1.checkout.sessions.retrieve(cs.id).customer_details.phone == "+15555550100"  # type: ignore[union-attr]
    untouched = client.v1.customers.create({"name": "Grace"})
    plain = _session(client, customer=untouched.id, shipping_address_collection={"allowed_countries": ["US"]})
    _pay(str(plain.url), name="Someone Else", **_shipping())
    again = client.v1.customers.retrieve(untouched.id)
    assert again.name == "Grace" and again.shipping is None  # customer_update defaults to never


def test_an_expired_session_offers_a_recovery_link(client: stripe.StripeClient) -> None:
    # docs.stripe.com/payments/checkout/abandoned-carts: with after_expiration.recovery.enabled an
    # expired session gets `after_expiration.recovery.url` (30 days); it opens a new session with
    # `recovered_from` set and, with allow_promotion_codes, promotion codes allowed.
    clk = clock(client)
    customer = client.v1.customers.create({"test_clock": clk.id})
    cs = _session(
        client,
        customer=customer.id,
        after_expiration={"recovery": {"enabled": True, "allow_promotion_codes": True}},
        consent_collection={"promotions": "auto"},
        custom_text={"submit": {"message": "Ships in 2 days"}},
        metadata={"order": "7"},
    )
    assert cs.after_expiration.recovery.enabled is True and cs.after_expiration.recovery.url is None  # type: ignore[union-attr]
    expired = client.v1.checkout.sessions.expire(cs.id)
    recovery = expired.after_expiration.recovery  # type: ignore[union-attr]
    assert recovery.url and recovery.url.endswith(f"/c/recover/{cs.id}")
    assert recovery.expires_at == T0 + 30 * DAY  # expired at the clock's T0
    opened = httpx.get(str(recovery.url), follow_redirects=False)
    assert opened.status_code == 303
    new_id = opened.headers["location"].rsplit("/", 1)[-1]
    fresh = client.v1.checkout.sessions.retrieve(new_id)
    assert fresh.recovered_from == cs.id and fresh.status == "open" and fresh.allow_promotion_codes is True
    assert fresh.metadata["order"] == "7" and fresh.custom_text.submit.message == "Ships in 2 days"  # type: ignore[union-attr]
    assert httpx.get(str(recovery.url), follow_redirects=False).headers["location"].endswith(new_id)
    plain = client.v1.checkout.sessions.expire(_session(client).id)
    assert plain.after_expiration is None


def test_a_lone_adjustable_item_cannot_go_to_zero(client: stripe.StripeClient) -> None:
    # spec3.json `adjustable_quantity.minimum`: "If there is only one item in the cart then that
    # item's quantity cannot go down to 0."
    price = _price(client)
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": "https://example.com/ok",
            "line_items": [{"price": price.id, "quantity": 2, "adjustable_quantity": {"enabled": True}}],
        }
    )
    page = httpx.get(str(cs.url)).text
    assert "name=quantity_0" in page and "min=1" in page
    zero = _pay(str(cs.url), quantity_0="0")
    assert zero.status_code == 400 and "between 1 and 99" in zero.text
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"
    assert _pay(str(cs.url), quantity_0="3").status_code == 303
    assert client.v1.checkout.sessions.retrieve(cs.id).amount_total == 4500


def test_submit_type_and_custom_text_on_the_page(client: stripe.StripeClient) -> None:
    # docs.stripe.com/payments/checkout/customization: `submit_type` names the button; custom_text
    # messages appear by the section they are about.
    cs = _session(client, submit_type="donate", custom_text={"submit": {"message": "Thank you!"}})
    page = httpx.get(str(cs.url)).text
    assert "<button type=submit>Donate</button>" in page and "Thank you!" in page


# -- payment links ------------------------------------------------------------------------------


def test_a_link_passes_its_options_to_its_sessions(client: stripe.StripeClient) -> None:
    # docs.stripe.com/api/payment_links: the link's collection options apply to the Checkout
    # Sessions it opens.
    link = client.v1.payment_links.create(
        {
            "line_items": [{"price": _price(client).id, "quantity": 1}],
            "shipping_address_collection": {"allowed_countries": ["US"]},
            "consent_collection": {"terms_of_service": "required"},
            "custom_fields": [{"key": "note", "label": {"type": "custom", "custom": "Note"}, "type": "text"}],
            "phone_number_collection": {"enabled": True},
            "submit_type": "book",
        }
    )
    assert link.shipping_address_collection.allowed_countries == ["US"]  # type: ignore[union-attr]
    visit = httpx.get(str(link.url), follow_redirects=False)
    cs_id = visit.headers["location"].rsplit("/", 1)[-1]
    cs = client.v1.checkout.sessions.retrieve(cs_id)
    assert cs.payment_link == link.id and cs.shipping_address_collection.allowed_countries == ["US"]  # type: ignore[union-attr]
    assert cs.consent_collection.terms_of_service == "required" and cs.custom_fields[0].key == "note"  # type: ignore[union-attr]
    assert cs.phone_number_collection.enabled is True and cs.submit_type == "book"
    page = httpx.get(str(cs.url)).text
    assert "<button type=submit>Book</button>" in page and "name=custom_note" in page


def test_restrictions_deactivate_a_link_which_then_shows_its_message(client: stripe.StripeClient) -> None:
    # spec3.json payment link `restrictions.completed_sessions` ("The maximum number of checkout
    # sessions that can be completed for the completed_sessions restriction to be met") and
    # `inactive_message` ("The custom message to be displayed to a customer when a payment link
    # is no longer active").
    link = client.v1.payment_links.create(
        {
            "line_items": [{"price": _price(client).id, "quantity": 1}],
            "restrictions": {"completed_sessions": {"limit": 1}},
            "inactive_message": "Sold out, sorry!",
        }
    )
    assert link.restrictions.completed_sessions.limit == 1 and link.restrictions.completed_sessions.count == 0  # type: ignore[union-attr]
    first = httpx.get(str(link.url), follow_redirects=True)
    assert _pay(str(first.url)).status_code == 200  # no redirect URL: Stripe's confirmation page
    after = client.v1.payment_links.retrieve(link.id)
    assert after.active is False and after.restrictions.completed_sessions.count == 1  # type: ignore[union-attr]
    closed = httpx.get(str(link.url), follow_redirects=False)
    assert closed.status_code == 410 and "Sold out, sorry!" in closed.text
    reopened = client.v1.payment_links.update(
        link.id, {"active": True, "restrictions": {"completed_sessions": {"limit": 5}}}
    )
    assert reopened.restrictions.completed_sessions.count == 1  # type: ignore[union-attr]
    assert httpx.get(str(link.url), follow_redirects=False).status_code == 303


def test_a_link_refuses_options_its_sessions_could_not_take(
    client: stripe.StripeClient, sandbox: Any, api_key: str
) -> None:
    # A link accepted now but failing on every visit would be a silent no-op: refused at once,
    # naming the parameter, and nothing is created.
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_links.create(
            {
                "line_items": [{"price": _price(client).id, "quantity": 1}],
                "custom_fields": [
                    {
                        "key": "size",
                        "label": {"type": "custom", "custom": "Size"},
                        "type": "dropdown",
                        "dropdown": {"options": [{"label": "S", "value": "s"}], "default_value": "m"},
                    },
                ],
            }
        )
    assert refused.value.param == "custom_fields[0][dropdown][default_value]"
    assert client.v1.payment_links.list().data == []


def test_link_line_items_update(client: stripe.StripeClient) -> None:
    # spec3.json POST /v1/payment_links/{id} `line_items`: an existing line's `quantity` and
    # `adjustable_quantity`, by `id`.
    link = client.v1.payment_links.create({"line_items": [{"price": _price(client, 700).id, "quantity": 1}]})
    (line,) = client.v1.payment_links.line_items.list(link.id).data
    client.v1.payment_links.update(
        link.id,
        {
            "line_items": [
                {"id": line.id, "quantity": 4, "adjustable_quantity": {"enabled": True, "maximum": 9}}
            ]
        },
    )
    (line,) = client.v1.payment_links.line_items.list(link.id).data
    assert line.quantity == 4 and line.amount_total == 2800
    cs_id = httpx.get(str(link.url), follow_redirects=False).headers["location"].rsplit("/", 1)[-1]
    assert client.v1.checkout.sessions.retrieve(cs_id).amount_total == 2800


def test_a_clocked_session_expires_on_its_clock(client: stripe.StripeClient) -> None:
    # A session for a customer on a test clock lives at the clock's time (docs.stripe.com/billing/
    # testing/test-clocks); its recovery window is counted from the clock's expiry.
    clk = clock(client)
    customer = client.v1.customers.create({"test_clock": clk.id})
    cs = _session(client, customer=customer.id, after_expiration={"recovery": {"enabled": True}})
    assert cs.expires_at == T0 + DAY
    client.v1.test_helpers.test_clocks.advance(clk.id, {"frozen_time": T0 + DAY + 60})
    expired = client.v1.checkout.sessions.retrieve(cs.id)
    assert expired.status == "expired"
    assert expired.after_expiration.recovery.expires_at == T0 + 31 * DAY  # type: ignore[union-attr]
