"""Signing in: OpenID Connect against the state portal (the library's network calls mocked) and
the demo sign-in; a person is never a Django user and never sees anyone else."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEvent
from households.auth import PERSON_SESSION_KEY, PersonOIDCBackend
from tests.eligibility.scheme_p.conftest import person
from tests.households.web.world import CHILD_1, PARENT, STRANGER, TENANT, texts

pytestmark = pytest.mark.django_db

OIDC = {
    "ALDIS_OIDC_ENABLED": True,
    "OIDC_RP_CLIENT_ID": "aldis",
    "OIDC_RP_CLIENT_SECRET": "secret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://portal.example.lv/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://portal.example.lv/token",
    "OIDC_OP_USER_ENDPOINT": "",
    "OIDC_OP_JWKS_ENDPOINT": "https://portal.example.lv/jwks",
    "OIDC_RP_SIGN_ALGO": "RS256",
    "ALDIS_OIDC_PERSONAL_CODE_CLAIM": "personal_code",
    "AUTHENTICATION_BACKENDS": [
        "django.contrib.auth.backends.ModelBackend",
        "households.auth.PersonOIDCBackend",
    ],
}


@pytest.fixture
def oidc(settings: Any) -> None:
    for name, value in OIDC.items():
        setattr(settings, name, value)


@pytest.fixture
def demo(settings: Any) -> None:
    settings.DEBUG = True
    settings.ALDIS_DEMO_SIGN_IN = True


def portal_says(monkeypatch: pytest.MonkeyPatch, claims: dict[str, Any]) -> None:
    """The token endpoint and the ID token's verification, mocked: the portal vouches for ``claims``."""
    monkeypatch.setattr(
        PersonOIDCBackend, "get_token", lambda self, payload: {"id_token": "x", "access_token": "y"}
    )
    monkeypatch.setattr(PersonOIDCBackend, "verify_token", lambda self, token, **kwargs: claims)


def come_back_from_the_portal(client: Any) -> Any:
    """Start the flow (state and nonce stored in the session), then return with a code."""
    start = client.get(reverse("status:oidc-start"))
    assert start.status_code == 302
    assert start["Location"].startswith("https://portal.example.lv/authorize?")
    state = next(iter(client.session["oidc_states"]))
    return client.get(reverse("status:oidc-callback"), {"code": "abc", "state": state})


# --- OpenID Connect ---------------------------------------------------------------------------


def test_the_sign_in_page_offers_the_portal_when_configured(client, oidc):
    page = texts(client.get(reverse("status:sign-in")))
    assert 'id="oidc-sign-in"' in page
    assert 'href="/status/oidc/start/"' in page


def test_oidc_urls_are_404_when_not_configured(client, settings):
    settings.ALDIS_OIDC_ENABLED = False
    assert client.get(reverse("status:oidc-start")).status_code == 404
    assert client.get(reverse("status:oidc-callback"), {"code": "a", "state": "b"}).status_code == 404


