"""``/v1/tax_rates`` (percentage and inclusive are fixed at creation)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import TaxRate
from seikyu.billing.render.catalog import render_tax_rate
from seikyu.billing.services import catalog

router = Router()

TaxType = Literal[
    "admissions_tax", "amusement_tax", "attendance_tax", "communications_tax", "digital_excise_tax",
    "entertainment_tax", "get_fund", "gross_receipts_tax", "gst", "hospitality_tax", "hst", "igst", "jct",
    "lease_tax", "luxury_tax", "mass_transit_parking_tax", "nhil", "parking_tax", "pst", "qst", "resort_tax",
    "retail_delivery_fee", "rst", "sales_tax", "service_tax", "tourism_tax", "utility_users_tax", "vat",
]  # fmt: skip


class TaxRateFields(Params):
    active: bool | None = None
    country: Annotated[str, P(max_length=2)] | None = None
    description: Annotated[str, P(max_length=500)] | None = None
    jurisdiction: Annotated[str, P(max_length=50)] | None = None
    metadata: Metadata | None = None
    state: Annotated[str, P(max_length=10)] | None = None
    tax_type: TaxType | None = None


class TaxRateCreate(TaxRateFields):
    display_name: Annotated[str, P(max_length=50)]
    inclusive: bool
    # Parsed from the decimal string on the wire straight into Decimal: never a float.
    percentage: Decimal


class TaxRateUpdate(TaxRateFields):
    display_name: Annotated[str, P(max_length=50)] | None = None


class TaxRateList(ListParams):
    active: bool | None = None
    inclusive: bool | None = None


@router.post("/v1/tax_rates", returns="tax_rate")
def create_tax_rate(req: ApiRequest, params: TaxRateCreate) -> dict[str, Any]:
    """Create a tax rate (e.g. 10% JCT, or 8% for the reduced rate)."""
    return render_tax_rate(catalog.create_tax_rate(params.given(), livemode=req.livemode))


@router.get("/v1/tax_rates/{id}", returns="tax_rate")
def retrieve_tax_rate(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a tax rate."""
    return render_tax_rate(fetch(req, TaxRate, id))


@router.post("/v1/tax_rates/{id}", returns="tax_rate")
def update_tax_rate(req: ApiRequest, params: TaxRateUpdate, id: str) -> dict[str, Any]:
    """Update a tax rate's descriptive fields."""
    return render_tax_rate(catalog.update_tax_rate(id, params.given(), livemode=req.livemode))


@router.get("/v1/tax_rates", returns="list")
def list_tax_rates(req: ApiRequest, params: TaxRateList) -> dict[str, Any]:
    """List tax rates, newest first."""
    qs = TaxRate.objects.all()
    if params.active is not None:
        qs = qs.filter(active=params.active)
    if params.inclusive is not None:
        qs = qs.filter(inclusive=params.inclusive)
    return paginate(req, qs, params, render_tax_rate)
