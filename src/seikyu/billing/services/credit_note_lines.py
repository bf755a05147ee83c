"""The lines of a credit note: which invoice lines (or custom amounts) it credits, and their
amounts, discounts and tax.

A line credits part of an invoice line (by ``quantity`` or ``amount``; all that is left by
default) with that line's tax rates and a share of its discounts, or is a custom line
(``unit_amount`` × ``quantity`` with its own tax rates, no discounts). The lines' amounts go
through ``core.invoice_math.compute_invoice`` like an invoice's, so tax is rounded once per rate
per credit note with the account's rounding mode.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Sum

from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.core.invoice_math import MathDiscount, MathLine, MathTaxRate, compute_invoice
from seikyu.core.money import round_fraction

from ..models import CreditNote, CreditNoteLineItem, Invoice, InvoiceLineItem, TaxRate
from .catalog import merge_metadata
from .invoice_totals import InvoiceContext, effective_rate_ids, tax_wire
from .settings import billing_settings_for
from .subscription_params import tax_rate_ids

# A credited share of an invoice line's discount rounds like the discount itself did.
_DISCOUNT_ROUNDING = "half_up"


@dataclass
class CreditLine:
    """One credit note line, resolved and checked, before its tax is computed."""

    id: str
    type: str
    amount: int
    invoice_line: InvoiceLineItem | None = None
    description: str | None = None
    quantity: int | None = None
    unit_amount: int | None = None
    tax_rate_ids: list[str] = field(default_factory=list)
    # The invoice line's discounts, in proportion to the part credited: [(discount id, amount)].
    discounts: list[tuple[str, int]] = field(default_factory=list)
    taxes: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


def _credited_by_line(invoice: Invoice) -> dict[str, int]:
    """How much of each invoice line issued credit notes already credited (before discounts)."""
    rows = (
        CreditNoteLineItem.objects.filter(
            credit_note__invoice_id=invoice.id,
            credit_note__status=CreditNote.Status.ISSUED,
            invoice_line_item__isnull=False,
        )
        .values("invoice_line_item_id")
        .annotate(credited=Sum("amount"))
    )
    return {row["invoice_line_item_id"]: row["credited"] for row in rows}


def resolve_lines(data: Mapping[str, Any], invoice: Invoice, ctx: InvoiceContext) -> list[CreditLine]:
    """The requested ``lines[]`` (or ``amount``) as checked credit lines; ``ctx`` holds the
    invoice's lines. Errors name the offending ``lines[n][…]`` param."""
    raw = data.get("lines") or []
    if not raw:
        # ``amount`` alone: one custom line without tax (credit by lines to give back tax per rate).
        return [
            CreditLine(
                id=new_id("cnli"),
                type=CreditNoteLineItem.Type.CUSTOM_LINE_ITEM.value,
                amount=int(data["amount"]),
                quantity=1,
                unit_amount=int(data["amount"]),
            )
        ]
    invoice_lines = {line.id: line for line in ctx.lines.get(invoice.id, [])}
    credited = _credited_by_line(invoice)
    lines = []
    for index, entry in enumerate(raw):
        param = f"lines[{index}]"
        kind = entry.get("type")
        if kind == CreditNoteLineItem.Type.INVOICE_LINE_ITEM:
            line = _invoice_line_credit(entry, param, invoice, invoice_lines, credited)
        elif kind == CreditNoteLineItem.Type.CUSTOM_LINE_ITEM:
            line = _custom_line(entry, param, invoice)
        else:
            raise InvalidRequest(
                f"Invalid {param}[type]: must be one of invoice_line_item, custom_line_item",
                code="parameter_missing" if kind is None else None,
                param=f"{param}[type]",
            )
        line.metadata = merge_metadata({}, entry.get("metadata") or {})
        lines.append(line)
    return lines


def _refuse(entry: Mapping[str, Any], names: Sequence[str], param: str, kind: str) -> None:
    for name in names:
        if entry.get(name) is not None:
            raise InvalidRequest(f"`{name}` can't be set on a line of type {kind}.", param=f"{param}[{name}]")


