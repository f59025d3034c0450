"""Bureau staff see the monthly runs and start one ("add" is "Start a run for a month"); operators
see the runs they start at the shell. Auditors get nothing here."""

from django.db import migrations

from aldis.organisations.roles import roles_grant

GRANTS = {
    "Bureau staff": [
        "eligibility.view_monthrun",
        "eligibility.add_monthrun",
    ],
    "Operator": [
        "eligibility.view_monthrun",
    ],
}


def forward(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0004_monthrun_householdentitlement_unitdecision"),
        ("organisations", "0002_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
