"""The person's actions: choose a contract, refuse the service and undo it, contest a month.

"Today" is 2026-11-20 and 2026-11 has a done run, so the next run's month is 2026-12.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from aldis.exceptions import ApplicationError
from audit.models import AuditEvent
from eligibility.models import RunStatus
from households.models import ContestCase, ContestStatus, ContractChoice, ServiceRefusal
from households.selectors import next_run_month, person_allowed_contracts, person_status
from households.services.person_actions import (
    contest_case_open,
    contract_choice_clear,
    contract_choice_set,
    person_actor,
    person_status_read,
    service_refusal_start,
    service_refusal_undo,
)
from tests.eligibility.scheme_p.conftest import (
    BUILDING,
    BUILDING_MANAGER_ORG,
    FLAT_1,
    FLAT_2,
    HOUSE_2,
    NOV_2026,
    code,
    person,
)
from tests.households.web.world import CHILD_1, DEC_2026, PARENT, TENANT, TODAY, compute

pytestmark = pytest.mark.django_db


def act(code: str) -> dict:
    p = person(code)
    return {"person": p, "actor": person_actor(p)}


def test_the_next_run_month_is_the_first_without_a_done_run(world):
    assert next_run_month() == DEC_2026
    compute(DEC_2026)
    assert next_run_month() == date(2027, 1, 1)


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_a_choice_made_while_the_month_runs_waits_for_the_month_after(world, status):
    # The run under way may have read the choices already: promising it 2026-12 could be false.
    run = compute(DEC_2026)
    run.status = status
    run.save(update_fields=["status"])
    assert next_run_month() == date(2027, 1, 1)
    choice = contract_choice_set(trader_id=world_trader_a(), contract_no="C-1", **act(PARENT))
    assert choice.valid_from == date(2027, 1, 1)


def test_a_failed_run_does_not_count_as_done(world):
    run = compute(DEC_2026)
    run.status = RunStatus.FAILED
    run.save(update_fields=["status"])
    assert next_run_month() == DEC_2026


# --- Contract choice -------------------------------------------------------------------------


def test_the_allowed_contracts_are_those_of_the_household(world, registers):
    # A second contract at FLAT_1 held by the parent at trader B (does not give the service),
    # one at FLAT_2 (another household), a building contract the tenant is a sub-user of, and the
    # parent's contract at a country house (a member's contract elsewhere: rule 1 allows it).
    registers.contracts(
        registers.trader_a,
        ("C-1", PARENT, FLAT_1, date(2020, 1, 1)),
        ("C-5", PARENT, HOUSE_2, date(2021, 1, 1)),
        ("C-2", TENANT, FLAT_2, date(2020, 1, 1)),
        ("B-100", BUILDING_MANAGER_ORG, BUILDING, date(2005, 1, 1), None, "building"),
    )
    registers.contracts(registers.trader_b, ("X-9", PARENT, FLAT_1, date(2020, 1, 1)))
    registers.sub_users(registers.trader_a, (TENANT, "B-100", FLAT_2, date(2026, 1, 1)))
    parent = person(PARENT)
    assert [
        (c["contract_no"], c["held_by_you"], c["sub_user"])
        for c in person_allowed_contracts(person=parent, on=DEC_2026)
    ] == [("C-1", True, False), ("C-5", True, False)]
    # A child of the household may choose the parent's contracts (a member holds them).
    child_choices = person_allowed_contracts(person=person(CHILD_1), on=DEC_2026)
    assert [(c["contract_no"], c["held_by_you"]) for c in child_choices] == [("C-1", False), ("C-5", False)]
    tenant = person_allowed_contracts(person=person(TENANT), on=DEC_2026)
    assert [(c["contract_no"], c["held_by_you"], c["sub_user"]) for c in tenant] == [
        ("B-100", False, True),
        ("C-2", True, False),
    ]
    assert tenant[0]["address"] == "Brīvības iela 1, Rīga"


def test_a_protected_person_declared_elsewhere_is_not_a_member_whose_contract_can_be_chosen(world, registers):
    # The run counts a person under temporary protection as a member only where the population
    # register places them nowhere: TENANT (declared at FLAT_2) is not a member of FLAT_1, a
    # refugee declared nowhere is. Offering TENANT's FLAT_1 contract would be a choice the run
    # then ignores.
    refugee = code(610)
    registers.temporary_protection(
        (TENANT, date(1970, 1, 1), FLAT_1, date(2026, 1, 1), None),
        (refugee, date(1990, 1, 1), FLAT_1, date(2026, 1, 1), None),
    )
    registers.contracts(
        registers.trader_a,
        ("C-1", PARENT, FLAT_1, date(2020, 1, 1)),
        ("C-7", TENANT, FLAT_1, date(2020, 1, 1)),
        ("C-8", refugee, FLAT_1, date(2020, 1, 1)),
    )
    offered = person_allowed_contracts(person=person(PARENT), on=DEC_2026)
    assert [(c["contract_no"], c["held_by_you"]) for c in offered] == [("C-1", True), ("C-8", False)]


def test_choose_a_contract_from_the_next_run(world):
    choice = contract_choice_set(trader_id=world_trader_a(), contract_no="C-1", **act(PARENT))
    assert (choice.valid_from, choice.valid_to, choice.contract_no) == (DEC_2026, None, "C-1")
    event = AuditEvent.objects.get(action="contract_choice.set")
    assert (event.actor_type, event.actor_id) == ("person", str(person(PARENT).pk))
    assert event.data["valid_from"] == "2026-12-01"
    assert PARENT not in str(event.data)


def world_trader_a() -> int:
    from aldis.organisations.models import Organisation
    from tests.eligibility.scheme_p.conftest import TRADER_A_ORG

    return Organisation.objects.get(code=TRADER_A_ORG).pk


def test_a_contract_of_another_household_is_refused(world, registers):
    registers.contracts(
        registers.trader_a,
        ("C-1", PARENT, FLAT_1, date(2020, 1, 1)),
        ("C-2", TENANT, FLAT_2, date(2020, 1, 1)),
    )
    with pytest.raises(ValidationError) as error:
        contract_choice_set(trader_id=world_trader_a(), contract_no="C-2", **act(PARENT))
    assert "contract" in error.value.message_dict
    assert not ContractChoice.objects.exists()
    assert not AuditEvent.objects.filter(action="contract_choice.set").exists()


def test_a_contract_with_a_trader_not_giving_the_service_is_refused(world, registers):
    registers.contracts(registers.trader_b, ("X-9", PARENT, FLAT_1, date(2020, 1, 1)))
    with pytest.raises(ValidationError):
        contract_choice_set(trader_id=registers.trader_b.pk, contract_no="X-9", **act(PARENT))


def test_a_new_choice_ends_the_previous_one_the_day_before(world, registers):
    registers.contracts(
        registers.trader_a,
        ("C-1", PARENT, FLAT_1, date(2020, 1, 1)),
        ("C-3", CHILD_1, FLAT_1, date(2021, 1, 1)),
    )
    old = ContractChoice.objects.create(
        person=person(PARENT), trader_id=world_trader_a(), contract_no="C-1", valid_from=date(2026, 1, 1)
    )
    new = contract_choice_set(trader_id=world_trader_a(), contract_no="C-3", **act(PARENT))
    old.refresh_from_db()
    assert old.valid_to == date(2026, 11, 30)
    assert (new.contract_no, new.valid_from) == ("C-3", DEC_2026)
    status = person_status(person=person(PARENT))
    assert status["contract_choice"] == {"trader": "Trader A", "contract_no": "C-3", "valid_from": DEC_2026}


def test_a_choice_not_started_yet_is_voided_by_a_new_one(world, registers):
    registers.contracts(
        registers.trader_a,
        ("C-1", PARENT, FLAT_1, date(2020, 1, 1)),
        ("C-3", CHILD_1, FLAT_1, date(2021, 1, 1)),
    )
    first = contract_choice_set(trader_id=world_trader_a(), contract_no="C-1", **act(PARENT))
    contract_choice_set(trader_id=world_trader_a(), contract_no="C-3", **act(PARENT))
    first.refresh_from_db()
    assert first.valid_to == date(2026, 11, 30)  # before its start: it never applies


def test_choosing_the_same_contract_again_changes_nothing(world):
    first = contract_choice_set(trader_id=world_trader_a(), contract_no="C-1", **act(PARENT))
    again = contract_choice_set(trader_id=world_trader_a(), contract_no="C-1", **act(PARENT))
    assert again.pk == first.pk
    assert ContractChoice.objects.count() == 1
    assert AuditEvent.objects.filter(action="contract_choice.set").count() == 1


def test_clear_the_choice(world):
    choice = contract_choice_set(trader_id=world_trader_a(), contract_no="C-1", **act(PARENT))
    assert contract_choice_clear(**act(PARENT)) == 1
    choice.refresh_from_db()
    assert choice.valid_to == date(2026, 11, 30)
    assert person_status(person=person(PARENT))["contract_choice"] is None
    assert AuditEvent.objects.filter(action="contract_choice.clear").count() == 1
    assert contract_choice_clear(**act(PARENT)) == 0


def test_the_monthly_run_follows_the_choice(world, registers):
    """The choice made in November applies to December's run (attribution rule 1)."""
    registers.contracts(
        registers.trader_a,
        ("C-1", PARENT, FLAT_1, date(2020, 1, 1)),
        ("C-3", CHILD_1, FLAT_1, date(2021, 1, 1)),
    )
    contract_choice_set(trader_id=world_trader_a(), contract_no="C-3", **act(CHILD_1))
    december = compute(DEC_2026)
    status = person_status(person=person(PARENT), today=date(2026, 12, 10))
    assert status["months"][0]["month"] == december.month
    assert status["months"][0]["contract"]["contract_no"] == "C-3"
    assert status["months"][0]["contract"]["rule"] == 1
    # November (computed before the choice) keeps C-1.
    assert status["months"][1]["contract"]["contract_no"] == "C-1"


