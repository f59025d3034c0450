"""``POST /api/v1/months/{YYYY-MM}/claims/`` for January 2025, every resource switched on and a
local government's administrative cost of 1.50 per examined submission: household 2 (HOUSE_2,
municipality A) is eligible, household 1 is not. Caps: electricity 8.00, gas for heating 110.00.

Who claims follows the Law, Section 4: the trader supplying an object (electricity, gas for
heating), the heat supplier (district heat), the local government (electricity for heating,
decentralised fuel); the distribution system operators claim nothing."""

import json
from datetime import date
from decimal import Decimal

import pytest

from aldis.organisations.models import OrganisationKind
from audit.models import AuditEvent
from compensation.models import ClaimLine, Scheme, Submission
from compensation.services.statements import statement_approve, statement_prepare
from tests.compensation.statements.conftest import staff_user
from tests.eligibility.api.conftest import token_client, url
from tests.eligibility.scheme_e.conftest import (
    ELECTRICITY_DSO_ORG,
    GAS_DSO_ORG,
    GAS_TRADER_ORG,
    HEAT_ORG,
    HOUSE_1,
    HOUSE_2,
    MUNICIPALITY_A_ORG,
    MUNICIPALITY_B_ORG,
    TRADER_ORG,
)
from tests.eligibility.scheme_e.test_outputs import ALL_ON, EIC_2, two_households
from tests.feeds.conftest import eic_code

EIC_1 = eic_code("11XHOUSE0000011")
CLAIMS = url("claims", "2025-01")


@pytest.fixture
def world(country):
    two_households(country)
    country.parameters([*ALL_ON, ("e_admin_cost_eur", "2024-12-01", "1.50")])
    country.run(date(2025, 1, 1))
    return country


def client_of(world, org_code):
    return token_client(world.organisations[org_code])


def post(client, body, *, key: str = "", path: str = CLAIMS):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.generic("POST", path, json.dumps(body), content_type="application/json", **headers)


def claim(resource, lines, total, vat="21.00"):
    return {"resource": resource, "vat_rate": vat, "total_eur": total, "lines": lines}


def obj(code, aid):
    return {"object_code": code, "aid_eur": aid}


def test_the_supplying_trader_claims_per_object(world):
    trader = client_of(world, TRADER_ORG)

    response = post(trader, claim("electricity", [obj(EIC_2, "8.00"), obj(EIC_1, "8.00")], "16.00"))

    assert response.status_code == 201, response.content
    submission = Submission.objects.get()
    assert response.json() == {
        "submission": submission.pk,
        "month": "2025-01",
        "version": 1,
        "resource": "electricity",
        "vat_rate": "21.00",
        "cap_checked": True,
        "accepted": [{"line": 1, "object_code": EIC_2, "aid_eur": "8.00"}],
        "rejected": [
            {
                "line": 2,
                "object_code": EIC_1,
                "aid_eur": "8.00",
                "reason": "not_eligible",
                "message": "Not eligible in this month for this resource and party.",
            }
        ],
        "totals": {
            "lines": 2,
            "accepted": 1,
            "rejected": 1,
            "claimed_eur": "16.00",
            "accepted_eur": "8.00",
            "rejected_eur": "8.00",
            "admin_cost_eur": None,
        },
    }
    assert (submission.kind, str(submission.vat_rate), str(submission.claimed_eur)) == (
        "claim",
        "21.00",
        "16.00",
    )
    assert list(ClaimLine.objects.order_by("line_no").values_list("object_code", "accepted", "reason")) == [
        (EIC_2, True, ""),
        (EIC_1, False, "not_eligible"),
    ]
    event = AuditEvent.objects.get(action="claim.submit")
    assert (event.data["accepted"], event.data["rejected"], event.data["accepted_eur"]) == (1, 1, "8.00")


def test_caps_and_duplicates(world):
    trader = client_of(world, TRADER_ORG)
    above = post(trader, claim("electricity", [obj(EIC_2, "8.01")], "8.01")).json()
    assert above["rejected"][0]["reason"] == "above_cap"
    assert above["rejected"][0]["message"] == "The aid is above the cap of 8.00 EUR per object per month."

    twice = post(trader, claim("electricity", [obj(EIC_2, "7.00"), obj(EIC_2, "1.00")], "8.00")).json()
    assert [(r["line"], r["reason"]) for r in twice["rejected"]] == [(2, "duplicate")]
    again = post(trader, claim("electricity", [obj(EIC_2, "1.00")], "1.00")).json()
    assert again["rejected"][0]["reason"] == "duplicate"


