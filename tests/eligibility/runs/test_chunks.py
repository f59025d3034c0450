"""A run shared by several workers: chunks of households, then the finish (Celery's chord calls
the same services). A chunked run gives exactly the results of a whole one, on a generated
country, and PostgreSQL gives what SQLite gives; a failed chunk fails the run and leaves nothing
of it; a chunk delivered twice is computed once."""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from audit.services import Actor
from eligibility.models import (
    AdjustmentLine,
    ContractLine,
    HouseholdEntitlement,
    MonthRun,
    MonthRunChunk,
    RunStatus,
    UnitDecision,
)
from eligibility.selectors import month_run_in_force
from eligibility.services.runs import (
    month_run_chunk,
    month_run_execute,
    month_run_finish,
    month_run_request,
    month_run_start_chunked,
)
from fixtures.country import generate_country
from fixtures.digest import run_content_digest
from fixtures.load import country_import
from tests.eligibility.conftest import TABLE
from tests.eligibility.lines.test_lines import family
from tests.eligibility.scheme_p.conftest import NOV_2026

ROOT = Path(__file__).resolve().parents[3]
NOV = date(2026, 11, 1)
OPERATOR = Actor("operator", "anna")
SUMMARY = (
    "households",
    "persons_without_address",
    "entitled_households",
    "unattributed_households",
    "total_eur",
    "energy_aid",
)


@pytest.fixture(autouse=True)
def _not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests are not sent to a worker: each test executes them as it says."""
    monkeypatch.setattr("eligibility.services.runs._enqueue", lambda run_id: None)


def requested() -> MonthRun:
    return month_run_request(month=NOV, actor=OPERATOR)


def chunked(run: MonthRun, chunks: int) -> MonthRun:
    assert month_run_start_chunked(run_id=run.pk, chunks=chunks)
    assert [month_run_chunk(run_id=run.pk, index=i, chunks=chunks) for i in range(chunks)] == [
        "done"
    ] * chunks
    return month_run_finish(run_id=run.pk)


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("country")
    generate_country(persons=1500, seed=11, out=directory)
    return directory


@pytest.mark.django_db(transaction=True)
def test_a_chunked_run_equals_a_whole_run_and_sqlite_equals_postgresql(country, import_parameters, tmp_path):
    import_parameters(TABLE)  # a committing test before may have emptied the seeded table
    country_import(directory=country, actor=Actor.system("test"))

    whole = month_run_execute(run_id=requested().pk)
    shared = chunked(requested(), chunks=3)

    assert (whole.status, shared.status) == (RunStatus.DONE, RunStatus.DONE), (whole.error, shared.error)
    assert shared.entitled_households > 0
    assert shared.households > 0
    assert [getattr(shared, name) for name in SUMMARY] == [getattr(whole, name) for name in SUMMARY]
    assert run_content_digest(shared) == run_content_digest(whole)
    assert not AdjustmentLine.objects.filter(run=shared).exists()  # nothing changed between them
    assert (shared.chunks_done, shared.chunks_total) == (3, 3)
    assert list(MonthRunChunk.objects.filter(run=shared).values_list("index", flat=True)) == [0, 1, 2]

    if connection.vendor != "postgresql":
        return
    # The same country and month computed whole on SQLite, in another process.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_DEBUG="true", ALDIS_VAR_DIR=str(tmp_path), DJANGO_LOG_LEVEL="WARNING")
    for args in (["migrate", "-v0"], ["import_country", str(country), "-v0"], ["run_month", "2026-11"]):
        result = subprocess.run(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    result = subprocess.run(
        [sys.executable, "manage.py", "month_digest", "2026-11"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == run_content_digest(shared)


def test_a_failed_chunk_fails_the_run_and_leaves_nothing_of_it(registers, monkeypatch):
    family(registers)
    before = month_run_execute(run_id=month_run_request(month=NOV_2026, actor=OPERATOR).pk)
    assert before.status == RunStatus.DONE
    assert ContractLine.objects.filter(run=before).count() == 1

    run = month_run_request(month=NOV_2026, actor=OPERATOR)
    assert month_run_start_chunked(run_id=run.pk, chunks=2)
    assert month_run_chunk(run_id=run.pk, index=0, chunks=2) == "done"

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("eligibility.services.runs.scheme_e_compute", broken)
    assert month_run_chunk(run_id=run.pk, index=1, chunks=2) == "failed"
    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, "RuntimeError: disk full")

    # Chunk 0's committed rows are gone; the finish leaves the failed run alone.
    for model in (UnitDecision, HouseholdEntitlement, ContractLine, MonthRunChunk):
        assert not model.objects.filter(run=run).exists(), model
    assert month_run_finish(run_id=run.pk).status == RunStatus.FAILED
    assert month_run_in_force(month=NOV_2026) == before


def test_a_chunk_delivered_twice_is_computed_once_and_a_missing_chunk_fails_the_finish(registers):
    family(registers)
    run = month_run_request(month=NOV_2026, actor=OPERATOR)
    assert month_run_start_chunked(run_id=run.pk, chunks=2)
    first = [
        month_run_chunk(run_id=run.pk, index=0, chunks=2),
        month_run_chunk(run_id=run.pk, index=0, chunks=2),
    ]

    assert first == ["done", "skipped"]
    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.chunks_total) == (RunStatus.RUNNING, 1, 2)

    finished = month_run_finish(run_id=run.pk)  # chunk 1 never came
    assert (finished.status, finished.error) == (
        RunStatus.FAILED,
        "ApplicationError: 1 of 2 chunks committed",
    )
    assert month_run_chunk(run_id=run.pk, index=1, chunks=2) == "skipped"  # too late: not running


def test_the_whole_family_lands_in_exactly_one_chunk(registers):
    family(registers)
    run = chunked(month_run_request(month=NOV_2026, actor=OPERATOR), chunks=3)

    assert run.status == RunStatus.DONE, run.error
    assert (run.entitled_households, str(run.total_eur)) == (1, "25.00")
    line = ContractLine.objects.get(run=run)
    assert (line.contract_no, str(line.amount_eur), str(line.balance_eur)) == ("C-1", "25.00", "25.00")
    assert sorted(MonthRunChunk.objects.filter(run=run).values_list("households", flat=True)) == [0, 0, 1]
