"""The Bureau's side of a contest (DOMAIN: Rights of the person): review, then decide.

Status machine of a ``ContestCase`` (each step audited in the transaction that takes it)::

    received ──> in_review ──> upheld     the month is re-run (``rerun``) in the same transaction
        │             └──────> rejected
        └────────────────────> upheld / rejected   (deciding straight away is allowed)

A decision needs a written reason (shown to the person; a database constraint holds it too) and
may name the register a data error was referred to. A decided case is final: nothing changes it
again. Cases are never deleted and the person's text is never edited.
"""

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aldis.exceptions import ApplicationError
from audit.services import audit_record
from households.models import ContestCase, ContestStatus

OPEN = (ContestStatus.RECEIVED, ContestStatus.IN_REVIEW)
REFERRED_TO_MAX = 64


@cache
def contest_referral_targets() -> tuple[str, ...]:
    """Where a data error can be referred: the senders of the feeds ALDIS reads, in words."""
    from aldis.feeds.registry import feed_specs

    return tuple(sorted({spec.sent_by for spec in feed_specs().values() if spec.name != "parameters"}))


def _locked(case: ContestCase) -> ContestCase:
    return ContestCase.objects.select_for_update().get(pk=case.pk)


def _event_data(case: ContestCase) -> dict[str, Any]:
    # Internal ids and the month only: the person's text and the reason stay in the case.
    return {"case_id": case.pk, "person_id": case.person_id, "month": f"{case.month:%Y-%m}"}


def contest_review(*, case: ContestCase, actor: Any) -> ContestCase:
    """Take a ``received`` case into review and return it (``in_review``).

    Raises ``ApplicationError(code="contest_not_received")`` if the case is in any other status
    (a second click is refused, not repeated). One transaction: the case row locked, the status,
    the ``contest.review`` event.
    """
    with transaction.atomic():
        locked = _locked(case)
        if locked.status != ContestStatus.RECEIVED:
            raise ApplicationError(
                f"contest {locked.pk} is {locked.get_status_display().lower()}, not received",
                code="contest_not_received",
                details={"case": locked.pk, "status": locked.status},
            )
        locked.status = ContestStatus.IN_REVIEW
        locked.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="contest.review", target=locked, data=_event_data(locked))
    return locked


def contest_decide(
    *, case: ContestCase, upheld: bool, reason: str, referred_to: str = "", actor: Any
) -> ContestCase:
    """Decide an open case (``received`` or ``in_review``) and return it, ``upheld`` or ``rejected``.

    ``reason`` (required, stripped) is the written reason shown to the person; ``referred_to``
    is empty or one of ``contest_referral_targets()``. Raises ``ValidationError`` (keyed by field)
    for a missing reason or an unknown referral, ``ApplicationError(code="contest_decided")`` for
    a case already decided, and ``ApplicationError(code="run_in_progress")`` when the case is
    upheld while a run of its month is queued or running: nothing is decided then, and staff
    decide again once that run has finished. An upheld case of a month that can no longer be
    computed (past retention) gets ``month_run_request``'s ``ValidationError`` ({"month": ...}).

    One transaction (the caller's, if any): the case row locked; if upheld, ``month_run_request``
    for the case's month (a new version from the data as known now, stored in ``rerun``; it
    executes once the transaction commits); the decision; the ``contest.decide`` event.
    """
    from eligibility.services.runs import month_run_request

    reason = (reason or "").strip()
    referred_to = (referred_to or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["a decision needs a written reason"]
    if referred_to and referred_to not in contest_referral_targets():
        errors["referred_to"] = [f"{referred_to[:REFERRED_TO_MAX]!r} is not a register ALDIS reads"]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        locked = _locked(case)
        if locked.status not in OPEN:
            raise ApplicationError(
                f"contest {locked.pk} is already decided ({locked.get_status_display().lower()})",
                code="contest_decided",
                details={"case": locked.pk, "status": locked.status},
            )
        rerun = None
        if upheld:
            try:
                rerun = month_run_request(month=locked.month, actor=actor)
            except ApplicationError as exc:
                if exc.code != "run_in_progress":
                    raise
                raise ApplicationError(
                    f"a run of {locked.month:%Y-%m} is in progress: nothing was decided; "
                    "decide again once it has finished",
                    code="run_in_progress",
                    details={**exc.details, "case": locked.pk},
                ) from None
        locked.status = ContestStatus.UPHELD if upheld else ContestStatus.REJECTED
        locked.decision_reason = reason
        locked.referred_to = referred_to
        locked.decided_by = actor if isinstance(actor, get_user_model()) else None
        locked.decided_at = timezone.now()
        locked.rerun = rerun
        locked.save(
            update_fields=[
                "status",
                "decision_reason",
                "referred_to",
                "decided_by",
                "decided_at",
                "rerun",
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            action="contest.decide",
            target=locked,
            data={
                **_event_data(locked),
                "status": locked.status,
                "referred_to": referred_to,
                "rerun_id": rerun.pk if rerun else None,
            },
        )
    return locked
