"""Counted children (DOMAIN: Scheme P, Counted child) seen through the large-family unit: an adult
with three counted children on the reference date (2026-11-01) makes the household a large
family (25.00); with only two, there is no large-family unit at all."""

from datetime import date
from decimal import Decimal

import pytest

from tests.eligibility.scheme_p.conftest import FLAT_1, FLAT_2, NOV_2026, code, resident, run_month

PARENT = code(100)
OTHER_PARENT = code(101)
YOUNG_1 = code(200)  # born 2015
YOUNG_2 = code(201)  # born 2017
THIRD = code(300)  # the child each test is about

LARGE_FAMILY = [("large_family", FLAT_1, Decimal("25.00"))]


def two_young_children_and(
    registers, third_born: date, relation: str = "parent", *, died: date | None = None
):
    """PARENT at FLAT_1 with two children under 18 and a third one (``relation``) born ``third_born``."""
    registers.population(
        resident(PARENT, date(1975, 1, 1)),
        resident(YOUNG_1, date(2015, 4, 4)),
        resident(YOUNG_2, date(2017, 5, 5)),
        resident(THIRD, third_born, died=died),
    )
    registers.relations(
        (PARENT, YOUNG_1, "parent", date(2015, 4, 4)),
        (PARENT, YOUNG_2, "parent", date(2017, 5, 5)),
        (PARENT, THIRD, relation, date(2010, 1, 1)),
    )


def large_family_units(month) -> list[tuple[str, str, Decimal]]:
    return [row for row in month.granted() if row[0] == "large_family"]


def test_two_counted_children_are_not_a_large_family(registers):
    registers.population(
        resident(PARENT, date(1975, 1, 1)),
        resident(YOUNG_1, date(2015, 4, 4)),
        resident(YOUNG_2, date(2017, 5, 5)),
    )
    registers.relations(
        (PARENT, YOUNG_1, "parent", date(2015, 4, 4)), (PARENT, YOUNG_2, "parent", date(2017, 5, 5))
    )

    month = run_month(NOV_2026)

    assert month.units("large_family") == []
    assert month.amounts() == {}


@pytest.mark.parametrize(
    ("born", "counted"),
    [
        (date(2008, 11, 2), True),  # 17 on 2026-11-01: turns 18 the next day
        (date(2008, 11, 1), False),  # turns 18 on the reference date itself
        (date(2008, 10, 31), False),
    ],
)
def test_under_18_on_the_reference_date(registers, born, counted):
    two_young_children_and(registers, born)

    assert run_month(NOV_2026).granted() == (LARGE_FAMILY if counted else [])


@pytest.mark.parametrize("relation", ["parent", "adoptive"])
@pytest.mark.parametrize(
    ("education", "counted"),
    [
        ((date(2025, 9, 1), None), True),
        ((date(2026, 9, 1), date(2027, 6, 30)), True),
        ((date(2026, 11, 1), date(2026, 11, 1)), True),  # valid exactly on the reference date
        ((date(2022, 9, 1), date(2026, 10, 31)), False),  # ended the day before
        ((date(2026, 11, 2), None), False),  # starts the day after
        (None, False),
    ],
)
def test_natural_or_adopted_child_of_19_counts_only_in_education(registers, relation, education, counted):
    two_young_children_and(registers, date(2007, 5, 5), relation)
    if education:
        registers.education((THIRD, "higher", *education))

    assert run_month(NOV_2026).granted() == (LARGE_FAMILY if counted else [])


@pytest.mark.parametrize("relation", ["foster", "guardian"])
def test_foster_or_guardian_child_of_19_in_education_does_not_count(registers, relation):
    two_young_children_and(registers, date(2007, 5, 5), relation)
    registers.education((THIRD, "higher", date(2025, 9, 1)))

    assert run_month(NOV_2026).granted() == []


@pytest.mark.parametrize(
    ("born", "counted"),
    [
        (date(2002, 11, 2), True),  # 23 on the reference date
        (date(2002, 11, 1), False),  # turns 24 on the reference date
        (date(2001, 3, 3), False),  # 25
    ],
)
def test_student_of_24_does_not_count(registers, born, counted):
    two_young_children_and(registers, born)
    registers.education((THIRD, "higher", date(2021, 9, 1)))

    assert run_month(NOV_2026).granted() == (LARGE_FAMILY if counted else [])


@pytest.mark.parametrize("relation", ["foster", "guardian"])
def test_foster_or_guardian_child_under_18_counts(registers, relation):
    two_young_children_and(registers, date(2010, 6, 1), relation)

    assert run_month(NOV_2026).granted() == LARGE_FAMILY


@pytest.mark.parametrize(
    ("mark", "counted"),
    [
        (None, False),
        ((date(2026, 6, 1), None), True),
        ((date(2026, 11, 1), date(2026, 11, 30)), True),
        ((date(2026, 6, 1), date(2026, 10, 31)), False),  # ended before the reference date
        ((date(2026, 12, 1), None), False),  # starts next month
    ],
)
def test_foster_youth_of_18_counts_only_when_staff_marked_it(registers, mark, counted):
    two_young_children_and(registers, date(2008, 6, 1), "foster")
    if mark:
        registers.mark(PARENT, THIRD, *mark)

    assert run_month(NOV_2026).granted() == (LARGE_FAMILY if counted else [])


def test_child_of_20_studying_abroad_counts_when_staff_marked_it(registers):
    # No education record in Latvia: the staff mark is what counts.
    two_young_children_and(registers, date(2006, 2, 2))
    registers.mark(PARENT, THIRD, date(2026, 9, 1), date(2027, 6, 30))

    assert run_month(NOV_2026).granted() == LARGE_FAMILY


