"""Bureau staff manage the dated parameters: they view them and add values (a change is a new
value; nobody changes or deletes one). Auditors and operators get nothing here."""

from django.db import migrations

from aldis.organisations.roles import roles_grant

GRANTS = {
    "Bureau staff": [
        "eligibility.view_parametervalue",
        "eligibility.add_parametervalue",
    ],
}


def forward(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0002_seed_parameters"),
        ("organisations", "0002_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
