"""What each document says, as plain data ready to print: every amount formatted, every date
written out, every label in the document's language. The Typst layout only places these.

Builders take plain dataclasses (no database access), so a document's content depends only on
what it is given: the same invoice and issuer give the same content, hence the same PDF.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from seikyu.core.money import format_amount

from . import labels
from .labels import words

# Japan's reduced consumption-tax rate (軽減税率: food, newspapers): lines taxed at it carry ※.
REDUCED_RATE = Decimal(8)
REDUCED_MARK = "※"


def is_reduced_rate(percentage: Decimal, country: str | None) -> bool:
    return percentage == REDUCED_RATE and (country or "JP").upper() == "JP"


@dataclass(frozen=True)
class Line:
    description: str
    amount: int
    quantity: int | None = None
    unit_amount: int | None = None
    reduced: bool = False
    detail: str | None = None  # e.g. the service period, printed under the description


@dataclass(frozen=True)
class TaxRow:
    """One tax rate's total on a document: ``taxable_amount`` excludes the tax."""

    percentage: Decimal
    taxable_amount: int
    tax_amount: int
    inclusive: bool = False
    reduced: bool = False


@dataclass(frozen=True)
class InvoiceSource:
    """An issued invoice as its documents need it (see ``services.invoice_source``)."""

    number: str
    livemode: bool
    currency: str
    issued_at: dt.datetime
    collection_method: str
    customer_name: str | None
    lines: Sequence[Line]
    subtotal: int
    total: int
    amount_due: int
    taxes: Sequence[TaxRow]
    period: tuple[dt.datetime, dt.datetime] | None = None
    due_date: dt.datetime | None = None
    customer_address: Mapping[str, Any] | None = None
    customer_registration: str | None = None
    discounts: Sequence[tuple[str, int]] = ()
    untaxed_amount: int = 0
    starting_balance: int = 0
    memo: str | None = None
    footer: str | None = None
    statement_descriptor: str | None = None
    custom_fields: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Payment:
    """How a paid invoice was paid, for its receipt."""

    amount: int
    paid_at: dt.datetime
    card_brand: str | None = None
    card_last4: str | None = None
    out_of_band: bool = False


@dataclass(frozen=True)
class CreditNoteData:
    """A credit note (適格返還請求書) as its document needs it: the refund date, the original
    invoice's number and date of supply, the lines (reduced-rate ones marked) and the refund
    per tax rate. Amounts are what is credited, as positive numbers (Stripe's convention)."""

    id: str
    number: str
    livemode: bool
    customer_id: str
    customer_name: str | None
    currency: str
    issued_at: dt.datetime  # the refund date
    invoice_number: str
    invoice_date: dt.datetime  # the original sale (or its invoice's issue date)
    lines: Sequence[Line]
    taxes: Sequence[TaxRow]
    total: int
    customer_address: Mapping[str, Any] | None = None
    reason: str | None = None
    memo: str | None = None
    issuer: Mapping[str, Any] | None = None  # issuer_snapshot() at issue; current settings if None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CreditNoteData:
        """From the plain data the credit-note engine gives
        (``billing.render.credit_notes.credit_note_documents_data``: lines and taxes as dicts)."""
        return cls(
            **{
                **data,
                "lines": [Line(**line) for line in data["lines"]],
                "taxes": [TaxRow(**tax) for tax in data["taxes"]],
            }
        )


@dataclass
class _Doc:
    """The content object handed to the layout (``typst/document.typ``)."""

    locale: str
    kind: str
    number: str
    issuer: Mapping[str, Any]
    logo_svg: str | None
    livemode: bool
    recipient_name: str | None
    recipient_lines: list[str] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)
    intro: str | None = None
    headline: dict[str, Any] | None = None
    purpose: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    legend: str | None = None
    tax_columns: list[str] = field(default_factory=list)
    tax_rows: list[dict[str, str]] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    footer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        w = words(self.locale)
        title = w[self.kind]
        issuer = _issuer(self.issuer, self.locale, self.logo_svg)
        return {
            "lang": self.locale,
            "document_title": f"{title} {self.number}",
            "keywords": [self.kind, self.number],
            "title": title,
            "subtitle": w[f"{self.kind}_sub"],
            "test_mode": None if self.livemode else w["test_mode"],
            "brand": self.issuer.get("brand_color") or "#1F3A5F",
            "accent": self.issuer.get("accent_color") or "#EEF2F7",
            "page_label": f"{title} {self.number}",
            "issuer": issuer,
            "recipient": {
                "name": labels.addressee(self.recipient_name, self.locale),
                "lines": self.recipient_lines,
            },
            "meta": [list(pair) for pair in self.meta],
            "intro": self.intro or None,
            "headline": self.headline,
            "purpose": self.purpose,
            "columns": self.columns,
            "lines": self.lines,
            "legend": self.legend,
            "tax_title": w["tax_title"],
            "tax_columns": self.tax_columns,
            "tax_rows": self.tax_rows,
            "totals": self.totals,
            "sections": self.sections,
            "footer": self.footer or None,
        }


