"""Retention of personal data: what is past retention, and the purge that deletes it.

DOMAIN "Audit and retention": personal data and audit trails are kept 24 months, then deleted;
aggregate statistics are kept without personal data. INTERFACES §2: ``purge_expired [--commit]``.

The rule (version 1). The cutoff C is the first day of the month ``ALDIS_RETENTION_MONTHS`` (24)
months before the as-of date's month (``retention_cutoff``). Past retention:

1. register record versions (every ``VersionedRecord`` table of households and traders except
   ``AddressRecord``: addresses are not personal data) that stopped being true before C
   (``valid_to`` < C) or were replaced before C (``superseded_in`` is a batch received before C).
   A current, still valid version stays however old its ``valid_from``, except the records of a
   person who died before C. Monthly facts (a table with a ``month``: income, benefits, housing
   costs): every version of a month before C;
2. the run results of months before C (``eligibility.services.retention``), after the month's
   aggregates are kept on ``MonthRun.statistics``; the ``MonthRun`` rows stay;
3. refusals, contract choices and counted-child marks that ended before C (``valid_to`` < C),
   contest cases decided before C (open cases stay, whatever their age);
4. applied and claim lines and submissions of months before C; recovery items closed (recovered,
   waived) and created before C. Statements stay: their totals are the financial record, but the
   lines behind them (and so their line exports) are gone;
5. the bad rows kept on feed batches received before C (``FeedBatch.errors``: line, column,
   *value*, reason) are emptied; the batch rows stay, record versions name them;
6. persons (with their ``PersonCode`` rows) that nothing references any more;
7. the admin's own change log (``django.contrib.admin``'s ``LogEntry``: which staff member
   changed which object, named by its text) of changes made before C.

Besides its own rule, a row stays while a row that is *kept* refers to it through any foreign key
of any installed model (``apps.get_models()``, so a new reference is never missed): a person with
anything left, a submission with a kept line, a contract version that a kept month's entitlement
names. "Kept" is "not past retention by these rules", evaluated in SQL, so a dry run counts exactly
what ``--commit`` deletes, whatever the order of the steps.

Design: every step is set-based: one ``DELETE ... WHERE <rule>`` per chunk of 50,000 ids (the
rule's queryset, ``_raw_delete``: no per-row signals or collector), never a Python loop over the
population. Each table is one step: one transaction (durable: never inside an outer one) holding
its chunks and its ``retention.purge`` audit event (table, operation, count; no personal data),
so a crash rolls back a whole table and the purge is safe to run again. Steps that touch register
tables also take the feed import's lock, so no import adds a reference meanwhile. Two purges
cannot run at once: a session advisory lock on PostgreSQL; on SQLite every step's IMMEDIATE
transaction serialises writers. Idempotent: a second run finds nothing (and a step that
deletes nothing writes no audit event).

What the purge gives up, by design: a month can no longer be read "as known at" a batch received
before C (the versions replaced before C are gone); Scheme E's twelve months of facts before a
month, and the year's earlier contract and applied lines behind a balance, are gone for the
months just after C, so a re-run of such a month would compute on partial data.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db import connection, models, transaction
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from aldis.exceptions import ApplicationError
from aldis.feeds.models import FeedBatch
from aldis.feeds.writes import lock_imports
from aldis.months import add_months
from audit.services import audit_purge_expired, audit_record
from audit.services.retention import PurgeResult

PURGE_ACTION = "retention.purge"
CHUNK_IDS = 50_000  # one DELETE per id range of this size
ID_BATCH = 10_000  # ids per statement when deleting by a list (SQLite allows 32,766 parameters)
_PURGE_LOCK_KEY = 0x414C4449_50555247  # "ALDIPURG"

# Called after each chunk of a step: (table label, chunks done, chunks in the step).
Progress = Callable[[str, int, int], None]
Model = type[models.Model]


def _no_progress(label: str, done: int, total: int) -> None:
    return None


def retention_cutoff(*, as_of: date, months: int) -> date:
    """C: the first day of ``as_of``'s month, ``months`` earlier (the first day still retained)."""
    return add_months(as_of, -months)


def cutoff_instant(before: date) -> datetime:
    """The first instant of ``before`` in the project's time zone, for timestamp columns."""
    return datetime.combine(before, time.min, tzinfo=timezone.get_current_timezone())


# --- What is past retention -------------------------------------------------------------------


