"""The monthly run: a new version of month M, requested, executed once, done or failed.

Status machine of a ``MonthRun`` (every step audited in the transaction that takes it)::

    (request) ──> queued ──> running ──> done      the newest done version of M is in force
                    │           │
                    └───────────┴──────> failed    nothing of it is visible; the previous
                                                   done version stays in force

* ``month_run_request`` creates version N+1 of M ``queued``, fixing what it will read: the
  knowledge horizon (``knowledge_batch``) and the parameter values as known then. At most one
  run of a month is queued or running: a partial unique constraint guards it, and a second
  request gets ``ApplicationError(code="run_in_progress")``. The Celery task is sent on commit.
* ``month_run_execute`` moves it to ``running`` (committed, so progress shows), then computes
  and marks it ``done`` in one transaction: a failure rolls back every row the computation wrote
  and marks the run ``failed`` with the exception's class and message.

Duplicate deliveries (acks_late: a worker lost mid-run gets its message redelivered) are safe.
On PostgreSQL the executing worker holds a session advisory lock on the run for as long as it
works: a second delivery that cannot take it leaves the run alone; one that can finds a
``running`` run whose worker is gone, and marks it failed ("abandoned") so that the month can be
requested again instead of staying blocked.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from aldis.exceptions import ApplicationError
from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.feeds.services import _IMPORT_LOCK_KEY
from audit.services import Actor, audit_record
from eligibility.models import MonthRun, RunStatus
from eligibility.selectors import parameters_on

logger = logging.getLogger(__name__)

RIGA = ZoneInfo("Europe/Riga")
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
# An import whose batch row says "received" this long after it was created has died (a national
# file takes minutes); younger ones may still be applied, under a lower id than newer batches.
IMPORT_GIVEN_UP_AFTER = timedelta(hours=6)
# pg_try_advisory_lock(class, run id): the two-int key space never meets the feeds' bigint key.
_RUN_LOCK_CLASS = 0x414C5255  # "ALRU"
ERROR_MAX = 2000
RUNNER = Actor.system("month-run")


def current_month() -> date:
    """The first day of the current month in Latvia (Europe/Riga), whatever the server's zone."""
    return timezone.localtime(timezone.now(), RIGA).date().replace(day=1)


def lock_imports() -> None:
    """Take the feed import's transaction lock (PostgreSQL): no import applies until commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK_KEY])


def knowledge_horizon() -> int:
    """The newest applied feed batch that a run may read as settled (0 when there is none).

    Read under the import lock, so no import is half-way through applying. A batch row is created
    before its import takes the lock, so an import still waiting for it holds a *lower* id than a
    batch applied meanwhile; its records would later appear "as known at" that newer batch. The
    horizon therefore stops below the oldest batch still ``received`` (one older than
    ``IMPORT_GIVEN_UP_AFTER`` is taken as dead). Runs in the caller's transaction if there is one.
    """
    with transaction.atomic():
        lock_imports()
        pending = FeedBatch.objects.filter(
            status=BatchStatus.RECEIVED, received_at__gte=timezone.now() - IMPORT_GIVEN_UP_AFTER
        ).aggregate(first=Min("id"))["first"]
        applied = FeedBatch.objects.filter(status=BatchStatus.APPLIED)
        if pending is not None:
            applied = applied.filter(id__lt=pending)
        return int(applied.aggregate(last=Max("id"))["last"] or 0)


def _check_month(month: date) -> None:
    if not isinstance(month, date) or month.day != 1:
        raise ValidationError({"month": [f"{month} is not the first day of a month"]})
    this = current_month()
    next_month = (this + timedelta(days=31)).replace(day=1)
    if month > next_month:
        raise ValidationError({"month": [f"{month:%Y-%m} is after next month ({next_month:%Y-%m})"]})


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def month_run_request(*, month: date, actor: Any) -> MonthRun:
    """Request a new version of ``month`` (its first day) and return it, ``queued``.

    Raises ``ValidationError`` if ``month`` is not a first day or lies after next month, and
    ``ApplicationError(code="run_in_progress")`` while a run of that month is queued or running.
    In one transaction (the caller's, if any): the knowledge horizon read under the import lock,
    the parameters on the month's first day as known at it (stored as text), the run, and a
    ``run.request`` event. The task goes to Celery on commit; run eagerly (no broker), the run
    has executed by the time the outermost transaction commits (refresh the instance to see it).
    """
    _check_month(month)
    who = Actor.of(actor)
    with transaction.atomic():
        horizon = knowledge_horizon()
        parameters = parameters_on(day=month, known_at_batch=horizon)
        version = (MonthRun.objects.filter(month=month).aggregate(last=Max("version"))["last"] or 0) + 1
        try:
            # The constraint is the guard, not a read before: two requests cannot both win.
            with transaction.atomic():
                run = MonthRun.objects.create(
                    month=month,
                    version=version,
                    status=RunStatus.QUEUED,
                    knowledge_batch=horizon,
                    parameters={name: _as_text(value) for name, value in sorted(parameters.items())},
                    requested_by=f"{who.type}:{who.id}",
                )
        except IntegrityError:
            active = MonthRun.objects.filter(month=month, status__in=ACTIVE).first()
            raise ApplicationError(
                f"a run of {month:%Y-%m} is already {active.status if active else 'in progress'}",
                code="run_in_progress",
                details={"month": f"{month:%Y-%m}", "run": active.pk if active else None},
            ) from None
        audit_record(
            actor=who,
            action="run.request",
            target=run,
            data={"month": f"{month:%Y-%m}", "version": version, "knowledge_batch": horizon},
        )
        transaction.on_commit(partial(_enqueue, run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from eligibility.tasks import month_run_task

    try:
        month_run_task.delay(run_id)
    except Exception as exc:
        # No broker (or, run eagerly, an error outside the computation): a queued run that no
        # worker will ever take would block the month, so it fails and the month stays open.
        logger.error("month run %s not executed: %s", run_id, type(exc).__name__)
        _fail(run_id, error=_error_text(exc), stage="enqueue")


@contextmanager
def _claim(run_id: int) -> Iterator[bool]:
    """Hold the run's session lock while working on it (PostgreSQL); yield whether we got it."""
    if connection.vendor != "postgresql":
        yield True  # SQLite: runs execute in-process, one request at a time per month
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_RUN_LOCK_CLASS, run_id])
        claimed = bool(cursor.fetchone()[0])
    try:
        yield claimed
    finally:
        if claimed and connection.connection is not None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_RUN_LOCK_CLASS, run_id])
            except Exception:  # the connection died: so did its session lock
                logger.warning("month run %s: could not release its lock", run_id)