def _invoice_line_credit(
    entry: Mapping[str, Any],
    param: str,
    invoice: Invoice,
    invoice_lines: Mapping[str, InvoiceLineItem],
    credited: dict[str, int],
) -> CreditLine:
    _refuse(entry, ("description", "unit_amount", "unit_amount_decimal", "tax_rates"), param, "invoice_line_item")
    line_id = entry.get("invoice_line_item")
    if not line_id:
        raise InvalidRequest(
            f"Missing required param: {param}[invoice_line_item].",
            code="parameter_missing",
            param=f"{param}[invoice_line_item]",
        )
    source = invoice_lines.get(str(line_id))
    if source is None:
        raise ResourceMissing("line_item", str(line_id), param=f"{param}[invoice_line_item]")
    if entry.get("amount") is not None and entry.get("quantity") is not None:
        raise InvalidRequest("Specify only one of `amount` and `quantity`.", param=f"{param}[amount]")
    if source.amount <= 0:
        raise InvalidRequest(
            f"Invoice line {source.id} charges nothing, so there is nothing to credit.",
            param=f"{param}[invoice_line_item]",
        )
    already = credited.get(source.id, 0)
    left = source.amount - already
    units = source.quantity or 1
    quantity: int | None = None
    if entry.get("quantity") is not None:
        quantity = int(entry["quantity"])
        if not 0 < quantity <= units:
            raise InvalidRequest(
                f"Invalid {param}[quantity]: must be between 1 and the line's quantity ({units}).",
                param=f"{param}[quantity]",
            )
        amount = (
            source.amount if quantity == units else round_fraction(Fraction(source.amount * quantity, units), "half_up")
        )
        bad = f"{param}[quantity]"
    elif entry.get("amount") is not None:
        amount = int(entry["amount"])
        bad = f"{param}[amount]"
    else:
        amount, quantity, bad = left, (units if already == 0 else None), f"{param}[invoice_line_item]"
    if amount <= 0 or amount > left:
        raise InvalidRequest(
            f"The amount credited for invoice line {source.id} ({amount}) must be positive and at most what is "
            f"left to credit on it ({left}).",
            param=bad,
        )
    credited[source.id] = already + amount
    return CreditLine(
        id=new_id("cnli"),
        type=CreditNoteLineItem.Type.INVOICE_LINE_ITEM.value,
        amount=amount,
        invoice_line=source,
        description=source.description,
        quantity=quantity,
        unit_amount=source.unit_amount if quantity is not None else None,
        tax_rate_ids=effective_rate_ids(source, invoice),
        discounts=_discount_share(source, already, amount),
    )


def _discount_share(source: InvoiceLineItem, already: int, amount: int) -> list[tuple[str, int]]:
    """The part of the line's discounts that goes with crediting ``amount`` after ``already``.
    Shares are differences of rounded running totals, so crediting a line in pieces gives back
    exactly its discounts once the whole line is credited."""

    def share(discount: int, credited: int) -> int:
        return round_fraction(Fraction(discount * credited, source.amount), _DISCOUNT_ROUNDING)

    return [
        (str(d["discount"]), share(int(d["amount"]), already + amount) - share(int(d["amount"]), already))
        for d in source.discount_amounts
        if d.get("amount")
    ]


