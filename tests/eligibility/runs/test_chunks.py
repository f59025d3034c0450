"""A run shared by several workers: chunks of households, then the finish (Celery's chord calls
the same services). A chunked run gives exactly the results of a whole one, on a generated
country, and PostgreSQL gives what SQLite gives; a failed chunk fails the run and leaves nothing
of it; a chunk delivered twice is computed once."""

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from celery import signature
from celery.exceptions import ChordError
from django.db import connection
from django.utils import timezone

from aldis.celery import app
from audit.models import AuditEvent
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
    month_runs_fail_stale,
    stale_after,
)
from eligibility.tasks import (
    month_run_chord,
    month_run_chunk_task,
    month_run_fail_task,
    month_run_finish_task,
    month_run_task,
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


def test_the_chord_carries_an_error_callback_on_the_runs_queue():
    shared = month_run_chord(41, 2, queue="runs")

    assert [task.args for task in shared.tasks] == [(41, 0, 2), (41, 1, 2)]
    assert {task.task for task in shared.tasks} == {month_run_chunk_task.name}
    assert {task.options["queue"] for task in shared.tasks} == {"runs"}
    assert (shared.body.task, shared.body.args, shared.body.options["queue"]) == (
        month_run_finish_task.name,
        (41,),
        "runs",
    )
    [errback] = shared.body.options["link_error"]
    assert errback == month_run_fail_task.si(41).set(queue="runs")
    assert errback.immutable  # Celery sends it as a task of its own, with the run id only


@pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")  # Celery's Redis backend
def test_a_chunk_that_fails_in_its_worker_fails_the_run_through_the_chords_error_callback(registers):
    family(registers)
    before = month_run_execute(run_id=month_run_request(month=NOV_2026, actor=OPERATOR).pk)
    run = month_run_request(month=NOV_2026, actor=OPERATOR)
    assert month_run_start_chunked(run_id=run.pk, chunks=2)
    assert month_run_chunk(run_id=run.pk, index=0, chunks=2) == "done"

    # Chunk 1's task raised after its retries (or was killed at its hard time limit): the result
    # backend, joining the chord, finds the failure and calls the body's error callbacks, as here.
    body = signature(month_run_chord(run.pk, 2).body, app=app)
    try:
        raise ChordError("Dependency chunk-1 raised TimeLimitExceeded(1800)")
    except ChordError as exc:  # as in the backend: it stores the failure from the current stack
        app.backend.chord_error_from_stack(body, exc)

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("ChordError: a chunk or the finish of the run failed in its worker")
    for model in (UnitDecision, HouseholdEntitlement, ContractLine, MonthRunChunk):
        assert not model.objects.filter(run=run).exists(), model  # chunk 0's rows are gone
    failed = AuditEvent.objects.get(action="run.failed")
    assert failed.data == {"month": "2026-11", "version": 2, "stage": "chord", "error": "ChordError"}
    assert month_run_finish(run_id=run.pk).status == RunStatus.FAILED
    assert month_run_in_force(month=NOV_2026) == before
    # Celery may call an error callback twice for one failure: the second changes nothing.
    assert month_run_fail_task(run.pk) == RunStatus.FAILED
    assert AuditEvent.objects.filter(action="run.failed").count() == 1


def test_the_error_callback_leaves_a_finished_run_alone(registers):
    family(registers)
    run = chunked(month_run_request(month=NOV_2026, actor=OPERATOR), chunks=2)

    assert month_run_fail_task(run.pk) == RunStatus.DONE
    assert ContractLine.objects.filter(run=run).count() == 1


def test_a_chord_that_cannot_be_sent_fails_the_run(registers, settings, monkeypatch):
    settings.REDIS_URL, settings.ALDIS_RUN_CHUNKS = "redis://broker.invalid:6379/0", 2  # a shared run

    class Unsendable:
        def apply_async(self) -> None:
            raise ConnectionError("broker unreachable")

    monkeypatch.setattr("eligibility.tasks.month_run_chord", lambda *args, **kwargs: Unsendable())
    run = month_run_request(month=NOV_2026, actor=OPERATOR)

    assert month_run_task.delay(run.pk).get() == RunStatus.FAILED
    run.refresh_from_db()
    assert run.error == "ConnectionError: chord not sent: broker unreachable"
    assert month_run_request(month=NOV_2026, actor=OPERATOR).version == 2


def test_a_stale_chunked_run_is_failed_and_its_late_chunks_and_finish_change_nothing(registers):
    family(registers)
    before = month_run_execute(run_id=month_run_request(month=NOV_2026, actor=OPERATOR).pk)
    run = month_run_request(month=NOV_2026, actor=OPERATOR)
    assert month_run_start_chunked(run_id=run.pk, chunks=2)
    assert month_run_chunk(run_id=run.pk, index=0, chunks=2) == "done"
    # Chunk 1's worker was killed and its message lost: nothing more happens to the run.
    MonthRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - stale_after() - timedelta(minutes=1)
    )

    assert [stale.pk for stale in month_runs_fail_stale()] == [run.pk]

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("stale: running since ")
    for model in (UnitDecision, HouseholdEntitlement, ContractLine, MonthRunChunk):
        assert not model.objects.filter(run=run).exists(), model
    # The lost chunk comes back after all, then the finish: too late, the run stays failed.
    assert month_run_chunk(run_id=run.pk, index=1, chunks=2) == "skipped"
    assert month_run_finish(run_id=run.pk).status == RunStatus.FAILED
    assert not MonthRunChunk.objects.filter(run=run).exists()
    assert AuditEvent.objects.filter(action="run.done", target_id=str(run.pk)).count() == 0
    assert month_run_in_force(month=NOV_2026) == before
