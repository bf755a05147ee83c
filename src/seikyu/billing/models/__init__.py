from .base import WireObject
from .catalog import Coupon, Price, Product, PromotionCode, TaxRate
from .clocks import TestClock
from .credit_notes import CreditNote, CreditNoteLineItem, CreditNoteRefund, CustomerBalanceTransaction
from .customers import Customer, Discount, PaymentMethod, TaxId
from .invoices import Invoice, InvoiceItem, InvoiceLineItem, InvoicePayment
from .payments import Charge, PaymentIntent, Refund
from .settings import BillingSettings
from .subscriptions import Subscription, SubscriptionItem

__all__ = [
    "BillingSettings",
    "Charge",
    "Coupon",
    "CreditNote",
    "CreditNoteLineItem",
    "CreditNoteRefund",
    "Customer",
    "CustomerBalanceTransaction",
    "Discount",
    "Invoice",
    "InvoiceItem",
    "InvoiceLineItem",
    "InvoicePayment",
    "PaymentIntent",
    "PaymentMethod",
    "Price",
    "Product",
    "PromotionCode",
    "Refund",
    "Subscription",
    "SubscriptionItem",
    "TaxId",
    "TaxRate",
    "TestClock",
    "WireObject",
]