def _custom_line(entry: Mapping[str, Any], param: str, invoice: Invoice) -> CreditLine:
    _refuse(entry, ("amount", "invoice_line_item"), param, "custom_line_item")
    unit = entry.get("unit_amount")
    decimal = entry.get("unit_amount_decimal")
    if unit is not None and decimal is not None:
        raise InvalidRequest(
            "Specify only one of `unit_amount` and `unit_amount_decimal`.", param=f"{param}[unit_amount]"
        )
    if decimal is not None:
        value = Decimal(str(decimal))
        if value != value.to_integral_value():
            raise InvalidRequest(
                f"Invalid {param}[unit_amount_decimal]: fractions of the currency's minor unit are not supported.",
                param=f"{param}[unit_amount_decimal]",
            )
        unit = int(value)
    if unit is None:
        raise InvalidRequest(
            f"Missing required param: {param}[unit_amount].", code="parameter_missing", param=f"{param}[unit_amount]"
        )
    unit = int(unit)
    quantity = int(entry["quantity"]) if entry.get("quantity") is not None else 1
    if unit < 0:
        raise InvalidRequest(f"Invalid {param}[unit_amount]: must be 0 or more.", param=f"{param}[unit_amount]")
    if quantity < 1:
        raise InvalidRequest(f"Invalid {param}[quantity]: must be at least 1.", param=f"{param}[quantity]")
    return CreditLine(
        id=new_id("cnli"),
        type=CreditNoteLineItem.Type.CUSTOM_LINE_ITEM.value,
        amount=unit * quantity,
        description=entry.get("description"),
        quantity=quantity,
        unit_amount=unit,
        tax_rate_ids=tax_rate_ids(entry.get("tax_rates"), livemode=invoice.livemode, param=f"{param}[tax_rates]"),
    )


def compute_credit(lines: list[CreditLine], invoice: Invoice) -> CreditNote:
    """Amounts and tax of the lines, as an unsaved note (its lines get their taxes in place).

    The invoice line's proportional discounts enter ``compute_invoice`` as fixed amounts scoped to
    their credit line, so discounts, tax once per rate and totals follow the invoice rules exactly."""
    rates = TaxRate.objects.in_bulk({rid for line in lines for rid in line.tax_rate_ids})
    math_lines = [
        MathLine(
            key=line.id,
            amount=line.amount,
            discountable=bool(line.discounts),
            tax_rates=tuple(
                MathTaxRate(rid, rates[rid].percentage, rates[rid].inclusive)
                for rid in line.tax_rate_ids
                if rid in rates
            ),
        )
        for line in lines
    ]
    scoped = {f"{line.id}:{discount_id}": discount_id for line in lines for discount_id, _ in line.discounts}
    math_discounts = [
        MathDiscount(id=f"{line.id}:{discount_id}", percent_off=None, amount_off=amount, line_keys=frozenset({line.id}))
        for line in lines
        for discount_id, amount in line.discounts
    ]
    rounding = billing_settings_for([invoice.livemode])[invoice.livemode].tax_rounding
    result = compute_invoice(math_lines, math_discounts, rounding=rounding)
    for line, line_math in zip(lines, result.lines, strict=True):
        line.discounts = _by_discount((scoped[key], amount) for key, amount in line_math.discount_amounts)
        line.taxes = [tax_wire(tax) for tax in line_math.taxes]
    discount_amounts = _by_discount((scoped[key], amount) for key, amount in result.total_discount_amounts)
    return CreditNote(
        subtotal=result.subtotal,
        subtotal_excluding_tax=result.subtotal_excluding_tax,
        discount_amount=sum(amount for _, amount in discount_amounts),
        discount_amounts=[{"amount": amount, "discount": did} for did, amount in discount_amounts],
        total=result.total,
        total_excluding_tax=result.total_excluding_tax,
        total_taxes=[tax_wire(tax) for tax in result.total_taxes],
    )


def _by_discount(parts: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    summed: dict[str, int] = defaultdict(int)
    for discount_id, amount in parts:
        summed[discount_id] += amount
    return [(discount_id, amount) for discount_id, amount in summed.items() if amount]


def line_row(line: CreditLine, note: CreditNote, position: int) -> CreditNoteLineItem:
    return CreditNoteLineItem(
        id=line.id,
        livemode=note.livemode,
        created=note.created,
        metadata=line.metadata,
        credit_note=note,
        position=position,
        type=line.type,
        invoice_line_item=line.invoice_line,
        description=line.description,
        quantity=line.quantity,
        unit_amount=line.unit_amount,
        amount=line.amount,
        discount_amount=sum(amount for _, amount in line.discounts),
        discount_amounts=[{"amount": amount, "discount": did} for did, amount in line.discounts],
        tax_rates=line.tax_rate_ids,
        taxes=line.taxes,
    )