@pytest.mark.parametrize(
    ("org", "resource", "code"),
    [(ELECTRICITY_DSO_ORG, "electricity", EIC_2), (GAS_DSO_ORG, "gas_heating", "GAS-0002")],
)
def test_a_distribution_system_operator_claims_nothing(world, org, resource, code):
    """The trader applies the aid on the object the operator lists to it (Section 7(3)): were
    both paid, the State would pay one household's 8.00 twice."""
    response = post(client_of(world, org), claim(resource, [obj(code, "8.00")], "8.00"))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Submission.objects.exists()


def test_electricity_for_heating_is_the_local_government_s_alone(world):
    """The trader of EIC_2 cannot claim it (400); Municipality A claims HOUSE_2's 100.00."""
    trader = post(
        client_of(world, TRADER_ORG), claim("electricity_heating", [obj(EIC_2, "100.00")], "100.00")
    )
    municipality = post(
        client_of(world, MUNICIPALITY_A_ORG),
        {
            "resource": "electricity_heating",
            "submissions_examined": 1,
            "total_eur": "100.00",
            "lines": [{"address_code": HOUSE_2, "aid_eur": "100.00"}],
        },
    )

    assert trader.status_code == 400
    assert trader.json()["error"]["details"] == {
        "resource": ["a trader claims one of: electricity, gas_heating, district_heat"]
    }
    assert municipality.json()["totals"]["accepted_eur"] == "100.00"


def test_gas_has_a_cap_heat_has_none_aldis_can_check(world):
    gas = client_of(world, GAS_TRADER_ORG)
    heat = client_of(world, HEAT_ORG)

    over = post(gas, claim("gas_heating", [obj("GAS-0002", "110.01")], "110.01")).json()
    within = post(gas, claim("gas_heating", [obj("GAS-0002", "110.00")], "110.00")).json()
    district = post(heat, claim("district_heat", [obj("HEAT-0002", "500.00")], "500.00", vat="12.00")).json()

    assert over["rejected"][0]["reason"] == "above_cap"
    assert within["totals"]["accepted_eur"] == "110.00"
    assert (district["cap_checked"], district["totals"]["accepted_eur"]) == (False, "500.00")


def test_a_local_government_claims_aid_and_its_administrative_cost(world):
    municipality = client_of(world, MUNICIPALITY_A_ORG)
    body = {
        "resource": "electricity_heating",
        "submissions_examined": 3,
        "total_eur": "50.00",
        "lines": [
            {"address_code": HOUSE_2, "aid_eur": "30.00"},
            {"address_code": HOUSE_1, "aid_eur": "20.00"},
        ],
    }

    response = post(municipality, body)

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["submissions_examined"] == 3
    assert answer["accepted"] == [{"line": 1, "address_code": HOUSE_2, "aid_eur": "30.00"}]
    assert answer["rejected"][0]["reason"] == "not_eligible"
    assert answer["totals"]["admin_cost_eur"] == "4.50"  # 3 x 1.50
    submission = Submission.objects.get()
    assert (submission.submissions_examined, str(submission.admin_cost_eur)) == (3, "4.50")

    other = client_of(world, MUNICIPALITY_B_ORG)
    elsewhere = post(other, {**body, "lines": body["lines"][:1], "total_eur": "30.00"}).json()
    assert elsewhere["rejected"][0]["reason"] == "not_eligible"


def electricity_heating(examined, *lines):
    total = sum((Decimal(aid) for _, aid in lines), Decimal("0.00"))
    return {
        "resource": "electricity_heating",
        "submissions_examined": examined,
        "total_eur": f"{total:.2f}",
        "lines": [{"address_code": code, "aid_eur": aid} for code, aid in lines],
    }


