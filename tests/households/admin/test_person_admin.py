"""The person admin: exact search by any code, a page of every register record, audited reads."""

import pytest
from django.urls import resolve, reverse

from audit.models import AuditEvent
from tests.households.admin.world import ANNA, ANNA_OLD, KARLIS, hyphenated

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:households_person_changelist")


def page(person_id: int) -> str:
    return reverse("admin:households_person_change", args=[person_id])


def search(client, term: str):
    """The search box: the code is posted, never put in the URL."""
    return client.post(CHANGELIST, {"q": term})


def opened(response) -> int | None:
    """The person whose page a search opened (None: back to the empty list)."""
    assert response.status_code == 302
    if response.url == CHANGELIST:
        return None
    match = resolve(response.url)
    assert match.url_name == "households_person_change"
    return int(match.kwargs["object_id"])


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_search_by_previous_code_opens_the_person_s_page_by_internal_id(world, staff):
    response = search(staff, ANNA_OLD)

    assert opened(response) == world.anna.pk
    assert ANNA_OLD not in response.url
    assert ANNA not in response.url
    assert ANNA in staff.get(response.url).content.decode()


@pytest.mark.parametrize("code", [hyphenated(ANNA), hyphenated(ANNA_OLD), f"  {ANNA}  "])
def test_search_accepts_the_hyphen_and_surrounding_spaces(world, staff, code):
    assert opened(search(staff, code)) == world.anna.pk


@pytest.mark.parametrize(
    "term",
    [
        ANNA[:6],  # the birth-date part
        ANNA[:10],  # all but the check digit
        hyphenated(ANNA)[:8],
        ANNA[1:],
        ANNA[:10] + "%",
        "Anna",
        "Kalniņa",
        f"{ANNA} {KARLIS}",
    ],
)
def test_partial_codes_and_names_find_nobody(world, staff, term):
    response = search(staff, term)

    assert opened(response) is None
    assert "No person has that personal code" in staff.get(response.url).content.decode()


def test_nobody_is_listed_without_a_search_and_nothing_is_audited(world, staff):
    response = staff.get(CHANGELIST)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert 'method="post"' in response.content.decode()  # the search box posts the code
    assert opened(search(staff, "  ")) is None
    assert events("person.search") == []


def test_a_code_in_the_url_is_not_searched(world, staff):
    response = staff.get(CHANGELIST, {"q": ANNA})

    assert response.status_code == 302
    assert response.url == CHANGELIST
    assert events("person.search") == []
    assert "not taken from the address" in staff.get(response.url).content.decode()


def test_the_list_cannot_be_filtered_through_the_url(world, staff):
    response = staff.get(CHANGELIST, {"personal_code__startswith": ANNA[:4]})

    assert response.status_code == 400


def test_a_search_is_audited_with_the_result_count_and_no_code(world, staff):
    search(staff, hyphenated(ANNA_OLD))
    search(staff, ANNA[:6])

    first, second = events("person.search")
    assert (first.data, second.data) == ({"results": 1}, {"results": 0})
    assert first.actor_type == "user"
    for event in (first, second):
        assert ANNA[:6] not in str(event.data)
        assert event.target_id == ""


def test_the_page_shows_records_from_several_registers(world, staff):
    response = staff.get(page(world.anna.pk))

    assert response.status_code == 200
    sections = {section.key: section for section in response.context["sections"]}
    totals = {key: section.total for key, section in sections.items()}
    assert totals["codes"] == 2
    assert totals["population"] == 3  # first version, its closed copy, the new residence
    assert totals["relations_as_carer"] == 1
    assert totals["social_status"] == 1
    assert totals["income"] == 1
    assert totals["contracts"] == 1
    assert totals["disability"] == 0
    content = response.content.decode()
    for shown in (ANNA, ANNA_OLD, "Kalniņa", "Low income", "1234.56", "C-100", f"person {world.karlis.pk}"):
        assert shown in content


def test_the_page_marks_the_superseded_version_and_by_which_batch(world, staff):
    response = staff.get(page(world.anna.pk))

    population = next(s for s in response.context["sections"] if s.key == "population")
    versions = [str(row.cells[-1]) for row in population.rows]
    second = world.second_population
    assert versions.count("current") == 2
    (superseded,) = [v for v in versions if v != "current"]
    assert superseded.startswith("superseded by")
    assert f"#{second.pk} population" in superseded
    assert reverse("admin:feeds_feedbatch_change", args=[second.pk]) in superseded
    assert [row.superseded for row in population.rows].count(True) == 1
    # Newest first: the new residence (valid from 2024-01-15) leads.
    assert population.rows[0].cells[5] == "2024-01-15"


def test_the_dependant_sees_the_relation_from_the_other_side(world, staff):
    response = staff.get(page(world.karlis.pk))

    sections = {section.key: section for section in response.context["sections"]}
    assert sections["relations_as_dependant"].total == 2
    assert sections["disability"].total == 1
    assert sections["relations_as_carer"].total == 0


def test_opening_the_page_writes_exactly_one_audit_event_without_code_or_name(world, staff):
    before = AuditEvent.objects.count()

    staff.get(page(world.anna.pk))

    assert AuditEvent.objects.count() == before + 1
    (event,) = events("person.view")
    assert (event.target_type, event.target_id) == ("households.person", str(world.anna.pk))
    assert event.data == {"person_id": world.anna.pk}
    recorded = f"{event.data} {event.target_id}"
    for secret in (ANNA, ANNA_OLD, hyphenated(ANNA), "Anna", "Kalniņa"):
        assert secret not in recorded


def test_the_page_reads_a_fixed_number_of_queries(world, staff, django_assert_max_num_queries):
    staff.get(page(world.anna.pk))  # warm the session and content types

    # Session, user, permissions (6); the person and their codes (2); one per register (13);
    # the months with a run in force, for the explanation links (1); the audit event (4, and
    # PostgreSQL's advisory lock). None per record shown.
    with django_assert_max_num_queries(27):
        staff.get(page(world.anna.pk))


def test_an_auditor_is_refused_and_nothing_is_audited(world, auditor):
    assert search(auditor, ANNA).status_code == 403
    assert auditor.get(page(world.anna.pk)).status_code == 403
    assert events("person.view") == events("person.search") == []


def test_an_operator_sees_no_persons(world, operator):
    assert search(operator, ANNA).status_code == 403
    assert operator.get(page(world.anna.pk)).status_code == 403


def test_nobody_changes_or_deletes_a_person_here(world, staff, admin_client):
    assert staff.post(page(world.anna.pk), {"personal_code": ANNA_OLD}).status_code == 403
    delete = reverse("admin:households_person_delete", args=[world.anna.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.get(reverse("admin:households_person_add")).status_code == 403
