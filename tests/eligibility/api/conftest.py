"""Worlds for the month endpoints, built through the real feeds and runs.

* ``registers`` (Scheme P, November 2026): ``family(registers)`` gives three recipients at trader
  A: the building contract B-100's two sub-users (needy tenants, 20.00 each) and contract C-1 of a
  parent of three (large family, 25.00); ``compute(month)`` runs Scheme P and the lines as a done
  version of the month.
* ``country`` (Scheme E): ``two_households(country)`` with every resource switched on; household 2
  (HOUSE_2) is eligible, household 1 is not.

``token_client(organisation)`` is an API client holding a fresh token of that organisation.
"""

from collections.abc import Callable
from datetime import date

from rest_framework.test import APIClient

from aldis.organisations.models import Organisation
from eligibility.models import MonthRun
from eligibility.services.lines import adjustment_lines_compute, contract_lines_compute
from tests.eligibility.scheme_e.conftest import country  # noqa: F401  (the fixture)
from tests.eligibility.scheme_p.conftest import (
    BUILDING,
    BUILDING_MANAGER_ORG,
    FLAT_1,
    FLAT_2,
    FLAT_3,
    code,
    registers,  # noqa: F401  (the fixture)
    resident,
    run_month_with,
)
from tests.feeds.conftest import write_csv  # noqa: F401  (a fixture the country needs)
from tests.organisations.factories import api_client_with_token

NOV_2026 = date(2026, 11, 1)
OCT_2026 = date(2026, 10, 1)
PARENT = code(100)
CHILD_1 = code(200)
CHILD_2 = code(201)
CHILD_3 = code(202)
TENANT = code(300)
OTHER_TENANT = code(301)
CHILDREN = (CHILD_1, CHILD_2, CHILD_3)


def token_client(organisation: Organisation) -> APIClient:
    _, token = api_client_with_token(organisation)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def family(registers) -> None:  # noqa: F811
    """Trader A's three recipients (see the module docstring)."""
    registers.population(
        resident(PARENT, date(1980, 3, 4)),
        resident(CHILD_1, date(2012, 5, 6)),
        resident(CHILD_2, date(2014, 7, 8)),
        resident(CHILD_3, date(2016, 9, 10)),
        resident(TENANT, date(1970, 1, 1), FLAT_2),
        resident(OTHER_TENANT, date(1971, 1, 1), FLAT_3),
    )
    registers.relations(*((PARENT, child, "parent", date(2016, 9, 10)) for child in CHILDREN))
    registers.social_status((TENANT, "needy", date(2026, 1, 1)), (OTHER_TENANT, "needy", date(2026, 1, 1)))
    registers.contracts(
        registers.trader_a,
        ("C-1", PARENT, FLAT_1, date(2020, 1, 1)),
        ("B-100", BUILDING_MANAGER_ORG, BUILDING, date(2005, 1, 1), None, "building"),
    )
    registers.sub_users(
        registers.trader_a,
        (TENANT, "B-100", FLAT_2, date(2024, 5, 5)),
        (OTHER_TENANT, "B-100", FLAT_3, date(2024, 5, 5)),
    )


def compute(month: date) -> MonthRun:
    """Scheme P, the lines and the adjustments for ``month``, as a done run (the next version of the month)."""
    return run_month_with(month, contract_lines_compute, adjustment_lines_compute)


Url = Callable[..., str]


def url(name: str, month: str = "2026-11") -> str:
    return f"/api/v1/months/{month}/{name}/"