# --- Refusal ---------------------------------------------------------------------------------


def test_refuse_from_the_next_run_and_the_run_follows(world):
    refusal = service_refusal_start(**act(PARENT))
    assert (refusal.valid_from, refusal.valid_to) == (DEC_2026, None)
    assert AuditEvent.objects.filter(action="service_refusal.start").count() == 1
    status = person_status(person=person(PARENT))
    assert status["refusal"] == {"valid_from": DEC_2026, "valid_to": None, "applies_to_next_run": True}
    compute(DEC_2026)
    december = person_status(person=person(PARENT), today=date(2026, 12, 10))["months"][0]
    assert december["amount_eur"] == 0
    assert [(c["category"], c["reason"]) for c in december["not_granted"]] == [("large_family", "refused")]


def test_refusing_twice_is_refused(world):
    service_refusal_start(**act(PARENT))
    with pytest.raises(ApplicationError) as error:
        service_refusal_start(**act(PARENT))
    assert error.value.code == "already_refused"


def test_undo_a_refusal_that_had_not_started_yet(world):
    refusal = service_refusal_start(**act(PARENT))
    service_refusal_undo(**act(PARENT))
    refusal.refresh_from_db()
    assert refusal.valid_to == date(2026, 11, 30)  # before its start: it never applies
    assert person_status(person=person(PARENT))["refusal"] is None
    assert AuditEvent.objects.filter(action="service_refusal.undo").count() == 1


