import pytest
from django.db import connection

from seikyu.core.ids import new_id


def test_ids_made_later_sort_later_and_never_repeat():
    ids = [new_id("evt") for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("evt_") and len(i) == 28 for i in ids)


@pytest.mark.django_db
def test_the_database_orders_ids_as_they_were_made():
    """PostgreSQL sorts text by its locale collation: ids must still come back in creation order."""
    ids = [new_id("evt") for _ in range(300)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v FROM (" + " UNION ALL ".join(["SELECT %s AS v"] * len(ids)) + ") AS t ORDER BY v",
            ids[::-1],
        )
        assert [row[0] for row in cursor.fetchall()] == ids
