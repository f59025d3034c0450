"""``feed_import``: one feed file into ALDIS, all or nothing, recorded and audited.

Contract: the file is checked completely; if any row is bad nothing is applied and the batch
lists every bad row (line, column, value, reason). The same file sent again (identical bytes,
same feed, sender and ``as_of``, and nothing applied since for that feed and sender) is a
repeat: recorded, audited, and changes nothing; the same bytes for a later ``as_of`` are applied
without being read when nothing they depend on has been written since (``aldis.feeds.writes``).
One import runs at a time. Every batch, applied, rejected, repeated or failed, is kept and
audited. Must not run inside an outer transaction.
"""

import hashlib
import logging
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from aldis.feeds import engine, writes
from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.feeds.registry import feed_spec
from aldis.feeds.spec import FeedSpec
from aldis.organisations.models import Organisation
from audit.services import Actor, audit_record

logger = logging.getLogger(__name__)


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def sender_refusal(spec: FeedSpec, sender: Organisation) -> str | None:
    """Why ``sender`` may not send ``spec``'s feed, or None when it may.

    Traders and operators send their own per-party feeds, decided by kind. A register holder
    sends the register feeds; once Bureau staff have listed the feeds it sends
    (``Organisation.sends_feeds``), only those, so that the sanctions list cannot replace the
    population register. Until then, any register feed: the organisations feed, the one way
    INTERFACES gives to make a register, cannot name its feeds, and a register made that way
    must be able to send them.
    """
    if not sender.is_active:
        return f"organisation {sender.code} has ended"
    if sender.kind not in spec.sender_kinds:
        return (
            f"a {sender.get_kind_display().lower()} does not send the {spec.name} feed ({spec.sent_by} does)"
        )
    if sender.kind == "register" and sender.sends_feeds and spec.name not in sender.sends_feeds:
        return (
            f"this register is not listed as a sender of the {spec.name} feed (Bureau staff keep that list)"
        )
    return None


def _check_sender(spec: FeedSpec, sender: Organisation | None) -> None:
    if spec.per_party and sender is None:
        raise ValidationError(
            {"sender": [f"the {spec.name} feed is sent per party: name the sending organisation"]}
        )
    refusal = sender_refusal(spec, sender) if sender is not None else None
    if refusal:
        raise ValidationError({"sender": [refusal]})


def _last_applied(batch: FeedBatch) -> FeedBatch | None:
    return (
        FeedBatch.objects.filter(feed=batch.feed, sender=batch.sender, status=BatchStatus.APPLIED)
        .exclude(pk=batch.pk)
        .order_by("-pk")
        .first()
    )


def _repeat_of(batch: FeedBatch) -> FeedBatch | None:
    last_applied = _last_applied(batch)
    if last_applied and last_applied.file_sha256 == batch.file_sha256 and last_applied.as_of == batch.as_of:
        return last_applied
    return None


def _unchanged_since(spec: FeedSpec, batch: FeedBatch) -> FeedBatch | None:
    """The last applied batch of this feed and sender, when this file is its bytes again, known as
    of the same date or later, and no table the import depends on has been written since: read
    again, every row would equal its current version and nothing would be left to end
    (``aldis.feeds.writes``). Called under the import lock, so no import writes meanwhile."""
    if not spec.unread_repeat or not writes.tracked():
        return None
    last = _last_applied(batch)
    if last is None or last.write_mark is None:
        return None
    if last.file_sha256 != batch.file_sha256 or last.as_of > batch.as_of:
        return None
    if writes.written_since(writes.tables_of(spec), last.write_mark):
        return None
    return last


def _lock_and_tune() -> None:
    """One import at a time; room for the hash joins and sorts of a national file.

    ``jit`` off: compiling each statement cost more than it saved, on small files and national
    ones alike (10 % slower normalising and resolving 3 million income rows with it on).
    """
    writes.lock_imports()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL jit = off")
            # The batch row is committed before; losing the last commit in a crash loses the
            # import as a whole, which is safe to send again.
            cursor.execute("SET LOCAL synchronous_commit = off")


def _plan_for(rows: int) -> None:
    """Plans for a small file (a trader's few thousand rows): ``random_page_cost`` 1.1 (the
    tables' pages are in memory or on SSD). At the default 4 a trader's 8,000 sub-users resolved
    their codes by hashing all two million, three times slower than looking each up in the
    index. Not for a national file: it then probed the index for each of 1.9 million addresses
    (7 s) where hashing them takes 2.5 s.
    """
    if connection.vendor == "postgresql" and rows < engine.LARGE_FILE_ROWS:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL random_page_cost = 1.1")


