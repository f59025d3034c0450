"""The address admin: exact search by code; a page with its versions and its residents."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.households.admin.world import ANNA, BERTS, FLAT_1, HOUSE, SECOND

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:households_address_changelist")


def page(address, **params) -> tuple[str, dict[str, str]]:
    return reverse("admin:households_address_change", args=[address.pk]), params


def sections(response) -> dict:
    return {section.key: section for section in response.context["sections"]}


def residents(section) -> list[str]:
    return [str(row.cells[0]) for row in section.rows]


def person(p) -> str:
    return reverse("admin:households_person_change", args=[p.pk])


def test_the_page_lists_residents_on_the_population_registers_date(world, staff):
    response = staff.get(*page(world.flat_1))

    assert response.status_code == 200
    assert response.context["reference_date"] == SECOND
    found = sections(response)
    people = residents(found["residents"])
    assert len(people) == 2  # Anna moved out on 2024-01-15
    assert any(person(world.berts) in cell for cell in people)
    assert any(person(world.karlis) in cell for cell in people)
    assert [person(world.olena) in cell for cell in residents(found["protected_residents"])] == [True]


def test_the_page_lists_residents_on_a_chosen_date(world, staff):
    found = sections(staff.get(*page(world.flat_1, on="2023-12-31")))

    people = residents(found["residents"])
    assert len(people) == 3
    assert any(person(world.anna) in cell for cell in people)


def test_an_unreadable_date_falls_back_to_the_default(world, staff):
    assert staff.get(*page(world.house, on="yesterday")).context["reference_date"] == SECOND


def test_the_page_shows_the_address_versions_and_what_is_there(world, staff):
    response = staff.get(*page(world.house))

    found = sections(response)
    assert found["records"].total == 1
    assert "Lauku māja" in response.content.decode()
    assert found["contracts"].total == 1
    assert found["residents"].total == 2  # Anna and Davis


def test_residents_are_named_by_internal_id_only(world, staff):
    content = staff.get(*page(world.flat_1)).content.decode()

    for secret in (BERTS, ANNA, "Berts", "Bērziņš"):
        assert secret not in content


def test_opening_the_page_is_audited_with_counts_only(world, staff):
    staff.get(*page(world.flat_1))

    (event,) = AuditEvent.objects.filter(action="address.view")
    assert (event.target_type, event.target_id) == ("households.address", str(world.flat_1.pk))
    assert event.data == {"on": "2024-02-01", "residents": 3}


def test_addresses_are_searched_by_exact_code(world, staff):
    def found(term: str) -> list[str]:
        return [a.code for a in staff.get(CHANGELIST, {"q": term}).context["cl"].result_list]

    assert found(FLAT_1) == [FLAT_1]
    assert found(HOUSE[:5]) == []


def test_the_list_shows_the_current_full_address(world, staff):
    assert "Brīvības iela 1 - 1, Rīga" in staff.get(CHANGELIST, {"q": FLAT_1}).content.decode()


def test_an_auditor_and_an_operator_are_refused(world, auditor, operator):
    for client in (auditor, operator):
        assert client.get(CHANGELIST).status_code == 403
        assert client.get(*page(world.flat_1)).status_code == 403
