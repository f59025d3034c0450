"""The person's pages in a real browser: the public page, the demo sign-in, the status with its
amount and contract, choosing the other contract, refusing and undoing, contesting a month, and
signing out; plus cheap accessibility checks (labels, ``lang``, the keyboard)."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from households.models import ContestCase, ContestStatus, ContractChoice, ServiceRefusal
from tests.browser.conftest import PARENT, World
from tests.eligibility.scheme_p.conftest import NOV_2026, person

pytestmark = pytest.mark.browser

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter(e => !['hidden', 'submit', 'button'].includes(e.type))
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                 && !e.getAttribute('aria-labelledby'))
    .map(e => e.name || e.id || e.outerHTML)"""
NAMELESS_BUTTONS = """() => [...document.querySelectorAll('button, input[type=submit], a[href]')]
    .filter(e => !(e.innerText || e.value || e.getAttribute('aria-label') || '').trim())
    .map(e => e.outerHTML)"""


def assert_accessible_basics(page: Page) -> None:
    """Every field has a label, every button and link a name, the page its language and one h1."""
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(NAMELESS_BUTTONS) == []
    assert re.fullmatch(r"(lv|en)(-.*)?", page.locator("html").get_attribute("lang") or "")
    assert page.locator("h1").count() == 1


def tab_to(page: Page, element_id: str, *, presses: int = 40) -> int:
    """Press Tab from the top of the page until ``element_id`` has the focus; the presses taken."""
    page.locator("body").focus()
    for count in range(1, presses + 1):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return count
    raise AssertionError(f"#{element_id} not reached with {presses} presses of Tab")


def test_a_person_signs_in_sees_the_status_acts_and_signs_out(
    live_server: Any, page: Page, world: World, screenshot: Any
) -> None:
    # The public page, in Latvian by default; switched to English with the language form.
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "lv")
    assert_accessible_basics(page)
    screenshot("home-lv")
    page.select_option("#language", "en")
    page.click("#set-language")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert tab_to(page, "check-status") <= 10  # the main action, by keyboard
    page.keyboard.press("Enter")

    # Signed out: the status sends to sign-in; the demo sign-in by personal code.
    expect(page).to_have_url(re.compile(r"/status/sign-in/$"))
    assert_accessible_basics(page)
    screenshot("sign-in")
    page.click("#demo-sign-in")
    expect(page.locator("#demo-banner")).to_be_visible()
    assert_accessible_basics(page)
    page.fill("#id_personal_code", PARENT)
    page.click("#demo-sign-in-submit")

    # The status: the large family's 25.00 in November 2026 on contract A-1 (attribution rule 2).
    expect(page).to_have_url(re.compile(r"/status/$"))
    month = page.locator("#month-2026-11")
    expect(month.locator(".month-amount")).to_have_text("25.00 EUR")
    expect(month.locator(".category-large_family")).to_be_visible()
    expect(month.locator(".contract")).to_contain_text("A-1")
    expect(month.locator(".contract")).to_contain_text("Trader A")
    assert_accessible_basics(page)
    assert tab_to(page, "choose-contract") <= 25
    screenshot("status")

    # Choose the partner's contract A-2: the page confirms, the choice is stored.
    page.check(f"input[name=contract][value='{world.trader.pk}:A-2']")
    page.click("#choose-contract")
    expect(page.locator("#messages")).to_contain_text("A-2")
    expect(page.locator("#current-choice")).to_contain_text("A-2")
    expect(page.locator(f"input[name=contract][value='{world.trader.pk}:A-2']")).to_be_checked()
    parent = person(PARENT)
    assert ContractChoice.objects.get(person=parent, valid_to__isnull=True).contract_no == "A-2"
    screenshot("contract-chosen")

    # Refuse the service, then undo it.
    page.click("#refuse-service")
    expect(page.locator("#refusal-notice")).to_be_visible()
    expect(page.locator("#undo-refusal")).to_be_visible()
    screenshot("refused")
    page.click("#undo-refusal")
    expect(page.locator("#refusal-notice")).to_have_count(0)
    expect(page.locator("#refuse-service")).to_be_visible()
    assert (
        not ServiceRefusal.objects.filter(person=parent)
        .exclude(valid_to__lt=NOV_2026)
        .filter(valid_to__isnull=True)
    )

    # Contest November: the case is listed as received.
    page.select_option("#id_month", "2026-11")
    page.select_option("#id_item", "household")
    page.fill("#id_text", "My eldest studies in Tartu and still lives with us.")
    page.click("#send-contest")
    case = ContestCase.objects.get(person=parent)
    assert (case.month, case.item, case.status, case.run_id) == (
        NOV_2026,
        "household",
        ContestStatus.RECEIVED,
        world.run.pk,
    )
    listed = page.locator(f"#contest-{case.pk}")
    expect(listed).to_have_class(re.compile(r"\bcontest-received\b"))
    expect(listed).to_contain_text("studies in Tartu")
    screenshot("contested")

    # Sign out: back on the public page; the status asks to sign in again.
    page.click("#sign-out")
    expect(page).to_have_url(live_server.url + "/")
    page.goto(live_server.url + "/status/")
    expect(page).to_have_url(re.compile(r"/status/sign-in/$"))


def test_a_signed_out_visitor_of_the_status_is_sent_to_sign_in(
    live_server: Any, page: Page, demo_mode: None, transactional_db: None, screenshot: Any
) -> None:
    response = page.goto(live_server.url + "/status/")

    assert response is not None
    assert response.ok
    expect(page).to_have_url(re.compile(r"/status/sign-in/$"))
    expect(page.locator("#demo-sign-in")).to_be_visible()
    expect(page.locator("#your-status")).to_have_count(0)
    assert_accessible_basics(page)
    assert tab_to(page, "demo-sign-in") <= 10
    screenshot("signed-out")
