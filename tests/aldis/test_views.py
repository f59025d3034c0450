import pytest

from tests.aldis.test_api_access import assert_error_shape


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert_error_shape(response.json(), "not_found")


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "in-process (no broker configured)",
    }


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}


@pytest.mark.django_db
def test_openapi_schema_describes_the_token_and_the_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["OrganisationToken"]["name"] == "Authorization"
    assert "/api/v1/whoami/" in schema["paths"]
    assert client.get("/api/docs/").status_code == 200


def test_home_page_is_public(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"ALDIS" in response.content
