import pytest
from django.db import connection

from seikyu.billing.models import Invoice, Subscription


@pytest.mark.django_db
def test_every_billing_table_exists_after_migrate():
    tables = set(connection.introspection.table_names())
    assert Invoice._meta.db_table in tables
    assert Subscription._meta.db_table in tables
    assert "events_event" in tables
