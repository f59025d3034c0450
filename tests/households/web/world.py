"""A small world for the person's pages, built through the feeds (the Scheme P helpers) and one
computed month, 2026-11, with its contract lines. "Today" is 2026-11-20 in Latvia.

* PARENT (FLAT_1) with three children under 18: a large family, 25.00 EUR, attributed to the
  parent's own contract C-1 at trader A (rule 2); the line's credited balance is 25.00.
* TENANT (FLAT_2), needy: 20.00 EUR, unattributed, no contract at the address.
* HOMELESS: in the population register without a declared address: no household.
* LONER (HOUSE_1): a household with no support (nothing).
* Energy aid: FLAT_1's Scheme E decision is written directly (eligible, 300.00 and 150.00 per
  member; the run's threshold 473.53 and share 0.30 come from the seeded parameters).

Amounts are written out by hand in the tests.
"""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from eligibility.models import EnergyAidDecision, MonthRun
from eligibility.services.lines import contract_lines_compute
from households import selectors
from households.auth import PERSON_SESSION_KEY
from households.models import Person
from tests.eligibility.scheme_p.conftest import (
    FLAT_1,
    FLAT_2,
    HOUSE_1,
    NOV_2026,
    Registers,
    address,
    code,
    person,
    resident,
    run_month_with,
)

TODAY = date(2026, 11, 20)
DEC_2026 = date(2026, 12, 1)
PARENT = code(100)
CHILD_1, CHILD_2, CHILD_3 = code(200), code(201), code(202)
TENANT = code(300)
HOMELESS = code(400)
LONER = code(500)
STRANGER = code(900)  # a valid code nobody has


def compute(month: date) -> MonthRun:
    """Scheme P and the contract lines for ``month``, as a done run."""
    return run_month_with(month, contract_lines_compute)


def build(registers: Registers) -> MonthRun:
    registers.population(
        resident(PARENT, date(1980, 3, 4)),
        resident(CHILD_1, date(2012, 5, 6)),
        resident(CHILD_2, date(2014, 7, 8)),
        resident(CHILD_3, date(2016, 9, 10)),
        resident(TENANT, date(1970, 1, 1), FLAT_2),
        resident(HOMELESS, date(1975, 1, 1), None),
        resident(LONER, date(1960, 1, 1), HOUSE_1),
    )
    registers.relations(
        *((PARENT, child, "parent", date(2016, 9, 10)) for child in (CHILD_1, CHILD_2, CHILD_3))
    )
    registers.social_status((TENANT, "needy", date(2026, 1, 1)))
    registers.contracts(registers.trader_a, ("C-1", PARENT, FLAT_1, date(2020, 1, 1)))
    run = compute(NOV_2026)
    EnergyAidDecision.objects.create(
        run=run,
        address=address(FLAT_1),
        members=4,
        income_per_member_eur=Decimal("300.00"),
        housing_per_member_eur=Decimal("150.00"),
        housing_reported=True,
        income_cents=1_440_000,  # 300.00 x 12 months x 4 members
        benefits_cents=0,
        housing_cents=720_000,  # 150.00 x 12 x 4
        housing_months=12,
        income_within_threshold=True,
        housing_share_met=True,
        sanctioned_members=0,
        eligible=True,
        reason="eligible",
    )
    return run


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """Fix "today" in Latvia for the selectors and services."""
    monkeypatch.setattr(selectors, "riga_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def world(registers: Registers, today: date) -> MonthRun:
    return build(registers)


def signed_in(client: Client, who: Person | str) -> Client:
    """``client`` with ``who`` (a person or a personal code) signed in on its session."""
    target = who if isinstance(who, Person) else person(who)
    session = client.session
    session[PERSON_SESSION_KEY] = target.pk
    session.save()
    return client


def texts(response: Any) -> str:
    return response.content.decode()
