import importlib
from collections.abc import Callable, Iterator

import psycopg
import pytest
from django.db import connection, connections
from django.test import TransactionTestCase
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


@pytest.fixture
def other_session(db: None) -> Iterator[psycopg.Connection]:
    """A second PostgreSQL session on the test database (autocommit), as another worker or a
    staff member's request would hold: for locks seen from outside the test's transaction."""
    if connection.vendor != "postgresql":
        pytest.skip("sessions and their locks: PostgreSQL only")
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    )
    try:
        yield other
    finally:
        other.close()


@pytest.fixture(autouse=True)
def _caches_in_this_process(settings) -> None:
    """Each test starts with empty caches of its own: the production shape's Redis cache (the
    suite on PostgreSQL has ``REDIS_URL``) would carry throttle counts from test to test, and
    clearing it would empty the real worker's broker database too."""
    settings.CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"test-{alias}"}
        for alias in settings.CACHES
    }
    from django.core.cache import caches

    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _plain_static_files(settings) -> None:
    """Tests render the admin without ``collectstatic``; the manifest storage would need it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _flush_past_the_audit_trigger(
    original: Callable[[TransactionTestCase], None],
) -> Callable[[TransactionTestCase], None]:
    """Transactional tests end by emptying every table. On SQLite that is a DELETE, which the
    audit trail's append-only trigger refuses: the triggers step aside for the flush and come
    back after it. (PostgreSQL empties tables with TRUNCATE, which row triggers do not see.)"""
    triggers = importlib.import_module("audit.migrations.0002_append_only_triggers")

    def teardown(self: TransactionTestCase) -> None:
        aliases = self._databases_names(include_mirrors=False)  # type: ignore[attr-defined]
        sqlite = [alias for alias in aliases if connections[alias].vendor == "sqlite"]
        for alias in sqlite:
            with connections[alias].cursor() as cursor:
                for statement in triggers.SQLITE_BACKWARD:
                    cursor.execute(statement)
        try:
            original(self)
        finally:
            for alias in sqlite:
                with connections[alias].cursor() as cursor:
                    for statement in triggers.SQLITE_FORWARD:
                        cursor.execute(statement)

    return teardown


TransactionTestCase._fixture_teardown = _flush_past_the_audit_trigger(TransactionTestCase._fixture_teardown)  # type: ignore[attr-defined]