def test_a_verified_claim_signs_that_person_in(client, world, oidc, monkeypatch):
    portal_says(monkeypatch, {"sub": "x", "personal_code": PARENT[:6] + "-" + PARENT[6:]})
    response = come_back_from_the_portal(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("status:page")
    assert client.session[PERSON_SESSION_KEY] == person(PARENT).pk
    assert "C-1" in texts(client.get(reverse("status:page")))
    event = AuditEvent.objects.get(action="person.sign_in")
    assert (event.actor_type, event.actor_id, event.data) == (
        "person",
        str(person(PARENT).pk),
        {"method": "oidc"},
    )
    # No Django user was created, and the person is not logged in as one.
    assert not get_user_model().objects.exists()
    assert "_auth_user_id" not in client.session


def test_an_unknown_code_is_refused_politely(client, world, oidc, monkeypatch):
    portal_says(monkeypatch, {"sub": "x", "personal_code": STRANGER})
    client.cookies["django_language"] = "en"
    response = come_back_from_the_portal(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("status:sign-in")
    assert PERSON_SESSION_KEY not in client.session
    assert "We could not find your data with the sign-in you used." in texts(
        client.get(reverse("status:sign-in"))
    )


@pytest.mark.parametrize(
    "claims", [{"sub": "x", "personal_code": "12345678901"}, {"sub": "x"}, {"personal_code": 42}]
)
def test_an_invalid_or_missing_code_is_refused(client, world, oidc, monkeypatch, claims):
    portal_says(monkeypatch, claims)
    response = come_back_from_the_portal(client)
    assert response["Location"] == reverse("status:sign-in")
    assert PERSON_SESSION_KEY not in client.session


def test_the_backend_ignores_a_password_sign_in(world, oidc, rf):
    request = rf.get("/admin/login/", {"code": "a", "state": "b"})
    assert PersonOIDCBackend().authenticate(request, username="admin", password="x") is None


def test_the_staff_sign_in_still_works_with_oidc_on(client, oidc, django_user_model):
    django_user_model.objects.create_superuser("boss", password="a-long-password-1")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": "a-long-password-1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


# --- Demo ----------------------------------------------------------------------------------------


def test_demo_urls_are_404_when_off(client, settings):
    settings.DEBUG = True
    settings.ALDIS_DEMO_SIGN_IN = False
    assert client.get(reverse("status:demo")).status_code == 404
    assert client.post(reverse("status:demo"), {"personal_code": PARENT}).status_code == 404


def test_demo_is_404_without_debug_even_if_switched_on(client, settings):
    settings.DEBUG = False
    settings.ALDIS_DEMO_SIGN_IN = True
    assert client.get(reverse("status:demo")).status_code == 404


def test_the_demo_page_is_clearly_marked_and_lists_telling_persons(client, world, demo):
    client.cookies["django_language"] = "en"
    page = texts(client.get(reverse("status:demo")))
    assert "DEMO — synthetic persons only" in page
    assert 'id="demo-banner"' in page
    assert f"Large family: {PARENT}" in page
    assert f"Support not attributed (no suitable contract): {TENANT}" in page
    assert f"Energy-aid eligible: {PARENT}" in page
    assert "Nothing: no support this month" in page
    assert 'id="demo-sign-in"' in texts(client.get(reverse("status:sign-in")))


def test_demo_sign_in_by_code(client, world, demo):
    response = client.post(reverse("status:demo"), {"personal_code": CHILD_1})
    assert response.status_code == 302
    assert client.session[PERSON_SESSION_KEY] == person(CHILD_1).pk
    assert AuditEvent.objects.get(action="person.sign_in").data == {"method": "demo"}


def test_a_persons_session_ends_half_an_hour_after_sign_in(client, world, demo):
    client.post(reverse("status:demo"), {"personal_code": PARENT})
    assert client.session.get_expiry_age() == 30 * 60  # staff sessions last 8 hours


def test_demo_sign_in_with_an_unknown_code(client, world, demo):
    client.cookies["django_language"] = "en"
    response = client.post(reverse("status:demo"), {"personal_code": STRANGER})
    assert response.status_code == 400
    assert "No person with this personal code is known." in texts(response)
    assert PERSON_SESSION_KEY not in client.session


def test_signing_in_cycles_the_session_key(client, world, demo):
    client.get(reverse("status:demo"))
    session = client.session
    session["something"] = 1
    session.save()
    before = client.session.session_key
    client.post(reverse("status:demo"), {"personal_code": PARENT})
    assert client.session.session_key != before


@pytest.mark.parametrize("value", [True, "1", 1.0, [1], None])
def test_a_session_value_that_is_not_an_id_signs_nobody_in(client, world, value):
    # ``True`` is an int to isinstance: it must not read as person 1.
    session = client.session
    session[PERSON_SESSION_KEY] = value
    session.save()
    response = client.get(reverse("status:page"))
    assert response.status_code == 302
    assert response["Location"] == reverse("status:sign-in")
