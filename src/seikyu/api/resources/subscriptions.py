"""``/v1/subscriptions``: create, retrieve, update, cancel, list, search, resume, remove discount."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Nested, Params, RangeFilter, SearchParams
from seikyu.api.query import fetch, paginate, range_q
from seikyu.api.routing import ApiRequest, Router
from seikyu.api.search import Field, search
from seikyu.billing.models import Subscription
from seikyu.billing.render.subscriptions import render_subscription, render_subscriptions
from seikyu.billing.services import subscriptions

router = Router()

ProrationBehavior = Literal["create_prorations", "always_invoice", "none"]
PaymentBehavior = Literal["allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"]
SEARCH_FIELDS = {"status": Field("status", "exact"), "created": Field("created", "timestamp")}


class SubscriptionItemParams(Nested):
    id: str | None = None
    price: str | None = None
    quantity: Annotated[int, P(ge=0)] | None = None
    tax_rates: list[str] | None = None
    metadata: Metadata | None = None
    deleted: bool | None = None
    clear_usage: bool | None = None


class DiscountParams(Nested):
    coupon: str | None = None
    promotion_code: str | None = None
    discount: str | None = None


class EndBehavior(Nested):
    missing_payment_method: Literal["cancel", "create_invoice", "pause"]


class TrialSettings(Nested):
    end_behavior: EndBehavior


class CancellationDetails(Nested):
    comment: Annotated[str, P(max_length=500)] | None = None
    feedback: (
        Literal[
            "customer_service",
            "low_quality",
            "missing_features",
            "other",
            "switched_service",
            "too_complex",
            "too_expensive",
            "unused",
        ]
        | None
    ) = None


class PauseCollection(Nested):
    behavior: Literal["keep_as_draft", "mark_uncollectible", "void"]
    resumes_at: int | None = None


class SubscriptionFields(Params):
    cancel_at: int | None = None
    cancel_at_period_end: bool | None = None
    collection_method: Literal["charge_automatically", "send_invoice"] | None = None
    days_until_due: Annotated[int, P(ge=0)] | None = None
    default_payment_method: str | None = None
    default_tax_rates: list[str] | None = None
    description: Annotated[str, P(max_length=500)] | None = None
    discounts: list[DiscountParams] | None = None
    metadata: Metadata | None = None
    off_session: bool | None = None
    payment_behavior: PaymentBehavior | None = None
    proration_behavior: ProrationBehavior | None = None
    trial_end: int | Literal["now"] | None = None
    trial_settings: TrialSettings | None = None


class SubscriptionCreate(SubscriptionFields):
    customer: str
    items: list[SubscriptionItemParams]
    billing_cycle_anchor: int | None = None
    currency: str | None = None
    trial_from_plan: bool | None = None
    trial_period_days: Annotated[int, P(ge=0, le=730)] | None = None


class SubscriptionUpdate(SubscriptionFields):
    items: list[SubscriptionItemParams] | None = None
    billing_cycle_anchor: Literal["now", "unchanged"] | None = None
    cancellation_details: CancellationDetails | None = None
    pause_collection: PauseCollection | None = None
    proration_date: int | None = None


class SubscriptionCancel(Params):
    cancellation_details: CancellationDetails | None = None
    invoice_now: bool | None = None
    prorate: bool | None = None


class SubscriptionResume(Params):
    billing_cycle_anchor: Literal["now", "unchanged"] | None = None
    proration_behavior: ProrationBehavior | None = None


class SubscriptionList(ListParams):
    customer: str | None = None
    price: str | None = None
    status: (
        Literal[
            "active",
            "all",
            "canceled",
            "ended",
            "incomplete",
            "incomplete_expired",
            "past_due",
            "paused",
            "trialing",
            "unpaid",
        ]
        | None
    ) = None
    collection_method: Literal["charge_automatically", "send_invoice"] | None = None
    test_clock: str | None = None
    current_period_end: int | RangeFilter | None = None
    current_period_start: int | RangeFilter | None = None


@router.post("/v1/subscriptions", returns="subscription")
def create_subscription(req: ApiRequest, params: SubscriptionCreate) -> dict[str, Any]:
    """Create a subscription; its first invoice is finalized and charged at once."""
    return render_subscription(subscriptions.create_subscription(params.given(), livemode=req.livemode))


@router.get("/v1/subscriptions/search", returns="search_result")
def search_subscriptions(req: ApiRequest, params: SearchParams) -> dict[str, Any]:
    """Search subscriptions (status, created, metadata)."""
    return search(req, Subscription.objects.all(), params, SEARCH_FIELDS, render_many=render_subscriptions)


@router.get("/v1/subscriptions/{id}", returns="subscription")
def retrieve_subscription(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a subscription."""
    return render_subscription(fetch(req, Subscription, id))


@router.post("/v1/subscriptions/{id}", returns="subscription")
def update_subscription(req: ApiRequest, params: SubscriptionUpdate, id: str) -> dict[str, Any]:
    """Update a subscription (items, prorations, cancellation, pause, trial, billing settings)."""
    return render_subscription(subscriptions.update_subscription(id, params.given(), livemode=req.livemode))


@router.delete("/v1/subscriptions/{id}", returns="subscription")
def cancel_subscription(req: ApiRequest, params: SubscriptionCancel, id: str) -> dict[str, Any]:
    """Cancel a subscription now (optionally with a final invoice and a proration credit)."""
    sub = subscriptions.cancel_subscription(
        fetch(req, Subscription, id),
        invoice_now=bool(params.invoice_now),
        prorate=bool(params.prorate),
        cancellation_details=params.given().get("cancellation_details"),
    )
    return render_subscription(sub)


@router.post("/v1/subscriptions/{id}/resume", returns="subscription")
def resume_subscription(req: ApiRequest, params: SubscriptionResume, id: str) -> dict[str, Any]:
    """Resume a paused subscription."""
    return render_subscription(subscriptions.resume_subscription(id, params.given(), livemode=req.livemode))


@router.delete("/v1/subscriptions/{id}/discount", returns="discount")
def delete_subscription_discount(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Remove the subscription's discount."""
    return subscriptions.delete_subscription_discount(id, livemode=req.livemode)


_ENDED = ("canceled", "incomplete_expired")


@router.get("/v1/subscriptions", returns="list")
def list_subscriptions(req: ApiRequest, params: SubscriptionList) -> dict[str, Any]:
    """List subscriptions, newest first (without a status filter: those not ended)."""
    qs = Subscription.objects.all()
    if params.status is None:
        qs = qs.exclude(status__in=_ENDED)
    elif params.status == "ended":
        qs = qs.filter(status__in=_ENDED)
    elif params.status != "all":
        qs = qs.filter(status=params.status)
    if params.customer is not None:
        qs = qs.filter(customer_id=params.customer)
    if params.price is not None:
        qs = qs.filter(items__price_id=params.price).distinct()
    if params.collection_method is not None:
        qs = qs.filter(collection_method=params.collection_method)
    if params.test_clock is not None:
        qs = qs.filter(test_clock_id=params.test_clock)
    qs = qs.filter(range_q("current_period_end", params.current_period_end))
    qs = qs.filter(range_q("current_period_start", params.current_period_start))
    return paginate(req, qs, params, render_many=render_subscriptions)
