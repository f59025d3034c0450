"""Exclusions (DOMAIN: Scheme P, Exclusions): a unit is granted only through a qualifying person
who is not a maintenance debtor on the reference date and has not refused the service; when
none passes, the unit is recorded as dropped with the reason."""

from datetime import date
from decimal import Decimal

import pytest

from tests.eligibility.scheme_p.conftest import FLAT_1, FLAT_2, NOV_2026, code, resident, run_month

HOLDER = code(100)
FLATMATE = code(101)
GUARDIAN = code(110)
CHILD_1 = code(200)
CHILD_2 = code(201)
CHILD_3 = code(202)


def needy_household(registers, *holders: str) -> None:
    registers.population(resident(HOLDER, date(1970, 1, 1)), resident(FLATMATE, date(1972, 2, 2)))
    registers.social_status(*((holder, "needy", date(2026, 1, 1)) for holder in holders))


def assert_dropped(unit, reason: str) -> None:
    assert (unit.granted, unit.reason, unit.amount_eur) == (False, reason, Decimal("0.00"))


@pytest.mark.parametrize(
    ("debt", "granted"),
    [
        ((date(2024, 1, 1), None), False),
        ((date(2026, 11, 1), date(2026, 11, 1)), False),
        ((date(2024, 1, 1), date(2026, 10, 31)), True),  # paid off before the reference date
        ((date(2026, 11, 2), None), True),  # a debtor only from after it
    ],
)
def test_only_status_holder_is_a_maintenance_debtor_on_the_reference_date(registers, debt, granted):
    needy_household(registers, HOLDER)
    registers.debtors((HOLDER, *debt))

    month = run_month(NOV_2026)

    unit = month.unit("needy_low_income")
    if granted:
        assert (unit.granted, unit.amount_eur) == (True, Decimal("20.00"))
        assert month.amounts() == {FLAT_1: Decimal("20.00")}
    else:
        assert_dropped(unit, "maintenance_debtor")
        assert unit.address.code == FLAT_1
        assert month.amounts() == {}
        assert month.summary.entitled_households == 0


def test_another_status_holder_who_is_not_a_debtor_keeps_the_unit(registers):
    needy_household(registers, HOLDER, FLATMATE)
    registers.debtors((HOLDER, date(2024, 1, 1)))

    month = run_month(NOV_2026)

    unit = month.unit("needy_low_income")
    assert (unit.granted, unit.reason, unit.amount_eur) == (True, "granted", Decimal("20.00"))
    assert month.amounts() == {FLAT_1: Decimal("20.00")}


def test_a_debtor_who_is_not_a_qualifying_person_changes_nothing(registers):
    needy_household(registers, HOLDER)
    registers.debtors((FLATMATE, date(2024, 1, 1)))

    assert run_month(NOV_2026).amounts() == {FLAT_1: Decimal("20.00")}


@pytest.mark.parametrize(
    ("refusal", "granted"),
    [
        ((date(2026, 11, 1), None), False),
        ((date(2026, 3, 1), date(2026, 11, 30)), False),
        ((date(2026, 12, 1), None), True),  # refused from next month on
        ((date(2026, 3, 1), date(2026, 10, 31)), True),  # refusal undone before this month
    ],
)
def test_refusal_covering_the_month_drops_the_unit(registers, refusal, granted):
    needy_household(registers, HOLDER)
    registers.refusal(HOLDER, *refusal)

    month = run_month(NOV_2026)

    unit = month.unit("needy_low_income")
    if granted:
        assert (unit.granted, unit.amount_eur) == (True, Decimal("20.00"))
        assert month.amounts() == {FLAT_1: Decimal("20.00")}
    else:
        assert_dropped(unit, "refused")
        assert month.amounts() == {}


def test_refusal_of_one_status_holder_leaves_the_other(registers):
    needy_household(registers, HOLDER, FLATMATE)
    registers.refusal(HOLDER, date(2026, 1, 1))

    assert run_month(NOV_2026).amounts() == {FLAT_1: Decimal("20.00")}


