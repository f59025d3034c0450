"""Feed batches, and the shape every register record shares: a version with two time axes.

*Valid time* (``valid_from``..``valid_to``, inclusive dates, null = open) is when the record was
true in the world. *Knowledge time* is when ALDIS learned and unlearned it: ``learned_in`` is the
batch that brought this version, ``superseded_in`` the batch that replaced or ended it (null =
what ALDIS believes now). Batch ids grow with time, so "as known at batch B" is
``learned_in <= B and (superseded_in is null or superseded_in > B)``, and "as known now" is
``superseded_in is null``. Versions are never updated except to set ``superseded_in`` once.
"""

from django.db import models


class FeedKind(models.TextChoices):
    SNAPSHOT = "snapshot", "Snapshot"
    FACT = "fact", "Fact"


class BatchStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected (bad rows; nothing applied)"
    REPEAT = "repeat", "Repeat (same file as an applied batch; nothing changed)"
    FAILED = "failed", "Failed (internal error; nothing applied)"


class FeedBatch(models.Model):
    """One file received: who sent it, for which date, what it changed or why it was refused."""

    feed = models.CharField(max_length=32, db_index=True)
    sender = models.ForeignKey(
        "organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    as_of = models.DateField()
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    file_bytes = models.BigIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    actor = models.CharField(max_length=100, help_text="who sent it: operator, API client or user")
    status = models.CharField(max_length=16, choices=BatchStatus.choices, default=BatchStatus.RECEIVED)
    rows = models.BigIntegerField(default=0)
    inserted = models.BigIntegerField(default=0, help_text="new keys")
    changed = models.BigIntegerField(default=0, help_text="keys whose content changed: a new version")
    ended = models.BigIntegerField(default=0, help_text="keys missing from a snapshot: ended on as_of")
    unchanged = models.BigIntegerField(default=0)
    error_count = models.BigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="bad rows: line, column, value, reason")
    repeat_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    write_mark = models.BigIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="the highest table-write mark when the batch finished (PostgreSQL; aldis.feeds.writes)",
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = "feed batch"
        verbose_name_plural = "feed batches"

    def __str__(self) -> str:
        return f"#{self.pk} {self.feed} as of {self.as_of} ({self.status})"


class TableWrite(models.Model):
    """The mark of the last statement that wrote a watched table (kept by PostgreSQL triggers:
    ``aldis.feeds.writes``)."""

    table = models.CharField(max_length=63, primary_key=True)
    mark = models.BigIntegerField()

    class Meta:
        verbose_name = "table write"

    def __str__(self) -> str:
        return f"{self.table} written at mark {self.mark}"


class VersionedRecord(models.Model):
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    # No index on these two: the partial "current" index of each table serves its reads, and
    # a national import should not maintain two more indexes per row.
    learned_in = models.ForeignKey(
        "feeds.FeedBatch", on_delete=models.PROTECT, db_constraint=False, related_name="+", db_index=False
    )
    superseded_in = models.ForeignKey(
        "feeds.FeedBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )

    class Meta:
        abstract = True

    @property
    def is_current(self) -> bool:
        return self.superseded_in_id is None
