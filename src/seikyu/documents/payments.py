"""Paying an invoice by card from its hosted page, and saying why a card was refused."""

from __future__ import annotations

from django.db import transaction

from seikyu.billing.models import Invoice
from seikyu.billing.services.invoice_collection import pay_invoice
from seikyu.billing.services.payment_methods import attach_payment_method, create_payment_method
from seikyu.core.errors import CardError, SeikyuError


def pay_with_card(invoice: Invoice, *, number: str, exp_month: int, exp_year: int, cvc: str) -> Invoice:
    """Make a card from the details the customer typed, attach it to the invoice's customer and
    pay the invoice with it, all or nothing: on any error (a typo, a decline) nothing is kept —
    no card, no attempt — and the error is raised for the page to explain."""
    with transaction.atomic():
        card = create_payment_method(
            livemode=invoice.livemode,
            card={"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc},
        )
        attach_payment_method(card.id, invoice.customer, livemode=invoice.livemode)
        return pay_invoice(invoice, payment_method_id=card.id, off_session=False)


# What a customer is told, by the error's code (or decline code when more precise).
_MESSAGES = {
    "ja": {
        "card_declined": "カードが承認されませんでした。"
        "別のカードをお使いいただくか、カード会社にお問い合わせください。",
        "insufficient_funds": "カードのご利用可能額が不足しているため、承認されませんでした。"
        "別のカードをお試しください。",
        "expired_card": "このカードは有効期限が切れています。別のカードをお使いください。",
        "incorrect_cvc": "セキュリティコードが正しくありません。カード裏面の3桁（または表面の4桁）をご確認ください。",
        "incorrect_number": "カード番号が正しくありません。入力内容をご確認ください。",
        "invalid_expiry_month": "有効期限が正しくありません。月/年（MM/YY）をご確認ください。",
        "processing_error": "カードの処理中にエラーが発生しました。少し時間をおいてもう一度お試しください。",
        "authentication_required": "このカードは本人認証が必要なため、このページではお支払いいただけません。"
        "別のカードをお使いください。",
        "test_mode_live_card": "テストモードでは実際のカードは使えません。テスト用のカード番号をお使いください。",
        "invalid": "入力内容をご確認ください。",
        "not_payable": "この請求書は現在お支払いいただけません。",
        "other": "お支払いを完了できませんでした。入力内容をご確認のうえ、もう一度お試しください。",
    },
    "en": {
        "card_declined": "Your card was declined. Please use another card or contact your card issuer.",
        "insufficient_funds": "Your card was declined because of insufficient funds. Please try another card.",
        "expired_card": "This card has expired. Please use another card.",
        "incorrect_cvc": "The security code is incorrect. Check the 3 digits on the back (4 on the front for Amex).",
        "incorrect_number": "The card number is incorrect. Please check it.",
        "invalid_expiry_month": "The expiry date is incorrect. Please check the month and year (MM/YY).",
        "processing_error": "Something went wrong while processing your card. Please try again in a moment.",
        "authentication_required": "This card needs authentication, which this page cannot do. "
        "Please use another card.",
        "test_mode_live_card": "Real cards cannot be used in test mode. Please use a test card number.",
        "invalid": "Please check the details you entered.",
        "not_payable": "This invoice cannot be paid now.",
        "other": "The payment could not be completed. Please check the details and try again.",
    },
}


# Codes that mean the same thing to a customer.
_SAME_AS = {
    "invalid_cvc": "incorrect_cvc",
    "invalid_expiry_year": "invalid_expiry_month",
    "invoice_payment_intent_requires_action": "authentication_required",
}


def message_for(error: SeikyuError | None, locale: str, *, code: str | None = None) -> str:
    """A customer-facing sentence for a payment problem (``code`` names one directly)."""
    messages = _MESSAGES[locale]
    if code is not None:
        return messages[code]
    if isinstance(error, CardError):
        for key in (error.decline_code, error.code):
            key = _SAME_AS.get(key or "", key)
            if key and key in messages:
                return messages[key]
        return messages["card_declined"]
    return messages["other"]