def _audit(batch: FeedBatch, actor: Any) -> None:
    audit_record(
        actor=actor,
        action="feed.import",
        target=batch,
        data={
            "feed": batch.feed,
            "sender": batch.sender.code if batch.sender else None,
            "as_of": batch.as_of,
            "status": batch.status,
            "rows": batch.rows,
            "inserted": batch.inserted,
            "changed": batch.changed,
            "ended": batch.ended,
            "errors": batch.error_count,
            "sha256": batch.file_sha256,
        },
    )


def feed_import(
    *, feed: str, path: Path, as_of: date, sender: Organisation | None, actor: Any, file_name: str = ""
) -> FeedBatch:
    """Import ``path`` as ``feed`` known ``as_of``, sent by ``sender``; return the batch.

    Raises ``ValidationError`` before anything is recorded for an unknown feed or a sender that
    may not send it. A rejected file does not raise: the batch says ``rejected`` with its errors.
    """
    spec = feed_spec(feed)
    _check_sender(spec, sender)
    sha256, size = _file_digest(path)
    who = Actor.of(actor)
    batch = FeedBatch.objects.create(
        feed=spec.name,
        sender=sender,
        as_of=as_of,
        file_name=file_name or path.name,
        file_sha256=sha256,
        file_bytes=size,
        actor=f"{who.type}:{who.id}",
    )
    started = time.monotonic()
    try:
        repeat = _repeat_of(batch)
        if repeat is not None:
            batch.status, batch.repeat_of = BatchStatus.REPEAT, repeat
            batch.rows = batch.unchanged = repeat.rows
        else:
            _apply(spec, batch, path)
    except engine.FeedRejected as rejected:
        batch.status = BatchStatus.REJECTED
        batch.errors = [error.as_dict() for error in rejected.errors]
        batch.error_count = rejected.total
    except Exception:
        batch.status = BatchStatus.FAILED
        batch.finished_at = timezone.now()
        with transaction.atomic():
            batch.save()
            _audit(batch, who)
        logger.exception("feed batch %s failed", batch.pk)
        raise
    batch.finished_at = timezone.now()
    with transaction.atomic():
        batch.save()
        _audit(batch, who)
    logger.info(
        "feed batch %s %s: %s rows in %.1fs", batch.pk, batch.status, batch.rows, time.monotonic() - started
    )
    return batch


def _apply(spec: FeedSpec, batch: FeedBatch, path: Path) -> None:
    facts = engine.read_header(path, spec)
    ctx = engine.ImportContext(
        spec=spec,
        batch_id=batch.pk,
        as_of=batch.as_of,
        sender=batch.sender,
        dialect=engine.Dialect(connection.vendor),
    )
    try:
        with transaction.atomic(durable=True):
            _lock_and_tune()
            if (same := _unchanged_since(spec, batch)) is not None:
                counts = engine.PromotionCounts(rows=same.rows)
                logger.info("feed batch %s: the bytes of batch %s, nothing written since", batch.pk, same.pk)
            else:
                counts = _read_and_promote(ctx, batch, path, facts)
            batch.status = BatchStatus.APPLIED
            batch.rows, batch.inserted, batch.changed = counts.rows, counts.inserted, counts.changed
            batch.ended, batch.unchanged = counts.ended, counts.unchanged
            batch.write_mark = writes.current_mark()
            FeedBatch.objects.filter(pk=batch.pk).update(
                status=batch.status,
                rows=batch.rows,
                inserted=batch.inserted,
                changed=batch.changed,
                ended=batch.ended,
                unchanged=batch.unchanged,
                write_mark=batch.write_mark,
            )
    except engine.StructureBroken as broken:
        # Every row the strict re-reading finds; should it find none, what the database said
        # (its first line: the rest quotes the row).
        said = str(broken).splitlines()[0] if str(broken) else "unreadable"
        errors = engine.structure_errors(path, facts) or [
            engine.BadRow(1, "", "", f"the file's structure cannot be read: {said}")
        ]
        raise engine.FeedRejected(errors) from None
    finally:
        if connection.vendor == "sqlite":  # PostgreSQL dropped them with the transaction
            ctx.drop(*engine.STAGING_TABLES)


def _read_and_promote(
    ctx: engine.ImportContext, batch: FeedBatch, path: Path, facts: engine.FileFacts
) -> engine.PromotionCounts:
    """Stage the file, check every row, and apply it."""
    rows = engine.load(ctx, path, facts)
    _plan_for(rows)
    engine.normalise(ctx)
    content_checked = (
        FeedBatch.objects.filter(
            feed=ctx.spec.name,
            sender=batch.sender,
            file_sha256=batch.file_sha256,
            status=BatchStatus.APPLIED,
        )
        .exclude(pk=batch.pk)
        .exists()
    )
    errors = engine.validate(ctx, content_checked=content_checked)
    if errors:
        raise engine.FeedRejected(errors)
    return engine.promote(ctx, rows)
