"""A month run through a real Celery worker, against Redis and the test's PostgreSQL database.

``run_month`` with a broker: the request commits, its task goes through Redis to a separate
``celery worker`` process, which shares the real computation in three chunks through a chord (a
fake cannot reach another process) and marks the run done. The worker listens on a queue of its own, and the run task is
routed there, so a stray worker cannot steal it.
"""

import time
from collections.abc import Iterator
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from audit.services import Actor
from eligibility.models import MonthRun, MonthRunChunk, RunStatus
from eligibility.services.runs import month_run_request, month_run_start_chunked
from eligibility.tasks import month_run_chord, month_run_chunk_task
from tests.eligibility.conftest import TABLE
from tests.real_worker import NEEDS_REDIS, real_worker

pytestmark = [pytest.mark.real_worker, NEEDS_REDIS]

NOV = date(2026, 11, 1)


@pytest.fixture
def worker_queue(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # The worker shares the run in three chunks and a chord (its own settings decide).
    monkeypatch.setenv("ALDIS_RUN_CHUNKS", "3")
    # The request sends the task itself: route it to this worker's queue.
    with real_worker(
        route=(
            "eligibility.tasks.month_run_task",
            "eligibility.tasks.month_run_chunk_task",
            "eligibility.tasks.month_run_finish_task",
        )
    ) as queue:
        yield queue


def test_run_month_goes_through_redis_to_a_worker_and_is_done(worker_queue, import_parameters):
    # An earlier committing test may have emptied the tables, seeded parameters included.
    import_parameters(TABLE)
    out = StringIO()
    call_command("run_month", "2026-11", stdout=out, stderr=StringIO())

    run = MonthRun.objects.get()
    assert f"sent to the workers (run id {run.pk})" in out.getvalue()
    deadline = time.monotonic() + 90
    while run.status not in (RunStatus.DONE, RunStatus.FAILED) and time.monotonic() < deadline:
        time.sleep(0.5)
        run.refresh_from_db()

    assert run.status == RunStatus.DONE, run.error
    assert (run.version, run.chunks_done, run.chunks_total) == (1, 3, 3)
    assert run.finished_at is not None
    actions = list(
        AuditEvent.objects.filter(action__startswith="run.")
        .order_by("seq")
        .values_list("action", "actor_type")
    )
    assert actions == [("run.request", "operator"), ("run.start", "system"), ("run.done", "system")]
    assert run.parameters["p_amount_large_family"] == "25.00"


def test_a_chunk_that_raises_in_the_worker_fails_the_run_through_the_chords_error_callback(
    worker_queue, import_parameters, monkeypatch
):
    import_parameters(TABLE)
    monkeypatch.setattr("eligibility.services.runs._enqueue", lambda run_id: None)  # sent below
    run = month_run_request(month=NOV, actor=Actor.operator())
    assert month_run_start_chunked(run_id=run.pk, chunks=2)
    # The run's own chord, with chunk 1's task raising in the worker (no chunk 2 of 2 exists).
    shared = month_run_chord(run.pk, 2, queue=worker_queue)
    shared.tasks[1] = month_run_chunk_task.si(run.pk, 2, 2).set(queue=worker_queue)

    shared.apply_async()

    deadline = time.monotonic() + 60
    while run.status not in (RunStatus.DONE, RunStatus.FAILED) and time.monotonic() < deadline:
        time.sleep(0.2)
        run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("ChordError: a chunk or the finish of the run failed in its worker")
    assert not MonthRunChunk.objects.filter(run=run).exists()  # chunk 0 committed, then deleted
    assert AuditEvent.objects.get(action="run.failed").data["stage"] == "chord"
