"""The audit trail: append-only and hash-chained.

Each event stores ``seq`` (1, 2, 3, ... with no gaps), the hash of the previous event and a
SHA-256 over its own content and that previous hash. Changing, removing or re-ordering any event
breaks the chain at that point, and ``verify_audit`` names the first broken link.

Immutability is enforced three times: the ORM refuses update and delete (``AuditEventQuerySet``
and ``AuditEvent.save``/``delete``), and a database trigger (PostgreSQL and SQLite, migration
0002) refuses UPDATE always and DELETE unless the same transaction holds an ``AuditPurgePermit``,
which only the retention purge (``audit.services.retention``) creates and removes.
"""

from typing import Any, NoReturn

from django.db import models


class AuditImmutableError(Exception):
    """Raised when code tries to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("audit events cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditImmutableError("audit events are deleted only by the retention purge")


class ActorType(models.TextChoices):
    USER = "user", "Bureau user"
    API_CLIENT = "api_client", "API client"
    PERSON = "person", "Signed-in person"
    OPERATOR = "operator", "Operator (shell)"
    SYSTEM = "system", "System (scheduled or background)"


class AuditEvent(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_type}:{self.actor_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("audit events cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("audit events are deleted only by the retention purge")


class AuditPurgePermit(models.Model):
    """Exists only inside the retention purge's transaction; the DELETE trigger looks for it."""

    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"purge permit {self.pk}"


class AuditVerification(models.Model):
    """The result of one check of the whole chain (``verify_audit`` or the nightly task)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    events_checked = models.BigIntegerField()
    first_seq = models.BigIntegerField(null=True)
    last_seq = models.BigIntegerField(null=True)
    # The newest event's hash: the next check finds that event unchanged (``audit_verify``).
    last_hash = models.CharField(max_length=64, blank=True, default="")
    ok = models.BooleanField()
    broken_seq = models.BigIntegerField(null=True)
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{'intact' if self.ok else 'BROKEN'} at {self.started_at:%Y-%m-%d %H:%M}"
