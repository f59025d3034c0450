"""Checking the chain: every event's hash, its link to the one before, no gaps, and the newest
event the last intact check saw still there."""

import logging
from dataclasses import dataclass

from django.utils import timezone

from audit.models import AuditEvent, AuditVerification
from audit.services.record import GENESIS_HASH, hash_of

PURGE_ACTION = "audit.purge"
logger = logging.getLogger(__name__)


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


def _check_checkpoint(newest: AuditEvent | None) -> ChainBreak | None:
    """The newest event the last intact check saw is still there, unchanged.

    The links betray a changed or missing event only to the events after it: the newest events
    deleted, or the whole chain after some point rewritten and hashed again, would leave a chain
    that verifies. Against the last check's newest event (its seq and hash) they show. A
    retention purge removes only the oldest events, whose absence the anchor checks."""
    seen = AuditVerification.objects.filter(ok=True).exclude(last_hash="").order_by("-pk").first()
    if seen is None or seen.last_seq is None:
        return None
    when = f"{timezone.localtime(seen.started_at):%Y-%m-%d %H:%M}"
    if newest is None or newest.seq < seen.last_seq:
        after = newest.seq if newest else 0
        return ChainBreak(
            after + 1, f"events #{after + 1}..#{seen.last_seq}, seen by the check of {when}, are missing"
        )
    event = AuditEvent.objects.filter(seq=seen.last_seq).first()
    if event is not None and event.hash != seen.last_hash:
        return ChainBreak(seen.last_seq, f"event #{seen.last_seq} is not the one the check of {when} saw")
    return None


def audit_verify(*, chunk_size: int = 5000) -> AuditVerification:
    """Walk the whole trail in ``seq`` order and record the outcome as an ``AuditVerification``.

    Reports the first broken link (``broken_seq`` and ``problem``); reads in keyset-paginated
    chunks, so memory stays flat however long the trail is. An intact chain is then held to the
    last intact check (``_check_checkpoint``); the newest event's seq and hash are recorded, and
    logged, so that a copy of them also lives outside the database.
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
    if broken is None:
        broken = _check_checkpoint(previous)
    result = AuditVerification.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        events_checked=checked,
        first_seq=first_seq,
        last_seq=previous.seq if previous else None,
        last_hash=previous.hash if previous else "",
        ok=broken is None,
        broken_seq=broken.seq if broken else None,
        problem=broken.problem if broken else "",
    )
    if broken is None:
        logger.info(
            "audit trail intact: %s events, newest #%s %s", checked, result.last_seq, result.last_hash
        )
    else:
        logger.error("audit trail BROKEN at event #%s: %s", broken.seq, broken.problem)
    return result
