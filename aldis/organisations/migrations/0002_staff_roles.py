"""The three staff roles of DOMAIN.md as Django groups, with least privilege."""

from django.db import migrations

from aldis.organisations.roles import roles_grant

GRANTS = {
    "Bureau staff": [
        "organisations.view_organisation",
        "organisations.change_organisation",
        "organisations.view_apiclient",
        "organisations.change_apiclient",
    ],
    "Bureau auditor": [
        "audit.view_auditevent",
        "audit.view_auditverification",
    ],
    "Operator": [
        "organisations.view_organisation",
        "organisations.view_apiclient",
    ],
}


def forward(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0001_initial"),
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
