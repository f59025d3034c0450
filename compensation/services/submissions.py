"""What the applied and claims services share: one submission per request, safe to retry.

**Idempotency.** A request may carry an ``Idempotency-Key`` (at most 255 characters). The first
request with a key stores its ``Submission`` with the key, the SHA-256 of its body and the answer
it got. A later request of the same organisation and kind with the same key and the same body
(and month) gets that stored answer again, ``replayed`` (nothing is applied twice); with another
body or month it is refused (422 ``idempotency_key_reused``).

**Repeats.** A request (with or without a key) whose body is byte-for-byte that of a stored
submission of the same organisation, kind and month (the same SHA-256) is a repeat of it: it is
answered with that submission's stored answer, ``replayed``, and stores nothing. A re-sent claim
would otherwise count its administrative cost again (its lines would only be duplicates), and a
re-sent applied list could change nothing but its rejected lines. Two legitimately identical
requests are still answered right: the earlier one's answer says what became of every line; to
have lines judged again (say, after a re-run raised a balance), send them in a new request
without the lines already accepted, which is another body.

**A closed month.** A request that is not a replay is refused (409 ``statement_closed``, nothing
stored) once the statement of its organisation, month and scheme is approved or paid
(``compensation.services.statements.statement_refuse_closed``): it could never be paid.

Requests of one organisation are serialised by a row lock on the organisation
(``select_for_update``; on SQLite the database's own write lock does it), so two requests cannot
both spend one balance, both take one key or both send one body; the unique constraint on
(organisation, kind, key) is the last guard, and losing that race means replaying the winner's
answer. A request also holds its statement's row lock (if there is a statement) from the check
above to its commit, the lock an approval takes. Refusals store nothing and are not audited;
replays are (``<action>.replay``).
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework import status

from aldis.exceptions import ApplicationError
from aldis.organisations.models import Organisation
from audit.services import audit_record
from compensation.models import Submission
from compensation.selectors import submission_by_key, submission_by_request
from compensation.services.statements import statement_refuse_closed

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_KEY_LENGTH = 255
MAX_AMOUNT = Decimal("99999999.99")


@dataclass(frozen=True)
class SubmissionOutcome:
    submission: Submission
    response: dict[str, Any]
    replayed: bool


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def check_idempotency_key(key: str) -> str:
    key = key.strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApplicationError(
            "The Idempotency-Key header is not valid.",
            code="invalid",
            details={"Idempotency-Key": [f"at most {MAX_KEY_LENGTH} printable characters"]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return key


def _replay(existing: Submission, *, matched: str, actor: Any, action: str) -> SubmissionOutcome:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=f"{action}.replay",
            target=existing,
            data={"month": f"{existing.month:%Y-%m}", "submission": existing.pk, "matched": matched},
        )
    return SubmissionOutcome(submission=existing, response=existing.response, replayed=True)


def _replay_or_refuse(
    existing: Submission, *, request_hash: str, month: date, actor: Any, action: str
) -> SubmissionOutcome:
    if existing.request_hash != request_hash or existing.month != month:
        raise ApplicationError(
            "This Idempotency-Key was already used with another request body or month.",
            code="idempotency_key_reused",
            details={"submission": existing.pk},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return _replay(existing, matched="idempotency_key", actor=actor, action=action)


def submit_once(
    *,
    organisation: Organisation,
    kind: str,
    month: date,
    idempotency_key: str,
    request_hash: str,
    actor: Any,
    action: str,
    compute: Callable[[Organisation], Submission],
) -> SubmissionOutcome:
    """Run ``compute`` (which writes the submission, its lines, its response and its audit
    event) in one transaction under the organisation's row lock, unless the request is a replay
    (its key was used, or its body was sent before for the month) or the month's statement of
    this scheme is closed (``ApplicationError`` 409 ``statement_closed``)."""
    key = check_idempotency_key(idempotency_key)
    try:
        with transaction.atomic():
            locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
            existing = submission_by_key(organisation_id=organisation.pk, kind=kind, key=key)
            if existing is not None:
                return _replay_or_refuse(
                    existing, request_hash=request_hash, month=month, actor=actor, action=action
                )
            repeated = submission_by_request(
                organisation_id=organisation.pk, kind=kind, month=month, request_hash=request_hash
            )
            if repeated is not None:
                return _replay(repeated, matched="request_body", actor=actor, action=action)
            statement_refuse_closed(organisation_id=organisation.pk, month=month, kind=kind)
            submission = compute(locked)
    except IntegrityError:
        existing = submission_by_key(organisation_id=organisation.pk, kind=kind, key=key)
        if existing is None:
            raise
        return _replay_or_refuse(existing, request_hash=request_hash, month=month, actor=actor, action=action)
    return SubmissionOutcome(submission=submission, response=submission.response, replayed=False)


def parse_amount(value: Any) -> Decimal | None:
    """A non-negative EUR amount with at most two decimals (a string or a JSON number), or None."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT or amount != amount.quantize(CENT):
        return None
    return amount.quantize(CENT)


def as_text(value: Any, limit: int = 64) -> str:
    """A value as sent, as text for an answer (``None`` as empty), cut to ``limit`` characters."""
    if value is None:
        return ""
    # PostgreSQL text (and jsonb) cannot hold NUL; what is echoed or kept never carries one.
    return str(value)[:limit].replace("\x00", "\ufffd")


def money(value: Decimal) -> str:
    return f"{value:.2f}"
