"""Bureau staff see what parties reported, prepare, approve (not their own) and mark paid the
compensation statements, and follow up recovery items (status and note). Auditors and operators
get nothing here."""

from django.db import migrations

from aldis.organisations.roles import roles_grant

GRANTS = {
    "Bureau staff": [
        "compensation.view_submission",
        "compensation.view_appliedline",
        "compensation.view_claimline",
        "compensation.view_statement",
        "compensation.prepare_statement",
        "compensation.approve_statement",
        "compensation.pay_statement",
        "compensation.view_recoveryitem",
        "compensation.change_recoveryitem",
    ],
}


def forward(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0002_statement_permissions"),
        ("organisations", "0002_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
