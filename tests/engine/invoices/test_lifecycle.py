"""Invoice states and transitions: finalize, pay at zero, void, mark uncollectible, send, delete,
edits, and the immutability of finalized invoices."""

from __future__ import annotations

import pytest

from seikyu.billing.models import Invoice, InvoiceItem, PaymentIntent
from seikyu.billing.services.customers import update_customer
from seikyu.billing.services.invoice_items import create_invoice_item, update_invoice_item
from seikyu.billing.services.invoices import (
    delete_draft_invoice,
    finalize_invoice,
    mark_uncollectible,
    pay_invoice,
    send_invoice,
    update_invoice,
    void_invoice,
)
from seikyu.core.clock import to_unix
from seikyu.core.errors import InvalidRequest

from .conftest import DAY, NOW, event_objects


def test_finalizing_numbers_snapshots_and_opens(customer, rates, make_invoice, events):
    invoice = make_invoice(customer, [(5000, [rates.standard.id])], collection_method="send_invoice", days_until_due=30)
    assert (invoice.status, invoice.number, invoice.customer_name) == ("draft", None, "株式会社テスト")
    with events.capture():
        finalize_invoice(invoice)
    assert invoice.status == "open"
    assert invoice.number == f"{customer.invoice_prefix}-0001"
    assert invoice.finalized_at == invoice.effective_at == NOW
    assert invoice.due_date == NOW + 30 * DAY
    assert events.types(invoice.id) == ["invoice.finalized"]
    [finalized] = event_objects("invoice.finalized")
    assert finalized["status_transitions"]["finalized_at"] == to_unix(NOW)
    assert finalized["lines"]["data"][0]["taxes"][0]["amount"] == 500

    # The customer changes later; the issued invoice keeps what it said.
    update_customer(customer.id, {"name": "新社名株式会社"}, livemode=False)
    invoice.refresh_from_db()
    assert invoice.customer_name == "株式会社テスト"


def test_a_zero_invoice_is_paid_on_finalization_without_a_payment(customer, make_invoice, events):
    invoice = make_invoice(customer, [(0, [])])
    with events.capture():
        finalize_invoice(invoice)
    assert (invoice.status, invoice.amount_due, invoice.amount_paid, invoice.paid_at) == ("paid", 0, 0, NOW)
    assert events.types(invoice.id) == ["invoice.finalized", "invoice.paid", "invoice.payment_succeeded"]
    assert not PaymentIntent.objects.filter(invoice=invoice).exists()


def test_finalize_twice_is_refused(customer, make_invoice):
    invoice = finalize_invoice(make_invoice(customer, [(100, [])]))
    with pytest.raises(InvalidRequest, match="already finalized"):
        finalize_invoice(invoice)


def test_void_open_then_refuse_void_of_paid(customer, make_invoice, events):
    invoice = finalize_invoice(make_invoice(customer, [(1000, [])], collection_method="send_invoice", days_until_due=7))
    with events.capture():
        void_invoice(invoice)
    assert (invoice.status, invoice.voided_at, invoice.next_action_at) == ("void", NOW, None)
    assert events.types(invoice.id) == ["invoice.voided"]
    with pytest.raises(InvalidRequest, match="void"):
        pay_invoice(invoice, paid_out_of_band=True)

    paid = pay_invoice(make_invoice(customer, [(2000, [])]), paid_out_of_band=True)
    assert paid.status == "paid"
    with pytest.raises(InvalidRequest, match=r"open or uncollectible.*is paid") as refused:
        void_invoice(paid)
    assert refused.value.code == "invoice_unexpected_state"
    paid.refresh_from_db()
    assert paid.status == "paid"


def test_void_a_draft_is_refused_delete_it_instead(customer, make_invoice):
    draft = make_invoice(customer, [(1000, [])])
    with pytest.raises(InvalidRequest, match="is draft"):
        void_invoice(draft)


