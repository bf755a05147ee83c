"""``/v1/payment_methods`` and ``/v1/customers/{id}/payment_methods``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Nested, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import Customer, PaymentMethod
from seikyu.billing.render.payments import render_payment_method
from seikyu.billing.services import payment_methods
from seikyu.billing.services.catalog import merge_metadata

router = Router()


class Card(Nested):
    number: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    cvc: str | None = None
    token: str | None = None


class CardUpdate(Nested):
    exp_month: Annotated[int, P(ge=1, le=12)] | None = None
    exp_year: int | None = None


class Address(Nested):
    city: str | None = None
    country: str | None = None
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    state: str | None = None


class BillingDetails(Nested):
    address: Address | None = None
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    tax_id: str | None = None


class PaymentMethodCreate(Params):
    type: Literal["card"] = "card"
    card: Card | None = None
    billing_details: BillingDetails | None = None
    metadata: Metadata | None = None
    customer: str | None = None
    payment_method: str | None = None


class PaymentMethodUpdate(Params):
    billing_details: BillingDetails | None = None
    card: CardUpdate | None = None
    metadata: Metadata | None = None


class PaymentMethodList(ListParams):
    customer: str | None = None
    type: str | None = None


class CustomerPaymentMethodList(ListParams):
    type: str | None = None


class Attach(Params):
    customer: str


def _customer(req: ApiRequest, customer_id: str, param: str = "customer") -> Customer:
    return fetch(req, Customer.objects.filter(deleted_at__isnull=True), customer_id, kind="customer", param=param)


def _payment_method(req: ApiRequest, pm_id: str) -> PaymentMethod:
    return fetch(req, PaymentMethod, pm_id, kind="PaymentMethod")


@router.post("/v1/payment_methods", returns="payment_method")
def create_payment_method(req: ApiRequest, params: PaymentMethodCreate) -> dict[str, Any]:
    """Create a card payment method (test card numbers or ``card[token]`` in test mode)."""
    if params.payment_method and params.customer:
        # Stripe's "clone a customer's payment method" form: here it is the customer's own method.
        customer = _customer(req, params.customer)
        pm = payment_methods.resolve_payment_method(params.payment_method, customer, livemode=req.livemode)
        return render_payment_method(pm)
    data = params.given()
    pm = payment_methods.create_payment_method(
        livemode=req.livemode,
        type=params.type,
        card=data.get("card"),
        billing_details=data.get("billing_details"),
        metadata=merge_metadata({}, data.get("metadata") or {}),
    )
    return render_payment_method(pm)


@router.get("/v1/payment_methods/{id}", returns="payment_method")
def retrieve_payment_method(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a payment method."""
    return render_payment_method(_payment_method(req, id))


@router.post("/v1/payment_methods/{id}", returns="payment_method")
def update_payment_method(req: ApiRequest, params: PaymentMethodUpdate, id: str) -> dict[str, Any]:
    """Update billing details, card expiry or metadata."""
    pm = _payment_method(req, id)
    data = params.given()
    card = data.get("card") or {}
    pm = payment_methods.update_payment_method(
        pm,
        billing_details=data.get("billing_details"),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
        metadata=merge_metadata(pm.metadata, data["metadata"]) if "metadata" in data else None,
    )
    return render_payment_method(pm)


@router.get("/v1/payment_methods", returns="list")
def list_payment_methods(req: ApiRequest, params: PaymentMethodList) -> dict[str, Any]:
    """List payment methods (of one customer with ``customer``)."""
    qs = PaymentMethod.objects.all()
    if params.customer is not None:
        qs = qs.filter(customer_id=_customer(req, params.customer).id)
    if params.type is not None:
        qs = qs.filter(type=params.type)
    return paginate(req, qs, params, render_payment_method)


@router.post("/v1/payment_methods/{id}/attach", returns="payment_method")
def attach_payment_method(req: ApiRequest, params: Attach, id: str) -> dict[str, Any]:
    """Attach a payment method (or a magic test id such as ``pm_card_visa``) to a customer."""
    customer = _customer(req, params.customer)
    return render_payment_method(payment_methods.attach_payment_method(id, customer, livemode=req.livemode))


@router.post("/v1/payment_methods/{id}/detach", returns="payment_method")
def detach_payment_method(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Detach a payment method from its customer."""
    return render_payment_method(payment_methods.detach_payment_method(_payment_method(req, id)))


@router.get("/v1/customers/{id}/payment_methods", returns="list")
def list_customer_payment_methods(req: ApiRequest, params: CustomerPaymentMethodList, id: str) -> dict[str, Any]:
    """List a customer's payment methods."""
    qs = PaymentMethod.objects.filter(customer_id=_customer(req, id, param="id").id)
    if params.type is not None:
        qs = qs.filter(type=params.type)
    return paginate(req, qs, params, render_payment_method)


@router.get("/v1/customers/{id}/payment_methods/{payment_method}", returns="payment_method")
def retrieve_customer_payment_method(req: ApiRequest, params: Params, id: str, payment_method: str) -> dict[str, Any]:
    """Retrieve one of a customer's payment methods."""
    customer = _customer(req, id, param="id")
    pm = fetch(req, PaymentMethod.objects.filter(customer_id=customer.id), payment_method, kind="PaymentMethod")
    return render_payment_method(pm)
