"""The runs in the admin: the list with progress and the version in force, the change page with
the summary and the parameters used, and "Start a run for a month" for Bureau staff (through
``month_run_request``, audited as the staff user). Operators view; auditors see nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import formats

from aldis.organisations.roles import ROLE_PERMISSIONS
from audit.models import AuditEvent
from audit.services import Actor
from eligibility.models import MonthRun, RunStatus
from eligibility.services.runs import month_run_execute, month_run_request

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:eligibility_monthrun_changelist")
START = reverse("admin:eligibility_monthrun_add")
NOV = date(2026, 11, 1)
TOTAL = formats.localize(Decimal("65.00"))  # the admin shows numbers in the site's language


def change_url(run: MonthRun) -> str:
    return reverse("admin:eligibility_monthrun_change", args=[run.pk])


def done_run() -> MonthRun:
    return month_run_execute(run_id=month_run_request(month=NOV, actor=Actor("operator", "anna")).pk)


def test_staff_start_a_run_for_a_month(staff, computation, executed):
    page = staff.get(START)
    assert page.status_code == 200
    assert b"Start a run for a month" in page.content

    with executed():
        response = staff.post(START, {"month": "2026-11"})

    run = MonthRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == change_url(run)
    assert (run.month, run.version, run.status) == (NOV, 1, RunStatus.DONE)
    user = get_user_model().objects.get(username="staff")
    assert run.requested_by == f"user:{user.pk}"
    event = AuditEvent.objects.get(action="run.request")
    assert (event.actor_type, event.actor_id) == ("user", str(user.pk))


def test_the_start_form_refuses_a_bad_month_and_a_month_in_progress(staff, computation):
    bad = staff.post(START, {"month": "2026-13"})
    assert bad.status_code == 200
    assert "is not a month" in bad.context["adminform"].form.errors["month"][0]

    staff.post(START, {"month": "2026-11"})  # not committed: stays queued
    again = staff.post(START, {"month": "2026-11"})

    assert again.status_code == 200
    assert again.context["adminform"].form.errors["month"] == ["a run of 2026-11 is already queued"]
    assert MonthRun.objects.count() == 1


def test_the_list_shows_progress_and_the_version_in_force(staff, computation, django_assert_max_num_queries):
    first = done_run()
    second = done_run()
    month_run_request(month=NOV, actor=Actor("operator", "anna"))  # queued

    with django_assert_max_num_queries(12):
        response = staff.get(CHANGELIST)

    assert response.status_code == 200
    rows = {run.pk: run for run in response.context["cl"].result_list}
    admin = response.context["cl"].model_admin
    assert [admin.in_force(rows[pk]) for pk in sorted(rows)] == [False, True, False]
    assert admin.progress(rows[second.pk]) == "1/1"
    assert admin.progress(rows[first.pk]) == "1/1"
    assert TOTAL.encode() in response.content


def test_the_list_filters_by_status(staff, computation):
    done_run()
    month_run_request(month=NOV, actor=Actor("operator", "anna"))

    response = staff.get(CHANGELIST, {"status__exact": "queued"})

    assert [run.status for run in response.context["cl"].result_list] == [RunStatus.QUEUED]


def test_the_change_page_shows_the_summary_and_the_parameters(staff, computation):
    run = done_run()

    response = staff.get(change_url(run))

    assert response.status_code == 200
    content = response.content.decode()
    assert "p_amount_large_family" in content
    assert "25.00" in content
    assert "large_family: 1, disabled_child: 2" in content
    assert TOTAL in content
    assert 'name="_save"' not in content  # read-only


def test_nothing_is_edited_or_deleted(staff, computation):
    run = done_run()

    assert staff.post(change_url(run), {"status": "failed"}).status_code == 403
    delete = reverse("admin:eligibility_monthrun_delete", args=[run.pk])
    assert staff.post(delete, {"post": "yes"}).status_code == 403
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


def test_operators_view_runs_but_do_not_start_them(operator, computation):
    run = done_run()

    assert operator.get(CHANGELIST).status_code == 200
    assert operator.get(change_url(run)).status_code == 200
    assert operator.get(START).status_code == 403
    assert operator.post(START, {"month": "2026-12"}).status_code == 403


def test_auditors_see_nothing_here(auditor, computation):
    run = done_run()

    assert auditor.get(CHANGELIST).status_code == 403
    assert auditor.get(change_url(run)).status_code == 403
    assert auditor.get(START).status_code == 403


@pytest.fixture
def roles_after_a_flush(transactional_db: None) -> None:
    """A transactional test empties every table as it ends, the roles' groups too (a data
    migration made them; post_migrate makes the permissions again, not the groups)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        labels = [name.split(".") for name in names]
        group.permissions.set(
            [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in labels]
        )


@pytest.mark.django_db(transaction=True)  # the request commits: its run executes in-process at once
def test_a_failed_runs_problem_is_shown(roles_after_a_flush, staff, computation):
    computation.error = RuntimeError("boom")

    response = staff.post(START, {"month": "2026-11"}, follow=True)

    run = MonthRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert [str(message) for message in response.context["messages"]] == [
        "Run 2026-11 version 1 requested: Failed (the previous version stays in force): RuntimeError: boom."
    ]
    page = staff.get(change_url(run)).content.decode()
    assert "RuntimeError: boom" in page
