"""The staff roles (Django groups) and the permissions each holds: least privilege.

``ROLE_PERMISSIONS`` is the role set as it stands now (a test holds the database to it).
Migrations grant with ``roles_grant`` and a literal dict of their own, so that each stays what it
was. Bureau staff never read the audit trail; auditors read only it; operators work at the shell
and see in the admin only what they import and run.
"""

from typing import Any

BUREAU_STAFF = "Bureau staff"
BUREAU_AUDITOR = "Bureau auditor"
OPERATOR = "Operator"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    BUREAU_STAFF: [
        "organisations.view_organisation",
        "organisations.change_organisation",
        "organisations.view_apiclient",
        "organisations.change_apiclient",
        "households.view_person",
        "households.view_address",
        "households.view_contestcase",
        "households.change_contestcase",
        "households.view_countedchildmark",
        "households.add_countedchildmark",
        "households.change_countedchildmark",
        "traders.view_contract",
        "traders.view_subuser",
        "traders.view_connection",
        "feeds.view_feedbatch",
        "eligibility.view_parametervalue",
        "eligibility.add_parametervalue",
        "eligibility.view_monthrun",
        "eligibility.add_monthrun",
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
    BUREAU_AUDITOR: [
        "audit.view_auditevent",
        "audit.view_auditverification",
    ],
    OPERATOR: [
        "organisations.view_organisation",
        "organisations.view_apiclient",
        "feeds.view_feedbatch",
        "eligibility.view_monthrun",
    ],
}


def roles_grant(apps: Any, roles: dict[str, list[str]]) -> None:
    """Create the groups if needed and grant them the listed permissions (``app_label.codename``)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, names in roles.items():
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            permissions.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.add(*permissions)