def test_uncollectible_can_still_be_paid_or_voided(customer, make_invoice, events):
    invoice = finalize_invoice(make_invoice(customer, [(1200, [])], collection_method="send_invoice", days_until_due=7))
    with events.capture():
        mark_uncollectible(invoice)
    assert (invoice.status, invoice.marked_uncollectible_at) == ("uncollectible", NOW)
    with pytest.raises(InvalidRequest, match="only mark uncollectible an invoice that is open"):
        mark_uncollectible(invoice)
    with events.capture():
        pay_invoice(invoice, paid_out_of_band=True)
    assert (invoice.status, invoice.paid_out_of_band, invoice.amount_paid, invoice.amount_remaining) == (
        "paid",
        True,
        1200,
        0,
    )
    # Out of band: invoice.paid, but no payment attempt succeeded.
    assert events.types(invoice.id) == ["invoice.marked_uncollectible", "invoice.paid"]
    [payment] = invoice.payments.all()
    assert (payment.payment_type, payment.status, payment.amount_paid) == ("out_of_band", "paid", 1200)

    other = finalize_invoice(make_invoice(customer, [(900, [])], collection_method="send_invoice", days_until_due=7))
    mark_uncollectible(other)
    assert void_invoice(other).status == "void"


def test_delete_a_draft_returns_its_items_to_pending(customer, make_invoice, events):
    draft = make_invoice(customer, [(700, [])])
    draft_id = draft.id
    item = InvoiceItem.objects.get(invoice=draft)
    with events.capture():
        deleted = delete_draft_invoice(draft)
    assert deleted == {"id": draft_id, "object": "invoice", "deleted": True}
    assert not Invoice.objects.filter(id=draft_id).exists()
    item.refresh_from_db()
    assert item.invoice_id is None
    assert events.types(draft_id) == ["invoice.deleted"]

    opened = finalize_invoice(make_invoice(customer, [(100, [])]))
    with pytest.raises(InvalidRequest, match="only delete draft"):
        delete_draft_invoice(opened)


def test_send_is_for_send_invoice_collection(customer, make_invoice, events):
    auto = finalize_invoice(make_invoice(customer, [(100, [])]))
    with pytest.raises(InvalidRequest, match="collection method is 'send_invoice'"):
        send_invoice(auto)
    draft = make_invoice(customer, [(100, [])], collection_method="send_invoice", days_until_due=3)
    with pytest.raises(InvalidRequest, match="is draft"):
        send_invoice(draft)
    finalize_invoice(draft)
    with events.capture():
        send_invoice(draft)
    assert events.types(draft.id) == ["invoice.sent"]


def test_drafts_are_editable_finalized_invoices_are_not(customer, make_invoice, events):
    draft = make_invoice(customer, [(1000, [])])
    with events.capture():
        update_invoice(draft, {"description": "4月分", "footer": "振込手数料はご負担ください", "metadata": {"k": "v"}})
    assert (draft.description, draft.footer, draft.metadata) == ("4月分", "振込手数料はご負担ください", {"k": "v"})
    [updated] = [e for e in events.seen if e.type == "invoice.updated"]
    assert updated.data["previous_attributes"]["description"] is None

    finalize_invoice(draft)
    with pytest.raises(InvalidRequest, match="finalized invoice can't be edited") as refused:
        update_invoice(draft, {"description": "changed"})
    assert refused.value.code == "invoice_not_editable"
    update_invoice(draft, {"metadata": {"k": None, "order": "42"}})
    draft.refresh_from_db()
    assert (draft.description, draft.metadata) == ("4月分", {"order": "42"})

    # Its items are part of the issued document now.
    item = InvoiceItem.objects.get(invoice=draft)
    with pytest.raises(InvalidRequest, match="can no longer change"):
        update_invoice_item(item, {"amount": 1})


def test_items_added_to_a_draft_recompute_it(customer, rates, make_invoice):
    draft = make_invoice(customer, [(1000, [rates.standard.id])], pending_invoice_items_behavior="include")
    create_invoice_item(
        {
            "customer": customer.id,
            "invoice": draft.id,
            "amount": 2000,
            "currency": "jpy",
            "tax_rates": [rates.standard.id],
        },
        livemode=False,
    )
    draft.refresh_from_db()
    assert (draft.subtotal, draft.total, draft.lines.count()) == (3000, 3300, 2)
    item = InvoiceItem.objects.get(invoice=draft, amount=2000)
    update_invoice_item(item, {"amount": 500})
    draft.refresh_from_db()
    assert (draft.subtotal, draft.total) == (1500, 1650)


def test_pending_items_can_be_left_out(customer, make_invoice):
    draft = make_invoice(customer, [(1000, [])], pending_invoice_items_behavior="exclude")
    assert (draft.total, draft.lines.count()) == (0, 0)
    assert InvoiceItem.objects.get(customer=customer).invoice_id is None
