from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from aldis.organisations.models import Organisation
from tests.organisations.factories import OrganisationFactory, api_client_with_token


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(db: None) -> Callable[..., tuple[APIClient, Organisation]]:
    """``api_as(kind)``: an API client authenticated with a fresh token of a new organisation."""

    def make(kind: str, **org_fields: object) -> tuple[APIClient, Organisation]:
        organisation: Organisation = OrganisationFactory.create(kind=kind, **org_fields)
        _, token = api_client_with_token(organisation)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client, organisation

    return make


@pytest.fixture(autouse=True)
def _plain_static_files(settings) -> None:
    """Tests render the admin without ``collectstatic``; the manifest storage would need it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
