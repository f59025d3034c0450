import pytest
from django.contrib.auth.models import Group

from aldis.organisations.roles import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def test_each_staff_role_holds_exactly_its_permissions():
    for role, expected in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert held == set(expected), role


def test_only_auditors_may_view_the_audit_trail():
    holders = Group.objects.filter(permissions__content_type__app_label="audit").distinct()
    assert list(holders.values_list("name", flat=True)) == ["Bureau auditor"]


def test_nobody_may_change_or_delete_audit_events():
    assert not Group.objects.filter(
        permissions__content_type__app_label="audit", permissions__codename__regex=r"^(add|change|delete)_"
    ).exists()
