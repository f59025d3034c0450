"""The field-check SQL functions of ``aldis.feeds.checks`` on PostgreSQL (SQLite registers the
Python ones on every connection)."""

from django.db import migrations

from aldis.feeds.checks import POSTGRES_DDL, POSTGRES_DROP


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DDL, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("feeds", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
