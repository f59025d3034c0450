"""Staff edits of the dated parameters, written the way a ``parameters`` file would write them.

An edit is one row of the table: (name, valid_from) gets a value. It is learned in a batch of
its own (feed ``parameters``, no sender, the user as actor), so history says who changed what
and when, exactly as for an imported file; and it keeps the derived ends right (a new start
ends the value before it the day before). Versions are never changed in place: the ones whose
content or end moves are superseded and new versions take their place.
"""

import hashlib
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.feeds.writes import lock_imports
from audit.services import Actor, audit_record
from eligibility.models import ParameterValue
from eligibility.parameters import BY_NAME, value_error

FEED = "parameters"
LEGAL_REF_MAX = 255


def _validated(name: str, value: str, legal_ref: str | None) -> tuple[str, str | None]:
    value = (value or "").strip()
    legal_ref = (legal_ref or "").strip() or None
    errors: dict[str, list[str]] = {}
    if name not in BY_NAME:
        errors["name"] = [f"unknown parameter {name!r}"]
    elif not value:
        errors["value"] = ["is required"]
    elif reason := value_error(name, value):
        errors["value"] = [f"{value!r} {reason}"]
    if legal_ref is not None and len(legal_ref) > LEGAL_REF_MAX:
        errors["legal_ref"] = [f"is {len(legal_ref)} characters long; at most {LEGAL_REF_MAX}"]
    if errors:
        raise ValidationError(errors)
    return value, legal_ref


def _ends(table: dict[date, tuple[str, str | None]]) -> dict[date, tuple[str, str | None, date | None]]:
    """Each start's value with its derived end: the next start minus one day (None for the last)."""
    starts = sorted(table)
    return {
        start: (*table[start], nxt - timedelta(days=1) if nxt else None)
        for start, nxt in zip(starts, [*starts[1:], None], strict=True)
    }


def parameter_value_set(
    *, name: str, valid_from: date, value: str, legal_ref: str | None, actor: Any
) -> ParameterValue:
    """Give parameter ``name`` the value ``value`` from ``valid_from`` on; return its version.

    ``value`` is text as a file would carry it (``true``/``false``, or a decimal with a dot
    fitting the parameter's kind). Raises ``ValidationError`` for an unknown name or a value
    that does not fit. In one transaction: a new ``FeedBatch`` (applied, actor the user), the
    replaced version and the neighbour whose end moves superseded, their new versions inserted,
    and a ``parameter.set`` audit event. Idempotent: the same value and legal reference again
    change nothing and return the current version (no batch, no event).
    """
    value, legal_ref = _validated(name, value, legal_ref)
    who = Actor.of(actor)
    with transaction.atomic():
        lock_imports()  # an edit and a ``parameters`` file never interleave
        current = list(ParameterValue.objects.filter(name=name, superseded_in__isnull=True))
        by_start = {v.valid_from: v for v in current if v.valid_from is not None}
        old = by_start.get(valid_from)
        if old is not None and (old.value, old.legal_ref) == (value, legal_ref):
            return old
        table = {start: (v.value, v.legal_ref) for start, v in by_start.items()}
        table[valid_from] = (value, legal_ref)
        wanted = _ends(table)
        stale = [v for start, v in by_start.items() if (v.value, v.legal_ref, v.valid_to) != wanted[start]]
        stale_starts = {v.valid_from for v in stale}
        new_starts = [start for start in wanted if start not in by_start or start in stale_starts]

        row = f"{name},{valid_from.isoformat()},{value},{legal_ref or ''}"
        batch = FeedBatch.objects.create(
            feed=FEED,
            sender=None,
            as_of=timezone.localdate(),
            file_name=f"admin edit: {name} from {valid_from.isoformat()}"[:255],
            file_sha256=hashlib.sha256(row.encode()).hexdigest(),
            file_bytes=len(row.encode()),
            actor=f"{who.type}:{who.id}",
            status=BatchStatus.APPLIED,
            rows=1,
            inserted=0 if old else 1,
            changed=len(stale),
            finished_at=timezone.now(),
        )
        ParameterValue.objects.filter(pk__in=[v.pk for v in stale]).update(superseded_in=batch)
        created = ParameterValue.objects.bulk_create(
            ParameterValue(
                name=name,
                valid_from=start,
                valid_to=wanted[start][2],
                value=wanted[start][0],
                legal_ref=wanted[start][1],
                learned_in=batch,
            )
            for start in new_starts
        )
        version = next(v for v in created if v.valid_from == valid_from)
        audit_record(
            actor=who,
            action="parameter.set",
            target=version,
            data={
                "name": name,
                "valid_from": valid_from,
                "old_value": old.value if old else None,
                "new_value": value,
                "legal_ref": legal_ref,
                "batch": batch.pk,
                "versions_superseded": [v.pk for v in stale],
            },
        )
    return version
