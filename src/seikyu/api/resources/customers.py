"""``/v1/customers``, their tax ids and discount."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Nested, Params, SearchParams
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.api.search import Field, search
from seikyu.billing.models import Customer, TaxId
from seikyu.billing.render.customers import render_customer, render_customers, render_tax_id
from seikyu.billing.services import customers

router = Router()

SEARCH_FIELDS = {
    "email": Field("email"),
    "name": Field("name"),
    "phone": Field("phone"),
    "created": Field("created", "timestamp"),
}


class Address(Nested):
    city: str | None = None
    country: str | None = None
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    state: str | None = None


class Shipping(Nested):
    address: Address
    name: str
    phone: str | None = None


class CustomField(Nested):
    name: Annotated[str, P(max_length=40)]
    value: Annotated[str, P(max_length=140)]


class RenderingOptions(Nested):
    amount_tax_display: Literal["exclude_tax", "include_inclusive_tax"] | None = None
    template: str | None = None


class InvoiceSettings(Nested):
    custom_fields: list[CustomField] | None = None
    default_payment_method: str | None = None
    footer: Annotated[str, P(max_length=5000)] | None = None
    rendering_options: RenderingOptions | None = None


class TaxIdData(Nested):
    type: str
    value: str


class CustomerFields(Params):
    address: Address | None = None
    balance: int | None = None
    coupon: str | None = None
    description: Annotated[str, P(max_length=350)] | None = None
    email: Annotated[str, P(max_length=512)] | None = None
    invoice_prefix: str | None = None
    invoice_settings: InvoiceSettings | None = None
    metadata: Metadata | None = None
    name: Annotated[str, P(max_length=256)] | None = None
    next_invoice_sequence: int | None = None
    phone: Annotated[str, P(max_length=20)] | None = None
    preferred_locales: list[str] | None = None
    promotion_code: str | None = None
    shipping: Shipping | None = None
    tax_exempt: Literal["none", "exempt", "reverse"] | None = None


class CustomerCreate(CustomerFields):
    payment_method: str | None = None
    tax_id_data: list[TaxIdData] | None = None
    test_clock: str | None = None


class CustomerList(ListParams):
    email: str | None = None
    test_clock: str | None = None


@router.post("/v1/customers", returns="customer")
def create_customer(req: ApiRequest, params: CustomerCreate) -> dict[str, Any]:
    """Create a customer."""
    return render_customer(customers.create_customer(params.given(), livemode=req.livemode))


@router.get("/v1/customers/search", returns="search_result")
def search_customers(req: ApiRequest, params: SearchParams) -> dict[str, Any]:
    """Search customers (email, name, phone, created, metadata)."""
    return search(
        req, Customer.objects.filter(deleted_at__isnull=True), params, SEARCH_FIELDS, render_many=render_customers
    )


@router.get("/v1/customers/{id}", returns="customer")
def retrieve_customer(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a customer (a deleted one answers ``deleted: true``)."""
    return render_customer(fetch(req, Customer, id))


@router.post("/v1/customers/{id}", returns="customer")
def update_customer(req: ApiRequest, params: CustomerFields, id: str) -> dict[str, Any]:
    """Update a customer."""
    return render_customer(customers.update_customer(id, params.given(), livemode=req.livemode))


@router.delete("/v1/customers/{id}", returns="customer")
def delete_customer(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Delete a customer (and cancel their subscriptions)."""
    customer = customers.delete_customer(id, livemode=req.livemode)
    return {"id": customer.id, "object": "customer", "deleted": True}


@router.get("/v1/customers", returns="list")
def list_customers(req: ApiRequest, params: CustomerList) -> dict[str, Any]:
    """List customers, newest first."""
    qs = Customer.objects.filter(deleted_at__isnull=True)
    if params.email is not None:
        qs = qs.filter(email=params.email)
    if params.test_clock is not None:
        qs = qs.filter(test_clock_id=params.test_clock)
    return paginate(req, qs, params, render_many=render_customers)


@router.delete("/v1/customers/{id}/discount", returns="discount")
def delete_customer_discount(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Remove the customer's discount."""
    return customers.delete_customer_discount(id, livemode=req.livemode)


# --------------------------------------------------------------------------- tax ids


class TaxIdCreate(Params):
    type: str
    value: str


def _live_customer(req: ApiRequest, customer_id: str) -> Customer:
    return fetch(req, Customer.objects.filter(deleted_at__isnull=True), customer_id, kind="customer")


@router.post("/v1/customers/{id}/tax_ids", returns="tax_id")
def create_tax_id(req: ApiRequest, params: TaxIdCreate, id: str) -> dict[str, Any]:
    """Add a tax id to a customer."""
    return render_tax_id(customers.create_tax_id(id, params.given(), livemode=req.livemode))


@router.get("/v1/customers/{id}/tax_ids", returns="list")
def list_tax_ids(req: ApiRequest, params: ListParams, id: str) -> dict[str, Any]:
    """List a customer's tax ids."""
    customer = _live_customer(req, id)
    return paginate(req, TaxId.objects.filter(customer_id=customer.id), params, render_tax_id)


@router.get("/v1/customers/{id}/tax_ids/{tax_id}", returns="tax_id")
def retrieve_tax_id(req: ApiRequest, params: Params, id: str, tax_id: str) -> dict[str, Any]:
    """Retrieve a customer's tax id."""
    customer = _live_customer(req, id)
    return render_tax_id(fetch(req, TaxId.objects.filter(customer_id=customer.id), tax_id, kind="tax_id"))


@router.delete("/v1/customers/{id}/tax_ids/{tax_id}", returns="tax_id")
def delete_tax_id(req: ApiRequest, params: Params, id: str, tax_id: str) -> dict[str, Any]:
    """Delete a customer's tax id."""
    return customers.delete_tax_id(id, tax_id, livemode=req.livemode)
