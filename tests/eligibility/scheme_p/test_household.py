"""Who is in a household on the reference date (DOMAIN: Household; Time): the persons alive then
whose declared address is that address, plus temporary-protection persons whose residence it is;
a person with no address is in no household but is counted."""

from datetime import date
from decimal import Decimal

import pytest

from tests.eligibility.scheme_p.conftest import FLAT_1, FLAT_2, HOUSE_1, NOV_2026, code, resident, run_month

HOLDER = code(100)
FLATMATE = code(101)
REFUGEE = code(150)
CHILD = code(200)

NEEDY_AT_FLAT_1 = [("needy_low_income", FLAT_1, Decimal("20.00"))]


def test_temporary_protection_person_is_a_member_of_the_household_at_their_residence(registers):
    registers.population(resident(HOLDER, date(1970, 1, 1)))
    registers.temporary_protection((REFUGEE, date(1985, 5, 5), FLAT_1, date(2022, 4, 1), None))
    registers.social_status((REFUGEE, "needy", date(2026, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == NEEDY_AT_FLAT_1
    assert month.entitlement(FLAT_1).members == 2
    assert month.summary.households == 1


def test_temporary_protection_alone_makes_a_household(registers):
    registers.temporary_protection((REFUGEE, date(1950, 5, 5), HOUSE_1, date(2022, 4, 1), None))
    registers.disability((REFUGEE, "1", date(2022, 6, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == [("group_i_disability", HOUSE_1, Decimal("20.00"))]
    assert month.entitlement(HOUSE_1).members == 1


def test_temporary_protection_children_count_for_a_large_family(registers):
    registers.temporary_protection(
        (REFUGEE, date(1985, 5, 5), FLAT_2, date(2022, 4, 1), None),
        (code(201), date(2012, 1, 1), FLAT_2, date(2022, 4, 1), None),
        (code(202), date(2014, 1, 1), FLAT_2, date(2022, 4, 1), None),
        (code(203), date(2016, 1, 1), FLAT_2, date(2022, 4, 1), None),
    )
    registers.relations(*((REFUGEE, code(n), "parent", date(2016, 1, 1)) for n in (201, 202, 203)))

    month = run_month(NOV_2026)

    assert month.granted() == [("large_family", FLAT_2, Decimal("25.00"))]
    assert month.entitlement(FLAT_2).members == 4


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "member"),
    [
        (date(2026, 11, 2), None, False),  # from after the reference date
        (date(2022, 4, 1), date(2026, 10, 31), False),  # ended before it
        (date(2022, 4, 1), date(2026, 11, 1), True),
    ],
)
def test_temporary_protection_must_be_valid_on_the_reference_date(registers, valid_from, valid_to, member):
    registers.population(resident(HOLDER, date(1970, 1, 1)))
    registers.temporary_protection((REFUGEE, date(1985, 5, 5), FLAT_1, valid_from, valid_to))
    registers.social_status((REFUGEE, "needy", date(2026, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == (NEEDY_AT_FLAT_1 if member else [])


def test_person_without_an_address_is_in_no_household_and_is_counted(registers):
    registers.population(resident(HOLDER, date(1970, 1, 1), None), resident(FLATMATE, date(1971, 1, 1)))
    registers.social_status((HOLDER, "needy", date(2026, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == []
    assert month.amounts() == {}
    assert month.summary.persons_without_address == 1
    assert month.summary.households == 1  # FLATMATE's


def test_group_i_person_without_an_address_is_not_silently_dropped(registers):
    registers.population(resident(HOLDER, date(1950, 1, 1), None))
    registers.disability((HOLDER, "1", date(2010, 1, 1)))

    month = run_month(NOV_2026)

    unit = month.unit("group_i_disability", HOLDER)
    assert not unit.granted
    assert unit.amount_eur == Decimal("0.00")
    assert unit.address is None
    assert month.amounts() == {}
    assert month.summary.persons_without_address == 1


def test_persons_without_address_are_all_counted(registers):
    registers.population(
        resident(HOLDER, date(1970, 1, 1), None),
        resident(FLATMATE, date(1971, 1, 1), None),
        resident(CHILD, date(2015, 1, 1), None),
        resident(code(300), date(1960, 1, 1)),
    )

    summary = run_month(NOV_2026).summary

    assert summary.persons_without_address == 3
    assert summary.households == 1


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "granted"),
    [
        (date(2026, 11, 2), None, False),  # from after the reference date
        (date(2025, 1, 1), date(2026, 10, 31), False),  # ended before it
        (date(2026, 11, 1), date(2026, 11, 1), True),  # exactly the reference date
        (date(2025, 1, 1), date(2026, 11, 30), True),
    ],
)
def test_status_record_must_be_valid_on_the_reference_date(registers, valid_from, valid_to, granted):
    registers.population(resident(HOLDER, date(1970, 1, 1)))
    registers.social_status((HOLDER, "needy", valid_from, valid_to))

    assert run_month(NOV_2026).granted() == (NEEDY_AT_FLAT_1 if granted else [])


@pytest.mark.parametrize(
    ("declared_from", "household"),
    [
        (date(2026, 10, 15), FLAT_2),  # moved before the reference date: the old residence ended
        (date(2026, 11, 1), FLAT_2),
        (date(2026, 11, 2), FLAT_1),  # the new residence is valid only from after it
    ],
)
def test_a_move_counts_from_its_declared_date(registers, declared_from, household):
    registers.population(
        resident(HOLDER, date(1970, 1, 1), FLAT_1, declared_from=date(2005, 1, 1)), as_of=date(2026, 9, 1)
    )
    registers.population(resident(HOLDER, date(1970, 1, 1), FLAT_2, declared_from=declared_from))
    registers.social_status((HOLDER, "needy", date(2026, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == [("needy_low_income", household, Decimal("20.00"))]
    assert month.summary.households == 1


def test_residence_declared_after_the_reference_date_is_no_household_yet(registers):
    # First known to the register with a residence from 2026-11-02: not a member in November.
    registers.population(
        resident(HOLDER, date(1970, 1, 1), FLAT_1, declared_from=date(2026, 11, 2)),
        resident(FLATMATE, date(1971, 1, 1), FLAT_2),
    )
    registers.social_status((HOLDER, "needy", date(2026, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == []
    assert month.summary.households == 1
    assert run_month(date(2026, 12, 1)).granted() == NEEDY_AT_FLAT_1


@pytest.mark.parametrize(
    ("died", "granted", "members"),
    [
        (date(2026, 10, 20), False, 1),  # died before the reference date: not a member
        (date(2026, 11, 15), True, 2),  # died later in the month: a member on the reference date
    ],
)
def test_a_person_who_died_before_the_reference_date_is_not_a_member(registers, died, granted, members):
    registers.population(resident(HOLDER, date(1940, 1, 1), died=died), resident(FLATMATE, date(1942, 1, 1)))
    registers.social_status((HOLDER, "needy", date(2026, 1, 1)))
    registers.disability((FLATMATE, "1", date(2015, 1, 1)))

    month = run_month(NOV_2026)

    expected = [("group_i_disability", FLAT_1, Decimal("20.00"))]
    if granted:
        expected = sorted([*expected, ("needy_low_income", FLAT_1, Decimal("20.00"))])
    assert month.granted() == expected
    assert month.entitlement(FLAT_1).members == members


def test_dead_group_i_person_gets_no_unit(registers):
    registers.population(
        resident(HOLDER, date(1940, 1, 1), died=date(2026, 9, 9)), resident(FLATMATE, date(1942, 1, 1))
    )
    registers.disability((HOLDER, "1", date(2015, 1, 1)))

    month = run_month(NOV_2026)

    assert [u for u in month.units("group_i_disability") if u.granted] == []
    assert month.amounts() == {}