def test_undo_a_refusal_in_force_ends_it_before_the_next_run(world):
    refusal = ServiceRefusal.objects.create(person=person(PARENT), valid_from=date(2026, 6, 1))
    service_refusal_undo(**act(PARENT))
    refusal.refresh_from_db()
    assert refusal.valid_to == date(2026, 11, 30)
    status = person_status(person=person(PARENT))
    assert status["refusal"] == {
        "valid_from": date(2026, 6, 1),
        "valid_to": date(2026, 11, 30),
        "applies_to_next_run": False,
    }


def test_undo_without_a_refusal_is_refused(world):
    with pytest.raises(ApplicationError) as error:
        service_refusal_undo(**act(PARENT))
    assert error.value.code == "not_refused"


# --- Contest ---------------------------------------------------------------------------------


def test_contest_a_month(world):
    case = contest_case_open(month=NOV_2026, item="contract", text="  Wrong contract.  ", **act(PARENT))
    assert (case.month, case.item, case.text, case.status, case.run_id) == (
        NOV_2026,
        "contract",
        "Wrong contract.",
        ContestStatus.RECEIVED,
        world.pk,
    )
    event = AuditEvent.objects.get(action="contest.open")
    assert event.data == {"person_id": person(PARENT).pk, "month": "2026-11", "run_id": world.pk}
    status = person_status(person=person(PARENT))
    assert [(c["id"], c["status"], c["decision_reason"]) for c in status["contests"]] == [
        (case.pk, "received", "")
    ]


