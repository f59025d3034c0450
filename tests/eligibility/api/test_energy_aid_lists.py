"""``eligible-objects`` (DSOs, heat suppliers, traders) and ``eligible-addresses`` (local
governments) for January 2025, every resource switched on: household 2 (HOUSE_2) is eligible,
household 1 is not (see ``tests/eligibility/scheme_e``)."""

from datetime import date

import pytest

from aldis.organisations.models import Organisation, OrganisationKind
from audit.models import AuditEvent
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
from tests.eligibility.scheme_e.test_outputs import ALL_ON, EIC_1, EIC_2, two_households
from tests.feeds.conftest import eic_code

JAN = "2025-01"
EIC_3 = eic_code("11XHOUSE0000003")


@pytest.fixture
def world(country):
    two_households(country)
    country.parameters(ALL_ON)
    country.run(date(2025, 1, 1))
    return country


def objects(country, org_code: str, **params) -> list[dict]:
    response = token_client(country.organisations[org_code]).get(url("eligible-objects", JAN), params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def obj(code: str, resource: str) -> dict:
    return {"object_code": code, "resource": resource, "address_code": HOUSE_2, "version": 1}


def test_each_party_gets_its_own_objects(world):
    # Electricity for heating is no object's: the local government handles it by address.
    assert objects(world, ELECTRICITY_DSO_ORG) == [obj(EIC_2, "electricity")]
    assert objects(world, TRADER_ORG) == [obj(EIC_2, "electricity")]
    assert objects(world, GAS_DSO_ORG) == [obj("GAS-0002", "gas_heating")]
    assert objects(world, GAS_TRADER_ORG) == [obj("GAS-0002", "gas_heating")]
    assert objects(world, HEAT_ORG) == [obj("HEAT-0002", "district_heat")]


def test_objects_page_and_csv_agree(country):
    two_households(country)  # and a second meter at HOUSE_2, so that the list has two pages
    country.connections(
        ELECTRICITY_DSO_ORG,
        [
            (EIC_1, "electricity", HOUSE_1, TRADER_ORG),
            *((e, "electricity", HOUSE_2, TRADER_ORG) for e in (EIC_2, EIC_3)),
        ],
    )
    country.parameters(ALL_ON)
    country.run(date(2025, 1, 1))
    client = token_client(country.organisations[ELECTRICITY_DSO_ORG])
    first = client.get(url("eligible-objects", JAN), {"page_size": 1}).json()
    second = client.get(first["next"]).json()
    assert second["next"] is None
    paged = first["results"] + second["results"]

    response = client.get(url("eligible-objects", JAN), HTTP_ACCEPT="text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()

    assert lines[0] == "object_code,resource,address_code,version"
    assert lines[1:] == [f"{r['object_code']},{r['resource']},{r['address_code']},1" for r in paged]
    assert [e.data["rows"] for e in AuditEvent.objects.filter(action="list.pull").order_by("seq")] == [
        1,
        1,
        2,
    ]


def test_a_local_government_gets_its_territory_only(world):
    response = token_client(world.organisations[MUNICIPALITY_A_ORG]).get(url("eligible-addresses", JAN))

    assert response.status_code == 200
    assert sorted(response.json()["results"], key=lambda r: r["resource"]) == [
        {
            "address_code": HOUSE_2,
            "resource": "decentralised_fuel",
            "full_address": "Māja 2, A",
            "version": 1,
        },
        {
            "address_code": HOUSE_2,
            "resource": "electricity_heating",
            "full_address": "Māja 2, A",
            "version": 1,
        },
    ]
    other = token_client(world.organisations[MUNICIPALITY_B_ORG]).get(url("eligible-addresses", JAN))
    assert other.json() == {"next": None, "results": []}


def test_a_changed_territory_is_a_changed_list(world):
    municipality_a, municipality_b = (
        world.organisations[c] for c in (MUNICIPALITY_A_ORG, MUNICIPALITY_B_ORG)
    )
    client = token_client(municipality_a)
    first = client.get(url("eligible-addresses", JAN))
    assert len(first.json()["results"]) == 2

    # Territory B passes to A's organisation (B's ends): neither a 304 nor a kept page of A's
    # old territory may answer.
    Organisation.objects.filter(pk=municipality_b.pk).update(is_active=False)
    Organisation.objects.filter(pk=municipality_a.pk).update(
        municipality_code=municipality_b.municipality_code
    )
    second = client.get(url("eligible-addresses", JAN), HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    assert second.json() == {"next": None, "results": []}


def test_addresses_csv(world):
    client = token_client(world.organisations[MUNICIPALITY_A_ORG])

    response = client.get(url("eligible-addresses", JAN) + "?format=csv")

    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "address_code,resource,full_address,version"
    assert sorted(lines[1:]) == [
        f'{HOUSE_2},decentralised_fuel,"Māja 2, A",1',
        f'{HOUSE_2},electricity_heating,"Māja 2, A",1',
    ]


def test_another_party_of_the_same_kind_sees_nothing(world, api_as):
    dso, _ = api_as(OrganisationKind.ELECTRICITY_DSO)
    municipality, _ = api_as(OrganisationKind.MUNICIPALITY)

    assert dso.get(url("eligible-objects", JAN)).json() == {"next": None, "results": []}
    assert municipality.get(url("eligible-addresses", JAN)).json() == {"next": None, "results": []}


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("eligible-objects", "municipality"),
        ("eligible-objects", "portal"),
        ("eligible-addresses", "trader"),
        ("eligible-addresses", "electricity_dso"),
    ],
)
def test_wrong_kinds_are_refused(world, api_as, path, kind):
    client, _ = api_as(kind)

    assert client.get(url(path, JAN)).status_code == 403


def test_bad_input(world):
    client = token_client(world.organisations[HEAT_ORG])

    assert client.get(url("eligible-objects", "2025-1")).status_code == 400
    assert client.get(url("eligible-objects", JAN), {"cursor": "x"}).status_code == 400
    assert client.get(url("eligible-objects", "2025-02")).json()["error"]["code"] == "month_not_computed"