@dataclass(frozen=True)
class Expiry:
    """One table's own retention rule: ``condition`` selects its rows past retention.

    ``children`` are (model, foreign-key attname) rows owned by a row and deleted with it by the
    step that purges the table (a person's ``PersonCode`` rows): they do not keep it.
    """

    model: Model
    condition: Q
    children: tuple[tuple[Model, str], ...] = ()

    @property
    def label(self) -> str:
        return self.model._meta.label


def references_to(model: Model) -> list[tuple[Model, models.ForeignKey[Any, Any]]]:
    """Every foreign key (or one-to-one) of every installed model that points at ``model``."""
    found = []
    for other in apps.get_models(include_auto_created=True):
        for candidate in other._meta.concrete_fields:
            if isinstance(candidate, models.ForeignKey) and candidate.related_model is model:
                found.append((other, candidate))
    return found


@dataclass
class RetentionPlan:
    """Every table's rule, and the rows each rule leaves once the kept rows' references count.

    ``expired(model)`` is the queryset of rows to delete: the table's own condition, and no kept
    row of any model refers to it. A model without a rule is kept whole.
    """

    expiries: dict[Model, Expiry]
    _conditions: dict[Model, Q] = field(default_factory=dict)
    _resolving: set[Model] = field(default_factory=set)

    @classmethod
    def of(cls, expiries: Iterable[Expiry]) -> "RetentionPlan":
        return cls(expiries={expiry.model: expiry for expiry in expiries})

    def condition(self, model: Model) -> Q:
        if model in self._conditions:
            return self._conditions[model]
        expiry = self.expiries[model]
        self._resolving.add(model)
        children = {(child, attname) for child, attname in expiry.children}
        condition = expiry.condition
        for other, fk in references_to(model):
            if (other, fk.attname) in children:
                continue
            condition &= self._not_referenced(other, fk)
        self._resolving.discard(model)
        self._conditions[model] = condition
        return condition

    def expired(self, model: Model) -> QuerySet[Any]:
        return model._default_manager.filter(self.condition(model))

    def kept(self, model: Model) -> QuerySet[Any]:
        """The rows of ``model`` that this purge leaves (all of them if it has no rule)."""
        # A reference cycle back to a table being resolved counts as kept: it keeps more, never less.
        if model not in self.expiries or model in self._resolving:
            return model._default_manager.all()
        return model._default_manager.exclude(self.condition(model))

    def _not_referenced(self, other: Model, fk: models.ForeignKey[Any, Any]) -> Q:
        """No kept row of ``other`` points at this row through ``fk``.

        PostgreSQL: NOT EXISTS, planned as an anti-join. SQLite: NOT IN over the kept rows'
        keys, which it materialises once (a correlated NOT EXISTS would scan an unindexed
        column once per row).
        """
        target = fk.target_field.attname
        kept = self.kept(other)
        if connection.vendor == "postgresql":
            return Q(~Exists(kept.filter(**{fk.attname: OuterRef(target)})))
        keys = kept.filter(**{f"{fk.attname}__isnull": False}).values(fk.attname)
        return ~Q(**{f"{target}__in": keys})


def retention_plan(*, before: date) -> RetentionPlan:
    """The rules of every app for cutoff ``before``."""
    from compensation.services.retention import compensation_expiries
    from eligibility.services.retention import eligibility_expiries
    from households.services.retention import households_expiries

    return RetentionPlan.of(
        [
            *eligibility_expiries(before=before),
            *compensation_expiries(before=before),
            *households_expiries(before=before),
            Expiry(LogEntry, Q(action_time__lt=cutoff_instant(before))),
        ]
    )


# --- Deleting, one table per step ---------------------------------------------------------------


def audit_step(*, actor: Any, table: str, operation: str, count: int, before: date) -> None:
    """The step's audit event, inside its transaction (nothing personal: a table and a count)."""
    audit_record(
        actor=actor,
        action=PURGE_ACTION,
        data={"table": table, "operation": operation, "count": count, "before": before.isoformat()},
    )


