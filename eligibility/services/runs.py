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

Nothing stays ``queued`` or ``running`` for ever (the month would be blocked):

* an interruption of an in-process run (Ctrl-C, ``SystemExit``: a ``BaseException``) marks it
  failed before it propagates;
* a shared run's chord carries an error callback (``month_run_fail_task``): a chunk that raised
  after its retries or was killed at its time limit, or a finish that was, fails the run;
* anything else (a worker killed at its hard limit, a message lost from the broker) leaves a
  run *stale*: queued since requested, or running since started, for longer than
  ``ALDIS_RUN_STALE_AFTER_MINUTES`` (by default twice the longest the tasks' hard time limits let
  a run work, ``eligibility.limits``). ``month_runs_fail_stale`` marks such runs failed: the next
  request of the month calls it first (so an operator just runs the month again, with or without
  a broker), and so do the beat every 10 minutes and ``run_month --wait``.

Every step that moves a run is a conditional update on its status (and the finish holds the
run's row), so marking a run failed cannot race with a worker still finishing it: whichever
commits first wins, and a late finish of a run already failed rolls back instead of making it
``done``.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from aldis.exceptions import ApplicationError
from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.feeds.writes import lock_imports
from aldis.retention import retention_cutoff
from audit.services import Actor, audit_record
from compensation.services.recovery import recovery_items_compute
from eligibility.models import (
    AdjustmentLine,
    ContractLine,
    EligibleAddress,
    EligibleObject,
    EnergyAidDecision,
    HouseholdEntitlement,
    MonthRun,
    MonthRunChunk,
    RunStatus,
    UnitDecision,
)
from eligibility.selectors import credited_runs_in_force, parameters_on
from eligibility.services.lines import adjustment_lines_compute, contract_lines_compute
from eligibility.services.scheme_e import scheme_e_compute, scheme_e_summary
from eligibility.services.scheme_p import Chunk, RunSql, SchemePSummary, scheme_p_compute, scheme_p_totals

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
RESULT_MODELS = (
    UnitDecision,
    HouseholdEntitlement,
    EnergyAidDecision,
    EligibleObject,
    EligibleAddress,
    ContractLine,
    AdjustmentLine,
)


class RunStopped(Exception):
    """The run was marked failed (stale) while this worker was still computing it."""


def current_month() -> date:
    """The first day of the current month in Latvia (Europe/Riga), whatever the server's zone."""
    return timezone.localtime(timezone.now(), RIGA).date().replace(day=1)


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
    # Data of months before the retention cutoff is (or may be) erased: such a month cannot be
    # computed again ("as long as data is retained", DOMAIN: Time).
    cutoff = retention_cutoff(as_of=this, months=settings.ALDIS_RETENTION_MONTHS)
    if month < cutoff:
        raise ValidationError(
            {"month": [f"{month:%Y-%m} is past retention: data before {cutoff:%Y-%m} is erased"]}
        )


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def month_run_request(*, month: date, actor: Any) -> MonthRun:
    """Request a new version of ``month`` (its first day) and return it, ``queued``.

    Raises ``ValidationError`` if ``month`` is not a first day or lies after next month, and
    ``ApplicationError(code="run_in_progress")`` while a run of that month is queued or running,
    unless that run is stale: it is then marked failed first (``month_runs_fail_stale``) and the
    request proceeds. In one transaction (the caller's, if any): the knowledge horizon read under the import lock,
    the parameters on the month's first day as known at it (stored as text), the run, and a
    ``run.request`` event. The task goes to Celery on commit; run eagerly (no broker), the run
    has executed by the time the outermost transaction commits (refresh the instance to see it).
    """
    _check_month(month)
    who = Actor.of(actor)
    with transaction.atomic():
        horizon = knowledge_horizon()
        parameters = parameters_on(day=month, known_at_batch=horizon)
        # A run whose worker died or whose task was lost would block the month for ever: asking
        # again is the way out (no beat needed, as in the embedded mode).
        month_runs_fail_stale(month=month)
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

    # Interrupted while sending (or, run eagerly, before the computation): it fails too.
    with _interruption_fails(run_id, stage="enqueue"):
        try:
            month_run_task.delay(run_id)
        except Exception as exc:
            # No broker (or, run eagerly, an error outside the computation): a queued run that no
            # worker will ever take would block the month, so it fails and the month stays open.
            logger.error("month run %s not executed: %s", run_id, type(exc).__name__)
            _fail(run_id, error=_error_text(exc), stage="enqueue")


# --- Stale runs: queued or running for longer than a run can take --------------------------------


def stale_after() -> timedelta:
    """``ALDIS_RUN_STALE_AFTER_MINUTES``: how long a run may stay queued, or running."""
    return timedelta(minutes=settings.ALDIS_RUN_STALE_AFTER_MINUTES)


def _stale(now: datetime) -> Q:
    """Queued since requested, or running since started, for longer than ``stale_after()``."""
    cutoff = now - stale_after()
    return Q(status=RunStatus.QUEUED, requested_at__lt=cutoff) | Q(
        Q(started_at__lt=cutoff) | Q(started_at__isnull=True, requested_at__lt=cutoff),
        status=RunStatus.RUNNING,
    )


def _since(run: MonthRun) -> datetime:
    return run.started_at if run.status == RunStatus.RUNNING and run.started_at else run.requested_at


def month_run_is_stale(run: MonthRun, *, now: datetime | None = None) -> bool:
    """Whether ``run`` as loaded is stale: queued since requested, or running since started, for
    longer than ``ALDIS_RUN_STALE_AFTER_MINUTES``."""
    return run.status in ACTIVE and _since(run) < (now or timezone.now()) - stale_after()


def month_runs_fail_stale(*, month: date | None = None) -> list[MonthRun]:
    """Mark every stale run (of ``month``, else of any month) failed and return those this call
    failed: as any failure, audited ``run.failed`` (stage ``stale``) with its chunks' committed
    rows deleted, and the previous done version stays in force.

    Each is one conditional update that checks again that the run is active and stale: a run
    that started or finished meanwhile is left alone, one being finished (its row held) is seen
    done once the finish commits, and a worker still computing one it failed rolls back at its
    finish (``_finish`` updates only a running run). In the caller's transaction, if any.
    """
    now = timezone.now()
    stale = _stale(now)
    runs = MonthRun.objects.filter(stale)
    if month is not None:
        runs = runs.filter(month=month)
    minutes = settings.ALDIS_RUN_STALE_AFTER_MINUTES
    failed = []
    for run in runs.order_by("pk"):
        since = timezone.localtime(_since(run))
        error = (
            f"stale: {run.status} since {since:%Y-%m-%d %H:%M %Z}, longer than a run can take "
            f"({minutes} minutes, ALDIS_RUN_STALE_AFTER_MINUTES); its worker stopped or its task was lost"
        )
        marked, by_this_call = _fail_if(run.pk, error=error, stage="stale", where=stale)
        if by_this_call:
            logger.warning("month run %s (%s) was stale: marked failed", run.pk, marked)
            failed.append(marked)
    return failed


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
    return _fail_if(run_id, error=error, stage=stage)[0]


def _fail_if(run_id: int, *, error: str, stage: str, where: Q | None = None) -> tuple[MonthRun, bool]:
    """``_fail``, only if the run also meets ``where`` at the moment of the update; returns the run
    and whether this call failed it. The committed rows of its chunks are deleted with it."""
    if not connection.in_atomic_block and connection.connection is not None and not connection.is_usable():
        connection.close()  # the computation broke the connection; the next query opens a new one
    with transaction.atomic():
        # One conditional UPDATE: it waits for a finish holding the row, then sees its status.
        failed = (
            MonthRun.objects.filter(where or Q(), pk=run_id, status__in=ACTIVE).update(
                status=RunStatus.FAILED, error=error, finished_at=timezone.now()
            )
            > 0
        )
        run = MonthRun.objects.get(pk=run_id)
        if failed and run.chunks_total > 1:
            _discard_results(run)
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
    return run, failed


def month_run_fail(*, run_id: int, error: str, stage: str) -> MonthRun:
    """Mark a queued or running run failed (``error``: what went wrong, class first), audited
    ``run.failed`` with ``stage``; the committed rows of its chunks are deleted. A run already
    done or failed is returned unchanged."""
    return _fail(run_id, error=error[:ERROR_MAX], stage=stage)


@contextmanager
def _interruption_fails(run_id: int, *, stage: str) -> Iterator[None]:
    """An interruption inside (Ctrl-C, ``SystemExit``: a ``BaseException`` that is no
    ``Exception``) marks the run failed, then goes on. Without it the run would stay running,
    and its month blocked, until it is stale."""
    try:
        yield
    except Exception:
        raise
    except BaseException as exc:
        detail = f" ({exc})" if str(exc) else ""
        logger.error("month run %s interrupted: %s", run_id, type(exc).__name__)
        try:
            _fail(run_id, error=f"{type(exc).__name__}: interrupted{detail}"[:ERROR_MAX], stage=stage)
        except Exception:  # the database is gone too: the run will be failed once stale
            logger.exception("month run %s: could not mark the interrupted run failed", run_id)
        raise


def _discard_results(run: MonthRun) -> None:
    """Delete what the committed chunks of a failed run wrote (an in-process run rolls back)."""
    for model in RESULT_MODELS:
        model.objects.filter(run=run).delete()  # no dependants, no signals: one DELETE each
    MonthRunChunk.objects.filter(run=run).delete()


def month_run_execute(*, run_id: int) -> MonthRun:
    """Execute a queued run in-process: ``running``, then the computation and ``done`` in one
    transaction.

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
        # From here an interruption fails the run: the computation's rows roll back with it.
        with _interruption_fails(run_id, stage="execute"):
            if not _start(run, chunks=1):
                return run
            try:
                with transaction.atomic(durable=True):
                    scheme_p = _compute(run, chunk=None)
                    _finish(
                        run,
                        households=scheme_p.households,
                        persons_without_address=scheme_p.persons_without_address,
                    )
            except Exception as exc:
                logger.error("month run %s (%s) failed: %s", run_id, run, type(exc).__name__)
                return _fail(run_id, error=_error_text(exc), stage="execute")
    run.refresh_from_db()
    return run


def _start(run: MonthRun, *, chunks: int) -> bool:
    """queued -> running (committed, audited); False if the run was not queued.

    The start also fixes the earlier runs the balances credit (``credited_runs``: the version of
    each earlier month of the year in force now), so that every chunk reads the same map."""
    with transaction.atomic(durable=True):
        started = MonthRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING,
            started_at=timezone.now(),
            chunks_total=chunks,
            chunks_done=0,
            credited_runs=credited_runs_in_force(month=run.month),
        )
        run.refresh_from_db()
        if not started:
            return False
        audit_record(
            actor=RUNNER,
            action="run.start",
            target=run,
            data={"month": f"{run.month:%Y-%m}", "version": run.version, "chunks": chunks},
        )
    return True


def _compute(run: MonthRun, *, chunk: Chunk | None) -> SchemePSummary:
    """Both schemes and the contract lines, for the whole run or one chunk of it."""
    summary = scheme_p_compute(run=run, chunk=chunk, keep_members=True)
    scheme_e_compute(run=run, chunk=chunk, members_ready=True)
    contract_lines_compute(run=run, chunk=chunk)
    return summary


def _finish(run: MonthRun, *, households: int, persons_without_address: int) -> None:
    """What needs the whole run written: the adjustments against the version in force until now,
    recovery items, the summary; then ``done``, audited. In the caller's transaction."""
    adjustment_lines_compute(run=run)
    recovery_items_compute(run=run)
    summary = scheme_p_totals(RunSql(run))
    energy = scheme_e_summary(run=run)
    energy_summary = {
        "households": energy.households,
        "eligible_households": energy.eligible_households,
        "sanctioned_households": energy.sanctioned_households,
        "resources": energy.resources,
        "objects": energy.objects,
        "addresses": energy.addresses,
    }
    # Only while it still runs: a run marked failed meanwhile (stale) must not come back done;
    # raising rolls the whole computation back.
    if not MonthRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        energy_aid=energy_summary,
        status=RunStatus.DONE,
        finished_at=timezone.now(),
        chunks_done=run.chunks_total,
        households=households,
        persons_without_address=persons_without_address,
        entitled_households=summary.entitled_households,
        unattributed_households=summary.unattributed_households,
        total_eur=summary.total_eur,
    ):
        raise RunStopped(f"run {run.pk} is no longer running")
    audit_record(
        actor=RUNNER,
        action="run.done",
        target=run,
        data={
            "month": f"{run.month:%Y-%m}",
            "version": run.version,
            "households": households,
            "persons_without_address": persons_without_address,
            "entitled_households": summary.entitled_households,
            "unattributed_households": summary.unattributed_households,
            "units": dict(sorted(summary.units.items())),
            "total_eur": summary.total_eur,
            "energy_aid": energy_summary,
        },
    )


