"""Products and coupons are keyed by (livemode, id): test and live mode each have their own ids, so
``SPRING25`` made in test mode no longer keeps live mode from making its own ``SPRING25``.

What referred to them by id alone (a price's product, a discount's or promotion code's coupon) now
refers by (livemode, id): the id column stays as it is, the foreign key constraint becomes one on
both columns. Django has no operation for switching a table to a composite primary key, so that
step is done here by hand: PostgreSQL alters the key in place, SQLite rebuilds the table (as
Django's own schema changes do there). SQLite keeps no constraint for the two-column references
(it cannot add one to an existing table): the services check them, as on every backend.

Not reversible: once an id is in use in both modes there is no one-column key to go back to.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

# (referring model, field, referred model)
REFERENCES = [("price", "product", "product"), ("discount", "coupon", "coupon"), ("promotioncode", "coupon", "coupon")]
KEYED = ["product", "coupon"]


def _plain_column(model: str, field: str) -> list[Any]:
    """The foreign key becomes a plain ``<field>_id`` column (its constraint and index dropped)."""
    return [
        migrations.AlterField(model, field, models.CharField(max_length=64, db_column=f"{field}_id")),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model, field, f"{field}_id"),
                migrations.AlterField(model, f"{field}_id", models.CharField(max_length=64)),
            ]
        ),
    ]


def _key_by_mode_and_id(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    for name in KEYED:
        model = apps.get_model("billing", name)
        table = schema_editor.quote_name(model._meta.db_table)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
                    [model._meta.db_table],
                )
                (constraint,) = cursor.fetchone()
            schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {schema_editor.quote_name(constraint)}")
            schema_editor.execute(f'ALTER TABLE {table} ADD PRIMARY KEY ("livemode", "id")')
        else:
            schema_editor._remake_table(model)


def _refer_by_mode_and_id(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, field, target in REFERENCES:
        table = apps.get_model("billing", model_name)._meta.db_table
        referred = apps.get_model("billing", target)._meta.db_table
        schema_editor.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_{field}_mode_fk" '
            f'FOREIGN KEY ("livemode", "{field}_id") REFERENCES "{referred}" ("livemode", "id") '
            "DEFERRABLE INITIALLY DEFERRED"
        )


def _mode_scoped(target: str, related_name: str) -> models.ForeignObject:  # type: ignore[type-arg]
    return models.ForeignObject(
        from_fields=("livemode", f"{target}_id"),
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to=f"billing.{target}",
        to_fields=("livemode", "id"),
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_drop_redundant_fk_indexes")]

    operations = [
        *(operation for model, field, _ in REFERENCES for operation in _plain_column(model, field)),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                operation
                for name in KEYED
                for operation in (
                    migrations.AlterField(name, "id", models.CharField(max_length=64)),
                    migrations.AddField(
                        name,
                        "pk",
                        models.CompositePrimaryKey(
                            "livemode", "id", blank=True, editable=False, primary_key=True, serialize=False
                        ),
                    ),
                )
            ]
        ),
        migrations.RunPython(_key_by_mode_and_id, elidable=False),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField("price", "product", _mode_scoped("product", "prices")),
                migrations.AddField("discount", "coupon", _mode_scoped("coupon", "discounts")),
                migrations.AddField("promotioncode", "coupon", _mode_scoped("coupon", "promotion_codes")),
            ]
        ),
        migrations.RunPython(_refer_by_mode_and_id, elidable=False),
        migrations.AddIndex("discount", models.Index(fields=["livemode", "coupon_id"], name="discount_coupon_idx")),
        migrations.AddIndex("price", models.Index(fields=["livemode", "product_id"], name="price_product_idx")),
        migrations.AddIndex("promotioncode", models.Index(fields=["livemode", "coupon_id"], name="promo_coupon_idx")),
    ]
