"""Retention of the monthly runs' results (rule 2 of ``aldis.retention``).

The rows a finished run (done or failed) of a month before the cutoff C wrote (unit decisions,
entitlements, energy-aid decisions, eligible objects and addresses, contract and adjustment lines,
chunks) name persons, addresses and contracts: past retention. Before they go, the month's
aggregate statistics are kept on the ``MonthRun`` row, ``statistics``: ``month_totals`` (granted
units and amounts per category, households and amounts per municipality, lines and amounts per
trader) with every amount a two-decimal string. A run whose statistics are kept is never
recomputed; the ``MonthRun`` rows stay (parameters, summaries, statistics: nothing personal). A
run still queued or running is left alone whatever its month.

Risky module: the statistics step commits before the rows are deleted, and the rows of a done run
are deleted only by ``eligibility_purge_expired``, which keeps its statistics first.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from aldis.retention import Expiry, Model, Progress, RetentionPlan, audit_step, purge_table, retention_plan
from eligibility.models import MonthRun, MonthRunChunk, RunStatus
from eligibility.selectors import month_totals
from eligibility.services.runs import RESULT_MODELS

STATISTICS = "eligibility.MonthRun.statistics"
FINISHED = (RunStatus.DONE, RunStatus.FAILED)
PURGED_MODELS: tuple[Model, ...] = (*RESULT_MODELS, MonthRunChunk)


def eligibility_expiries(*, before: date) -> list[Expiry]:
    """The rows of finished runs of months before ``before``."""
    condition = Q(run__month__lt=before, run__status__in=FINISHED)
    return [Expiry(model, condition) for model in PURGED_MODELS]


def _as_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    return value


def month_statistics(*, run: MonthRun) -> dict[str, Any]:
    """``month_totals`` of ``run`` as JSON: amounts as two-decimal strings."""
    result: dict[str, Any] = _as_json(month_totals(run=run))
    return result


def month_statistics_keep(*, before: date, commit: bool, actor: Any) -> int:
    """Keep (``commit``) or count the statistics of the done runs of months before ``before``
    that have none yet; return how many runs.

    One durable transaction, audited. Loops over runs (a few a month), never over their rows.
    """
    runs = MonthRun.objects.filter(month__lt=before, status=RunStatus.DONE, statistics__isnull=True)
    if not commit:
        return runs.count()
    kept = 0
    with transaction.atomic(durable=True):
        for run in runs.order_by("month", "version"):
            kept += MonthRun.objects.filter(pk=run.pk, statistics__isnull=True).update(
                statistics=month_statistics(run=run)
            )
        if kept:
            audit_step(actor=actor, table=STATISTICS, operation="keep", count=kept, before=before)
    return kept


def eligibility_purge_expired(
    *,
    before: date,
    commit: bool,
    actor: Any,
    progress: Progress | None = None,
    plan: RetentionPlan | None = None,
) -> dict[str, int]:
    """Keep the statistics of the runs of months before ``before``, then delete (``commit``) or
    count their rows; return ``{STATISTICS: runs, model label: rows, ...}``.

    The statistics commit first (a failure there raises before any row goes); then one durable
    transaction per table (``purge_table``), audited. Idempotent.
    """
    plan = plan or retention_plan(before=before)
    counts = {STATISTICS: month_statistics_keep(before=before, commit=commit, actor=actor)}
    for model in PURGED_MODELS:
        counts[model._meta.label] = purge_table(
            plan=plan, model=model, before=before, commit=commit, actor=actor, progress=progress
        )
    return counts
