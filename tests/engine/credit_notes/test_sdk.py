"""Credit notes and balance transactions through the official ``stripe`` SDK against a live Seikyu."""

from __future__ import annotations

import pytest
import stripe


def test_the_sdk_issues_previews_lists_and_voids_credit_notes(stripe_client: stripe.StripeClient) -> None:
    client = stripe_client
    tax = client.v1.tax_rates.create({"display_name": "消費税", "percentage": 10, "inclusive": False})
    customer = client.v1.customers.create({"name": "株式会社SDK", "payment_method": "pm_card_visa"})
    pm = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm.id}})
    client.v1.invoice_items.create({"customer": customer.id, "amount": 2000, "currency": "jpy", "tax_rates": [tax.id]})
    invoice = client.v1.invoices.create({"customer": customer.id})
    invoice = client.v1.invoices.pay(client.v1.invoices.finalize_invoice(invoice.id).id)
    line = invoice.lines.data[0]
    params: dict = {
        "invoice": invoice.id,
        "lines": [{"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 1000}],
        "refund_amount": 600,
        "credit_amount": 500,
    }

    preview = client.v1.credit_notes.preview(params)  # type: ignore[arg-type]
    preview_lines = client.v1.credit_notes.preview_lines.list(params)  # type: ignore[arg-type]
    note = client.v1.credit_notes.create(params)  # type: ignore[arg-type]

    assert isinstance(note, stripe.CreditNote)
    assert (note.type, note.total, note.post_payment_amount, preview.total) == ("post_payment", 1100, 1100, 1100)
    assert [item.amount for item in preview_lines.data] == [1000]
    assert note.refunds[0].amount_refunded == 600
    lines = client.v1.credit_notes.line_items.list(note.id)
    assert [(item.object, item.amount, item.invoice_line_item) for item in lines.data] == [
        ("credit_note_line_item", 1000, line.id)
    ]
    transactions = client.v1.customers.balance_transactions.list(customer.id)
    assert [(t.type, t.amount, t.credit_note) for t in transactions.data] == [("credit_note", -500, note.id)]
    assert client.v1.customers.retrieve(customer.id).balance == -500

    listed = client.v1.credit_notes.list({"invoice": invoice.id})
    assert [n.id for n in listed.data] == [note.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.credit_notes.void_credit_note(note.id)  # it refunded money

    kept = client.v1.credit_notes.create({"invoice": invoice.id, "amount": 100, "out_of_band_amount": 100})
    voided = client.v1.credit_notes.void_credit_note(kept.id)
    assert (voided.status, voided.number) == ("void", f"{invoice.number}-CN-02")
    adjusted = client.v1.customers.balance_transactions.create(customer.id, {"amount": 500, "currency": "jpy"})
    assert (adjusted.type, adjusted.ending_balance) == ("adjustment", 0)
