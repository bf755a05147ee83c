"""The hosted invoice page, mounted at ``/i/``, and credit notes' PDFs, mounted at ``/cn/`` (links
come from ``seikyu.billing.links``)."""

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("<str:token>", views.hosted_invoice, name="hosted_invoice"),
    path("<str:token>/pdf", views.invoice_pdf, name="invoice_pdf"),
    path("<str:token>/receipt", views.receipt_pdf, name="receipt_pdf"),
    path("<str:token>/pay", views.pay, name="pay"),
]

credit_note_urlpatterns = [
    path("<str:token>/pdf", views.credit_note_pdf, name="pdf"),
]