def test_large_family_adult_who_is_a_debtor_drops_the_unit_and_the_other_parent_keeps_it(registers):
    registers.population(
        resident(HOLDER, date(1975, 1, 1)),
        resident(FLATMATE, date(1976, 1, 1)),
        resident(CHILD_1, date(2012, 1, 1)),
        resident(CHILD_2, date(2014, 1, 1)),
        resident(CHILD_3, date(2016, 1, 1)),
    )
    registers.relations(
        *((HOLDER, child, "parent", date(2016, 1, 1)) for child in (CHILD_1, CHILD_2, CHILD_3))
    )
    registers.debtors((HOLDER, date(2020, 1, 1)))

    dropped = run_month(NOV_2026)

    assert_dropped(dropped.unit("large_family"), "maintenance_debtor")
    assert dropped.amounts() == {}

    registers.relations(
        *(
            (adult, child, "parent", date(2016, 1, 1))
            for adult in (HOLDER, FLATMATE)
            for child in (CHILD_1, CHILD_2, CHILD_3)
        )
    )
    kept = run_month(NOV_2026)

    assert (kept.unit("large_family").granted, kept.unit("large_family").amount_eur) == (
        True,
        Decimal("25.00"),
    )
    assert kept.amounts() == {FLAT_1: Decimal("25.00")}


def test_disabled_child_whose_only_carer_is_a_debtor_is_dropped(registers):
    registers.population(resident(HOLDER, date(1980, 1, 1)), resident(CHILD_1, date(2015, 1, 1)))
    registers.relations((HOLDER, CHILD_1, "parent", date(2015, 1, 1)))
    registers.disability((CHILD_1, "child", date(2019, 1, 1)))
    registers.debtors((HOLDER, date(2022, 1, 1)))

    month = run_month(NOV_2026)

    unit = month.unit("disabled_child", CHILD_1)
    assert_dropped(unit, "maintenance_debtor")
    assert unit.subject.personal_code == CHILD_1
    assert month.amounts() == {}


def test_disabled_child_whose_only_carer_refused_is_dropped(registers):
    registers.population(resident(HOLDER, date(1980, 1, 1)), resident(CHILD_1, date(2015, 1, 1)))
    registers.relations((HOLDER, CHILD_1, "foster", date(2020, 1, 1)))
    registers.disability((CHILD_1, "child", date(2019, 1, 1)))
    registers.refusal(HOLDER, date(2026, 11, 1))

    assert_dropped(run_month(NOV_2026).unit("disabled_child", CHILD_1), "refused")