def test_a_claim_sent_twice_earns_its_administrative_cost_once(world, django_user_model):
    """Municipality A re-sends its claim without a key: the second is a repeat of the first, so
    the statement is 30.00 + 3 x 1.50 = 34.50 (not 30.00 + 9.00 for the claim counted twice)."""
    municipality = client_of(world, MUNICIPALITY_A_ORG)
    body = electricity_heating(3, (HOUSE_2, "30.00"))

    first = post(municipality, body)
    again = post(municipality, body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Submission.objects.count() == 1
    assert ClaimLine.objects.count() == 1
    statement = statement_prepare(
        organisation=world.organisations[MUNICIPALITY_A_ORG],
        month=date(2025, 1, 1),
        scheme=Scheme.ENERGY_AID,
        actor=staff_user(django_user_model, "maker"),
    )
    assert (statement.accepted_eur, statement.admin_cost_eur, statement.total_eur) == (
        Decimal("30.00"),
        Decimal("4.50"),
        Decimal("34.50"),
    )
    event = AuditEvent.objects.get(action="claim.submit.replay")
    assert event.data == {
        "month": "2025-01",
        "submission": first.json()["submission"],
        "matched": "request_body",
    }


def test_a_month_whose_energy_aid_statement_is_approved_takes_no_more_claims(world, django_user_model):
    municipality = client_of(world, MUNICIPALITY_A_ORG)
    trader = client_of(world, TRADER_ORG)
    first = post(municipality, electricity_heating(1, (HOUSE_2, "30.00")))
    statement = statement_prepare(
        organisation=world.organisations[MUNICIPALITY_A_ORG],
        month=date(2025, 1, 1),
        scheme=Scheme.ENERGY_AID,
        actor=staff_user(django_user_model, "maker"),
    )
    statement_approve(statement=statement, actor=staff_user(django_user_model, "checker"))

    late = post(municipality, electricity_heating(2, (HOUSE_2, "5.00")))

    assert late.status_code == 409, late.content
    assert late.json()["error"] == {
        "code": "statement_closed",
        "message": "The compensation statement for 2025-01 is already approved: nothing more can be "
        "reported for this month. Please contact the Bureau.",
        "details": {"month": "2025-01", "scheme": "energy_aid", "status": "approved"},
    }
    assert Submission.objects.count() == 1
    assert AuditEvent.objects.filter(action="claim.submit").count() == 1
    # A repeat of the first claim is still its answer; another party's month is not closed.
    assert post(municipality, electricity_heating(1, (HOUSE_2, "30.00"))).json() == first.json()
    assert post(trader, claim("electricity", [obj(EIC_2, "8.00")], "8.00")).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (claim("electricity", [obj(EIC_2, "8.00")], "9.00"), "total_eur"),
        (claim("decentralised_fuel", [obj(EIC_2, "8.00")], "8.00"), "resource"),
        (claim("electricity", [obj(EIC_2, "8.00")], "8.00", vat="150.00"), "vat_rate"),
        (claim("electricity", [obj(EIC_2, "8.001")], "8.00"), "lines"),
        (claim("electricity", [obj(EIC_2, "-1.00")], "-1.00"), "lines"),
        (claim("electricity", [], "0.00"), "lines"),
        ({"resource": "electricity", "total_eur": "8.00", "lines": [obj(EIC_2, "8.00")]}, "vat_rate"),
        ([obj(EIC_2, "8.00")], "non_field_errors"),
    ],
)
def test_a_bad_header_is_400_with_details(world, body, field):
    response = post(client_of(world, TRADER_ORG), body)

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]
    assert not Submission.objects.exists()


def test_a_resource_not_counting_in_the_month_is_400(world):
    world.run(date(2025, 5, 1))  # May: the heating resources do not count

    response = post(
        client_of(world, GAS_TRADER_ORG),
        claim("gas_heating", [obj("GAS-0002", "10.00")], "10.00"),
        path=url("claims", "2025-05"),
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "resource": ["gas_heating is not switched on (or does not count) in 2025-05"]
    }


def test_idempotency_key(world):
    trader = client_of(world, TRADER_ORG)
    body = claim("electricity", [obj(EIC_2, "8.00")], "8.00")

    first = post(trader, body, key="k-1")
    again = post(trader, body, key="k-1")
    other = post(trader, claim("electricity", [obj(EIC_2, "7.00")], "7.00"), key="k-1")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 422)
    assert again.json() == first.json()
    assert ClaimLine.objects.count() == 1


@pytest.mark.parametrize("kind", ["portal", "register", "electricity_dso", "gas_dso"])
def test_other_kinds_are_refused(world, api_as, kind):
    client, _ = api_as(kind)

    assert post(client, claim("electricity", [obj(EIC_2, "8.00")], "8.00")).status_code == 403


@pytest.mark.parametrize(
    ("kind", "resource", "code"),
    [
        (OrganisationKind.TRADER, "electricity", EIC_2),
        (OrganisationKind.HEAT_SUPPLIER, "district_heat", "HEAT-0002"),
    ],
)
def test_another_party_of_the_same_kind_gets_not_eligible(world, api_as, kind, resource, code):
    other, _ = api_as(kind)

    response = post(other, claim(resource, [obj(code, "8.00")], "8.00"))

    assert response.json()["rejected"][0]["reason"] == "not_eligible"


def test_month_errors(world):
    trader = client_of(world, TRADER_ORG)
    body = claim("electricity", [obj(EIC_2, "8.00")], "8.00")

    assert post(trader, body, path=url("claims", "25-01")).status_code == 400
    assert post(trader, body, path=url("claims", "2025-03")).json()["error"]["code"] == "month_not_computed"