def _error_text(exc: BaseException) -> str:
    # The class and the message only: a traceback would carry code paths and values around.
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX]


def _fail(run_id: int, *, error: str, stage: str) -> MonthRun:
    """Mark a queued or running run failed, audited; a run already finished is left as it is."""
    if not connection.in_atomic_block and connection.connection is not None and not connection.is_usable():
        connection.close()  # the computation broke the connection; the next query opens a new one
    with transaction.atomic():
        failed = MonthRun.objects.filter(pk=run_id, status__in=ACTIVE).update(
            status=RunStatus.FAILED, error=error, finished_at=timezone.now()
        )
        run = MonthRun.objects.get(pk=run_id)
        if failed:
            audit_record(
                actor=RUNNER,
                action="run.failed",
                target=run,
                data={
                    "month": f"{run.month:%Y-%m}",
                    "version": run.version,
                    "stage": stage,
                    "error": error.split(":", 1)[0],  # the class: a message may name a person
                },
            )
    return run


def month_run_execute(*, run_id: int) -> MonthRun:
    """Execute a queued run: ``running``, then the computation and ``done`` in one transaction.

    Never raises for a failure of the computation: the run is marked ``failed`` (the exception's
    class and message in ``error``, audited ``run.failed``), every row the computation wrote is
    rolled back, and the previous done version of the month stays in force. Idempotent: a run
    that is not queued is returned unchanged, except a ``running`` one whose worker is gone
    (PostgreSQL: nobody holds its lock), which is marked failed as abandoned. Commits as it goes,
    so it refuses to run inside an outer transaction.
    """
    with _claim(run_id) as claimed:
        run = MonthRun.objects.get(pk=run_id)
        if not claimed:
            return run  # another worker is executing it
        if run.status == RunStatus.RUNNING:
            return _fail(run_id, error="abandoned: the worker executing it stopped", stage="execute")
        if run.status != RunStatus.QUEUED:
            return run

        with transaction.atomic(durable=True):
            started = MonthRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
                status=RunStatus.RUNNING, started_at=timezone.now(), chunks_total=1, chunks_done=0
            )
            run.refresh_from_db()
            if not started:
                return run
            audit_record(
                actor=RUNNER,
                action="run.start",
                target=run,
                data={"month": f"{run.month:%Y-%m}", "version": run.version},
            )

        try:
            with transaction.atomic(durable=True):
                from eligibility.services.lines import contract_lines_compute
                from eligibility.services.scheme_e import scheme_e_compute
                from eligibility.services.scheme_p import scheme_p_compute

                summary = scheme_p_compute(run=run)
                energy = scheme_e_compute(run=run)
                contract_lines_compute(run=run)
                energy_summary = {
                    "households": energy.households,
                    "eligible_households": energy.eligible_households,
                    "sanctioned_households": energy.sanctioned_households,
                    "resources": energy.resources,
                    "objects": energy.objects,
                    "addresses": energy.addresses,
                }
                MonthRun.objects.filter(pk=run_id).update(
                    energy_aid=energy_summary,
                    status=RunStatus.DONE,
                    finished_at=timezone.now(),
                    chunks_done=1,
                    households=summary.households,
                    persons_without_address=summary.persons_without_address,
                    entitled_households=summary.entitled_households,
                    unattributed_households=summary.unattributed_households,
                    total_eur=summary.total_eur,
                )
                audit_record(
                    actor=RUNNER,
                    action="run.done",
                    target=run,
                    data={
                        "month": f"{run.month:%Y-%m}",
                        "version": run.version,
                        "households": summary.households,
                        "persons_without_address": summary.persons_without_address,
                        "entitled_households": summary.entitled_households,
                        "unattributed_households": summary.unattributed_households,
                        "units": dict(sorted(summary.units.items())),
                        "total_eur": summary.total_eur,
                        "energy_aid": energy_summary,
                    },
                )
        except Exception as exc:
            logger.error("month run %s (%s) failed: %s", run_id, run, type(exc).__name__)
            return _fail(run_id, error=_error_text(exc), stage="execute")
    run.refresh_from_db()
    return run