def test_disabled_child_with_a_debtor_carer_and_a_passing_carer_is_granted(registers):
    registers.population(
        resident(HOLDER, date(1980, 1, 1)),
        resident(FLATMATE, date(1981, 1, 1)),
        resident(CHILD_1, date(2015, 1, 1)),
    )
    registers.relations(
        (HOLDER, CHILD_1, "parent", date(2015, 1, 1)), (FLATMATE, CHILD_1, "parent", date(2015, 1, 1))
    )
    registers.disability((CHILD_1, "child", date(2019, 1, 1)))
    registers.debtors((HOLDER, date(2022, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == [("disabled_child", FLAT_1, Decimal("20.00"))]


def test_disabled_child_with_no_carer_is_recorded_as_dropped(registers):
    registers.population(resident(HOLDER, date(1980, 1, 1)), resident(CHILD_1, date(2015, 1, 1)))
    registers.disability((CHILD_1, "child", date(2019, 1, 1)))

    month = run_month(NOV_2026)

    assert_dropped(month.unit("disabled_child", CHILD_1), "no_carer")
    assert month.amounts() == {}


def test_group_i_person_who_is_a_debtor_but_whose_guardian_is_not_is_granted_to_the_guardian(registers):
    registers.population(
        resident(HOLDER, date(1960, 1, 1), FLAT_1), resident(GUARDIAN, date(1965, 1, 1), FLAT_2)
    )
    registers.relations((GUARDIAN, HOLDER, "guardian", date(2018, 1, 1)))
    registers.disability((HOLDER, "1", date(2015, 1, 1)))
    registers.debtors((HOLDER, date(2021, 1, 1)))

    month = run_month(NOV_2026)

    unit = month.unit("group_i_disability", HOLDER)
    assert (unit.granted, unit.address.code, unit.amount_eur) == (True, FLAT_2, Decimal("20.00"))
    assert month.amounts() == {FLAT_2: Decimal("20.00")}


def test_group_i_person_and_guardian_both_debtors_drop_the_unit(registers):
    registers.population(
        resident(HOLDER, date(1960, 1, 1), FLAT_1), resident(GUARDIAN, date(1965, 1, 1), FLAT_2)
    )
    registers.relations((GUARDIAN, HOLDER, "guardian", date(2018, 1, 1)))
    registers.disability((HOLDER, "1", date(2015, 1, 1)))
    registers.debtors((HOLDER, date(2021, 1, 1)), (GUARDIAN, date(2021, 1, 1)))

    month = run_month(NOV_2026)

    assert_dropped(month.unit("group_i_disability", HOLDER), "maintenance_debtor")
    assert month.amounts() == {}


def test_group_i_person_without_guardian_who_refused_is_dropped(registers):
    registers.population(resident(HOLDER, date(1960, 1, 1)))
    registers.disability((HOLDER, "1", date(2015, 1, 1)))
    registers.refusal(HOLDER, date(2026, 1, 1))

    month = run_month(NOV_2026)

    assert_dropped(month.unit("group_i_disability", HOLDER), "refused")
    assert month.amounts() == {}


def test_group_i_debtor_whose_only_guardian_died_is_dropped(registers):
    """A guardian who died before the reference date is no qualifying person, though the
    guardianship link is still valid: the debtor's unit has nobody to pass through."""
    registers.population(
        resident(HOLDER, date(1960, 1, 1), FLAT_1),
        resident(GUARDIAN, date(1940, 1, 1), FLAT_2, died=date(2026, 9, 9)),
    )
    registers.relations((GUARDIAN, HOLDER, "guardian", date(2018, 1, 1)))
    registers.disability((HOLDER, "1", date(2015, 1, 1)))
    registers.debtors((HOLDER, date(2021, 1, 1)))

    month = run_month(NOV_2026)

    assert_dropped(month.unit("group_i_disability", HOLDER), "maintenance_debtor")
    assert month.amounts() == {}


def test_group_i_person_who_refused_is_dropped_when_the_guardian_has_no_population_record(registers):
    """A guardian the population register does not know is not alive on the reference date as far
    as ALDIS knows: no qualifying person (and, being nobody's member, never checked as a debtor)."""
    registers.population(resident(HOLDER, date(1960, 1, 1), FLAT_1))
    registers.relations((GUARDIAN, HOLDER, "guardian", date(2018, 1, 1)))
    registers.disability((HOLDER, "1", date(2015, 1, 1)))
    registers.debtors((GUARDIAN, date(2021, 1, 1)))
    registers.refusal(HOLDER, date(2026, 1, 1))

    month = run_month(NOV_2026)

    assert_dropped(month.unit("group_i_disability", HOLDER), "refused")
    assert month.amounts() == {}


def test_a_dropped_unit_does_not_take_the_household_s_other_units_with_it(registers):
    needy_household(registers, HOLDER)
    registers.disability((FLATMATE, "1", date(2015, 1, 1)))
    registers.debtors((HOLDER, date(2024, 1, 1)))

    month = run_month(NOV_2026)

    assert_dropped(month.unit("needy_low_income"), "maintenance_debtor")
    assert month.granted() == [("group_i_disability", FLAT_1, Decimal("20.00"))]
    assert month.amounts() == {FLAT_1: Decimal("20.00")}


# The reason codes the module's docstring fixes for the other ways a unit can fail.


def test_the_only_qualifying_person_both_a_debtor_and_refused(registers):
    needy_household(registers, HOLDER)
    registers.debtors((HOLDER, date(2024, 1, 1)))
    registers.refusal(HOLDER, date(2026, 1, 1))

    assert_dropped(run_month(NOV_2026).unit("needy_low_income"), "debtor_or_refused")


def test_qualifying_persons_failing_in_different_ways(registers):
    needy_household(registers, HOLDER, FLATMATE)
    registers.debtors((HOLDER, date(2024, 1, 1)))
    registers.refusal(FLATMATE, date(2026, 1, 1))

    month = run_month(NOV_2026)

    assert_dropped(month.unit("needy_low_income"), "no_qualifying_person")
    assert month.amounts() == {}


def test_two_qualifying_persons_both_debtors(registers):
    needy_household(registers, HOLDER, FLATMATE)
    registers.debtors((HOLDER, date(2024, 1, 1)), (FLATMATE, date(2025, 1, 1)))

    assert_dropped(run_month(NOV_2026).unit("needy_low_income"), "maintenance_debtor")