def purge_table(
    *,
    plan: RetentionPlan,
    model: Model,
    before: date,
    commit: bool,
    actor: Any,
    progress: Progress | None = None,
    imports_locked: bool = False,
) -> int:
    """Delete (``commit``) or count the rows of ``model`` past retention; return how many.

    One durable transaction: the id range of the rows past retention, one ``DELETE`` per
    ``CHUNK_IDS`` ids of it, and the audit event (only when something went). Raises
    ``TransactionManagementError`` inside an outer transaction. Idempotent.
    """
    queryset = plan.expired(model)
    if not commit:
        return queryset.count()
    label = model._meta.label
    report = progress or _no_progress
    deleted = 0
    with transaction.atomic(durable=True):
        if imports_locked:
            lock_imports()
        bounds = queryset.aggregate(low=Min("pk"), high=Max("pk"))
        if bounds["low"] is None:
            return 0
        low, high = int(bounds["low"]), int(bounds["high"])
        chunks = (high - low) // CHUNK_IDS + 1
        for index in range(chunks):
            start = low + index * CHUNK_IDS
            deleted += queryset.filter(pk__gte=start, pk__lt=start + CHUNK_IDS)._raw_delete(queryset.db)
            report(label, index + 1, chunks)
        if deleted:
            audit_step(actor=actor, table=label, operation="delete", count=deleted, before=before)
    return deleted


def batched(ids: list[int], size: int = ID_BATCH) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


# --- Feed batches' bad rows (rule 5) -------------------------------------------------------------

FEED_ERRORS = "feeds.FeedBatch.errors"


def feed_errors_purge_expired(*, before: date, commit: bool, actor: Any) -> dict[str, int]:
    """Empty ``errors`` (bad rows with their values) of the batches received before ``before``.

    The batch rows and their ``error_count`` stay (record versions name the batches). One
    ``UPDATE``, audited, in its own transaction; idempotent. Returns ``{FEED_ERRORS: batches}``.
    """
    batches = FeedBatch.objects.filter(received_at__lt=cutoff_instant(before)).exclude(errors=[])
    if not commit:
        return {FEED_ERRORS: batches.count()}
    with transaction.atomic(durable=True):
        emptied = batches.update(errors=[])
        if emptied:
            audit_step(actor=actor, table=FEED_ERRORS, operation="empty", count=emptied, before=before)
    return {FEED_ERRORS: emptied}


# --- The whole purge -----------------------------------------------------------------------------


@contextmanager
def purge_lock() -> Iterator[None]:
    """One purge at a time (PostgreSQL session advisory lock; ``ApplicationError`` if taken)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_PURGE_LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise ApplicationError("another purge is running", code="purge_running")
    try:
        yield
    finally:
        if connection.connection is not None and connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_PURGE_LOCK_KEY])
        # else: the connection died, and its session lock with it


@dataclass
class RetentionResult:
    before: date
    tables: dict[str, int]  # step label (a model label, or a model's field) -> rows
    audit: PurgeResult


def retention_purge_expired(
    *, as_of: date, commit: bool, actor: Any, progress: Progress | None = None
) -> RetentionResult:
    """Delete (``commit``) or count everything past retention on ``as_of``: personal data, then
    the audit trail (``audit_purge_expired``). ``tables`` lists every step in order.

    Steps, each its own transaction: run results (statistics kept first), compensation lines,
    the person's actions and the register records, persons, feed batches' bad rows, the audit
    trail. Referring rows go before what they refer to, so that no step leaves a dangling
    reference behind if a later one fails. Raises ``ApplicationError(code="purge_running")``
    while another purge holds the lock (PostgreSQL). Must not run inside a transaction.
    Idempotent: a second run finds nothing.
    """
    from compensation.services.retention import compensation_purge_expired
    from eligibility.services.retention import eligibility_purge_expired
    from households.services.retention import households_purge_expired, persons_purge_unreferenced

    before = retention_cutoff(as_of=as_of, months=settings.ALDIS_RETENTION_MONTHS)
    plan = retention_plan(before=before)
    common: dict[str, Any] = {"before": before, "commit": commit, "actor": actor, "plan": plan}
    tables: dict[str, int] = {}
    with purge_lock() if commit else nullcontext():
        tables |= eligibility_purge_expired(**common, progress=progress)
        tables |= compensation_purge_expired(**common, progress=progress)
        tables |= households_purge_expired(**common, progress=progress)
        tables |= persons_purge_unreferenced(**common, progress=progress)
        tables |= feed_errors_purge_expired(before=before, commit=commit, actor=actor)
        tables[LogEntry._meta.label] = purge_table(model=LogEntry, progress=progress, **common)
        audit = audit_purge_expired(before=cutoff_instant(before), actor=actor, commit=commit)
    return RetentionResult(before=before, tables=tables, audit=audit)
