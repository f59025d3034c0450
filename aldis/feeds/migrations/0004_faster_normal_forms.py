"""The field-check SQL functions again (``aldis.feeds.checks``): ``aldis_norm`` and
``aldis_norm_code`` return a value with no space at either end as it is, before trimming."""

from django.db import migrations

from aldis.feeds.checks import POSTGRES_DDL


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DDL, params=None)


class Migration(migrations.Migration):
    dependencies = [("feeds", "0003_table_writes")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