def _issuer(snapshot: Mapping[str, Any], locale: str, logo_svg: str | None) -> dict[str, Any]:
    w = words(locale)
    name = (snapshot.get("name_en") if locale == "en" else None) or snapshot.get("name") or ""
    address = snapshot.get("address_en") if locale == "en" else snapshot.get("address")
    contacts = []
    if snapshot.get("phone"):
        contacts.append(w["tel"].format(value=snapshot["phone"]))
    contacts += [snapshot[key] for key in ("email", "url") if snapshot.get(key)]
    registration = snapshot.get("registration_number")
    return {
        "name": name,
        "lines": labels.address_lines(address, locale),
        "registration": w["registration"].format(number=registration) if registration else None,
        "contacts": contacts,
        "logo_svg": logo_svg,
    }


def _money(amount: int, currency: str, locale: str) -> str:
    return format_amount(amount, currency, locale)


def _quantity(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _lines(lines: Sequence[Line], currency: str, locale: str) -> list[dict[str, Any]]:
    return [
        {
            "description": line.description,
            "detail": line.detail,
            "mark": REDUCED_MARK if line.reduced else "",
            "quantity": _quantity(line.quantity),
            "unit": "" if line.unit_amount is None else _money(line.unit_amount, currency, locale),
            "amount": _money(line.amount, currency, locale),
        }
        for line in lines
    ]


def _line_columns(taxes: Sequence[TaxRow], locale: str) -> list[str]:
    w = words(locale)
    kinds = {row.inclusive for row in taxes}
    amount = w["amount_incl"] if kinds == {True} else w["amount_excl"] if kinds == {False} else w["amount"]
    return [w["description"], w["quantity"], w["unit_price"], amount]


def tax_table(
    taxes: Sequence[TaxRow], untaxed: int, currency: str, locale: str
) -> tuple[list[str], list[dict[str, str]]]:
    """Per rate: what was taxed at it and the tax, highest rate first (qualified-invoice items 4 and 5)."""
    w = words(locale)
    kinds = {row.inclusive for row in taxes}
    mixed = len(kinds) > 1
    taxable = w["taxable"] + ("" if mixed else w["incl"] if kinds == {True} else w["excl"])
    rows = []
    for row in sorted(taxes, key=lambda r: (-r.percentage, r.inclusive)):
        label = w["rate_row"].format(rate=_percent(row.percentage))
        if row.reduced:
            label += w["reduced_suffix"]
        if mixed:
            label += w["incl"] if row.inclusive else w["excl"]
        base = row.taxable_amount + row.tax_amount if row.inclusive else row.taxable_amount
        rows.append(
            {"rate": label, "base": _money(base, currency, locale), "tax": _money(row.tax_amount, currency, locale)}
        )
    if untaxed:
        rows.append({"rate": w["untaxed_row"], "base": _money(untaxed, currency, locale), "tax": "—"})
    return ([w["rate"], taxable, w["tax"]] if rows else []), rows


def _percent(value: Decimal) -> str:
    """10.0000 → "10", 8.5 → "8.5"."""
    return format(value.normalize(), "f")


def _total(label: str, value: str, *, strong: bool = False) -> dict[str, Any]:
    return {"label": label, "value": value, "strong": strong}


def _exclusive_tax_total(taxes: Sequence[TaxRow], currency: str, locale: str) -> list[dict[str, Any]]:
    """The tax added on top of the lines (tax-inclusive lines already contain theirs)."""
    added = [row.tax_amount for row in taxes if not row.inclusive]
    return [_total(words(locale)["tax_total"], _money(sum(added), currency, locale))] if added else []


def _legend(lines: Sequence[Line], locale: str) -> str | None:
    return words(locale)["reduced_legend"] if any(line.reduced for line in lines) else None


def _section(key: str, title: str, rows: list[list[str]], text: str | None) -> dict[str, Any]:
    return {"key": key, "title": title, "rows": rows, "text": text}


def _text_section(key: str, title: str, text: str | None) -> list[dict[str, Any]]:
    return [_section(key, title, [], text)] if text else []


def _bank_section(bank: Mapping[str, Any] | None, locale: str) -> list[dict[str, Any]]:
    if not bank:
        return []
    w = words(locale)
    branch = bank.get("branch_name") or ""
    if bank.get("branch_code"):
        branch += f"（{bank['branch_code']}）" if locale == "ja" else f" ({bank['branch_code']})"
    rows = [
        [w["bank"], bank.get("bank_name") or ""],
        [w["branch"], branch],
        [w["account_type"], w.get(bank.get("account_type") or "", "")],
        [w["account_number"], bank.get("account_number") or ""],
        [w["account_holder"], bank.get("account_holder") or ""],
    ]
    return [_section("bank_transfer", w["bank_title"], rows, bank.get("note"))]


def invoice_content(
    source: InvoiceSource, issuer: Mapping[str, Any], locale: str, *, logo_svg: str | None = None
) -> dict[str, Any]:
    """The invoice as a qualified invoice (適格請求書): issuer and registration number, date of
    supply or period, lines with the reduced-rate mark, totals and tax per rate, recipient."""
    w = words(locale)
    cur = source.currency
    meta = [(w["number"], source.number), (w["issue_date"], labels.date(source.issued_at, locale))]
    if source.period is not None:
        start, end = source.period
        kind = "transaction_period" if end > start else "transaction_date"
        meta.append((w[kind], labels.period(start, end, locale)))
    if source.collection_method == "send_invoice" and source.due_date is not None:
        meta.append((w["due_date"], labels.date(source.due_date, locale)))
    elif source.collection_method == "charge_automatically":
        meta.append((w["due_date"], w["due_automatic"]))
    meta += list(source.custom_fields)

    recipient_lines = labels.address_lines(source.customer_address, locale)
    if source.customer_registration:
        recipient_lines.append(w["registration"].format(number=source.customer_registration))

    totals = [_total(w["subtotal"], _money(source.subtotal, cur, locale))]
    for name, amount in source.discounts:
        totals.append(
            _total(
                f"{w['discount']}（{name}）" if locale == "ja" else f"{w['discount']} ({name})",
                _money(-amount, cur, locale),
            )
        )
    totals += _exclusive_tax_total(source.taxes, cur, locale)
    totals.append(_total(w["total"], _money(source.total, cur, locale), strong=source.amount_due == source.total))
    if source.starting_balance:
        totals.append(_total(w["balance_applied"], _money(source.starting_balance, cur, locale)))
    if source.amount_due != source.total:
        totals.append(_total(w["amount_due"], _money(source.amount_due, cur, locale), strong=True))

    sections: list[dict[str, Any]] = []
    if source.collection_method == "send_invoice":
        sections += _bank_section(issuer.get("bank_transfer"), locale)
    else:
        descriptor = source.statement_descriptor or issuer.get("statement_descriptor")
        rows = [[w["statement_descriptor"], descriptor]] if descriptor else []
        sections.append(_section("payment", w["payment_title"], rows, w["card_auto"]))
    sections += _text_section("memo", w["memo_title"], source.memo or issuer.get("invoice_memo"))

    tax_columns, tax_rows = tax_table(source.taxes, source.untaxed_amount, cur, locale)
    return _Doc(
        locale=locale,
        kind="invoice",
        number=source.number,
        issuer=issuer,
        logo_svg=logo_svg,
        livemode=source.livemode,
        recipient_name=source.customer_name,
        recipient_lines=recipient_lines,
        meta=meta,
        intro=w["intro_invoice"],
        headline={
            "label": w["amount_due"],
            "amount": _money(source.amount_due, cur, locale),
            "note": w["tax_included"],
        },
        columns=_line_columns(source.taxes, locale),
        lines=_lines(source.lines, cur, locale),
        legend=_legend(source.lines, locale),
        tax_columns=tax_columns,
        tax_rows=tax_rows,
        totals=totals,
        sections=sections,
        footer=source.footer or issuer.get("invoice_footer"),
    ).to_dict()


def payment_method_text(payment: Payment, locale: str) -> str:
    w = words(locale)
    if payment.card_last4:
        brand = labels.CARD_BRANDS.get((payment.card_brand or "").lower(), (payment.card_brand or "").title())
        return w["card"].format(brand=brand or "Card", last4=payment.card_last4)
    return w["bank_transfer"] if payment.out_of_band else w["other_payment"]


def receipt_content(
    source: InvoiceSource,
    payment: Payment,
    issuer: Mapping[str, Any],
    locale: str,
    *,
    logo_svg: str | None = None,
) -> dict[str, Any]:
    """A receipt (領収書) for a paid invoice: amount received, date, payment method, what it was
    for, tax per rate, issuer and registration number."""
    w = words(locale)
    cur = source.currency
    tax_columns, tax_rows = tax_table(source.taxes, source.untaxed_amount, cur, locale)
    what = w["receipt_for"].format(number=source.number)
    details = [
        [w["paid_on"], labels.date(payment.paid_at, locale)],
        [w["payment_method"], payment_method_text(payment, locale)],
        [w["invoice_number"], source.number],
    ]
    return _Doc(
        locale=locale,
        kind="receipt",
        number=source.number,
        issuer=issuer,
        logo_svg=logo_svg,
        livemode=source.livemode,
        recipient_name=source.customer_name,
        recipient_lines=labels.address_lines(source.customer_address, locale),
        meta=[(w["receipt_number"], source.number), (w["issue_date"], labels.date(payment.paid_at, locale))],
        headline={
            "label": w["amount_received"],
            "amount": _money(payment.amount, cur, locale),
            "note": w["tax_included"],
        },
        purpose=[w["but_for"].format(what=what), w["received_words"]],
        tax_columns=tax_columns,
        tax_rows=tax_rows,
        sections=[_section("payment", w["payment_title"], details, None)],
    ).to_dict()


def credit_note_content(
    note: CreditNoteData, issuer: Mapping[str, Any], locale: str, *, logo_svg: str | None = None
) -> dict[str, Any]:
    """A credit note as a qualified return invoice (適格返還請求書): issuer and registration
    number, refund date and original date of supply, lines with the reduced-rate mark, refund
    and tax per rate."""
    w = words(locale)
    cur = note.currency
    tax_columns, tax_rows = tax_table(note.taxes, 0, cur, locale)
    meta = [
        (w["credit_note_number"], note.number),
        (w["refund_date"], labels.date(note.issued_at, locale)),
        (w["original_invoice"], note.invoice_number),
        (w["original_date"], labels.date(note.invoice_date, locale)),
    ]
    reason = labels.CREDIT_NOTE_REASONS[locale].get(note.reason or "", note.reason)
    return _Doc(
        locale=locale,
        kind="credit_note",
        number=note.number,
        issuer=issuer,
        logo_svg=logo_svg,
        livemode=note.livemode,
        recipient_name=note.customer_name,
        recipient_lines=labels.address_lines(note.customer_address, locale),
        meta=meta,
        intro=w["intro_credit_note"],
        headline={"label": w["refund_total"], "amount": _money(note.total, cur, locale), "note": w["tax_included"]},
        columns=_line_columns(note.taxes, locale),
        lines=_lines(note.lines, cur, locale),
        legend=_legend(note.lines, locale),
        tax_columns=tax_columns,
        tax_rows=tax_rows,
        totals=[
            _total(w["subtotal"], _money(sum(line.amount for line in note.lines), cur, locale)),
            *_exclusive_tax_total(note.taxes, cur, locale),
            _total(w["total"], _money(note.total, cur, locale), strong=True),
        ],
        sections=_text_section("reason", w["reason"], reason) + _text_section("memo", w["memo_title"], note.memo),
    ).to_dict()
