"""Counted-child marks in the admin: added by exact personal codes (check digit verified, never a
list of persons), period and evidence; ended through the service; staff only, never deleted."""

from datetime import date

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from households.models import CountedChildMark
from tests.households.admin.world import ANNA, ANNA_OLD, BERTS, KARLIS, hyphenated

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:households_countedchildmark_changelist")
ADD = reverse("admin:households_countedchildmark_add")
EVIDENCE = "Foster youth: the orphan court's decision of 2023-05-02 (link dropped by the register)"


def page(mark: CountedChildMark) -> str:
    return reverse("admin:households_countedchildmark_change", args=[mark.pk])


def end_url(mark: CountedChildMark) -> str:
    return reverse("admin:households_countedchildmark_end", args=[mark.pk])


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def form(**changes: str) -> dict[str, str]:
    return {
        "adult_code": hyphenated(BERTS),
        "child_code": KARLIS,
        "valid_from": "2024-01-01",
        "valid_to": "",
        "evidence": EVIDENCE,
        **changes,
    }


@pytest.fixture
def mark(world):
    return CountedChildMark.objects.create(
        adult=world.berts,
        child=world.karlis,
        valid_from=date(2024, 1, 1),
        evidence=EVIDENCE,
        marked_by="user:1",
    )


def test_the_add_form_asks_for_codes_not_a_list_of_persons(world, staff):
    response = staff.get(ADD)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="adult_code"' in content
    assert 'name="child_code"' in content
    assert "<select" not in content
    assert ANNA not in content


def test_staff_add_a_mark_by_codes_audited(world, staff):
    response = staff.post(ADD, form(valid_to="2024-12-31"))

    mark = CountedChildMark.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page(mark)
    assert (mark.adult, mark.child) == (world.berts, world.karlis)
    assert (mark.valid_from, mark.valid_to) == (date(2024, 1, 1), date(2024, 12, 31))
    assert mark.evidence == EVIDENCE
    assert mark.marked_by.startswith("user:")
    [event] = events("counted_child.mark")
    assert event.data["adult_id"] == world.berts.pk
    assert BERTS not in str(event.data)


def test_a_previous_code_finds_the_person(world, staff):
    staff.post(ADD, form(adult_code=ANNA_OLD))

    assert CountedChildMark.objects.get().adult == world.anna


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"adult_code": BERTS[:10] + str((int(BERTS[10]) + 1) % 10)}, "adult_code"),  # check digit
        ({"adult_code": "32000O12345"}, "adult_code"),  # a letter O
        ({"child_code": "12345"}, "child_code"),
        ({"child_code": BERTS}, "child_code"),  # the adult themselves
        ({"valid_to": "2023-12-31"}, "valid_to"),
        ({"valid_from": ""}, "valid_from"),
        ({"evidence": "   "}, "evidence"),
    ],
)
def test_bad_input_shows_the_form_again(world, staff, changes, field):
    response = staff.post(ADD, form(**changes))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not CountedChildMark.objects.exists()


def test_an_unknown_code_is_named_as_unknown(world, staff):
    from aldis.identifiers import complete_personal_code

    response = staff.post(ADD, form(child_code=complete_personal_code("3299999999")))

    assert response.context["adminform"].form.errors["child_code"] == ["no person is known under this code"]


def test_an_overlapping_mark_is_refused_on_the_form(mark, staff):
    response = staff.post(ADD, form(valid_from="2024-06-01"))

    assert response.status_code == 200
    assert f"mark {mark.pk} already counts this child" in response.content.decode()
    assert CountedChildMark.objects.count() == 1


def test_the_list_shows_links_not_codes(world, mark, staff):
    response = staff.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert f"person {world.berts.pk}" in content
    assert f"person {world.karlis.pk}" in content
    assert BERTS not in content
    assert KARLIS not in content


def test_the_mark_page_shows_the_evidence_and_the_end_form_audited(mark, staff):
    response = staff.get(page(mark))

    assert response.status_code == 200
    content = response.content.decode()
    assert "orphan court" in content
    assert 'id="mark-end"' in content
    [event] = events("counted_child.view")
    assert event.data == {"mark_id": mark.pk, "adult_id": mark.adult_id, "child_id": mark.child_id}


def test_staff_end_a_mark(mark, staff):
    response = staff.post(end_url(mark), {"valid_to": "2024-08-31"})

    assert response.status_code == 302
    assert response["Location"] == page(mark)
    mark.refresh_from_db()
    assert mark.valid_to == date(2024, 8, 31)
    assert len(events("counted_child.end")) == 1
    assert 'id="mark-end"' not in staff.get(page(mark)).content.decode()


@pytest.mark.parametrize("valid_to", ["", "2023-12-31", "not a date"])
def test_a_bad_end_shows_the_form_again(mark, staff, valid_to):
    response = staff.post(end_url(mark), {"valid_to": valid_to})

    assert response.status_code == 200
    assert response.context["end_form"].errors
    mark.refresh_from_db()
    assert mark.valid_to is None


def test_an_ended_mark_is_not_ended_again(mark, staff):
    staff.post(end_url(mark), {"valid_to": "2024-08-31"})

    response = staff.post(end_url(mark), {"valid_to": "2024-06-30"})

    assert response.status_code == 200
    assert "has ended already" in response.content.decode()
    assert CountedChildMark.objects.get().valid_to == date(2024, 8, 31)


@pytest.mark.parametrize("role", ["auditor", "operator"])
def test_auditors_and_operators_cannot_see_add_or_end_marks(mark, role, request):
    client = request.getfixturevalue(role)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(page(mark)).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, form(valid_from="2025-01-01")).status_code == 403
    assert client.post(end_url(mark), {"valid_to": "2024-08-31"}).status_code == 403
    assert CountedChildMark.objects.count() == 1
    assert CountedChildMark.objects.get().valid_to is None


def test_nobody_edits_or_deletes_a_mark(mark, staff, admin_client):
    assert staff.post(page(mark), {"evidence": "changed"}).status_code == 403
    assert (
        admin_client.get(reverse("admin:households_countedchildmark_delete", args=[mark.pk])).status_code
        == 403
    )
    assert CountedChildMark.objects.get().evidence == EVIDENCE


def test_the_person_page_links_to_their_marks(world, mark, staff):
    content = staff.get(reverse("admin:households_person_change", args=[world.karlis.pk])).content.decode()
    url = f"{CHANGELIST}?child__id__exact={world.karlis.pk}"

    assert f'href="{url}"' in content
    assert [m.pk for m in staff.get(url).context["cl"].result_list] == [mark.pk]
    assert (
        staff.get(f"{CHANGELIST}?adult__id__exact={world.karlis.pk}").context["cl"].result_list.count() == 0
    )
