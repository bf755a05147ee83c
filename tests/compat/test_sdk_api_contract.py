"""The wire contract integrators rely on: paging, expand, idempotent retries and errors."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
import stripe


def _tag() -> str:
    return uuid.uuid4().hex[:12]


def test_auto_pagination_walks_250_customers_once_each(stripe_sdk):
    email = f"paging-{_tag()}@example.jp"
    created = {stripe.Customer.create(email=email, name=f"顧客 {i}").id for i in range(250)}
    page = stripe.Customer.list(email=email, limit=100)
    assert len(page.data) == 100 and page.has_more
    seen = [c.id for c in page.auto_paging_iter()]
    assert len(seen) == 250
    assert set(seen) == created
    # Newest first, and walking backwards from the oldest returns the same set.
    backwards = stripe.Customer.list(email=email, limit=7, ending_before=seen[-1])
    assert [c.id for c in backwards.data] == seen[-8:-1]


def test_expand_latest_invoice_customer_and_list_data(jpy_catalog, customer_on_clock):
    customer, _ = customer_on_clock("pm_card_visa")
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": jpy_catalog.monthly.id}])
    expanded = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice", "customer"])
    assert isinstance(expanded.latest_invoice, stripe.Invoice)
    assert expanded.latest_invoice.id == sub.latest_invoice
    assert isinstance(expanded.customer, stripe.Customer)
    assert expanded.customer.email == customer.email
    listed = stripe.Subscription.list(customer=customer.id, expand=["data.customer", "data.latest_invoice"])
    assert [s.customer.id for s in listed.data] == [customer.id]
    assert listed.data[0].latest_invoice.status == "paid"
    # Four levels deep: the invoice's customer's default payment method.
    deep = stripe.Subscription.retrieve(
        sub.id, expand=["latest_invoice.customer.invoice_settings.default_payment_method"]
    )
    assert deep.latest_invoice.customer.invoice_settings.default_payment_method.card.last4 == "4242"


def test_a_retry_with_the_same_idempotency_key_replays_and_creates_nothing(stripe_sdk):
    email = f"idem-{_tag()}@example.jp"
    key = f"order-{_tag()}"
    first = stripe.Customer.create(email=email, idempotency_key=key)
    again = stripe.Customer.create(email=email, idempotency_key=key)
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert [c.id for c in stripe.Customer.list(email=email).data] == [first.id]
    with pytest.raises(stripe.IdempotencyError):
        stripe.Customer.create(email=f"other-{email}", idempotency_key=key)


def test_every_response_has_a_request_id(seikyu_server, stripe_sdk):
    customer = stripe.Customer.create(name="Request Id")
    assert customer.last_response.request_id.startswith("req_")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.Customer.retrieve("cus_doesnotexist")
    assert missing.value.request_id and missing.value.request_id.startswith("req_")


def test_errors_raise_the_sdk_exception_with_the_right_code_and_param(seikyu_server, jpy_catalog):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.Customer.retrieve("cus_doesnotexist")
    assert (missing.value.code, missing.value.http_status) == ("resource_missing", 404)

    customer = stripe.Customer.create(name="Errors")
    with pytest.raises(stripe.InvalidRequestError) as bad_price:
        stripe.Subscription.create(customer=customer.id, items=[{"price": "price_nope"}])
    assert bad_price.value.param == "items[0][price]"
    assert bad_price.value.code == "resource_missing"

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe.Customer.create(name="x", favourite_colour="blue")
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "favourite_colour")

    with pytest.raises(stripe.InvalidRequestError) as not_int:
        stripe.Subscription.create(customer=customer.id, items=[{"price": jpy_catalog.monthly.id, "quantity": "many"}])
    assert (not_int.value.code, not_int.value.param) == ("parameter_invalid_integer", "items[0][quantity]")

    with pytest.raises(stripe.InvalidRequestError) as no_items:
        stripe.Subscription.create(customer=customer.id)
    assert no_items.value.param == "items"

    with pytest.raises(stripe.CardError) as declined:
        stripe.PaymentMethod.attach("pm_card_chargeDeclined", customer=customer.id)
    assert declined.value.code == "card_declined"
    assert declined.value.http_status == 402

    with pytest.raises(stripe.AuthenticationError):
        stripe.Customer.list(api_key="sk_test_not_a_real_key")

    failing = stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=customer.id)
    before = len(stripe.Subscription.list(customer=customer.id, status="all").data)
    with pytest.raises(stripe.CardError) as incomplete:
        stripe.Subscription.create(
            customer=customer.id,
            items=[{"price": jpy_catalog.monthly.id}],
            default_payment_method=failing.id,
            payment_behavior="error_if_incomplete",
        )
    assert incomplete.value.code == "card_declined"
    assert len(stripe.Subscription.list(customer=customer.id, status="all").data) == before


def test_test_and_live_keys_never_see_each_others_data(seikyu_server, stripe_sdk):
    test_customer = stripe.Customer.create(name="Test only")
    live_key = seikyu_server.new_key("live")
    assert live_key.startswith("sk_live_")
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Customer.retrieve(test_customer.id, api_key=live_key)
    live_customer = stripe.Customer.create(name="Live", api_key=live_key)
    assert live_customer.livemode is True and test_customer.livemode is False
    with pytest.raises(stripe.InvalidRequestError):
        stripe.test_helpers.TestClock.create(frozen_time=1_800_000_000, api_key=live_key)


def test_manual_invoices_void_and_mark_uncollectible(stripe_sdk):
    customer = stripe.Customer.create(name="株式会社請求", email=f"{_tag()}@example.jp")

    def open_invoice(amount: int) -> stripe.Invoice:
        stripe.InvoiceItem.create(customer=customer.id, amount=amount, currency="jpy", description="導入支援")
        draft = stripe.Invoice.create(customer=customer.id, collection_method="send_invoice", days_until_due=14)
        assert draft.status == "draft" and draft.total == amount
        return stripe.Invoice.finalize_invoice(draft.id)

    to_void = open_invoice(30000)
    assert to_void.status == "open" and to_void.number
    # The customer's links: the hosted page and the qualified-invoice PDF.
    page = httpx.get(to_void.hosted_invoice_url)
    assert page.status_code == 200 and to_void.number in page.text
    pdf = httpx.get(to_void.invoice_pdf)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    voided = stripe.Invoice.void_invoice(to_void.id)
    assert voided.status == "void" and voided.status_transitions.voided_at

    bad_debt = open_invoice(12000)
    written_off = stripe.Invoice.mark_uncollectible(bad_debt.id)
    assert written_off.status == "uncollectible"
    recovered = stripe.Invoice.pay(bad_debt.id, paid_out_of_band=True)
    assert recovered.status == "paid"

    with pytest.raises(stripe.InvalidRequestError) as not_voidable:
        stripe.Invoice.void_invoice(recovered.id)
    assert "paid" in str(not_voidable.value.user_message or not_voidable.value)
    assert voided.number != recovered.number


def test_statelessclient_and_openapi_document(seikyu_server):
    client = stripe.StripeClient(seikyu_server.secret_key, base_addresses={"api": seikyu_server.base_url})
    customer = client.v1.customers.create(params={"name": "Client style"})
    assert client.v1.customers.retrieve(customer.id).name == "Client style"
    spec = httpx.get(f"{seikyu_server.base_url}/v1/openapi.json").json()
    documented = {re.sub(r"\{[^}]+\}", "{}", path) for path in spec["paths"]}
    for path in (
        "/v1/customers",
        "/v1/subscriptions/{}",
        "/v1/invoices/{}/pay",
        "/v1/test_helpers/test_clocks/{}/advance",
    ):
        assert path in documented, path
