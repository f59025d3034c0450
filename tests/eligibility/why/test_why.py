"""The admin's "why this amount, or nothing" page (issue 4): one person, one month, the run in force.

The world goes through the feeds; the month is computed by ``month_run_request`` (run eagerly on
commit), as staff would start it.
"""

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from eligibility.admin import why_url
from eligibility.models import MonthRun, RunStatus
from eligibility.services.runs import month_run_request
from tests.eligibility.scheme_p.conftest import (
    ACTOR,
    FLAT_1,
    FLAT_2,
    NOV_2026,
    code,
    person,
    resident,
)

PARENT = code(100)
CHILD_1, CHILD_2, CHILD_3 = code(200), code(201), code(202)
DEBTOR = code(300)
NOMAD = code(400)
DEBTOR_SENTENCE = "Every qualifying person is on the maintenance-debtor register on the reference date."


@pytest.fixture
def month(registers: Any, django_capture_on_commit_callbacks: Any) -> MonthRun:
    """A large family in flat 1 (contract A-1 at trader A), a needy maintenance debtor alone in
    flat 2, and a person with no declared address; November 2026 computed."""
    registers.population(
        resident(PARENT, date(1975, 1, 1)),
        resident(CHILD_1, date(2012, 1, 1)),
        resident(CHILD_2, date(2014, 1, 1)),
        resident(CHILD_3, date(2016, 1, 1)),
        resident(DEBTOR, date(1970, 1, 1), FLAT_2),
        resident(NOMAD, date(1980, 1, 1), None),
    )
    registers.relations(
        *((PARENT, child, "parent", date(2016, 1, 1)) for child in (CHILD_1, CHILD_2, CHILD_3))
    )
    registers.social_status((DEBTOR, "needy", date(2026, 1, 1)))
    registers.debtors((DEBTOR, date(2024, 1, 1)))
    registers.contracts(registers.trader_a, ("A-1", PARENT, FLAT_1, date(2025, 1, 1)))
    with django_capture_on_commit_callbacks(execute=True):
        run = month_run_request(month=NOV_2026, actor=ACTOR)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    return run


def page(client: Any, personal_code: str) -> Any:
    return client.get(why_url(person(personal_code).pk, NOV_2026))


def test_granted_large_family_shows_the_amount_the_contract_and_the_run(staff, month):
    response = page(staff, CHILD_2)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Large family" in content
    assert "granted" in content
    assert "25.00" in content
    assert "A-1" in content
    assert "Trader A" in content
    assert "Rule 2: a household contract at the address held by a qualifying person" in content
    assert FLAT_1 in content  # the household's address code
    assert "counted_children" in content  # the evidence
    assert f"#{month.knowledge_batch}" in content
    assert "p_amount_large_family" in content
    decisions = response.context["decisions"]
    assert [(d["decision"].category, d["decision"].granted) for d in decisions] == [("large_family", True)]
    assert response.context["household"]["members"] == 4


def test_dropped_unit_says_the_qualifying_person_is_a_maintenance_debtor(staff, month):
    response = page(staff, DEBTOR)

    assert response.status_code == 200
    content = response.content.decode()
    assert DEBTOR_SENTENCE in content
    assert "dropped" in content
    assert "social_status" in content  # the evidence the unit rested on
    [decision] = response.context["decisions"]
    assert (decision["decision"].reason, decision["about"]) == (
        "maintenance_debtor",
        "cites this person's record",
    )
    assert response.context["entitlement"] is None


def test_person_without_a_household_is_told_why(staff, month):
    response = page(staff, NOMAD)

    assert response.status_code == 200
    content = response.content.decode()
    assert "No household on the reference date." in content
    assert "no declared address valid on the reference date" in content
    assert response.context["no_household"]["code"] == "no_address"
    assert response.context["decisions"] == []


def test_an_auditor_or_operator_may_not_open_it(auditor, operator, month):
    assert page(auditor, CHILD_1).status_code == 403
    assert page(operator, CHILD_1).status_code == 403  # may view runs, not persons
    assert not AuditEvent.objects.filter(action="person.explain").exists()


def test_opening_it_is_audited_with_the_month_and_run_only(staff, month):
    page(staff, PARENT)

    event = AuditEvent.objects.get(action="person.explain")
    assert (event.target_type, event.target_id) == ("households.person", str(person(PARENT).pk))
    assert event.data == {"month": "2026-11", "run_id": month.pk}
    assert PARENT not in str(event.data)


def test_the_url_carries_the_internal_id_and_month_only(staff, month):
    target = person(PARENT)
    url = why_url(target.pk, NOV_2026)

    assert url == reverse("admin:eligibility_monthrun_why", args=[target.pk, "2026-11"])
    assert url.endswith(f"/admin/eligibility/monthrun/why/{target.pk}/2026-11/")
    assert PARENT not in url
    content = staff.get(url).content.decode()
    assert PARENT not in content  # nor on the page


def test_a_month_without_a_run_in_force_says_so(staff, month):
    response = staff.get(why_url(person(PARENT).pk, date(2026, 10, 1)))

    assert response.status_code == 200
    assert "No run of 2026-10 is in force" in response.content.decode()


def test_not_a_month_is_not_found(staff, month):
    url = why_url(person(PARENT).pk, NOV_2026).replace("2026-11", "2026-xx")
    assert staff.get(url).status_code == 404


def test_the_person_page_links_to_the_explanation_of_each_month_in_force(staff, month):
    parent = person(PARENT)
    response = staff.get(f"/admin/households/person/{parent.pk}/change/")
    assert response.status_code == 200
    assert why_url(parent.pk, NOV_2026) in response.content.decode()


def test_the_energy_aid_decision_shows_its_sums_months_and_each_test(
    staff, month, registers, django_capture_on_commit_callbacks
):
    # The debtor, alone in flat 2, earned 600.00 in each of the 12 months read (2025-11 .. 2026-10)
    # and 999.00 in November 2026 itself, which is not read. No housing costs reported.
    months = [f"{year}-{m:02d}" for year, m in [(2025, 11), (2025, 12), *((2026, m) for m in range(1, 11))]]
    registers.send(
        "income",
        ["personal_code", "month", "amount_eur"],
        [(DEBTOR, m, "600.00") for m in months] + [(DEBTOR, "2026-11", "999.00")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        month_run_request(month=NOV_2026, actor=ACTOR)

    response = page(staff, DEBTOR)

    energy_aid = response.context["energy_aid"]
    assert energy_aid["row"].reason == "income_above_threshold"
    content = response.content.decode()
    assert '<td id="energy-aid-window">2025-11 to 2026-10</td>' in content
    # 12 x 600.00; per member a month 600.00 > 473.53, and the normative 142.06 < 0.30 x 600.00
    assert "income 7200,00 EUR, benefits 0,00 EUR" in content  # the admin speaks Latvian: a decimal comma
    assert '<td id="energy-aid-housing">none</td>' in content
    assert (
        "income within the threshold: failed; housing share of income: failed; members with a sanction: 0"
        in content
    )
