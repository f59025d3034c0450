"""Writing audit events: ``audit_record`` is the only way in.

Call it inside the transaction of the change it records, so that the change and its audit event
commit or roll back together. Appending takes a lock on the chain head (a transaction-scoped
advisory lock on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers already), so keep
the surrounding transaction short, or record at its end.

On PostgreSQL the append is one statement, ``aldis_audit_append`` (migration 0003): it takes the
lock, reads the head, hashes and inserts, so that an API call's audit costs one round trip, not
five. Python still writes the canonical JSON of everything but the sequence number and the
previous hash (``_canonical_middle``), so there is one definition of what is hashed, and
``verify_audit`` checks the result in Python.
"""

import getpass
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from aldis.middleware import current_request_id
from audit.models import ActorType, AuditEvent

GENESIS_HASH = "0" * 64
# Any fixed 64-bit number names the chain's advisory lock; this one spells "ALDISAUD".
_CHAIN_LOCK_KEY = 0x414C444953415544 - 2**63


@dataclass(frozen=True)
class Actor:
    """Who did it. Build one with the class methods; services take it as ``actor``."""

    type: str
    id: str

    @classmethod
    def system(cls, name: str = "aldis") -> "Actor":
        return cls(ActorType.SYSTEM, name)

    @classmethod
    def operator(cls) -> "Actor":
        """The shell user running a management command."""
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
        return cls(ActorType.OPERATOR, name)

    @classmethod
    def of(cls, principal: Any) -> "Actor":
        """The actor for a Django user, an API client, or an Actor already."""
        from aldis.organisations.models import ApiClient

        if isinstance(principal, Actor):
            return principal
        if isinstance(principal, ApiClient):
            return cls(ActorType.API_CLIENT, f"{principal.organisation.code}/{principal.prefix}")
        if isinstance(principal, AbstractBaseUser) and not isinstance(principal, AnonymousUser):
            return cls(ActorType.USER, str(principal.pk))
        raise TypeError(f"cannot audit an action by {type(principal).__name__}")


def _target(target: Any) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        return str(target[0]), str(target[1])
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk)
    raise TypeError("target is a model instance, a (type, id) pair, or None")


def hash_of(event: AuditEvent) -> str:
    """SHA-256 over the canonical JSON of an event's content and the previous event's hash: the
    array ``[seq, occurred_at, ..., request_id, prev_hash]``, keys sorted, no spaces."""
    canonical = f"[{json.dumps(event.seq)},{_canonical_middle(event)},{json.dumps(event.prev_hash)}]"
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical_middle(event: AuditEvent) -> str:
    """The canonical JSON of an event's content between ``seq`` and ``prev_hash`` (no brackets):
    what ``aldis_audit_append`` hashes on PostgreSQL, between the two it adds itself."""
    content = [
        event.occurred_at.isoformat(),
        event.actor_type,
        event.actor_id,
        event.action,
        event.target_type,
        event.target_id,
        event.data,
        event.request_id,
    ]
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)[1:-1]


def _append(event: AuditEvent) -> None:
    """Give ``event`` its place in the chain (``seq``, ``prev_hash``, ``hash``) and insert it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT seq, prev_hash, hash FROM aldis_audit_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    _CHAIN_LOCK_KEY,
                    event.occurred_at,
                    event.actor_type,
                    event.actor_id,
                    event.action,
                    event.target_type,
                    event.target_id,
                    connection.ops.adapt_json_value(event.data, None),
                    event.request_id,
                    _canonical_middle(event),
                ],
            )
            event.seq, event.prev_hash, event.hash = cursor.fetchone()
        event._state.adding, event._state.db = False, connection.alias
        return
    with transaction.atomic():  # SQLite: an IMMEDIATE transaction serialises the writers
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        event.seq, event.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        event.hash = hash_of(event)
        event.save()


def audit_record(
    *, actor: Any, action: str, target: Any = None, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one event to the audit trail and return it.

    ``actor``: an ``Actor``, a Django user or an ``ApiClient``. ``action``: a dotted verb such as
    ``feed.import`` or ``person.view``. ``target``: a model instance, a ``(type, id)`` pair or
    ``None``. ``data``: JSON-serialisable details; never personal codes or names (use internal
    ids), since the trail outlives nothing but is read by auditors.

    Runs inside the caller's transaction if one is open (its own otherwise).
    """
    who = Actor.of(actor)
    target_type, target_id = _target(target)
    # Normalise through JSON so that what is hashed is exactly what is read back.
    payload = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_type=who.type,
        actor_id=who.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=payload,
        request_id=current_request_id(),
    )
    _append(event)
    return event
