"""Retention of what the registers and the person said (rules 1, 3 and 6 of ``aldis.retention``).

With C the cutoff (the first day still retained), past retention are:

* register record versions of households and traders (every ``VersionedRecord`` table there but
  ``AddressRecord``: addresses are not personal data, they stay) that stopped being true before C
  (``valid_to`` < C) or were replaced before C (``superseded_in`` is a feed batch whose
  ``received_at`` is before C). A current, still valid version stays however old its
  ``valid_from``, unless the record is of a person who died before C (a table with a ``person``;
  the death as the current population record states it): the register keeps a dead person's
  records open, and nothing of theirs is needed once every month they counted in is past
  retention. Monthly facts (a table with a ``month``: ``Income``, ``Benefit``,
  ``HousingCost``): every version of a month before C;
* the person's own actions and the Bureau's marks: ``ServiceRefusal``, ``ContractChoice`` and
  ``CountedChildMark`` that ended before C; ``ContestCase`` decided before C (open cases stay);
* a ``Person``, with its ``PersonCode`` rows, that no kept row of any model refers to.

Every rule also keeps a row that a kept row refers to (``RetentionPlan``), e.g. a contract version
that a kept month's entitlement names. Deletion is set-based and chunked (``purge_table``); the
register steps hold the feed import's lock. Risky module: it deletes personal data for good.
"""

from contextlib import nullcontext
from datetime import date
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from aldis.feeds.models import FeedBatch, VersionedRecord
from aldis.feeds.writes import lock_imports
from aldis.retention import (
    Expiry,
    Model,
    Progress,
    RetentionPlan,
    audit_step,
    batched,
    cutoff_instant,
    purge_table,
    retention_plan,
)
from households.models import (
    AddressRecord,
    ContestCase,
    ContractChoice,
    CountedChildMark,
    Person,
    PersonCode,
    PopulationRecord,
    ServiceRefusal,
)

REGISTER_APPS = ("households", "traders")
NOT_PERSONAL: tuple[Model, ...] = (AddressRecord,)
# The person's actions and the Bureau's marks that end (``valid_to``).
ENDED_ACTIONS: tuple[Model, ...] = (ServiceRefusal, ContractChoice, CountedChildMark)


def register_models() -> list[Model]:
    """Every register record table of households and traders that holds personal data."""
    return [
        model
        for label in REGISTER_APPS
        for model in apps.get_app_config(label).get_models()
        if issubclass(model, VersionedRecord) and model not in NOT_PERSONAL
    ]


def is_monthly_fact(model: Model) -> bool:
    return any(f.name == "month" for f in model._meta.concrete_fields)


def register_expiry(model: Model, *, before: date) -> Expiry:
    if is_monthly_fact(model):
        return Expiry(model, Q(month__lt=before))
    replaced_before = FeedBatch.objects.filter(received_at__lt=cutoff_instant(before)).values("pk")
    expired = Q(valid_to__lt=before) | Q(superseded_in_id__in=replaced_before)
    if any(f.name == "person" for f in model._meta.concrete_fields):
        died_before = PopulationRecord.objects.filter(superseded_in__isnull=True, death_date__lt=before)
        expired |= Q(person_id__in=died_before.values("person_id"))
    return Expiry(model, expired)


def households_expiries(*, before: date) -> list[Expiry]:
    """The rules of households (and traders' register records) for cutoff ``before``."""
    return [
        Expiry(ContestCase, Q(decided_at__lt=cutoff_instant(before))),
        *(Expiry(model, Q(valid_to__lt=before)) for model in ENDED_ACTIONS),
        *(register_expiry(model, before=before) for model in register_models()),
        # Every person, unless something kept refers to them; their codes go with them.
        Expiry(Person, Q(), children=((PersonCode, "person_id"),)),
    ]


def households_purge_expired(
    *,
    before: date,
    commit: bool,
    actor: Any,
    progress: Progress | None = None,
    plan: RetentionPlan | None = None,
) -> dict[str, int]:
    """Delete (``commit``) or count contest cases, refusals, choices, marks and register record
    versions past retention at cutoff ``before``; return ``{model label: rows}``.

    One durable transaction per table (``purge_table``), audited; the register tables' steps hold
    the feed import lock. ``plan``: the whole purge's rules (built here if not given), so that
    rows another app still keeps are not deleted. Persons: ``persons_purge_unreferenced``.
    """
    plan = plan or retention_plan(before=before)
    common: dict[str, Any] = {"plan": plan, "before": before, "commit": commit, "actor": actor}
    counts: dict[str, int] = {}
    actions: tuple[Model, ...] = (ContestCase, *ENDED_ACTIONS)
    for model in actions:
        counts[model._meta.label] = purge_table(model=model, progress=progress, **common)
    # The population records last: the others' rule reads the deaths they record.
    for model in sorted(register_models(), key=lambda model: model is PopulationRecord):
        counts[model._meta.label] = purge_table(model=model, progress=progress, imports_locked=True, **common)
    return counts


def persons_purge_unreferenced(
    *,
    before: date,
    commit: bool,
    actor: Any,
    progress: Progress | None = None,
    plan: RetentionPlan | None = None,
) -> dict[str, int]:
    """Delete (``commit``) or count the persons nothing kept refers to, and their codes.

    "Nothing" is every foreign key to ``Person`` of every installed model (found at run time),
    counting only the rows this purge keeps, so a dry run counts what a commit deletes. One
    durable transaction holding the feed import lock: the persons' ids are read once (the
    anti-join over every referring table), then deleted ``ID_BATCH`` at a time, each statement
    checking again that nothing refers to them. Audited per table; idempotent.
    """
    plan = plan or retention_plan(before=before)
    labels = (PersonCode._meta.label, Person._meta.label)
    with transaction.atomic(durable=True) if commit else nullcontext():
        if commit:
            lock_imports()
        ids = list(plan.expired(Person).order_by("pk").values_list("pk", flat=True))
        batches = list(batched(ids))
        if not commit:
            codes = sum(PersonCode.objects.filter(person_id__in=batch).count() for batch in batches)
            return dict(zip(labels, (codes, len(ids)), strict=True))
        unreferenced = plan.condition(Person)
        gone = ~Exists(Person.objects.filter(pk=OuterRef("person_id")))
        persons = codes = 0
        for index, batch in enumerate(batches):
            persons += Person.objects.filter(unreferenced, pk__in=batch)._raw_delete(Person.objects.db)
            codes += PersonCode.objects.filter(gone, person_id__in=batch)._raw_delete(PersonCode.objects.db)
            if progress:
                progress(Person._meta.label, index + 1, len(batches))
        for label, count in zip(labels, (codes, persons), strict=True):
            if count:
                audit_step(actor=actor, table=label, operation="delete", count=count, before=before)
    return dict(zip(labels, (codes, persons), strict=True))
