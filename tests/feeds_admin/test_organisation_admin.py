"""Staff changing an organisation while a feed import is being applied get a clear message at
once, not a request that waits for as long as the import takes (``aldis.feeds.writes``)."""

import pytest
from django.urls import reverse

from aldis.feeds import writes
from aldis.organisations.models import Organisation
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def change(staff, organisation: Organisation, name: str):
    return staff.post(
        reverse("admin:organisations_organisation_change", args=[organisation.pk]),
        {
            "name": name,
            "municipality_code": organisation.municipality_code or "",
            "protected_service": "on" if organisation.protected_service else "",
            "is_active": "on",
            "sends_feeds": "[]",
            "api_clients-TOTAL_FORMS": "0",
            "api_clients-INITIAL_FORMS": "0",
        },
    )


def test_a_change_while_an_import_runs_is_refused_with_a_message(staff, other_session):
    organisation = OrganisationFactory.create(kind="trader", name="Trader A")
    other_session.execute("SELECT pg_advisory_lock(%s)", [writes.IMPORT_LOCK_KEY])  # an import runs

    response = change(staff, organisation, "Trader A renamed")

    assert response.status_code == 200  # the form again, with the message
    assert "A feed import is being applied" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.name == "Trader A"


def test_a_change_with_no_import_running_is_saved(staff):
    organisation = OrganisationFactory.create(kind="trader", name="Trader A")

    response = change(staff, organisation, "Trader A renamed")

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "Trader A renamed"
