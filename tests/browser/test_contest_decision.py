"""A contest from both sides in a real browser: Bureau staff sign in to the admin, find the case
in the queue, take it into review and reject it with a written reason; the person then reads the
answer on their status page."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from aldis.organisations.roles import BUREAU_STAFF
from households.models import ContestCase, ContestItem, ContestStatus
from tests.browser.conftest import PARENT, World
from tests.eligibility.scheme_p.conftest import NOV_2026, person

pytestmark = pytest.mark.browser

REASON = "The population register shows three children in your household; all three are counted."


def test_staff_decide_a_contest_and_the_person_reads_the_answer(
    live_server: Any, page: Page, world: World, django_user_model: Any, screenshot: Any
) -> None:
    case = ContestCase.objects.create(
        person=person(PARENT),
        month=NOV_2026,
        run=world.run,
        item=ContestItem.HOUSEHOLD,
        text="Is my eldest counted?",
    )
    staff = django_user_model.objects.create_user(
        username="inese", password="a long test password 1", is_staff=True
    )
    staff.groups.add(Group.objects.get(name=BUREAU_STAFF))

    # Staff: sign in to the admin, the queue, the case.
    page.goto(live_server.url + "/admin/households/contestcase/")
    page.fill("#id_username", "inese")
    page.fill("#id_password", "a long test password 1")
    page.click("input[type=submit]")
    expect(page.locator("#result_list")).to_contain_text(f"case {case.pk}")
    expect(page.locator("#result_list")).not_to_contain_text(PARENT)
    screenshot("queue")
    page.click(f"#result_list a:text-is('case {case.pk}')")
    expect(page.locator("body")).to_contain_text("Is my eldest counted?")
    expect(
        page.locator(f"a[href='/admin/eligibility/monthrun/why/{case.person_id}/2026-11/']")
    ).to_be_visible()
    page.click("#contest-review input[type=submit]")
    expect(page.locator("#contest-review")).to_have_count(0)
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.IN_REVIEW

    # Decide: rejected, with the reason the person will read.
    page.check("#id_outcome_1")  # Reject
    page.fill("#id_reason", REASON)
    page.select_option("#id_referred_to", "")
    screenshot("deciding")
    page.click("#contest-decision input[type=submit]")
    expect(page.locator("#contest-decision")).to_have_count(0)
    decided = ContestCase.objects.get(pk=case.pk)
    assert (decided.status, decided.decision_reason, decided.decided_by) == (
        ContestStatus.REJECTED,
        REASON,
        staff,
    )
    screenshot("decided")

    # The person: the answer on the status page.
    page.context.clear_cookies()
    page.goto(live_server.url + "/status/demo/")
    page.fill("#id_personal_code", PARENT)
    page.click("#demo-sign-in-submit")
    expect(page).to_have_url(re.compile(r"/status/$"))
    listed = page.locator(f"#contest-{case.pk}")
    expect(listed).to_have_class(re.compile(r"\bcontest-rejected\b"))
    expect(listed.locator(".decision-reason")).to_have_text(REASON)
    screenshot("answer")
