"""``GET /api/v1/months/{YYYY-MM}/adjustments/``: November 2026 re-run after CHILD_1's disability
arrived, so C-1 goes from 25.00 to 45.00 (+20.00); the sub-users' lines did not change."""

from datetime import date

import pytest

from aldis.organisations.models import OrganisationKind
from audit.models import AuditEvent
from tests.eligibility.api.conftest import CHILD_1, NOV_2026, compute, family, token_client, url


@pytest.fixture
def world(registers):
    family(registers)
    compute(NOV_2026)
    registers.disability((CHILD_1, "child", date(2020, 1, 1)))
    compute(NOV_2026)
    return registers


@pytest.fixture
def trader(world):
    return token_client(world.trader_a)


def test_the_trader_gets_signed_corrections(trader):
    response = trader.get(url("adjustments"))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "next": None,
        "results": [
            {
                "contract_no": "C-1",
                "sub_user_code": "",
                "previous_amount_eur": "25.00",
                "amount_eur": "45.00",
                "delta_eur": "20.00",
                "version": 2,
                "previous_version": 1,
            }
        ],
    }
    event = AuditEvent.objects.get(action="list.pull")
    assert (event.data["list"], event.data["version"], event.data["rows"]) == ("adjustments", 2, 1)


def test_csv_agrees(trader):
    response = trader.get(url("adjustments"), HTTP_ACCEPT="text/csv")

    assert b"".join(response.streaming_content).decode().splitlines() == [
        "contract_no,sub_user_code,previous_amount_eur,amount_eur,delta_eur,version,previous_version",
        "C-1,,25.00,45.00,20.00,2,1",
    ]


def test_a_first_version_has_none(registers):
    family(registers)
    compute(NOV_2026)

    response = token_client(registers.trader_a).get(url("adjustments"))

    assert response.json() == {"next": None, "results": []}


def test_another_trader_sees_none(world, api_as):
    other, _ = api_as(OrganisationKind.TRADER)

    assert other.get(url("adjustments")).json() == {"next": None, "results": []}


def test_wrong_kind_403_bad_month_400_not_computed_404(world, trader, api_as):
    dso, _ = api_as(OrganisationKind.ELECTRICITY_DSO)

    assert dso.get(url("adjustments")).status_code == 403
    assert trader.get(url("adjustments", "2026-00")).status_code == 400
    assert trader.get(url("adjustments", "2027-01")).json()["error"]["code"] == "month_not_computed"
