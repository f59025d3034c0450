"""Contest decisions and counted-child marks: a family built through the feeds with the Scheme P
helpers, November 2026 computed once (version 1), a staff user to act.

The family: a parent with three children at flat 1, contract A-1 at trader A. Two children are
under 18 and the third, 19, studies abroad (no education record here), so version 1 counts two
children and grants nothing; a counted-child mark for the third makes a large family (25.00 in
November 2026)."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from eligibility.models import MonthRun
from households.models import ContestCase, ContestItem, Person
from tests.eligibility.scheme_p.conftest import (
    FLAT_1,
    NOV_2026,
    Registers,
    code,
    person,
    registers,  # noqa: F401  (the fixture)
    resident,
    run_month,
)

PARENT = code(100)
CHILD_1 = code(200)
CHILD_2 = code(201)
STUDENT = code(202)  # 19 in November 2026, studying abroad


@pytest.fixture
def family(registers: Registers) -> Registers:  # noqa: F811
    registers.population(
        resident(PARENT, date(1980, 3, 4)),
        resident(CHILD_1, date(2012, 5, 6)),
        resident(CHILD_2, date(2014, 7, 8)),
        resident(STUDENT, date(2007, 1, 2)),
    )
    registers.relations(
        (PARENT, CHILD_1, "parent", date(2012, 5, 6)),
        (PARENT, CHILD_2, "parent", date(2014, 7, 8)),
        (PARENT, STUDENT, "parent", date(2007, 1, 2)),
    )
    registers.contracts(registers.trader_a, ("A-1", PARENT, FLAT_1, date(2020, 1, 1)))
    return registers


@pytest.fixture
def version_1(family: Registers) -> MonthRun:
    return run_month(NOV_2026).run


@pytest.fixture
def parent(family: Registers) -> Person:
    return person(PARENT)


@pytest.fixture
def student(family: Registers) -> Person:
    return person(STUDENT)


@pytest.fixture
def case(version_1: MonthRun, parent: Person) -> ContestCase:
    return ContestCase.objects.create(
        person=parent,
        month=NOV_2026,
        run=version_1,
        item=ContestItem.HOUSEHOLD,
        text="My daughter studies in Tartu; she is still my child.",
    )


@pytest.fixture
def staff_user(db: None, django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="staff", is_staff=True)


@pytest.fixture
def executed(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[..., Any]:
    """``with executed(): ...``: the commit's callbacks (the eager month run) run."""

    def capture() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    return capture