# --- A run shared by several workers: chunks, then the finish (a Celery chord) ------------------


def month_run_start_chunked(*, run_id: int, chunks: int) -> bool:
    """queued -> running with ``chunks`` chunks to compute; True if this call started it.

    The caller then sends one ``month_run_chunk`` per index and, when all have returned,
    ``month_run_finish``. A run that is not queued is left alone (False).
    """
    if chunks < 1:
        raise ValueError("a run has at least one chunk")
    return _start(MonthRun.objects.get(pk=run_id), chunks=chunks)


def month_run_chunk(*, run_id: int, index: int, chunks: int) -> str:
    """Compute chunk ``index`` of ``chunks`` of a running run, in its own transaction.

    Returns ``"done"``, ``"skipped"`` (the run is not running, or this chunk is already
    committed: a duplicate delivery) or ``"failed"`` (the run is then marked failed, and every
    chunk's rows are deleted by ``_fail``). Never raises for a failure of the computation.
    """
    chunk = Chunk(index, chunks)
    run = MonthRun.objects.get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return "skipped"
    try:
        with transaction.atomic(durable=True):
            try:
                with transaction.atomic():
                    record = MonthRunChunk.objects.create(run=run, index=index)
            except IntegrityError:
                return "skipped"  # committed (or being committed) by another delivery
            summary = _compute(run, chunk=chunk)
            record.households = summary.households
            record.persons_without_address = summary.persons_without_address
            record.save(update_fields=["households", "persons_without_address"])
            # Last, and only while the run still runs: a run failed meanwhile rolls this back.
            if not MonthRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
                chunks_done=F("chunks_done") + 1
            ):
                raise transaction.TransactionManagementError("the run stopped running")
    except transaction.TransactionManagementError:
        return "skipped"
    except Exception as exc:
        logger.error("month run %s chunk %s failed: %s", run_id, index, type(exc).__name__)
        _fail(run_id, error=_error_text(exc), stage=f"chunk {index}")
        return "failed"
    return "done"


def month_run_finish(*, run_id: int) -> MonthRun:
    """Finish a chunked run once every chunk is committed: adjustments, recovery items, the
    summary (the chunks' household counts summed), ``done``. A run whose chunks are not all
    there is marked failed; a run that is not running is returned unchanged."""
    try:
        with transaction.atomic(durable=True):
            run = MonthRun.objects.select_for_update().get(pk=run_id)
            if run.status != RunStatus.RUNNING:
                return run
            counts = MonthRunChunk.objects.filter(run=run).aggregate(
                chunks=Count("id"), households=Sum("households"), without=Sum("persons_without_address")
            )
            if counts["chunks"] != run.chunks_total:
                raise ApplicationError(
                    f"{counts['chunks']} of {run.chunks_total} chunks committed", code="run_incomplete"
                )
            _finish(
                run,
                households=int(counts["households"] or 0),
                persons_without_address=int(counts["without"] or 0),
            )
    except Exception as exc:
        logger.error("month run %s failed to finish: %s", run_id, type(exc).__name__)
        return _fail(run_id, error=_error_text(exc), stage="finish")
    run.refresh_from_db()
    return run
