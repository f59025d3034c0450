"""Celery tasks of the monthly run: thin, ids in, one service call each."""

import logging

from celery import shared_task
from django.db import OperationalError

from aldis.exceptions import ApplicationError
from audit.services import Actor
from eligibility.services.runs import current_month, month_run_execute, month_run_request

logger = logging.getLogger(__name__)


# acks_late: a worker lost mid-run gets the message redelivered, and month_run_execute then marks
# the abandoned run failed. The soft limit raises inside the computation (the run fails cleanly);
# both stay below the Redis visibility timeout (1 h), which would redeliver a run still working.
# A database that cannot be reached is retried: a run nobody executes would block its month.
@shared_task(
    acks_late=True,
    soft_time_limit=25 * 60,
    time_limit=30 * 60,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=30,
)
def month_run_task(run_id: int) -> str:
    """Execute MonthRun ``run_id``; returns its status (done or failed, or as it was)."""
    return month_run_execute(run_id=run_id).status


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
