"""Accepted means applied: every parameter of every served create and update operation is applied
(read back on the object, or visible in its events) or refused with `sandbox_limit` naming it;
none is silently dropped. The probe is `param_probe.py` (run it as a script for the counts)."""

from __future__ import annotations

import stripe

from stripe_power import spec
from stripe_power.sandbox import SandboxServer
from stripe_power.sandbox.core.accepted import limits
from stripe_power.sandbox.core.app import _routes, serves

from .param_probe import Probe, run


def test_no_parameter_is_silently_dropped(sandbox: SandboxServer) -> None:
    hand = _routes().hand_written()
    outcomes = run(sandbox.url, serves, nested=lambda op: op.key in hand)
    probed = {o.op for o in outcomes if o.result not in ("unprobed",)}
    dropped = [f"{o.op} {o.param} = {o.detail}" for o in outcomes if o.result == "dropped"]
    crashed = [f"{o.op} {o.param}: {o.detail}" for o in outcomes if o.result == "crash"]
    assert not dropped, "accepted and ignored:\n" + "\n".join(dropped)
    assert not crashed, "\n".join(crashed)
    # Every hand-written create and update is probed (not skipped for want of a baseline).
    hand_ops = {o.op for o in outcomes if o.op in {f"POST {k.split(' ', 1)[1]}" for k in hand}}
    assert hand_ops <= probed, sorted(hand_ops - probed)
    assert len(probed) >= 120 and sum(o.result == "applied" for o in outcomes) >= 1600


def test_a_refused_parameter_changes_nothing_and_is_named(sandbox: SandboxServer) -> None:
    """The refusal comes before the handler: no customer is made, no event is sent."""
    probe = Probe(sandbox.url)
    op = spec.operation("POST", "/v1/customers")
    assert op is not None
    refused = limits(op, _routes().match("POST", "/v1/customers")[0].consumes)  # type: ignore[index]
    assert "tax[validate_location]" in refused
    status, body, _ = probe.call(
        "POST", "/v1/customers", {"email": "a@example.com", "tax": {"validate_location": "immediately"}}
    )
    assert (status, body["code"], body["param"]) == (400, "sandbox_limit", "tax[validate_location]")
    assert "tax[validate_location]" in body["message"] and "not of Stripe" in body["message"]
    assert probe.call("GET", "/v1/customers", {})[1]["data"] == []
    assert probe.call("GET", "/v1/events", {})[1]["data"] == []


def test_a_parameter_no_handler_consumes_is_stored_where_stripe_keeps_it(client: stripe.StripeClient) -> None:
    """`invoice_prefix` and `invoice_settings[footer]` are fields of the customer (spec3.json): stored by
    name, merged into the hash, and carried by the events about it."""
    cus = client.v1.customers.create({"invoice_prefix": "ACME1", "invoice_settings": {"footer": "Thanks"}})
    again = client.v1.customers.retrieve(cus.id)
    assert again.invoice_prefix == "ACME1" and again.invoice_settings.footer == "Thanks"
    client.v1.customers.update(
        cus.id, {"invoice_settings": {"rendering_options": {"amount_tax_display": "include_inclusive_tax"}}}
    )
    again = client.v1.customers.retrieve(cus.id)
    assert again.invoice_settings.footer == "Thanks"  # merged, not replaced
    assert again.invoice_settings.rendering_options.amount_tax_display == "include_inclusive_tax"  # type: ignore[union-attr]
    created = client.v1.events.list({"type": "customer.created"}).data[0]
    assert created.data.object["invoice_prefix"] == "ACME1"
    updated = client.v1.events.list({"type": "customer.updated"}).data[0]
    assert "invoice_settings" in (updated.data.previous_attributes or {})
