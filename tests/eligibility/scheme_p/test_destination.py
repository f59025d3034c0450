"""Which household a per-person unit goes to (DOMAIN: Scheme P, categories): a disabled child's
to the child's own household if a parent/foster parent/guardian lives there, else to the carer
household with the lowest personal code; a group I person's to their guardian's household if
they have a guardian, else to their own."""

from datetime import date
from decimal import Decimal

from tests.eligibility.scheme_p.conftest import (
    FLAT_1,
    FLAT_2,
    FLAT_3,
    HOUSE_1,
    NOV_2026,
    code,
    resident,
    run_month,
)

LOW = code(100)  # the lowest personal code of the carers
MIDDLE = code(110)
HIGH = code(120)
AUNT = code(130)  # lives with the child, no relation
CHILD = code(200)
ADULT = code(300)


def test_disabled_child_unit_goes_to_the_child_s_own_household_when_a_carer_lives_there(registers):
    registers.population(
        resident(HIGH, date(1980, 1, 1), FLAT_1),
        resident(CHILD, date(2015, 1, 1), FLAT_1),
        resident(LOW, date(1979, 1, 1), FLAT_2),
    )
    registers.relations((HIGH, CHILD, "parent", date(2015, 1, 1)), (LOW, CHILD, "parent", date(2015, 1, 1)))
    registers.disability((CHILD, "child", date(2019, 1, 1)))

    month = run_month(NOV_2026)

    unit = month.unit("disabled_child", CHILD)
    assert (unit.granted, unit.address.code, unit.subject.personal_code) == (True, FLAT_1, CHILD)
    assert month.amounts() == {FLAT_1: Decimal("20.00")}


def test_disabled_child_unit_goes_to_the_lowest_code_carer_when_none_lives_with_the_child(registers):
    registers.population(
        resident(AUNT, date(1970, 1, 1), FLAT_1),
        resident(CHILD, date(2015, 1, 1), FLAT_1),
        resident(HIGH, date(1980, 1, 1), FLAT_2),
        resident(LOW, date(1981, 1, 1), FLAT_3),
        resident(MIDDLE, date(1982, 1, 1), HOUSE_1),
    )
    registers.relations(
        (HIGH, CHILD, "parent", date(2015, 1, 1)),
        (MIDDLE, CHILD, "parent", date(2015, 1, 1)),
        (LOW, CHILD, "guardian", date(2020, 1, 1)),
    )
    registers.disability((CHILD, "child", date(2019, 1, 1)))

    month = run_month(NOV_2026)

    assert month.unit("disabled_child", CHILD).address.code == FLAT_3
    assert month.amounts() == {FLAT_3: Decimal("20.00")}


def test_disabled_child_with_a_foster_parent_at_home(registers):
    registers.population(
        resident(HIGH, date(1970, 1, 1), FLAT_1),
        resident(CHILD, date(2015, 1, 1), FLAT_1),
        resident(LOW, date(1981, 1, 1), FLAT_3),
    )
    registers.relations((HIGH, CHILD, "foster", date(2020, 1, 1)), (LOW, CHILD, "parent", date(2015, 1, 1)))
    registers.disability((CHILD, "child", date(2019, 1, 1)))

    assert run_month(NOV_2026).amounts() == {FLAT_1: Decimal("20.00")}


