"""The bill run's own writers (``bulk_insert``, ``bulk_save``, ``emit_many``) store exactly what
Django's ORM would: every column reads back equal, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import DataError, IntegrityError, transaction
from django.db.models import Model

from seikyu.billing.models import Customer, Invoice, TaxRate
from seikyu.billing.services.customers import create_customer
from seikyu.core.ids import new_id
from seikyu.db.rows import bulk_insert, bulk_save, new_row
from seikyu.events.context import request_context
from seikyu.events.models import Event
from seikyu.events.services import PendingEvent, emit_many

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 2, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


def columns(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def invoice(customer: Customer, **changes: Any) -> Invoice:
    made = new_row(
        Invoice,
        id=new_id("in"),
        created=AT,
        customer_id=customer.id,
        currency="jpy",
        period_start=AT,
        period_end=AT + dt.timedelta(days=31),
        metadata={"plan": "ゴールド", "quote": 'say "hi"\\'},
        default_tax_rates=["txr_a", "txr_b"],
        total_taxes=[{"amount": 500, "tax_rate_details": {"tax_rate": "txr_a"}}],
        customer_address=None,
        subtotal=5000,
        total=5500,
        amount_due=5500,
        amount_remaining=5500,
        auto_advance=True,
        next_action_at=AT + dt.timedelta(hours=1),
        cycle_key=f"sub_x:{new_id('k')}",
    )
    for name, value in changes.items():
        setattr(made, name, value)
    return made


@pytest.fixture
def customer() -> Customer:
    return create_customer({"name": "山田太郎", "email": "taro@example.jp"}, livemode=False)


def test_inserted_rows_read_back_as_they_were_made(customer):
    made = [invoice(customer), invoice(customer, description="二件目", due_date=AT, ending_balance=-100)]
    bulk_insert(made)
    for row in made:
        assert not row._state.adding
        assert columns(Invoice.objects.get(id=row.id)) == columns(row)
    # A JSON field made as None is SQL NULL, as the ORM stores it.
    assert Invoice.objects.filter(id=made[0].id, customer_address__isnull=True).exists()


def test_saved_fields_change_and_the_others_stay(customer):
    first, second = invoice(customer), invoice(customer)
    bulk_insert([first, second])
    first.status, first.number, first.paid_at = "paid", "ABC-0001", AT + dt.timedelta(seconds=1)
    first.total_taxes, first.next_action_at = [], None
    second.status, second.customer_address = "open", {"country": "JP", "line1": "渋谷区"}
    bulk_save([first, second], ["status", "number", "paid_at", "total_taxes", "next_action_at", "customer_address"])
    for row in (first, second):
        assert columns(Invoice.objects.get(id=row.id)) == columns(row)
    # A JSON field saved as None is SQL NULL, as the ORM stores it.
    assert Invoice.objects.filter(id=first.id, customer_address__isnull=True).exists()


@pytest.mark.parametrize("in_transaction", [True, False])
def test_batches_saved_one_after_another_write_only_their_own_rows(customer, in_transaction):
    first, second = invoice(customer), invoice(customer)
    bulk_insert([first, second])
    with transaction.atomic() if in_transaction else contextlib.nullcontext():
        first.description = "一件目"
        bulk_save([first], ["description"])
        second.status, second.number = "open", "ABC-0002"
        bulk_save([second], ["status", "number"])
    assert columns(Invoice.objects.get(id=first.id)) == columns(first)
    assert columns(Invoice.objects.get(id=second.id)) == columns(second)
    assert Invoice.objects.get(id=first.id).status == "draft"


def test_new_row_refuses_an_unknown_field():
    with pytest.raises(TypeError, match="no field customer"):
        new_row(Invoice, id="in_x", customer="cus_x")


def test_new_rows_take_the_defaults_djangos_constructor_gives_each_row_its_own_lists():
    first, second = new_row(Invoice, id="in_a"), new_row(Invoice, id="in_b", metadata={"k": "v"})
    assert columns(first) == columns(Invoice(id="in_a"))
    assert columns(second) == columns(Invoice(id="in_b", metadata={"k": "v"}))
    first.total_taxes.append({"amount": 1})
    assert second.total_taxes == [] and first.metadata == {}


def test_decimal_columns_read_back_exactly():
    rate = new_row(
        TaxRate, id=new_id("txr"), created=AT, display_name="軽減税率", percentage=Decimal("8.0000"), inclusive=False
    )
    bulk_insert([rate])
    rate.percentage = Decimal("10.1250")
    bulk_save([rate], ["percentage"])
    assert TaxRate.objects.get(id=rate.id).percentage == Decimal("10.1250")


def test_events_store_their_objects_and_previous_attributes(customer):
    invoice_wire = {"id": "in_1", "object": "invoice", "status": "paid", "lines": {"data": [{"amount": 5500}]}}
    sub_wire = {"id": "sub_1", "object": "subscription", "status": "active", "metadata": {"名前": "値"}}
    emitted = emit_many(
        [
            PendingEvent("invoice.paid", invoice_wire, AT, False),
            PendingEvent("invoice.payment_succeeded", invoice_wire, AT, False),
            PendingEvent("customer.subscription.updated", sub_wire, AT, False, {"status": "past_due"}),
        ]
    )
    assert [e.id for e in emitted] == sorted(e.id for e in emitted)
    stored = {e.id: e for e in Event.objects.filter(id__in=[e.id for e in emitted])}
    for event in emitted:
        assert columns(stored[event.id]) == columns(event)
    assert [stored[e.id].data for e in emitted] == [
        {"object": invoice_wire},
        {"object": invoice_wire},
        {"object": sub_wire, "previous_attributes": {"status": "past_due"}},
    ]
    assert [stored[e.id].object_id for e in emitted] == ["in_1", "in_1", "sub_1"]


def test_event_text_with_copy_separators_and_escapes_reads_back_unchanged(customer):
    # PostgreSQL loads events with COPY, in whose text format tabs, newlines, backslashes and
    # "\\N" have meanings of their own: whatever format it uses, they must arrive as written.
    tricky = "tab\there\nnew line\r\\N \\. back\\slash"
    wire = {"id": "in_\t\\N", "object": "invoice", "description": tricky, "quote": 'say "hi"', "名前": "値"}
    with request_context("req_1", "key\twith\\ and\n"):
        emitted = emit_many([PendingEvent("invoice.updated", wire, AT, True, {"description": tricky + "\n"})])
    emitted += emit_many([PendingEvent("invoice.updated", wire, AT, False)])
    stored = {e.id: e for e in Event.objects.filter(id__in=[e.id for e in emitted])}
    assert [stored[e.id].object_id for e in emitted] == ["in_\t\\N", "in_\t\\N"]
    assert [stored[e.id].data for e in emitted] == [
        {"object": wire, "previous_attributes": {"description": tricky + "\n"}},
        {"object": wire},
    ]
    assert [(stored[e.id].request_id, stored[e.id].idempotency_key, stored[e.id].livemode) for e in emitted] == [
        ("req_1", "key\twith\\ and\n", True),
        (None, None, False),
    ]
    assert {stored[e.id].created for e in emitted} == {AT}


def test_rows_read_with_deferred_fields_load_the_rest_on_access(customer):
    made = invoice(customer, description="後で読む")
    bulk_insert([made])
    partial = Invoice.objects.only("id", "status").get(id=made.id)
    assert partial.get_deferred_fields() >= {"description", "total"}
    assert (partial.description, partial.total) == ("後で読む", 5500)
    assert not partial._state.adding and partial._state.db == "default"


def test_a_deferred_field_saved_is_loaded_and_written_as_it_is(customer):
    made = invoice(customer, description="そのまま")
    bulk_insert([made])
    partial = Invoice.objects.only("id", "status").get(id=made.id)
    partial.status = "open"
    # Values are read from the instance's attributes; a deferred one is not there and must be
    # loaded, not taken as missing.
    bulk_save([partial], ["status", "description"])
    assert Invoice.objects.values_list("status", "description").get(id=made.id) == ("open", "そのまま")


def test_a_row_whose_unique_key_is_taken_is_skipped_and_the_rest_inserted(customer):
    from seikyu.notifications.models import Kind, ScheduledNotice

    def notice(object_id: str) -> ScheduledNotice:
        return ScheduledNotice(kind=Kind.UPCOMING_RENEWAL, object_id=object_id, livemode=False, occasion_at=AT)

    bulk_insert([notice("sub_a")], skip_existing=["kind", "object_id"])
    bulk_insert([notice("sub_a"), notice("sub_b"), notice("sub_b")], skip_existing=["kind", "object_id"])
    assert sorted(ScheduledNotice.objects.values_list("object_id", flat=True)) == ["sub_a", "sub_b"]


def test_id_lists_read_the_same_rows_and_are_one_statement_on_postgresql(customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    made = [invoice(customer) for _ in range(120)]
    bulk_insert(made)
    wanted = [row.id for row in made[::2]]
    statements = []
    for ids in (wanted[:3], wanted, [*wanted, None, "in_missing"], ("in_a,b", *wanted)):
        with CaptureQueriesContext(connection) as queries:
            found = sorted(Invoice.objects.filter(id__in=ids).values_list("id", flat=True))
        assert found == sorted(wanted[: len(ids)] if len(ids) == 3 else wanted)
        statements.append(queries[0]["sql"])
    assert list(Invoice.objects.filter(id__in=[])) == []
    if connection.vendor == "postgresql":
        assert "= ANY(" in statements[0]
        assert len({sql.split("ANY(")[0] for sql in statements}) == 1  # one statement text for any count
    else:
        assert " IN (" in statements[1]


def test_foreign_key_id_lists_are_one_array_parameter_too(customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    other = create_customer({"name": "佐藤花子"}, livemode=False)
    bulk_insert([invoice(customer), invoice(other), invoice(other)])
    for lookup in ({"customer_id__in": [other.id, "cus_missing"]}, {"customer__in": [other]}):
        with CaptureQueriesContext(connection) as queries:
            assert Invoice.objects.filter(**lookup).count() == 2
        sql = queries[0]["sql"]
        assert ("= ANY(" in sql) if connection.vendor == "postgresql" else (" IN (" in sql)


def test_a_list_of_one_empty_string_finds_the_rows_holding_it(customer):
    blank, named = invoice(customer, description=""), invoice(customer, description="x")
    bulk_insert([blank, named])
    assert list(Invoice.objects.filter(description__in=[""]).values_list("id", flat=True)) == [blank.id]
    assert list(Invoice.objects.filter(description__in=["", ""]).values_list("id", flat=True)) == [blank.id]
    assert list(Invoice.objects.exclude(description__in=[""]).values_list("id", flat=True)) == [named.id]


@pytest.mark.parametrize(
    "changes",
    [{"attempt_count": 2**32 + 5}, {"days_until_due": -(2**31) - 1}, {"auto_advance": "false"}],
    ids=["integer wrapping to 5", "integer below int4", "text in a boolean column"],
)
def test_values_a_column_cannot_hold_are_refused_and_nothing_is_written(customer, changes):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("binary COPY, which would store them mangled, is PostgreSQL's")
    with pytest.raises(DataError), transaction.atomic():
        bulk_insert([invoice(customer), invoice(customer, **changes)])
    assert not Invoice.objects.exists()


def test_a_taken_key_fails_the_batch_with_djangos_integrity_error(customer):
    first = invoice(customer)
    bulk_insert([first])
    again = invoice(customer, id=first.id)
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert([invoice(customer), again])
    assert list(Invoice.objects.values_list("id", flat=True)) == [first.id]


def test_event_payloads_are_kept_as_written_and_compressed_with_lz4_on_postgresql(customer):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("column types and compression are PostgreSQL's")
    big = {"id": "in_big", "object": "invoice", "z_last": 1, "a_first": "請求" * 2000}
    [event] = emit_many([PendingEvent("invoice.created", big, AT, False)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod), attcompression FROM pg_attribute "
            "WHERE attrelid = 'events_event'::regclass AND attname = 'data'"
        )
        assert cursor.fetchone() == ("text", "l")
        cursor.execute("SELECT pg_column_compression(data), data::text FROM events_event WHERE id = %s", [event.id])
        compression, text = cursor.fetchone()
    assert compression == "lz4"
    assert text.index('"z_last"') < text.index('"a_first"')  # the object's own key order
    assert Event.objects.get(id=event.id).data == {"object": big}
