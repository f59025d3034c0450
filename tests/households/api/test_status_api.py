"""``POST /api/v1/status/`` for the state portal: the same content as the person's page."""

import re
from html import unescape

import pytest
from django.test import Client

from audit.models import AuditEvent
from households.models import PersonCode
from tests.eligibility.scheme_p.conftest import person
from tests.households.web.world import HOMELESS, PARENT, STRANGER, TENANT, signed_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/status/"


@pytest.fixture
def portal(api_as, world):
    # After the world: its organisations snapshot would end an organisation made before it.
    client, _organisation = api_as("portal")
    return client


def test_happy_path_in_latvian_by_default(portal, world):
    response = portal.post(URL, {"personal_code": PARENT}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "lv"
    assert body["next_run_month"] == "2026-12-01"
    month = body["months"][0]
    assert (month["month"], month["version"], month["erased_on"]) == ("2026-11-01", 1, "2028-12-01")
    assert month["amount_eur"] == "25.00"
    assert month["balance_eur"] == "25.00"
    assert month["balance_kind"] == "available"
    assert month["household"] == {
        "address": "Brīvības iela 1 - 1, Rīga",
        "members": 4,
        "source": "population",
        "source_text": "jūsu deklarētā adrese (Iedzīvotāju reģistrs)",
    }
    assert month["categories"] == [
        {
            "category": "large_family",
            "text": "Daudzbērnu ģimene (trīs vai vairāk bērni)",
            "units": 1,
            "amount_eur": "25.00",
            "reason": "granted",
            "reason_text": "Jūs saņemat šo atbalstu, jo zemāk minētais reģistrs to rāda mēneša pirmajā datumā.",
            "sources": [
                {
                    "source": "counted_children",
                    "text": "Iedzīvotāju reģistrs: vecāki, bērni un aizbildņi",
                    "valid_from": None,
                    "valid_to": None,
                    "children": 3,
                }
            ],
        }
    ]
    assert month["contract"]["contract_no"] == "C-1"
    assert month["contract"]["rule"] == 2
    aid = month["energy_aid"]
    assert (
        aid["eligible"],
        aid["income_per_member_eur"],
        aid["housing_per_member_eur"],
        aid["threshold_eur"],
    ) == (
        True,
        "300.00",
        "150.00",
        "473.53",
    )
    assert aid["housing_share"] == "0.3000"


def test_english_and_a_hyphenated_code(portal, world):
    code = f"{TENANT[:6]}-{TENANT[6:]}"
    body = portal.post(URL, {"personal_code": code, "language": "en"}, format="json").json()
    month = body["months"][0]
    assert month["amount_eur"] == "20.00"
    assert month["contract"] is None
    assert month["unattributed"]["reason"] == "no_contract"
    assert month["unattributed"]["what_to_do"].startswith("What to do: if you pay for electricity")


def test_no_household(portal, world):
    body = portal.post(URL, {"personal_code": HOMELESS, "language": "en"}, format="json").json()
    month = body["months"][0]
    assert month["household"] is None
    assert month["no_household"]["reason"] == "no_address"
    assert month["amount_eur"] == "0.00"


def test_a_previous_code_finds_the_person(portal, world):
    PersonCode.objects.create(code=STRANGER, person=person(PARENT))
    body = portal.post(URL, {"personal_code": STRANGER}, format="json").json()
    assert body["months"][0]["contract"]["contract_no"] == "C-1"


def test_the_lookup_is_audited_without_the_code(portal, world):
    portal.post(URL, {"personal_code": PARENT}, format="json")
    event = AuditEvent.objects.get(action="status.lookup")
    assert event.actor_type == "api_client"
    assert (event.target_type, event.target_id) == ("households.person", str(person(PARENT).pk))
    assert PARENT not in str(event.data)
    assert PARENT not in event.actor_id


@pytest.mark.parametrize("kind", ["trader", "municipality", "register", "electricity_dso"])
def test_other_organisation_kinds_are_refused(api_as, world, kind):
    client, _ = api_as(kind)
    response = client.post(URL, {"personal_code": PARENT}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not AuditEvent.objects.filter(action="status.lookup").exists()


def test_without_a_token_it_is_refused(api, world):
    assert api.post(URL, {"personal_code": PARENT}, format="json").status_code in (401, 403)


def test_an_unknown_person_is_404(portal, world):
    response = portal.post(URL, {"personal_code": STRANGER}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    event = AuditEvent.objects.get(action="status.lookup")
    assert (event.actor_type, event.data, event.target_id) == ("api_client", {"found": False}, "")
    assert STRANGER not in str(event.data)


@pytest.mark.parametrize(
    "body",
    [
        {"personal_code": "12345678901"},  # wrong check digit / impossible
        {"personal_code": "abc"},
        {"personal_code": ""},
        {},
        {"personal_code": PARENT, "language": "de"},
    ],
)
def test_bad_input_is_400_with_details(portal, world, body):
    response = portal.post(URL, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["details"]


def test_the_api_says_what_the_page_shows(portal, world):
    """Same selector output: the amounts, reasons, contract and what to do appear on the page."""
    for code in (PARENT, TENANT):
        body = portal.post(URL, {"personal_code": code, "language": "lv"}, format="json").json()
        page = unescape(signed_in(Client(), code).get("/status/").content.decode())
        page = re.sub(r"\s+", " ", page)
        month = body["months"][0]
        assert month["amount_eur"].replace(".", ",") + " EUR" in page
        assert month["household"]["address"] in page
        for category in month["categories"]:
            assert category["text"] in page
            assert category["reason_text"] in page
            for source in category["sources"]:
                assert source["text"] in page
        if month["contract"]:
            assert month["contract"]["contract_no"] in page
            assert month["contract"]["rule_text"] in page
            assert month["balance_eur"].replace(".", ",") + " EUR" in page
        if month["unattributed"]:
            assert month["unattributed"]["text"] in page
            assert month["unattributed"]["what_to_do"] in page
        if month["energy_aid"]:
            assert month["energy_aid"]["text"] in page
        assert body["erasure_rule_text"] in page


def test_it_is_in_the_openapi_schema_with_its_errors(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    import json

    schema = json.loads(response.content)
    operation = schema["paths"]["/api/v1/status/"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "403", "404"}
