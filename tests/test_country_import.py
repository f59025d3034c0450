"""A generated country imports completely, consistently, and to the same content on both databases."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from aldis.feeds.integrity import dangling_references
from aldis.feeds.models import BatchStatus, FeedBatch
from audit.services import Actor
from fixtures.country import generate_country
from fixtures.digest import current_content_digest
from fixtures.load import country_import, manifest_entries
from households.models import Person, PersonCode, PopulationRecord, TemporaryProtection

ROOT = Path(__file__).resolve().parents[1]
PERSONS = 1500


@pytest.fixture(scope="session")
def country(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("country")
    generate_country(persons=PERSONS, seed=7, out=directory)
    return directory


def _import(country: Path) -> list[FeedBatch]:
    return country_import(directory=country, actor=Actor.system("test"))


@pytest.mark.django_db(transaction=True)
def test_a_generated_country_imports_completely_and_consistently(country):
    batches = _import(country)
    assert len(batches) == len(manifest_entries(country))
    assert {b.status for b in batches} == {BatchStatus.APPLIED}
    assert dangling_references() == {}
    # Every person of the population register has one live record; codes resolve to persons.
    assert (
        PopulationRecord.objects.filter(superseded_in__isnull=True, valid_to__isnull=True).count() == PERSONS
    )
    assert PersonCode.objects.count() >= Person.objects.count()
    assert TemporaryProtection.objects.exists()

    again = _import(country)
    assert {b.status for b in again} == {BatchStatus.REPEAT}


@pytest.mark.django_db(transaction=True)
def test_postgresql_and_sqlite_import_the_same_content(country, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("compares a PostgreSQL import with a SQLite one: runs in the PostgreSQL suite")
    _import(country)
    on_postgres = current_content_digest()

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CACHE_URL")}
    env.update(DJANGO_DEBUG="true", ALDIS_VAR_DIR=str(tmp_path), DJANGO_LOG_LEVEL="WARNING")
    for args in (["migrate", "-v0"], ["import_country", str(country), "--digest", "-v0"]):
        result = subprocess.run(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    on_sqlite = json.loads(result.stdout)
    assert on_sqlite == on_postgres
