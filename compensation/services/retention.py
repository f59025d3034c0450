"""Retention of what the parties reported (rule 4 of ``aldis.retention``).

Applied and claim lines carry personal codes and addresses: the lines of months before the cutoff
C go, and so do the submissions of those months (their stored ``response`` repeats the lines),
unless a kept line still belongs to one. Recovery items closed (recovered or waived) and created
before C go; open ones stay whatever their age. Statements stay: their totals are the financial
record (and carry no personal data), but the lines behind a purged month, and so its statement's
line export, no longer exist.
"""

from datetime import date
from typing import Any

from django.db.models import Q

from aldis.retention import (
    Expiry,
    Model,
    Progress,
    RetentionPlan,
    cutoff_instant,
    purge_table,
    retention_plan,
)
from compensation.models import AppliedLine, ClaimLine, RecoveryItem, RecoveryStatus, Submission

CLOSED = (RecoveryStatus.RECOVERED, RecoveryStatus.WAIVED)
# Lines before their submissions: a submission stays while a kept line refers to it.
PURGED_MODELS: tuple[Model, ...] = (AppliedLine, ClaimLine, Submission, RecoveryItem)


def compensation_expiries(*, before: date) -> list[Expiry]:
    """The rules of compensation for cutoff ``before``."""
    return [
        Expiry(AppliedLine, Q(month__lt=before)),
        Expiry(ClaimLine, Q(month__lt=before)),
        Expiry(Submission, Q(month__lt=before)),
        Expiry(RecoveryItem, Q(status__in=CLOSED, created_at__lt=cutoff_instant(before))),
    ]


def compensation_purge_expired(
    *,
    before: date,
    commit: bool,
    actor: Any,
    progress: Progress | None = None,
    plan: RetentionPlan | None = None,
) -> dict[str, int]:
    """Delete (``commit``) or count the lines, submissions and closed recovery items past
    retention at cutoff ``before``; return ``{model label: rows}``.

    One durable transaction per table (``purge_table``), audited; idempotent.
    """
    plan = plan or retention_plan(before=before)
    return {
        model._meta.label: purge_table(
            plan=plan, model=model, before=before, commit=commit, actor=actor, progress=progress
        )
        for model in PURGED_MODELS
    }
