"""Token scoping by organisation kind, and the one error shape of INTERFACES §3."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from aldis.organisations.models import ApiClient
from aldis.organisations.services import api_client_revoke
from audit.models import AuditEvent
from audit.services import Actor
from tests.organisations.factories import OrganisationFactory, api_client_with_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.aldis.urls_kinds")]


def assert_error_shape(body: dict, code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_right_kind_is_served(api_as):
    client, organisation = api_as("trader")
    response = client.get("/t/traders/")
    assert response.status_code == 200
    assert response.json() == {"org": organisation.code}


@pytest.mark.parametrize(
    "kind", ["electricity_dso", "gas_dso", "heat_supplier", "municipality", "portal", "register"]
)
def test_wrong_kind_is_refused_with_403(api_as, kind):
    client, _ = api_as(kind)
    response = client.get("/t/traders/")
    assert response.status_code == 403
    assert_error_shape(response.json(), "permission_denied")


def test_a_view_that_names_no_kinds_refuses_everyone(api_as):
    client, _ = api_as("trader")
    assert client.get("/t/nobody/").status_code == 403


def test_no_token_is_401_with_challenge(api):
    response = api.get("/t/traders/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert_error_shape(response.json(), "not_authenticated")


@pytest.mark.parametrize("header", ["Token nosuchprefix.secret", "Token ", "Token a b", "Token \xff"])
def test_unknown_or_malformed_token_is_401(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/t/traders/")
    assert response.status_code == 401
    assert_error_shape(response.json(), "authentication_failed")


def test_right_prefix_wrong_secret_is_401():
    organisation = OrganisationFactory(kind="trader")
    client_row, _token = api_client_with_token(organisation)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {client_row.prefix}.wrong-secret")
    assert api.get("/t/traders/").status_code == 401


def test_revoked_token_is_401_and_revocation_is_audited():
    organisation = OrganisationFactory(kind="trader")
    client_row, token = api_client_with_token(organisation)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/t/traders/").status_code == 200

    assert api_client_revoke(client=client_row, actor=Actor.system("test")) is True
    assert api_client_revoke(client=client_row, actor=Actor.system("test")) is False

    response = api.get("/t/traders/")
    assert response.status_code == 401
    assert_error_shape(response.json(), "authentication_failed")
    assert AuditEvent.objects.filter(action="api_client.revoke", target_id=client_row.prefix).count() == 1


def test_token_of_an_ended_organisation_is_401():
    organisation = OrganisationFactory(kind="trader")
    _, token = api_client_with_token(organisation)
    organisation.is_active = False
    organisation.save()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/t/traders/").status_code == 401


def test_create_api_client_prints_the_token_once_and_stores_only_a_hash(capsys):
    organisation = OrganisationFactory(kind="municipality")
    call_command("create_api_client", organisation.code, "--name", "social services")
    token = capsys.readouterr().out.strip()
    stored = ApiClient.objects.get(organisation=organisation)
    assert token.startswith(stored.prefix + ".")
    assert token not in stored.hashed_key
    assert token not in stored.id
    assert stored.hashed_key.startswith("sha512$$")
    event = AuditEvent.objects.get(action="api_client.create")
    assert event.actor_type == "operator"
    assert token not in str(event.data)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/whoami/").json()["org_code"] == organisation.code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["40003521601", "--name", "x"], "wrong check digit"),
        (["40003521600", "--name", "x"], "No active organisation"),
        (["__ORG__", "--name", "   "], "name is required"),
    ],
)
def test_create_api_client_refuses_bad_input(args, message):
    from django.core.management.base import CommandError

    organisation = OrganisationFactory(kind="trader")
    args = [organisation.code if a == "__ORG__" else a for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("create_api_client", *args)
    assert not ApiClient.objects.exists()


def test_validation_error_is_400_with_field_details(api_as):
    client, _ = api_as("trader")
    response = client.post("/t/errors/", {"amount_eur": "12.345"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body, "invalid")
    assert "amount_eur" in body["error"]["details"]


def test_django_validation_error_is_400(api_as):
    client, _ = api_as("trader")
    response = client.post("/t/errors/?raise=django", {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"month": ["Month 2026-13 does not exist."]}


def test_application_error_keeps_its_code_and_details(api_as):
    client, _ = api_as("trader")
    response = client.post("/t/errors/?raise=application", {}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "run_in_progress",
            "message": "A run of 2026-11 is already in progress.",
            "details": {"month": "2026-11"},
        }
    }


def test_malformed_json_is_400_parse_error(api_as):
    client, _ = api_as("trader")
    response = client.generic("POST", "/t/errors/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert_error_shape(response.json(), "parse_error")


def test_wrong_method_is_405_in_the_error_shape(api_as):
    client, _ = api_as("trader")
    response = client.delete("/t/traders/")
    assert response.status_code == 405
    assert_error_shape(response.json(), "method_not_allowed")


def test_money_is_never_a_float(api_as):
    client, _ = api_as("trader")
    response = client.post("/t/errors/", {"amount_eur": "35.10"}, format="json")
    assert response.status_code == 201
    assert response.content == b'{"amount_eur":"35.10"}'


def test_throttled_client_gets_429_with_retry_after(api_as, monkeypatch):
    from django.core.cache import cache

    from aldis.api.throttling import ApiClientRateThrottle

    cache.clear()
    monkeypatch.setattr(ApiClientRateThrottle, "THROTTLE_RATES", {"api_client": "2/minute"})
    client, _ = api_as("trader")
    assert client.get("/t/traders/").status_code == 200
    assert client.get("/t/traders/").status_code == 200
    response = client.get("/t/traders/")
    assert response.status_code == 429
    assert_error_shape(response.json(), "throttled")
    assert response.json()["error"]["details"]["retry_after_seconds"] > 0
    # The limit is per client: another organisation's client is not held back.
    other, _ = api_as("trader")
    assert other.get("/t/traders/").status_code == 200
    cache.clear()


def test_throttle_counts_in_windows_of_the_rate_period(api_as, monkeypatch):
    """2 requests a minute, on a fixed clock: the third in the window is refused, with the 15 s
    left of that minute as its wait; the first of the next minute goes through. Each request
    counts once in the shared cache however many throttle objects (workers) see it."""
    from django.core.cache import cache

    from aldis.api.throttling import ApiClientRateThrottle

    cache.clear()
    monkeypatch.setattr(ApiClientRateThrottle, "THROTTLE_RATES", {"api_client": "2/minute"})
    clock = [60 * 1000 + 45.0]  # 45 s into a minute
    monkeypatch.setattr(ApiClientRateThrottle, "timer", lambda self: clock[0])
    client, _ = api_as("trader")
    assert client.get("/t/traders/").status_code == 200
    clock[0] += 5  # 50 s
    assert client.get("/t/traders/").status_code == 200
    response = client.get("/t/traders/")
    assert response.status_code == 429
    assert response.json()["error"]["details"]["retry_after_seconds"] == 10
    assert response["Retry-After"] == "10"
    clock[0] += 10  # 0 s of the next minute
    assert client.get("/t/traders/").status_code == 200
    assert client.get("/t/traders/").status_code == 200
    assert client.get("/t/traders/").status_code == 429
    cache.clear()
