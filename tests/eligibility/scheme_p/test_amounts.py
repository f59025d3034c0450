"""Scheme P categories and amounts (DOMAIN: Scheme P, Amounts table): units add up, per-child
and per-person units count each, and each month reads the rate valid on its first day."""

from datetime import date
from decimal import Decimal

import pytest

from tests.eligibility.scheme_p.conftest import FLAT_1, FLAT_2, NOV_2026, code, resident, run_month

ADULT = code(100)
SECOND_ADULT = code(101)
CHILD_1 = code(200)
CHILD_2 = code(201)
CHILD_3 = code(202)


def large_family(registers, *, disabled: tuple[str, ...] = ()) -> None:
    """A parent and three children under 18 (in every month tested, 2021-2026) at FLAT_1."""
    registers.population(
        resident(ADULT, date(1980, 3, 4)),
        resident(CHILD_1, date(2012, 5, 6)),
        resident(CHILD_2, date(2014, 7, 8)),
        resident(CHILD_3, date(2016, 9, 10)),
    )
    registers.relations(
        *((ADULT, child, "parent", date(2016, 9, 10)) for child in (CHILD_1, CHILD_2, CHILD_3))
    )
    if disabled:
        registers.disability(*((child, "child", date(2020, 1, 1)) for child in disabled))


