"""Celery tasks of the monthly run: thin, ids in, one service call each."""

import logging

from celery import Signature, Task, chord, shared_task
from django.conf import settings
from django.db import OperationalError

from aldis.exceptions import ApplicationError
from audit.services import Actor
from eligibility.limits import (
    CHUNK_HARD_LIMIT,
    CHUNK_SOFT_LIMIT,
    FINISH_HARD_LIMIT,
    FINISH_SOFT_LIMIT,
    RUN_HARD_LIMIT,
    RUN_SOFT_LIMIT,
)
from eligibility.models import MonthRun
from eligibility.services.runs import (
    current_month,
    month_run_chunk,
    month_run_execute,
    month_run_fail,
    month_run_finish,
    month_run_request,
    month_run_start_chunked,
    month_runs_fail_stale,
)

logger = logging.getLogger(__name__)


# acks_late: a worker lost mid-run gets the message redelivered, and month_run_execute then marks
# the abandoned run failed. The soft limit raises inside the computation (the run fails cleanly);
# both stay below the Redis visibility timeout (1 h), which would redeliver a run still working.
# A database that cannot be reached is retried: a run nobody executes would block its month.
# The hard limits (``eligibility.limits``) also bound how long a run may stay running before it
# is stale (``ALDIS_RUN_STALE_AFTER_MINUTES``).
@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=RUN_SOFT_LIMIT,
    time_limit=RUN_HARD_LIMIT,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=30,
)
def month_run_task(self: Task, run_id: int) -> str:
    """Execute MonthRun ``run_id``; returns its status (done or failed, or as it was).

    With a broker and ``ALDIS_RUN_CHUNKS`` > 1 the run is shared: it is marked running, and a
    chord sends its chunks to the workers and, once every chunk has returned, its finish (the
    status returned is then ``running`` unless the chord ran eagerly). The chunks, the finish and
    the chord's error callback go to the queue this task came from. Otherwise the whole run
    executes here, in one transaction.
    """
    chunks = settings.ALDIS_RUN_CHUNKS if settings.REDIS_URL else 1
    if chunks <= 1:
        return month_run_execute(run_id=run_id).status
    if month_run_start_chunked(run_id=run_id, chunks=chunks):
        queue = (self.request.delivery_info or {}).get("routing_key")
        try:
            month_run_chord(run_id, chunks, queue=queue).apply_async()
        except BaseException as exc:
            # Running, and no chord will ever finish it: fail it now rather than once stale.
            month_run_fail(run_id=run_id, error=f"{type(exc).__name__}: chord not sent: {exc}", stage="chord")
            if not isinstance(exc, Exception):
                raise
    return MonthRun.objects.get(pk=run_id).status


def month_run_chord(run_id: int, chunks: int, *, queue: str | None = None) -> chord:
    """The chord of a shared run: one ``month_run_chunk_task`` per chunk, then the finish; on
    ``queue`` if given.

    Its error callback, ``month_run_fail_task``, is linked to the body (the finish), the way
    Celery reports a chord's failure: it is called when a chunk task fails (it raised after its
    retries, or it was killed at its hard time limit: the chord never reaches the finish), and
    when the finish task itself fails. Without it such a run would stay running until stale.
    """

    def on_queue(signature: Signature[str]) -> Signature[str]:
        return signature.set(queue=queue) if queue else signature

    body = on_queue(month_run_finish_task.si(run_id))
    body.on_error(on_queue(month_run_fail_task.si(run_id)))
    return chord([on_queue(month_run_chunk_task.si(run_id, index, chunks)) for index in range(chunks)], body)


@shared_task(
    acks_late=True,
    soft_time_limit=CHUNK_SOFT_LIMIT,
    time_limit=CHUNK_HARD_LIMIT,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=30,
)
def month_run_chunk_task(run_id: int, index: int, chunks: int) -> str:
    """Compute one chunk of a shared run; returns done, skipped or failed (never raises, so the
    chord always reaches the finish, which fails a run whose chunks are not all there)."""
    return month_run_chunk(run_id=run_id, index=index, chunks=chunks)


@shared_task(
    acks_late=True,
    soft_time_limit=FINISH_SOFT_LIMIT,
    time_limit=FINISH_HARD_LIMIT,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=30,
)
def month_run_finish_task(run_id: int) -> str:
    """Finish a shared run once its chunks are done; returns its status."""
    return month_run_finish(run_id=run_id).status


# The chord's error callback, sent as a task of its own (an immutable signature: Celery calls it
# without the failed task's id). Idempotent: Celery may call it twice for one failure.
@shared_task(
    acks_late=True,
    soft_time_limit=4 * 60,
    time_limit=5 * 60,
    autoretry_for=(OperationalError,),
    max_retries=10,
    retry_backoff=30,
)
def month_run_fail_task(run_id: int) -> str:
    """Fail a shared run whose chord failed: a chunk or the finish raised after its retries, or
    was killed at its time limit. The run's committed chunks are deleted; a run already done or
    failed is left as it is. Returns its status."""
    error = "ChordError: a chunk or the finish of the run failed in its worker (see the worker's log)"
    return month_run_fail(run_id=run_id, error=error, stage="chord").status


# Retried while the database is unreachable: the law's deadline is the 7th.
@shared_task(
    acks_late=True,
    soft_time_limit=4 * 60,
    time_limit=5 * 60,
    autoretry_for=(OperationalError,),
    max_retries=10,
    retry_backoff=60,
)
def month_run_scheduled() -> int | None:
    """Beat, on the 5th: request this month's run (Europe/Riga); returns its id, None if skipped."""
    month = current_month()
    try:
        run = month_run_request(month=month, actor=Actor.system("beat"))
    except ApplicationError as exc:
        if exc.code != "run_in_progress":
            raise
        logger.info("scheduled run of %s skipped: %s", f"{month:%Y-%m}", exc.message)
        return None
    return run.pk


@shared_task(
    acks_late=True,
    soft_time_limit=4 * 60,
    time_limit=5 * 60,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=30,
)
def month_runs_fail_stale_task() -> list[int]:
    """Beat, every 10 minutes: fail the runs stale for ``ALDIS_RUN_STALE_AFTER_MINUTES`` (their
    worker was killed or their task lost), so that their months are open again; returns their
    ids."""
    return [run.pk for run in month_runs_fail_stale()]
