"""Contest cases in the admin: the queue (oldest open first, filters, no personal codes), the
case page (the person's words, the why link, audited), review and decision through the services;
staff only."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from eligibility.models import MonthRun, RunStatus
from households.models import ContestCase, ContestItem, ContestStatus
from tests.households.admin.world import ANNA, ANNA_OLD, BERTS

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:households_contestcase_changelist")
JAN = date(2024, 1, 1)
FEB = date(2024, 2, 1)
NOV = date(2026, 11, 1)
TEXT = "Mans dēls Kārlis dzīvo pie manis; the support should go to my contract C-100."


def page(case: ContestCase) -> str:
    return reverse("admin:households_contestcase_change", args=[case.pk])


def review_url(case: ContestCase) -> str:
    return reverse("admin:households_contestcase_review", args=[case.pk])


def decide_url(case: ContestCase) -> str:
    return reverse("admin:households_contestcase_decide", args=[case.pk])


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def contest(person, *, month=JAN, item=ContestItem.CONTRACT, status=ContestStatus.RECEIVED, days_ago=0):
    case = ContestCase.objects.create(
        person=person,
        month=month,
        item=item,
        text=TEXT,
        status=status,
        decision_reason="checked" if status in (ContestStatus.UPHELD, ContestStatus.REJECTED) else "",
    )
    # created_at is auto_now_add: move it back with an update.
    ContestCase.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    case.refresh_from_db()
    return case


def listed(response) -> list[int]:
    return [case.pk for case in response.context["cl"].result_list]


@pytest.fixture
def cases(world):
    """Four cases: a decided old one, an open old one, an open new one, one in review."""
    return {
        "decided": contest(world.anna, status=ContestStatus.REJECTED, days_ago=40),
        "old": contest(world.berts, month=FEB, item=ContestItem.HOUSEHOLD, days_ago=20),
        "new": contest(world.anna, days_ago=1),
        "review": contest(world.davis, status=ContestStatus.IN_REVIEW, days_ago=10),
    }


def test_the_queue_lists_open_cases_oldest_first_then_the_decided(cases, staff):
    response = staff.get(CHANGELIST)

    assert response.status_code == 200
    assert listed(response) == [cases["old"].pk, cases["review"].pk, cases["new"].pk, cases["decided"].pk]


def test_the_queue_shows_month_item_status_and_days_open_but_no_code(world, cases, staff):
    content = staff.get(CHANGELIST).content.decode()

    assert "2024-02" in content
    assert "Who is counted in the household" in content
    assert "In review" in content
    assert '<td class="field-days_open">20</td>' in content
    assert f'href="{reverse("admin:households_person_change", args=[world.berts.pk])}"' in content
    assert f"person {world.berts.pk}" in content
    for personal in (ANNA, ANNA_OLD, BERTS, "Kalniņa", TEXT):
        assert personal not in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status__exact": "received"}, ["old", "new"]),
        ({"status__exact": "in_review"}, ["review"]),
        ({"item__exact": "household"}, ["old"]),
        ({"month": "2024-01"}, ["review", "new", "decided"]),
        ({"month": "2024-02"}, ["old"]),
        ({"month": "not-a-month"}, []),
    ],
)
def test_the_queue_filters_by_status_item_and_month(cases, staff, query, expected):
    response = staff.get(CHANGELIST, query)

    assert response.status_code == 200
    assert listed(response) == [cases[name].pk for name in expected]


def test_the_list_is_not_filtered_by_personal_code_through_the_url(cases, staff):
    response = staff.get(CHANGELIST, {"person__personal_code__startswith": ANNA[:4]})

    assert response.status_code == 400


def test_the_case_page_shows_the_text_the_why_link_and_the_forms_audited(world, cases, staff):
    case = cases["new"]

    response = staff.get(page(case))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Kārlis dzīvo pie manis" in content
    assert reverse("admin:eligibility_monthrun_why", args=[world.anna.pk, "2024-01"]) in content
    assert 'id="contest-review"' in content
    assert 'id="contest-decision"' in content
    assert "none (no run of the month was in force)" in content
    assert ANNA not in content
    [event] = events("contest.view")
    assert event.data == {"case_id": case.pk, "person_id": world.anna.pk, "month": "2024-01"}
    assert (event.target_type, event.target_id) == ("households.contestcase", str(case.pk))


def test_the_page_links_the_version_the_person_saw(world, staff):
    run = MonthRun.objects.create(
        month=JAN, version=3, status=RunStatus.DONE, knowledge_batch=0, requested_by="test"
    )
    case = contest(world.anna)
    ContestCase.objects.filter(pk=case.pk).update(run=run)

    content = staff.get(page(case)).content.decode()

    assert f'href="{reverse("admin:eligibility_monthrun_change", args=[run.pk])}"' in content
    assert "version 3" in content


def test_a_decided_case_shows_no_forms(cases, staff):
    content = staff.get(page(cases["decided"])).content.decode()

    assert 'id="contest-review"' not in content
    assert 'id="contest-decision"' not in content


def test_staff_start_the_review(cases, staff):
    case = cases["new"]

    response = staff.post(review_url(case))

    assert response.status_code == 302
    assert response["Location"] == page(case)
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.IN_REVIEW
    assert len(events("contest.review")) == 1


def test_a_second_review_is_refused_with_a_message(cases, staff):
    response = staff.post(review_url(cases["review"]), follow=True)

    assert response.status_code == 200
    assert "is in review, not received" in response.content.decode()


def test_review_is_a_post(cases, staff):
    assert staff.get(review_url(cases["new"])).status_code == 405


def test_staff_reject_with_a_reason_and_a_referral(cases, staff):
    case = cases["review"]

    response = staff.post(
        decide_url(case),
        {
            "outcome": "rejected",
            "reason": "The population register shows another address.",
            "referred_to": "the population register",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == page(case)
    decided = ContestCase.objects.get(pk=case.pk)
    assert decided.status == ContestStatus.REJECTED
    assert decided.decision_reason == "The population register shows another address."
    assert decided.referred_to == "the population register"
    assert decided.decided_by is not None
    assert decided.decided_by.username == "staff"
    assert events("contest.decide")[0].data["status"] == "rejected"


def test_upholding_re_runs_the_month(world, staff, django_capture_on_commit_callbacks):
    case = contest(world.anna, month=NOV)  # a month still kept (older ones cannot run again)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(decide_url(case), {"outcome": "upheld", "reason": "C-100 it is."}, follow=True)

    assert response.status_code == 200
    decided = ContestCase.objects.get(pk=case.pk)
    assert decided.status == ContestStatus.UPHELD
    assert decided.rerun is not None
    assert (decided.rerun.month, decided.rerun.version, decided.rerun.status) == (NOV, 1, RunStatus.DONE)
    assert f"Case {case.pk}: decided: upheld. Month 2026-11 version 1 requested" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"outcome": "rejected", "reason": ""}, ["reason"]),
        ({"outcome": "rejected", "reason": "   "}, ["reason"]),
        ({"outcome": "maybe", "reason": "checked"}, ["outcome"]),
        ({"reason": "checked"}, ["outcome"]),
        ({"outcome": "rejected", "reason": "checked", "referred_to": "my uncle"}, ["referred_to"]),
    ],
)
def test_a_bad_decision_shows_the_form_again(cases, staff, data, fields):
    case = cases["new"]

    response = staff.post(decide_url(case), data)

    assert response.status_code == 200
    assert sorted(response.context["decision_form"].errors) == fields
    assert 'class="errorlist' in response.content.decode()
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.RECEIVED
    assert events("contest.decide") == []


def test_upholding_while_the_month_runs_says_to_retry(world, staff):
    MonthRun.objects.create(
        month=NOV, version=1, status=RunStatus.QUEUED, knowledge_batch=0, requested_by="x"
    )
    case = contest(world.anna, month=NOV)

    response = staff.post(decide_url(case), {"outcome": "upheld", "reason": "C-100 it is."})

    assert response.status_code == 200
    assert "a run of 2026-11 is in progress: nothing was decided" in response.content.decode()
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.RECEIVED


def test_upholding_a_month_past_retention_says_why(cases, staff):
    case = cases["new"]  # January 2024: its data is erased, it cannot be computed again

    response = staff.post(decide_url(case), {"outcome": "upheld", "reason": "C-100 it is."})

    assert response.status_code == 200
    assert "2024-01 is past retention" in response.content.decode()
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.RECEIVED


def test_deciding_a_decided_case_is_refused(cases, staff):
    response = staff.post(decide_url(cases["decided"]), {"outcome": "upheld", "reason": "again"})

    assert response.status_code == 200
    assert "is already decided" in response.content.decode()


def test_the_decide_page_renders(cases, staff):
    response = staff.get(decide_url(cases["new"]))

    assert response.status_code == 200
    assert 'id="contest-decision"' in response.content.decode()


def test_an_unknown_case_is_not_found(cases, staff):
    assert staff.get(reverse("admin:households_contestcase_decide", args=[999999])).status_code == 404
    assert staff.post(reverse("admin:households_contestcase_review", args=[999999])).status_code == 404


@pytest.mark.parametrize("role", ["auditor", "operator"])
def test_auditors_and_operators_see_no_case_and_decide_nothing(cases, role, request):
    client = request.getfixturevalue(role)
    case = cases["new"]

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(page(case)).status_code == 403
    assert client.post(review_url(case)).status_code == 403
    assert client.post(decide_url(case), {"outcome": "rejected", "reason": "x"}).status_code == 403
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.RECEIVED
    assert events("contest.view") == []


def test_nobody_adds_edits_or_deletes_a_case(cases, staff, admin_client):
    case = cases["new"]

    assert staff.post(page(case), {"text": "changed", "status": "upheld"}).status_code == 403
    assert admin_client.get(reverse("admin:households_contestcase_add")).status_code == 403
    assert admin_client.get(reverse("admin:households_contestcase_delete", args=[case.pk])).status_code == 403
    assert ContestCase.objects.get(pk=case.pk).text == TEXT


def test_the_person_page_links_to_their_cases_and_the_link_filters(world, cases, staff):
    content = staff.get(reverse("admin:households_person_change", args=[world.anna.pk])).content.decode()
    url = f"{CHANGELIST}?person__id__exact={world.anna.pk}"

    assert f'href="{url}"' in content
    assert listed(staff.get(url)) == [cases["new"].pk, cases["decided"].pk]
