"""The words printed on documents and the hosted page, in Japanese and English, and how dates
and addresses are written in each language."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import timezone

LOCALES = ("ja", "en")

TEXT: dict[str, dict[str, str]] = {
    "ja": {
        "invoice": "請求書",
        "invoice_sub": "INVOICE",
        "receipt": "領収書",
        "receipt_sub": "RECEIPT",
        "credit_note": "適格返還請求書",
        "credit_note_sub": "CREDIT NOTE",
        "test_mode": "テストモード",
        "number": "請求書番号",
        "receipt_number": "領収書番号",
        "credit_note_number": "返還請求書番号",
        "issue_date": "発行日",
        "transaction_date": "取引日",
        "transaction_period": "取引期間",
        "due_date": "お支払期限",
        "due_automatic": "カードにて自動決済",
        "intro_invoice": "下記のとおりご請求申し上げます。",
        "intro_credit_note": "下記のとおり返還いたします。",
        "amount_due": "ご請求金額",
        "amount_received": "領収金額",
        "refund_total": "返還金額",
        "tax_included": "（税込）",
        "received_words": "上記正に領収いたしました。",
        "but_for": "但し {what}として",
        "receipt_for": "ご利用料金（請求書番号 {number}）",
        "description": "品目",
        "quantity": "数量",
        "unit_price": "単価",
        "amount": "金額",
        "amount_excl": "金額（税抜）",
        "amount_incl": "金額（税込）",
        "reduced_legend": "※は軽減税率対象",
        "tax_title": "税率別内訳",
        "rate": "税率",
        "taxable": "対象金額",
        "tax": "消費税",
        "rate_row": "{rate}%対象",
        "reduced_suffix": "（軽減税率）",
        "untaxed_row": "対象外・非課税",
        "excl": "（税抜）",
        "incl": "（税込）",
        "subtotal": "小計",
        "discount": "値引き",
        "tax_total": "消費税",
        "total": "合計",
        "balance_applied": "残高の充当",
        "amount_paid": "お支払済み",
        "registration": "登録番号 {number}",
        "tel": "TEL {value}",
        "bank_title": "お振込先",
        "bank": "金融機関",
        "branch": "支店",
        "account_type": "口座種別",
        "futsu": "普通",
        "toza": "当座",
        "account_number": "口座番号",
        "account_holder": "口座名義",
        "payment_title": "お支払い方法",
        "card_auto": "ご登録のクレジットカードにて自動決済いたします。",
        "statement_descriptor": "カード明細の表記",
        "memo_title": "備考",
        "paid_on": "お支払日",
        "payment_method": "お支払方法",
        "card": "{brand} •••• {last4}",
        "bank_transfer": "銀行振込等",
        "other_payment": "その他",
        "invoice_number": "請求書番号",
        "original_invoice": "元の請求書番号",
        "original_date": "元の取引日",
        "refund_date": "返還日",
        "reason": "理由",
        "honorific_company": "御中",
        "honorific_person": "様",
        "proration_unused": "日割り返金（未使用分）",
        "proration_remaining": "日割り（残り期間）",
        "period": "{start}〜{end}",
    },
    "en": {
        "invoice": "Invoice",
        "invoice_sub": "",
        "receipt": "Receipt",
        "receipt_sub": "",
        "credit_note": "Credit note",
        "credit_note_sub": "Qualified return invoice",
        "test_mode": "TEST MODE",
        "number": "Invoice number",
        "receipt_number": "Receipt number",
        "credit_note_number": "Credit note number",
        "issue_date": "Date of issue",
        "transaction_date": "Date of supply",
        "transaction_period": "Service period",
        "due_date": "Date due",
        "due_automatic": "Charged automatically to your card",
        "intro_invoice": "",
        "intro_credit_note": "",
        "amount_due": "Amount due",
        "amount_received": "Amount received",
        "refund_total": "Amount credited",
        "tax_included": "(tax included)",
        "received_words": "Received with thanks.",
        "but_for": "For: {what}",
        "receipt_for": "services billed on invoice {number}",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "amount": "Amount",
        "amount_excl": "Amount (excl. tax)",
        "amount_incl": "Amount (incl. tax)",
        "reduced_legend": "※ Subject to the reduced tax rate",
        "tax_title": "Tax by rate",
        "rate": "Rate",
        "taxable": "Taxable",
        "tax": "Tax",
        "rate_row": "{rate}%",
        "reduced_suffix": " (reduced)",
        "untaxed_row": "Not taxed",
        "excl": " (excl. tax)",
        "incl": " (incl. tax)",
        "subtotal": "Subtotal",
        "discount": "Discount",
        "tax_total": "Consumption tax",
        "total": "Total",
        "balance_applied": "Applied balance",
        "amount_paid": "Amount paid",
        "registration": "Registration number {number}",
        "tel": "Tel. {value}",
        "bank_title": "Pay by bank transfer to",
        "bank": "Bank",
        "branch": "Branch",
        "account_type": "Account type",
        "futsu": "Ordinary (futsu)",
        "toza": "Current (toza)",
        "account_number": "Account number",
        "account_holder": "Account holder",
        "payment_title": "Payment",
        "card_auto": "This invoice is charged automatically to your card on file.",
        "statement_descriptor": "Appears on your card statement as",
        "memo_title": "Notes",
        "paid_on": "Date paid",
        "payment_method": "Payment method",
        "card": "{brand} •••• {last4}",
        "bank_transfer": "Bank transfer or other",
        "other_payment": "Other",
        "invoice_number": "Invoice number",
        "original_invoice": "Original invoice",
        "original_date": "Original date of supply",
        "refund_date": "Date of credit",
        "reason": "Reason",
        "honorific_company": "",
        "honorific_person": "",
        "proration_unused": "",
        "proration_remaining": "",
        "period": "{start} – {end}",
    },
}

CARD_BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "jcb": "JCB",
    "diners": "Diners Club",
    "discover": "Discover",
    "unionpay": "UnionPay",
}

CREDIT_NOTE_REASONS = {
    "ja": {
        "duplicate": "重複請求",
        "fraudulent": "不正利用",
        "order_change": "注文内容の変更",
        "product_unsatisfactory": "商品・サービスへのご不満",
    },
    "en": {
        "duplicate": "Duplicate",
        "fraudulent": "Fraudulent",
        "order_change": "Order change",
        "product_unsatisfactory": "Product unsatisfactory",
    },
}

# Names that show the recipient is an organisation (御中) rather than a person (様).
_ORGANISATION_WORDS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合名会社",
    "合資会社",
    "(株)",
    "（株）",
    "㈱",
    "(有)",
    "（有）",
    "㈲",
    "法人",
    "組合",
    "協会",
    "財団",
    "学校",
    "病院",
    "事務所",
    "大学",
    "役所",
    "役場",
)
_ORGANISATION_LATIN = re.compile(r"\b(inc|llc|ltd|co|corp|corporation|company|gmbh|k\.k|g\.k|kk|gk|plc)\b\.?", re.I)


def locale_for(preferred_locales: Sequence[str] | None) -> str:
    """The document language from a customer's ``preferred_locales``: the first one we print in
    (``en-US`` counts as ``en``), else Japanese."""
    for tag in preferred_locales or ():
        language = tag.lower().replace("_", "-").split("-")[0]
        if language in LOCALES:
            return language
    return "ja"


def words(locale: str) -> dict[str, str]:
    return TEXT[locale]


def is_organisation(name: str) -> bool:
    return any(word in name for word in _ORGANISATION_WORDS) or bool(_ORGANISATION_LATIN.search(name))


def addressee(name: str | None, locale: str, *, organisation: bool | None = None) -> str:
    """The recipient as a Japanese document names them: 株式会社テスト 御中, 山田太郎 様."""
    name = (name or "").strip()
    if locale != "ja" or not name:
        return name
    company = is_organisation(name) if organisation is None else organisation
    return f"{name} {TEXT['ja']['honorific_company' if company else 'honorific_person']}"


def date(value: dt.datetime, locale: str) -> str:
    local = timezone.localtime(value)
    if locale == "ja":
        return f"{local.year}年{local.month}月{local.day}日"
    return f"{local.strftime('%B')} {local.day}, {local.year}"


def period(start: dt.datetime, end: dt.datetime, locale: str) -> str:
    """A period as people write it: the end is exclusive in the data (the next period's start), so
    a period ending at midnight ends on the previous day in print."""
    if end <= start:
        return date(start, locale)
    last = end - dt.timedelta(seconds=1)
    return TEXT[locale]["period"].format(start=date(start, locale), end=date(last, locale))


def address_lines(address: Mapping[str, Any] | None, locale: str) -> list[str]:
    """Japanese order (〒, prefecture, city, street; building on its own line) or Western order."""
    if not address:
        return []
    get = lambda key: (address.get(key) or "").strip()  # noqa: E731
    if locale == "ja":
        lines = [f"〒{get('postal_code')}" if get("postal_code") else ""]
        lines.append(get("state") + get("city") + get("line1"))
        lines.append(get("line2"))
    else:
        lines = [get("line1"), get("line2"), " ".join(p for p in (get("city"), get("state"), get("postal_code")) if p)]
        if get("country") and get("country") != "JP":
            lines.append(get("country"))
        elif get("country") == "JP":
            lines.append("Japan")
    return [line for line in lines if line]


# The hosted invoice page's own words (the invoice itself reuses TEXT).
PAGE: dict[str, dict[str, str]] = {
    "ja": {
        "switch_to": "English",
        "status_open": "未払い",
        "status_paid": "お支払い済み",
        "status_void": "無効",
        "status_uncollectible": "未払い",
        "amount_to_pay": "お支払い金額",
        "amount_paid": "お支払い済みの金額",
        "amount_total": "請求金額",
        "download_invoice": "請求書をダウンロード（PDF）",
        "download_receipt": "領収書をダウンロード（PDF）",
        "pay_title": "カードでお支払い",
        "card_number": "カード番号",
        "expiry": "有効期限（MM/YY）",
        "cvc": "セキュリティコード",
        "pay_button": "{amount} を支払う",
        "test_hint": "テストモードです。4242 4242 4242 4242 など、テスト用のカード番号と"
        "未来の有効期限をお使いください。",
        "live_unavailable": "この請求書はカードではお支払いいただけません。お振込みか、請求元にお問い合わせください。",
        "paid_thanks": "お支払いありがとうございました。",
        "void_note": "この請求書は無効になりました。お支払いの必要はありません。",
        "details": "ご請求内容",
        "issuer": "請求元",
        "secure_note": "カード情報は安全に処理され、このページには保存されません。",
        "credit_notes": "返還請求書（クレジットノート）",
        "credit_note_number": "番号",
        "credit_note_date": "返還日",
        "credit_note_amount": "返還金額",
        "credit_note_void": "（無効）",
        "download_credit_note": "PDF",
    },
    "en": {
        "switch_to": "日本語",
        "status_open": "Due",
        "status_paid": "Paid",
        "status_void": "Void",
        "status_uncollectible": "Due",
        "amount_to_pay": "Amount due",
        "amount_paid": "Amount paid",
        "amount_total": "Invoice total",
        "download_invoice": "Download invoice (PDF)",
        "download_receipt": "Download receipt (PDF)",
        "pay_title": "Pay by card",
        "card_number": "Card number",
        "expiry": "Expiry (MM/YY)",
        "cvc": "Security code",
        "pay_button": "Pay {amount}",
        "test_hint": "Test mode: use a test card such as 4242 4242 4242 4242 with any future expiry date.",
        "live_unavailable": "This invoice cannot be paid by card here. "
        "Please pay by bank transfer or contact the issuer.",
        "paid_thanks": "Thank you for your payment.",
        "void_note": "This invoice has been voided; nothing is due.",
        "details": "Invoice details",
        "issuer": "From",
        "secure_note": "Your card details are processed securely and are not stored on this page.",
        "credit_notes": "Credit notes",
        "credit_note_number": "Number",
        "credit_note_date": "Date",
        "credit_note_amount": "Amount credited",
        "credit_note_void": "(void)",
        "download_credit_note": "PDF",
    },
}