@pytest.mark.parametrize(
    ("died", "counted"),
    [
        (date(2026, 10, 15), False),
        (date(2026, 11, 20), True),  # alive on the reference date
    ],
)
def test_a_dead_child_does_not_count(registers, died, counted):
    two_young_children_and(registers, date(2012, 8, 8), died=died)

    assert run_month(NOV_2026).granted() == (LARGE_FAMILY if counted else [])


def test_a_link_ended_before_the_reference_date_does_not_count(registers):
    registers.population(
        resident(PARENT, date(1975, 1, 1)),
        resident(YOUNG_1, date(2015, 4, 4)),
        resident(YOUNG_2, date(2017, 5, 5)),
        resident(THIRD, date(2012, 8, 8)),
    )
    registers.relations(
        (PARENT, YOUNG_1, "parent", date(2015, 4, 4)),
        (PARENT, YOUNG_2, "parent", date(2017, 5, 5)),
        (PARENT, THIRD, "guardian", date(2020, 1, 1), date(2026, 10, 31)),
    )

    assert run_month(NOV_2026).granted() == []
    assert run_month(date(2026, 10, 1)).granted() == LARGE_FAMILY


def test_a_link_from_after_the_reference_date_does_not_count_yet(registers):
    registers.population(
        resident(PARENT, date(1975, 1, 1)),
        resident(YOUNG_1, date(2015, 4, 4)),
        resident(YOUNG_2, date(2017, 5, 5)),
        resident(THIRD, date(2012, 8, 8)),
    )
    registers.relations(
        (PARENT, YOUNG_1, "parent", date(2015, 4, 4)),
        (PARENT, YOUNG_2, "parent", date(2017, 5, 5)),
        (PARENT, THIRD, "adoptive", date(2026, 11, 2)),
    )

    assert run_month(NOV_2026).granted() == []
    assert run_month(date(2026, 12, 1)).granted() == LARGE_FAMILY


def test_three_children_through_different_relations_make_a_large_family(registers):
    registers.population(
        resident(PARENT, date(1975, 1, 1)),
        resident(YOUNG_1, date(2015, 4, 4)),
        resident(YOUNG_2, date(2017, 5, 5)),
        resident(THIRD, date(2012, 8, 8)),
    )
    registers.relations(
        (PARENT, YOUNG_1, "parent", date(2015, 4, 4)),
        (PARENT, YOUNG_2, "adoptive", date(2019, 5, 5)),
        (PARENT, THIRD, "guardian", date(2020, 1, 1)),
    )

    assert run_month(NOV_2026).granted() == LARGE_FAMILY


def test_one_child_linked_twice_counts_once(registers):
    registers.population(
        resident(PARENT, date(1975, 1, 1)),
        resident(YOUNG_1, date(2015, 4, 4)),
        resident(YOUNG_2, date(2017, 5, 5)),
    )
    registers.relations(
        (PARENT, YOUNG_1, "parent", date(2015, 4, 4)),
        (PARENT, YOUNG_2, "parent", date(2017, 5, 5)),
        (PARENT, YOUNG_2, "guardian", date(2020, 1, 1)),
    )

    assert run_month(NOV_2026).granted() == []


def test_counted_children_need_not_live_with_the_adult(registers):
    registers.population(
        resident(PARENT, date(1975, 1, 1)),
        resident(YOUNG_1, date(2015, 4, 4), FLAT_2),
        resident(YOUNG_2, date(2017, 5, 5), FLAT_2),
        resident(THIRD, date(2012, 8, 8), FLAT_2),
    )
    registers.relations(*((PARENT, child, "parent", date(2015, 4, 4)) for child in (YOUNG_1, YOUNG_2, THIRD)))

    assert run_month(NOV_2026).granted() == LARGE_FAMILY


def test_two_parents_in_different_households_each_qualify_for_their_own(registers):
    registers.population(
        resident(PARENT, date(1975, 1, 1), FLAT_1),
        resident(OTHER_PARENT, date(1976, 1, 1), FLAT_2),
        resident(YOUNG_1, date(2015, 4, 4), FLAT_1),
        resident(YOUNG_2, date(2017, 5, 5), FLAT_1),
        resident(THIRD, date(2012, 8, 8), FLAT_1),
    )
    registers.relations(
        *(
            (adult, child, "parent", date(2012, 8, 8))
            for adult in (PARENT, OTHER_PARENT)
            for child in (YOUNG_1, YOUNG_2, THIRD)
        )
    )

    month = run_month(NOV_2026)

    assert month.granted() == [
        ("large_family", FLAT_1, Decimal("25.00")),
        ("large_family", FLAT_2, Decimal("25.00")),
    ]
    assert month.amounts() == {FLAT_1: Decimal("25.00"), FLAT_2: Decimal("25.00")}


def test_two_parents_in_one_household_are_one_large_family_unit(registers):
    registers.population(
        resident(PARENT, date(1975, 1, 1)),
        resident(OTHER_PARENT, date(1976, 1, 1)),
        resident(YOUNG_1, date(2015, 4, 4)),
        resident(YOUNG_2, date(2017, 5, 5)),
        resident(THIRD, date(2012, 8, 8)),
    )
    registers.relations(
        *(
            (adult, child, "parent", date(2012, 8, 8))
            for adult in (PARENT, OTHER_PARENT)
            for child in (YOUNG_1, YOUNG_2, THIRD)
        )
    )

    month = run_month(NOV_2026)

    assert month.granted() == LARGE_FAMILY
    assert month.amounts() == {FLAT_1: Decimal("25.00")}
