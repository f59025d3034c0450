"""The parameters admin: the current table, history under a filter, "add value" through the
service (audited), no edit or delete; Bureau staff add, auditors and operators see nothing."""

from datetime import date

import pytest
from django.urls import reverse

from aldis.feeds import writes
from audit.models import AuditEvent
from eligibility.models import ParameterValue

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:eligibility_parametervalue_changelist")
ADD = reverse("admin:eligibility_parametervalue_add")


def change_url(pk: int) -> str:
    return reverse("admin:eligibility_parametervalue_change", args=[pk])


def delete_url(pk: int) -> str:
    return reverse("admin:eligibility_parametervalue_delete", args=[pk])


def add_large_family_2027(client):
    return client.post(
        ADD,
        {
            "name": "p_amount_large_family",
            "valid_from": "2027-01-01",
            "value": "30.00",
            "legal_ref": "MK 2026",
        },
    )


def test_an_added_value_while_an_import_runs_is_refused_with_a_message(staff, other_session):
    other_session.execute("SELECT pg_advisory_lock(%s)", [writes.IMPORT_LOCK_KEY])  # an import runs

    response = add_large_family_2027(staff)

    assert response.status_code == 200  # the form again, with the message, at once
    assert "A feed import is being applied; parameters can be changed" in response.content.decode()
    assert not ParameterValue.objects.filter(
        name="p_amount_large_family", valid_from=date(2027, 1, 1)
    ).exists()


def test_staff_see_the_current_table(staff):
    response = staff.get(CHANGELIST)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 23
    assert b"473.53" in response.content


def test_staff_add_a_value_through_the_service(staff):
    response = add_large_family_2027(staff)

    assert response.status_code == 302
    version = ParameterValue.objects.get(
        name="p_amount_large_family", valid_from=date(2027, 1, 1), superseded_in__isnull=True
    )
    assert version.value == "30.00"
    assert version.learned_in.feed == "parameters"
    assert version.learned_in.actor.startswith("user:")
    event = AuditEvent.objects.get(action="parameter.set")
    assert event.target_id == str(version.pk)
    assert event.data["new_value"] == "30.00"
    previous = ParameterValue.objects.get(
        name="p_amount_large_family", valid_from=date(2023, 8, 1), superseded_in__isnull=True
    )
    assert previous.valid_to == date(2026, 12, 31)


def test_history_is_under_the_superseded_filter(staff):
    add_large_family_2027(staff)

    current = staff.get(CHANGELIST, {"name": "p_amount_large_family"})
    superseded = staff.get(CHANGELIST, {"name": "p_amount_large_family", "version": "superseded"})
    every = staff.get(CHANGELIST, {"name": "p_amount_large_family", "version": "all"})

    assert current.context["cl"].result_count == 4
    assert superseded.context["cl"].result_count == 1
    assert every.context["cl"].result_count == 5


def test_a_bad_value_is_a_form_error_and_nothing_is_written(staff):
    versions = ParameterValue.objects.count()

    response = staff.post(
        ADD, {"name": "e_on_electricity", "valid_from": "2027-01-01", "value": "5.00", "legal_ref": ""}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"value": ["'5.00' must be true or false"]}
    assert ParameterValue.objects.count() == versions
    assert not AuditEvent.objects.filter(action="parameter.set").exists()


def test_a_value_is_viewed_never_changed_or_deleted(staff):
    version = ParameterValue.objects.get(name="e_housing_share")

    assert staff.get(change_url(version.pk)).status_code == 200
    response = staff.post(
        change_url(version.pk),
        {"name": "e_housing_share", "valid_from": "2024-09-01", "value": "0.99", "legal_ref": ""},
    )
    assert response.status_code == 403
    assert staff.post(delete_url(version.pk), {"post": "yes"}).status_code == 403
    version.refresh_from_db()
    assert (version.value, version.superseded_in_id) == ("0.30", None)


@pytest.mark.parametrize("role", ["auditor", "operator"])
def test_other_roles_see_no_parameters(request, role):
    client = request.getfixturevalue(role)

    assert client.get(CHANGELIST).status_code == 403
    assert add_large_family_2027(client).status_code == 403
    assert not ParameterValue.objects.filter(valid_from=date(2027, 1, 1)).exists()
