"""Read access to the register admin: staff see persons, addresses, contracts and batches;
operators see the batches they import; auditors get nothing new."""

from django.db import migrations

from aldis.organisations.roles import roles_grant

GRANTS = {
    "Bureau staff": [
        "households.view_person",
        "households.view_address",
        "traders.view_contract",
        "traders.view_subuser",
        "traders.view_connection",
        "feeds.view_feedbatch",
    ],
    "Operator": [
        "feeds.view_feedbatch",
    ],
}


def forward(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0001_initial"),
        ("traders", "0001_initial"),
        ("feeds", "0002_check_functions"),
        ("organisations", "0002_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
