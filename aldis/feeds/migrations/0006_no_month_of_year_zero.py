"""The field-check SQL functions again (``aldis.feeds.checks``): ``aldis_chk_month`` refuses the
year 0000, which has no date (the cast to a date would fail the import instead of naming the row)."""

from django.db import migrations

from aldis.feeds.checks import POSTGRES_DDL


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DDL, params=None)


class Migration(migrations.Migration):
    dependencies = [("feeds", "0005_writers_wait_for_imports")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