def test_a_decided_contest_shows_its_reason(world):
    case = contest_case_open(month=NOV_2026, item="household", text="My son lives with me.", **act(PARENT))
    ContestCase.objects.filter(pk=case.pk).update(
        status=ContestStatus.REJECTED, decision_reason="The register says otherwise."
    )
    contest = person_status(person=person(PARENT))["contests"][0]
    assert (contest["status"], contest["decision_reason"]) == ("rejected", "The register says otherwise.")


@pytest.mark.parametrize(
    ("month", "item", "text", "field"),
    [
        (date(2026, 10, 1), "contract", "x", "month"),  # no run in force
        (DEC_2026, "contract", "x", "month"),  # the future
        (NOV_2026, "nonsense", "x", "item"),
        (NOV_2026, "contract", "   ", "text"),
        (NOV_2026, "contract", "x" * 2001, "text"),
    ],
)
def test_a_bad_contest_is_refused(world, month, item, text, field):
    with pytest.raises(ValidationError) as error:
        contest_case_open(month=month, item=item, text=text, **act(PARENT))
    assert field in error.value.message_dict
    assert not ContestCase.objects.exists()


def test_a_month_no_longer_kept_cannot_be_contested(world):
    with pytest.raises(ValidationError) as error:
        contest_case_open(month=NOV_2026, item="other", text="x", today=date(2028, 12, 1), **act(PARENT))
    assert "month" in error.value.message_dict


# --- Reading, retention ----------------------------------------------------------------------


def test_reading_by_the_person_is_a_view_by_another_a_lookup(world):
    parent = person(PARENT)
    person_status_read(person=parent, actor=person_actor(parent))
    person_status_read(person=parent, actor=person_actor(person(TENANT)))
    assert list(
        AuditEvent.objects.filter(action__startswith="status.")
        .values_list("action", flat=True)
        .order_by("seq")
    ) == [
        "status.view",
        "status.lookup",
    ]


def test_a_month_is_kept_until_24_months_after_its_end(world):
    parent = person(PARENT)
    month = person_status(person=parent)["months"][0]
    assert month["erased_on"] == date(2028, 12, 1)
    assert [m["month"] for m in person_status(person=parent, today=date(2028, 11, 30))["months"]] == [
        NOV_2026
    ]
    assert person_status(person=parent, today=date(2028, 12, 1))["months"] == []


def test_amounts_and_figures(world):
    month = person_status(person=person(PARENT), today=TODAY)["months"][0]
    from decimal import Decimal

    assert month["amount_eur"] == Decimal("25.00")
    assert month["balance_eur"] == Decimal("25.00")
    assert month["categories"] == [
        {
            "category": "large_family",
            "units": 1,
            "amount_eur": Decimal("25.00"),
            "reason": "granted",
            "sources": [{"source": "counted_children", "valid_from": None, "valid_to": None, "children": 3}],
        }
    ]
    assert month["household"] == {
        "address": "Brīvības iela 1 - 1, Rīga",
        "members": 4,
        "source": "population",
    }
    assert month["contract"] == {
        "trader": "Trader A",
        "contract_no": "C-1",
        "held_by_you": True,
        "sub_user": False,
        "rule": 2,
    }
    aid = month["energy_aid"]
    assert (aid["eligible"], aid["threshold_eur"], aid["housing_share"]) == (
        True,
        Decimal("473.53"),
        Decimal("0.30"),
    )
    assert aid["sources"][0] == {
        "source": "income",
        "valid_from": date(2025, 11, 1),
        "valid_to": date(2026, 10, 31),
    }
