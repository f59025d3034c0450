"""Counted-child marks (DOMAIN: Counted child): Bureau staff mark a young person as a counted
child of an adult for a period, with evidence (studying abroad; a foster youth whose link the
registers dropped). Scheme P reads every mark covering a month's reference date.

A mark is added and ended here, never edited otherwise nor deleted: a wrong mark is ended (its
last day set) and, if need be, a new one added. Marks are not versioned, so a month re-run after
a change reads the marks as they stand then.
"""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from aldis.exceptions import ApplicationError
from audit.services import Actor, audit_record
from households.models import CountedChildMark, Person


def _marked_by(actor: Any) -> str:
    # Like MonthRun.requested_by: who, as the audit trail names them ("user:12").
    who = Actor.of(actor)
    return f"{who.type}:{who.id}"


def _event_data(mark: CountedChildMark) -> dict[str, Any]:
    # Internal ids and dates only: the evidence may name the person and stays in the mark.
    return {
        "mark_id": mark.pk,
        "adult_id": mark.adult_id,
        "child_id": mark.child_id,
        "valid_from": mark.valid_from,
        "valid_to": mark.valid_to,
    }


def counted_child_mark_create(
    *,
    adult: Person,
    child: Person,
    valid_from: date,
    valid_to: date | None = None,
    evidence: str,
    actor: Any,
) -> CountedChildMark:
    """Mark ``child`` a counted child of ``adult`` from ``valid_from`` to ``valid_to`` (inclusive;
    ``None``: until ended) and return the mark.

    Raises ``ValidationError`` (keyed by field) if the child is the adult, the period ends before
    it starts, or the evidence is empty; ``ApplicationError(code="mark_overlaps")`` if a mark of
    the same adult and child already covers part of the period. One transaction: the mark and the
    ``counted_child.mark`` event.
    """
    evidence = (evidence or "").strip()
    errors: dict[str, list[str]] = {}
    if adult.pk == child.pk:
        errors["child"] = ["the child must be another person than the adult"]
    if valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = ["the last day is before the first day"]
    if not evidence:
        errors["evidence"] = ["write down the evidence the Bureau saw"]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        # Lock the adult's marks so two staff cannot add overlapping marks at the same time.
        marks = CountedChildMark.objects.select_for_update().filter(adult=adult)
        overlap = marks.filter(child=child).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
        if valid_to is not None:
            overlap = overlap.filter(valid_from__lte=valid_to)
        clash = overlap.order_by("valid_from").first()
        if clash is not None:
            raise ApplicationError(
                f"mark {clash.pk} already counts this child for this adult from {clash.valid_from}"
                + (f" to {clash.valid_to}" if clash.valid_to else " on"),
                code="mark_overlaps",
                details={"mark": clash.pk},
            )
        mark = CountedChildMark.objects.create(
            adult=adult,
            child=child,
            valid_from=valid_from,
            valid_to=valid_to,
            evidence=evidence,
            marked_by=_marked_by(actor),
        )
        audit_record(actor=actor, action="counted_child.mark", target=mark, data=_event_data(mark))
    return mark


def counted_child_mark_end(*, mark: CountedChildMark, valid_to: date, actor: Any) -> CountedChildMark:
    """End an open mark: ``valid_to`` is its last day (on or after its first). Return the mark.

    Raises ``ValidationError`` ({"valid_to": ...}) for a day before the mark's first day and
    ``ApplicationError(code="mark_ended")`` if the mark has ended already (add a new mark instead).
    One transaction: the mark row locked, ``valid_to``, the ``counted_child.end`` event.
    """
    with transaction.atomic():
        locked = CountedChildMark.objects.select_for_update().get(pk=mark.pk)
        if locked.valid_to is not None:
            raise ApplicationError(
                f"mark {locked.pk} has ended already (on {locked.valid_to})",
                code="mark_ended",
                details={"mark": locked.pk},
            )
        if valid_to < locked.valid_from:
            raise ValidationError(
                {"valid_to": [f"the last day is before the mark's first day ({locked.valid_from})"]}
            )
        locked.valid_to = valid_to
        locked.save(update_fields=["valid_to"])
        audit_record(actor=actor, action="counted_child.end", target=locked, data=_event_data(locked))
    return locked
