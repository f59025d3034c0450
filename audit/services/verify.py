"""Checking the chain: every event's hash, its link to the one before, and no gaps."""

from dataclasses import dataclass

from django.utils import timezone

from audit.models import AuditEvent, AuditVerification
from audit.services.record import GENESIS_HASH, hash_of

PURGE_ACTION = "audit.purge"


@dataclass
class ChainBreak:
    seq: int
    problem: str


def _check_anchor(first: AuditEvent) -> ChainBreak | None:
    """The oldest event links to genesis, or to the last event a recorded purge removed."""
    if first.seq == 1:
        return (
            None if first.prev_hash == GENESIS_HASH else ChainBreak(1, "first event does not link to genesis")
        )
    purged = AuditEvent.objects.filter(
        action=PURGE_ACTION, data__last_purged_seq=first.seq - 1, data__last_purged_hash=first.prev_hash
    ).exists()
    if purged:
        return None
    return ChainBreak(first.seq, f"events before #{first.seq} are missing and no retention purge recorded it")


def audit_verify(*, chunk_size: int = 5000) -> AuditVerification:
    """Walk the whole trail in ``seq`` order and record the outcome as an ``AuditVerification``.

    Reports the first broken link (``broken_seq`` and ``problem``); reads in keyset-paginated
    chunks, so memory stays flat however long the trail is.
    """
    started_at = timezone.now()
    checked = 0
    first_seq: int | None = None
    previous: AuditEvent | None = None
    broken: ChainBreak | None = None
    after = 0
    while broken is None:
        chunk = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:chunk_size])
        if not chunk:
            break
        for event in chunk:
            checked += 1
            if previous is None:
                first_seq = event.seq
                broken = _check_anchor(event)
            elif event.seq != previous.seq + 1:
                broken = ChainBreak(previous.seq + 1, f"event #{previous.seq + 1} is missing")
            elif event.prev_hash != previous.hash:
                broken = ChainBreak(event.seq, f"event #{event.seq} does not link to event #{previous.seq}")
            if broken is None and hash_of(event) != event.hash:
                broken = ChainBreak(event.seq, f"event #{event.seq} was changed after it was written")
            if broken is not None:
                break
            previous = event
        after = chunk[-1].seq
    return AuditVerification.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        events_checked=checked,
        first_seq=first_seq,
        last_seq=previous.seq if previous else None,
        ok=broken is None,
        broken_seq=broken.seq if broken else None,
        problem=broken.problem if broken else "",
    )
