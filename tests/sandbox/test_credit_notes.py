"""Credit notes: pre-payment (lower amount_due), post-payment (refund, customer balance, out of
band), lines, preview, void; the invoice's credit note amounts and events."""

from __future__ import annotations

import pytest
import stripe

from ..spec_objects import assert_matches_spec


def _open_invoice(client: stripe.StripeClient, amount: int = 5000) -> stripe.Invoice:
    cus = client.v1.customers.create({})
    client.v1.invoice_items.create(
        {"customer": cus.id, "amount": amount, "currency": "usd", "description": "Work"}
    )
    inv = client.v1.invoices.create(
        {
            "customer": cus.id,
            "collection_method": "send_invoice",
            "days_until_due": 7,
            "pending_invoice_items_behavior": "include",
        }
    )
    return client.v1.invoices.finalize_invoice(str(inv.id))


def test_pre_payment_credit_note_lowers_what_is_due(client: stripe.StripeClient) -> None:
    inv = _open_invoice(client)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.credit_notes.create({"invoice": str(inv.id), "amount": 6000})
    assert too_much.value.param == "amount"
    preview = client.v1.credit_notes.preview({"invoice": str(inv.id), "amount": 1500})
    assert preview.amount == 1500 and client.v1.credit_notes.list().data == []  # a preview stores nothing
    cn = client.v1.credit_notes.create({"invoice": str(inv.id), "amount": 1500, "reason": "order_change"})
    assert (cn.type, cn.status, cn.pre_payment_amount, cn.total) == ("pre_payment", "issued", 1500, 1500)
    assert cn.number == f"{inv.number}-CN-01"
    assert_matches_spec("credit_note", client.raw_request("get", f"/v1/credit_notes/{cn.id}").data)
    inv = client.v1.invoices.retrieve(str(inv.id))
    assert (inv.pre_payment_credit_notes_amount, inv.amount_due, inv.amount_remaining) == (1500, 3500, 3500)
    types = [e.type for e in client.v1.events.list().data]
    assert types[:2] == ["invoice.updated", "credit_note.created"]
    paid = client.v1.invoices.pay(str(inv.id), {"payment_method": "pm_card_visa"})
    assert (paid.status, paid.amount_paid) == ("paid", 3500)


def test_void_puts_the_amount_back(client: stripe.StripeClient) -> None:
    inv = _open_invoice(client)
    cn = client.v1.credit_notes.create({"invoice": str(inv.id), "amount": 1000})
    voided = client.v1.credit_notes.void_credit_note(cn.id)
    assert voided.status == "void" and voided.voided_at
    assert client.v1.invoices.retrieve(str(inv.id)).amount_due == 5000


def test_crediting_everything_due_pays_the_invoice(client: stripe.StripeClient) -> None:
    inv = _open_invoice(client, 2000)
    line = inv.lines.data[0]
    client.v1.credit_notes.create(
        {
            "invoice": str(inv.id),
            "lines": [{"type": "invoice_line_item", "invoice_line_item": str(line.id), "quantity": 1}],
        }
    )
    inv = client.v1.invoices.retrieve(str(inv.id))
    assert (inv.status, inv.amount_due, inv.amount_paid) == ("paid", 0, 0)


def test_post_payment_refund_and_customer_balance(client: stripe.StripeClient) -> None:
    inv = _open_invoice(client, 5000)
    inv = client.v1.invoices.pay(str(inv.id), {"payment_method": "pm_card_visa"})
    with pytest.raises(stripe.InvalidRequestError) as mismatch:
        client.v1.credit_notes.create({"invoice": str(inv.id), "amount": 3000, "refund_amount": 1000})
    assert "must equal" in str(mismatch.value)
    cn = client.v1.credit_notes.create(
        {
            "invoice": str(inv.id),
            "amount": 3000,
            "refund_amount": 2000,
            "credit_amount": 1000,
            "expand": ["refunds.refund"],
        }
    )
    assert (cn.type, cn.post_payment_amount) == ("post_payment", 3000)
    refund = cn.refunds[0].refund
    assert isinstance(refund, stripe.Refund) and refund.amount == 2000 and refund.status == "succeeded"
    inv = client.v1.invoices.retrieve(str(inv.id))
    assert inv.post_payment_credit_notes_amount == 3000 and inv.amount_paid == 5000
    cus = client.v1.customers.retrieve(str(inv.customer))
    assert cus.balance == -1000
    txns = client.v1.customers.balance_transactions.list(cus.id)
    assert [(t.amount, t.type, t.credit_note) for t in txns.data] == [(-1000, "credit_note", cn.id)]
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.credit_notes.create({"invoice": str(inv.id), "amount": 2500})
    assert "left to credit" in str(over.value)
    rest = client.v1.credit_notes.create(
        {"invoice": str(inv.id), "amount": 2000}
    )  # default: customer balance
    assert rest.customer_balance_transaction and client.v1.customers.retrieve(cus.id).balance == -3000
    assert [line.amount for line in client.v1.credit_notes.line_items.list(rest.id).data] == [2000]


def test_credit_notes_need_a_finalized_invoice(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    draft = client.v1.invoices.create({"customer": cus.id})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.credit_notes.create({"invoice": str(draft.id), "amount": 100})
    assert err.value.param == "invoice"
