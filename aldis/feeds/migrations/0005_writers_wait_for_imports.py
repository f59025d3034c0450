"""The table-write triggers again (``aldis.feeds.writes``): they now run before each statement and
first take the import lock shared, so a writer waits for the import in progress. Dropped here;
``post_migrate`` (``writes.install``) creates them anew with the new function once this
``migrate`` ends."""

from django.db import migrations

DROP_TRIGGERS = """
DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT tgrelid::regclass FROM pg_trigger WHERE tgname = 'aldis_written' LOOP
        EXECUTE format('DROP TRIGGER aldis_written ON %s', t);
    END LOOP;
END $$
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS, params=None)


class Migration(migrations.Migration):
    dependencies = [("feeds", "0004_faster_normal_forms")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
