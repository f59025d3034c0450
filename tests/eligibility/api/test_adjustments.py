"""``GET /api/v1/months/{YYYY-MM}/adjustments/``: November 2026 re-run after CHILD_1's disability
arrived, so C-1 goes from 25.00 to 45.00 (+20.00); the sub-users' lines did not change.

``?version=N``: November 2026 run three times, C-1 at 25.00, 65.00 (CHILD_1 and CHILD_2 disabled,
+40.00), then 45.00 (CHILD_2's record corrected to end in October, -20.00)."""

from datetime import date

import pytest

from aldis.organisations.models import OrganisationKind
from audit.models import AuditEvent
from eligibility.models import MonthRun, RunStatus
from tests.eligibility.api.conftest import CHILD_1, CHILD_2, NOV_2026, compute, family, token_client, url


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


# --- ``?version=N``: the corrections of a version that is no longer in force ---------------------


def c1(previous: str, amount: str, delta: str, version: int, previous_version: int) -> dict:
    return {
        "contract_no": "C-1",
        "sub_user_code": "",
        "previous_amount_eur": previous,
        "amount_eur": amount,
        "delta_eur": delta,
        "version": version,
        "previous_version": previous_version,
    }


V2 = c1("25.00", "65.00", "40.00", 2, 1)
V3 = c1("65.00", "45.00", "-20.00", 3, 2)


@pytest.fixture
def three_versions(registers):
    family(registers)
    compute(NOV_2026)  # v1: C-1 25.00
    registers.disability((CHILD_1, "child", date(2020, 1, 1)), (CHILD_2, "child", date(2021, 1, 1)))
    compute(NOV_2026)  # v2: C-1 65.00
    registers.disability(
        (CHILD_1, "child", date(2020, 1, 1)), (CHILD_2, "child", date(2021, 1, 1), date(2026, 10, 31))
    )
    compute(NOV_2026)  # v3: C-1 45.00
    return registers


@pytest.fixture
def catching_up(three_versions):
    return token_client(three_versions.trader_a)


def test_a_version_replaced_since_keeps_its_corrections(catching_up):
    earlier = catching_up.get(url("adjustments"), {"version": "2"})
    in_force = catching_up.get(url("adjustments"))

    assert earlier.status_code == 200, earlier.content
    assert earlier.json() == {"next": None, "results": [V2]}
    assert earlier["X-Version"] == "2"
    assert in_force.json() == {"next": None, "results": [V3]}
    assert in_force["X-Version"] == "3"
    assert catching_up.get(url("adjustments"), {"version": "3"}).json() == {"next": None, "results": [V3]}


def test_the_first_version_has_no_corrections(catching_up):
    response = catching_up.get(url("adjustments"), {"version": "1"})

    assert response.status_code == 200
    assert response.json() == {"next": None, "results": []}
    assert response["X-Version"] == "1"


@pytest.mark.parametrize("version", ["x", "-1", "2.0", "+2", " 2", "1e3", "\uff12", "1234567890"])
def test_a_version_that_is_not_a_number_is_400(catching_up, version):
    response = catching_up.get(url("adjustments"), {"version": version})

    assert response.status_code == 400
    body = response.json()["error"]
    assert (body["code"], list(body["details"])) == ("invalid", ["version"])
    assert set(body) == {"code", "message", "details"}


@pytest.mark.parametrize("version", ["9", "0", "4"])
def test_a_version_the_month_does_not_have_done_is_404(catching_up, version):
    # Version 4 is there but failed: the previous version stayed in force, it never was a list.
    MonthRun.objects.create(
        month=NOV_2026, version=4, status=RunStatus.FAILED, knowledge_batch=1, requested_by="test"
    )

    response = catching_up.get(url("adjustments"), {"version": version})

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "version_not_found",
        "message": f"Month 2026-11 has no version {version} that finished successfully.",
        "details": {"version": ["not a done version of 2026-11"]},
    }


def test_errors_about_the_version_are_json_even_when_csv_was_asked(catching_up):
    response = catching_up.get(url("adjustments"), {"version": "9"}, HTTP_ACCEPT="text/csv")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "version_not_found"


def test_another_trader_asking_for_a_version_sees_only_its_own(three_versions, api_as):
    other, _ = api_as(OrganisationKind.TRADER)

    for version in ("1", "2", "3"):
        response = other.get(url("adjustments"), {"version": version})
        assert response.status_code == 200
        assert response.json() == {"next": None, "results": []}


def test_the_pull_of_a_version_is_audited_with_it(catching_up):
    catching_up.get(url("adjustments"), {"version": "2"})
    catching_up.get(url("adjustments"))

    asked, in_force = AuditEvent.objects.filter(action="list.pull").order_by("seq")
    v2 = MonthRun.objects.get(month=NOV_2026, version=2)
    v3 = MonthRun.objects.get(month=NOV_2026, version=3)
    assert asked.data == {
        "list": "adjustments",
        "month": "2026-11",
        "run": v2.pk,
        "version": 2,
        "rows": 1,
        "format": "json",
        "version_asked": True,
    }
    assert (asked.target_id, in_force.target_id) == (str(v2.pk), str(v3.pk))
    assert in_force.data == {
        "list": "adjustments",
        "month": "2026-11",
        "run": v3.pk,
        "version": 3,
        "rows": 1,
        "format": "json",
    }


def test_csv_of_a_version(catching_up):
    response = catching_up.get(url("adjustments"), {"version": "2"}, HTTP_ACCEPT="text/csv")
    in_force = catching_up.get(url("adjustments"), HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert (response["X-Version"], response["X-Total-Count"]) == ("2", "1")
    assert response["Content-Disposition"] == 'attachment; filename="adjustments-2026-11-v2.csv"'
    assert b"".join(response.streaming_content).decode().splitlines() == [
        "contract_no,sub_user_code,previous_amount_eur,amount_eur,delta_eur,version,previous_version",
        "C-1,,25.00,65.00,40.00,2,1",
    ]
    assert b"".join(in_force.streaming_content).decode().splitlines()[1:] == ["C-1,,65.00,45.00,-20.00,3,2"]
    event = AuditEvent.objects.filter(action="list.pull").order_by("seq").first()
    assert (event.data["version"], event.data["format"], event.data["version_asked"]) == (2, "csv", True)


def test_a_version_and_the_version_in_force_are_kept_and_tagged_apart(catching_up):
    in_force = catching_up.get(url("adjustments"))
    earlier = catching_up.get(url("adjustments"), {"version": "2"})
    # Asked again, each from the kept pages: neither answer is the other's.
    assert catching_up.get(url("adjustments")).json()["results"] == [V3]
    assert catching_up.get(url("adjustments"), {"version": "2"}).json()["results"] == [V2]

    assert in_force["ETag"] != earlier["ETag"]
    assert catching_up.get(url("adjustments"), HTTP_IF_NONE_MATCH=earlier["ETag"]).status_code == 200
    not_modified = catching_up.get(url("adjustments"), {"version": "2"}, HTTP_IF_NONE_MATCH=earlier["ETag"])
    assert not_modified.status_code == 304
    last = AuditEvent.objects.filter(action="list.pull").order_by("-seq").first()
    assert (last.data["version"], last.data["not_modified"], last.data["version_asked"]) == (2, True, True)
