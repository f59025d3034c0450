"""Celery tasks of the monthly run: thin, ids in, one service call each."""

import logging

from celery import Signature, Task, chord, shared_task
from django.conf import settings
from django.db import OperationalError

from aldis.exceptions import ApplicationError
from audit.services import Actor
from eligibility.models import MonthRun
from eligibility.services.runs import (
    current_month,
    month_run_chunk,
    month_run_execute,
    month_run_finish,
    month_run_request,
    month_run_start_chunked,
)

logger = logging.getLogger(__name__)


# acks_late: a worker lost mid-run gets the message redelivered, and month_run_execute then marks
# the abandoned run failed. The soft limit raises inside the computation (the run fails cleanly);
# both stay below the Redis visibility timeout (1 h), which would redeliver a run still working.
# A database that cannot be reached is retried: a run nobody executes would block its month.
@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=25 * 60,
    time_limit=30 * 60,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=30,
)
def month_run_task(self: Task, run_id: int) -> str:
    """Execute MonthRun ``run_id``; returns its status (done or failed, or as it was).

    With a broker and ``ALDIS_RUN_CHUNKS`` > 1 the run is shared: it is marked running, and a
    chord sends its chunks to the workers and, once every chunk has returned, its finish (the
    status returned is then ``running`` unless the chord ran eagerly). The chunks and the finish
    go to the queue this task came from. Otherwise the whole run executes here, in one
    transaction.
    """
    chunks = settings.ALDIS_RUN_CHUNKS if settings.REDIS_URL else 1
    if chunks <= 1:
        return month_run_execute(run_id=run_id).status
    if month_run_start_chunked(run_id=run_id, chunks=chunks):
        queue = (self.request.delivery_info or {}).get("routing_key")

        def on_queue(signature: Signature[str]) -> Signature[str]:
            return signature.set(queue=queue) if queue else signature

        chord(on_queue(month_run_chunk_task.si(run_id, index, chunks)) for index in range(chunks))(
            on_queue(month_run_finish_task.si(run_id))
        )
    return MonthRun.objects.get(pk=run_id).status


@shared_task(
    acks_late=True,
    soft_time_limit=25 * 60,
    time_limit=30 * 60,
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
    soft_time_limit=10 * 60,
    time_limit=12 * 60,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=30,
)
def month_run_finish_task(run_id: int) -> str:
    """Finish a shared run once its chunks are done; returns its status."""
    return month_run_finish(run_id=run_id).status


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