def test_disabled_child_unit_is_one_unit_whatever_the_number_of_carers(registers):
    registers.population(
        resident(HIGH, date(1980, 1, 1), FLAT_1),
        resident(MIDDLE, date(1981, 1, 1), FLAT_1),
        resident(CHILD, date(2015, 1, 1), FLAT_1),
        resident(LOW, date(1979, 1, 1), FLAT_2),
    )
    registers.relations(
        (HIGH, CHILD, "parent", date(2015, 1, 1)),
        (MIDDLE, CHILD, "parent", date(2015, 1, 1)),
        (LOW, CHILD, "guardian", date(2015, 1, 1)),
    )
    registers.disability((CHILD, "child", date(2019, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == [("disabled_child", FLAT_1, Decimal("20.00"))]
    assert month.amounts() == {FLAT_1: Decimal("20.00")}


def test_disabled_young_person_of_18_gives_no_disabled_child_unit(registers):
    registers.population(resident(HIGH, date(1980, 1, 1)), resident(CHILD, date(2008, 11, 1)))
    registers.relations((HIGH, CHILD, "parent", date(2008, 11, 1)))
    registers.disability((CHILD, "child", date(2019, 1, 1)))

    month = run_month(NOV_2026)

    assert month.units("disabled_child") == []
    assert month.amounts() == {}


def test_group_i_unit_goes_to_the_guardian_s_household(registers):
    registers.population(resident(ADULT, date(1960, 1, 1), FLAT_1), resident(HIGH, date(1965, 1, 1), FLAT_2))
    registers.relations((HIGH, ADULT, "guardian", date(2018, 1, 1)))
    registers.disability((ADULT, "1", date(2015, 1, 1)))

    month = run_month(NOV_2026)

    unit = month.unit("group_i_disability", ADULT)
    assert (unit.granted, unit.address.code, unit.subject.personal_code) == (True, FLAT_2, ADULT)
    assert month.amounts() == {FLAT_2: Decimal("20.00")}


def test_group_i_unit_goes_to_the_person_s_own_household_without_a_guardian(registers):
    registers.population(resident(ADULT, date(1960, 1, 1), FLAT_1), resident(HIGH, date(1965, 1, 1), FLAT_2))
    # A parent is not a guardian.
    registers.relations((HIGH, ADULT, "parent", date(1960, 1, 1)))
    registers.disability((ADULT, "1", date(2015, 1, 1)))

    month = run_month(NOV_2026)

    assert month.unit("group_i_disability", ADULT).address.code == FLAT_1
    assert month.amounts() == {FLAT_1: Decimal("20.00")}


def test_group_i_unit_goes_to_its_own_household_once_the_guardianship_ended(registers):
    registers.population(resident(ADULT, date(1960, 1, 1), FLAT_1), resident(HIGH, date(1965, 1, 1), FLAT_2))
    registers.relations((HIGH, ADULT, "guardian", date(2018, 1, 1), date(2026, 10, 31)))
    registers.disability((ADULT, "1", date(2015, 1, 1)))

    assert run_month(date(2026, 10, 1)).amounts() == {FLAT_2: Decimal("20.00")}
    assert run_month(NOV_2026).amounts() == {FLAT_1: Decimal("20.00")}


def test_group_i_person_without_an_address_goes_to_the_guardian_s_household(registers):
    registers.population(resident(ADULT, date(1960, 1, 1), None), resident(HIGH, date(1965, 1, 1), HOUSE_1))
    registers.relations((HIGH, ADULT, "guardian", date(2018, 1, 1)))
    registers.disability((ADULT, "1", date(2015, 1, 1)))

    month = run_month(NOV_2026)

    assert month.amounts() == {HOUSE_1: Decimal("20.00")}
    assert month.summary.persons_without_address == 1


# Where DOMAIN leaves the detail open, the module's docstring fixes it (rules of this system).


def test_disabled_child_unit_goes_to_a_passing_carer_when_the_one_at_home_is_a_debtor(registers):
    registers.population(
        resident(LOW, date(1980, 1, 1), FLAT_1),
        resident(CHILD, date(2015, 1, 1), FLAT_1),
        resident(HIGH, date(1979, 1, 1), FLAT_2),
    )
    registers.relations((LOW, CHILD, "parent", date(2015, 1, 1)), (HIGH, CHILD, "parent", date(2015, 1, 1)))
    registers.disability((CHILD, "child", date(2019, 1, 1)))
    registers.debtors((LOW, date(2020, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == [("disabled_child", FLAT_2, Decimal("20.00"))]


def test_group_i_unit_with_two_guardians_goes_to_the_lower_code_s_household(registers):
    registers.population(
        resident(ADULT, date(1960, 1, 1), FLAT_1),
        resident(HIGH, date(1965, 1, 1), FLAT_2),
        resident(LOW, date(1966, 1, 1), FLAT_3),
    )
    registers.relations(
        (HIGH, ADULT, "guardian", date(2018, 1, 1)), (LOW, ADULT, "guardian", date(2019, 1, 1))
    )
    registers.disability((ADULT, "1", date(2015, 1, 1)))

    assert run_month(NOV_2026).amounts() == {FLAT_3: Decimal("20.00")}


def test_group_i_unit_stays_in_its_own_household_when_the_guardian_has_none(registers):
    registers.population(resident(ADULT, date(1960, 1, 1), FLAT_1), resident(HIGH, date(1965, 1, 1), None))
    registers.relations((HIGH, ADULT, "guardian", date(2018, 1, 1)))
    registers.disability((ADULT, "1", date(2015, 1, 1)))

    assert run_month(NOV_2026).amounts() == {FLAT_1: Decimal("20.00")}
