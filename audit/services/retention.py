"""Retention of the audit trail (DOMAIN: kept 24 months, then deleted).

The DELETE trigger refuses every deletion unless the deleting transaction holds an
``AuditPurgePermit``; this module is the only code that creates one. The purge removes the oldest
events in ``seq`` order (so the chain stays contiguous) and records an ``audit.purge`` event with
the last purged seq and hash, which anchors the remaining chain for ``audit_verify``.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from audit.models import AuditEvent, AuditPurgePermit
from audit.services.record import audit_record
from audit.services.verify import PURGE_ACTION


@dataclass
class PurgeResult:
    events: int
    last_purged_seq: int | None


def audit_purge_expired(*, before: datetime, actor: Any, commit: bool) -> PurgeResult:
    """Delete audit events that occurred before ``before``; a dry run unless ``commit``.

    Events are purged in one transaction with the ``audit.purge`` event that anchors the chain.
    Idempotent: a second run finds nothing more to delete.
    """
    # The newest expired event; everything up to it goes (seq order, so no holes are left).
    last = (
        AuditEvent.objects.filter(occurred_at__lt=before)
        .exclude(action=PURGE_ACTION)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    if last is None:
        return PurgeResult(events=0, last_purged_seq=None)
    last_seq, last_hash = last
    count = AuditEvent.objects.filter(seq__lte=last_seq).count()
    if not commit:
        return PurgeResult(events=count, last_purged_seq=last_seq)
    with transaction.atomic(durable=True):
        permit = AuditPurgePermit.objects.create()
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(AuditEvent._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE seq <= %s", [last_seq])  # noqa: S608 (a quoted model name)
        permit.delete()
        audit_record(
            actor=actor,
            action=PURGE_ACTION,
            data={
                "events": count,
                "before": before.isoformat(),
                "last_purged_seq": last_seq,
                "last_purged_hash": last_hash,
            },
        )
    return PurgeResult(events=count, last_purged_seq=last_seq)
