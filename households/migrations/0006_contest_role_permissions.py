"""Bureau staff decide contest cases (view, change = review and decide) and add and end
counted-child marks (view, add, change = end); auditors and operators get nothing here."""

from django.db import migrations

from aldis.organisations.roles import roles_grant

GRANTS = {
    "Bureau staff": [
        "households.view_contestcase",
        "households.change_contestcase",
        "households.view_countedchildmark",
        "households.add_countedchildmark",
        "households.change_countedchildmark",
    ],
}


def forward(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0005_contestcase"),
        ("organisations", "0002_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
