from typing import Any

from django.db import migrations


def payloads_as_text(apps: Any, schema_editor: Any) -> None:
    # The field's class is unchanged (only its PostgreSQL column type), so this is done by hand.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE events_event ALTER COLUMN data TYPE text USING data::text")


def payloads_as_json(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE events_event ALTER COLUMN data TYPE json USING data::json")


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]
    operations = [migrations.RunPython(payloads_as_text, payloads_as_json)]
