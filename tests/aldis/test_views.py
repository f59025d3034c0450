import pytest

from tests.aldis.test_api_access import assert_error_shape


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert_error_shape(response.json(), "not_found")


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_paths_are_json_404_whatever_debug_says(api, settings, debug):
    settings.DEBUG = debug
    for path in ("/api/v1/", "/api/v1/months/2026-11/", "/api/", "/api/v2/whoami/"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert_error_shape(response.json(), "not_found")
        assert response.json()["error"]["details"] == {}


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_path_without_its_final_slash_is_told_so_not_redirected(api, settings, debug):
    """Django's APPEND_SLASH would redirect it to an HTML page, and a POST under DEBUG was a 500."""
    settings.DEBUG = debug
    for response in (
        api.get("/api/v1/whoami"),
        api.post("/api/v1/status", {"personal_code": "x"}, format="json"),
        api.post("/api/v1/months/2026-11/applied", [], format="json"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["details"] == {"path": ["API paths end with a slash: add one"]}


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