def test_needy_status_gives_one_unit_of_20_in_november_2026(registers):
    registers.population(resident(ADULT, date(1970, 1, 1)), resident(SECOND_ADULT, date(1972, 2, 2)))
    registers.social_status((ADULT, "needy", date(2026, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == [("needy_low_income", FLAT_1, Decimal("20.00"))]
    assert month.amounts() == {FLAT_1: Decimal("20.00")}
    assert month.entitlement(FLAT_1).members == 2


def test_low_income_status_is_the_same_category(registers):
    registers.population(resident(ADULT, date(1970, 1, 1)))
    registers.social_status((ADULT, "low_income", date(2026, 1, 1)))

    assert run_month(NOV_2026).amounts() == {FLAT_1: Decimal("20.00")}


def test_needy_unit_is_once_per_household_however_many_members_hold_a_status(registers):
    registers.population(resident(ADULT, date(1970, 1, 1)), resident(SECOND_ADULT, date(1972, 2, 2)))
    registers.social_status(
        (ADULT, "needy", date(2026, 1, 1)),
        (SECOND_ADULT, "low_income", date(2026, 1, 1)),
        (SECOND_ADULT, "needy", date(2026, 3, 1)),
    )

    month = run_month(NOV_2026)

    assert month.granted() == [("needy_low_income", FLAT_1, Decimal("20.00"))]
    assert month.amounts() == {FLAT_1: Decimal("20.00")}


def test_large_family_gives_25_in_november_2026(registers):
    large_family(registers)

    month = run_month(NOV_2026)

    assert month.granted() == [("large_family", FLAT_1, Decimal("25.00"))]
    assert month.amounts() == {FLAT_1: Decimal("25.00")}
    assert month.entitlement(FLAT_1).members == 4


def test_two_disabled_children_are_two_units_of_20(registers):
    registers.population(
        resident(ADULT, date(1980, 3, 4)),
        resident(CHILD_1, date(2012, 5, 6)),
        resident(CHILD_2, date(2014, 7, 8)),
    )
    registers.relations(
        (ADULT, CHILD_1, "parent", date(2012, 5, 6)), (ADULT, CHILD_2, "parent", date(2014, 7, 8))
    )
    registers.disability((CHILD_1, "child", date(2020, 1, 1)), (CHILD_2, "child", date(2021, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == [
        ("disabled_child", FLAT_1, Decimal("20.00")),
        ("disabled_child", FLAT_1, Decimal("20.00")),
    ]
    assert {
        month.unit("disabled_child", CHILD_1).amount_eur,
        month.unit("disabled_child", CHILD_2).amount_eur,
    } == {Decimal("20.00")}
    assert month.amounts() == {FLAT_1: Decimal("40.00")}


def test_two_group_i_adults_are_two_units_of_20(registers):
    registers.population(resident(ADULT, date(1950, 1, 1)), resident(SECOND_ADULT, date(1955, 1, 1)))
    registers.disability((ADULT, "1", date(2015, 1, 1)), (SECOND_ADULT, "1", date(2019, 6, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == [
        ("group_i_disability", FLAT_1, Decimal("20.00")),
        ("group_i_disability", FLAT_1, Decimal("20.00")),
    ]
    assert month.unit("group_i_disability", ADULT).subject.personal_code == ADULT
    assert month.amounts() == {FLAT_1: Decimal("40.00")}


def test_disability_groups_ii_and_iii_give_nothing(registers):
    registers.population(resident(ADULT, date(1950, 1, 1)), resident(SECOND_ADULT, date(1955, 1, 1)))
    registers.disability((ADULT, "2", date(2015, 1, 1)), (SECOND_ADULT, "3", date(2019, 6, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == []
    assert month.amounts() == {}


@pytest.mark.parametrize(
    ("month", "large_family_eur", "disabled_child_eur", "total_eur"),
    [
        # The source's example: large family with a child with a disability, 20 + 15 = 35.
        (date(2022, 1, 1), "20.00", "15.00", "35.00"),
        (date(2026, 11, 1), "25.00", "20.00", "45.00"),
        (date(2021, 10, 1), "10.00", "5.00", "15.00"),
    ],
)
def test_several_categories_add_up(registers, month, large_family_eur, disabled_child_eur, total_eur):
    large_family(registers, disabled=(CHILD_2,))

    computed = run_month(month)

    assert computed.granted() == sorted(
        [
            ("disabled_child", FLAT_1, Decimal(disabled_child_eur)),
            ("large_family", FLAT_1, Decimal(large_family_eur)),
        ]
    )
    assert computed.amounts() == {FLAT_1: Decimal(total_eur)}
    assert computed.summary.total_eur == Decimal(total_eur)


def test_all_four_categories_in_one_household_add_up(registers):
    large_family(registers, disabled=(CHILD_1,))
    registers.social_status((ADULT, "needy", date(2026, 1, 1)))
    # A group I grandparent joins the population register's snapshot.
    registers.population(
        resident(ADULT, date(1980, 3, 4)),
        resident(CHILD_1, date(2012, 5, 6)),
        resident(CHILD_2, date(2014, 7, 8)),
        resident(CHILD_3, date(2016, 9, 10)),
        resident(SECOND_ADULT, date(1945, 1, 1)),
    )
    registers.disability((CHILD_1, "child", date(2020, 1, 1)), (SECOND_ADULT, "1", date(2010, 1, 1)))

    month = run_month(NOV_2026)

    # 25 + 20 + 20 + 20
    assert month.amounts() == {FLAT_1: Decimal("85.00")}
    assert month.summary.units == {
        "large_family": 1,
        "disabled_child": 1,
        "needy_low_income": 1,
        "group_i_disability": 1,
    }


@pytest.mark.parametrize(
    ("before", "after", "before_eur", "after_eur"),
    [
        (date(2023, 7, 1), date(2023, 8, 1), "20.00", "25.00"),
        (date(2021, 10, 1), date(2021, 11, 1), "10.00", "20.00"),
    ],
)
def test_large_family_rate_changes_between_months(registers, before, after, before_eur, after_eur):
    large_family(registers)

    assert run_month(before).amounts() == {FLAT_1: Decimal(before_eur)}
    assert run_month(after).amounts() == {FLAT_1: Decimal(after_eur)}


@pytest.mark.parametrize(
    ("month", "eur"),
    [
        (date(2021, 10, 1), "5.00"),
        (date(2021, 11, 1), "15.00"),
        (date(2023, 7, 1), "15.00"),
        (date(2023, 8, 1), "20.00"),
    ],
)
def test_needy_rate_by_month(registers, month, eur):
    registers.population(resident(ADULT, date(1970, 1, 1)))
    registers.social_status((ADULT, "needy", date(2021, 1, 1)))

    assert run_month(month).amounts() == {FLAT_1: Decimal(eur)}


def test_each_household_gets_its_own_units(registers):
    registers.population(resident(ADULT, date(1970, 1, 1)), resident(SECOND_ADULT, date(1950, 1, 1), FLAT_2))
    registers.social_status((ADULT, "needy", date(2026, 1, 1)))
    registers.disability((SECOND_ADULT, "1", date(2010, 1, 1)))

    month = run_month(NOV_2026)

    assert month.amounts() == {FLAT_1: Decimal("20.00"), FLAT_2: Decimal("20.00")}
    assert month.summary.households == 2
    assert month.summary.entitled_households == 2
    assert month.summary.total_eur == Decimal("40.00")


@pytest.mark.parametrize("group", ["child", "1", "2", "3"])
def test_a_child_under_18_with_any_disability_record_is_a_disabled_child(registers, group):
    registers.population(resident(ADULT, date(1980, 3, 4)), resident(CHILD_1, date(2012, 5, 6)))
    registers.relations((ADULT, CHILD_1, "parent", date(2012, 5, 6)))
    registers.disability((CHILD_1, group, date(2020, 1, 1)))

    month = run_month(NOV_2026)

    assert month.granted() == [("disabled_child", FLAT_1, Decimal("20.00"))]
    assert month.units("group_i_disability") == []


def test_a_child_with_two_disability_records_is_one_unit(registers):
    registers.population(resident(ADULT, date(1980, 3, 4)), resident(CHILD_1, date(2012, 5, 6)))
    registers.relations((ADULT, CHILD_1, "parent", date(2012, 5, 6)))
    registers.disability((CHILD_1, "child", date(2020, 1, 1)), (CHILD_1, "child", date(2025, 1, 1)))

    assert run_month(NOV_2026).amounts() == {FLAT_1: Decimal("20.00")}
