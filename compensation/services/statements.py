"""Compensation statements: what the state owes one party for one month and scheme (DOMAIN:
Compensation). Money moves on these figures, so the design is deliberately plain:

* a statement is **derived** from the lines the party reported (``AppliedLine`` for Scheme P,
  ``ClaimLine`` plus the submissions' administrative cost for Scheme E), each already accepted or
  rejected with a reason by the service that received it; nothing here re-judges a line;
* it counts the submissions up to the newest one it saw (``submissions_through``), so that its
  totals and its export keep agreeing when the party sends more later; a refresh (while still
  ``prepared``) takes the later ones in;
* ``prepared`` → ``approved`` (by someone other than the preparer: maker-checker, also a database
  constraint) → ``paid``; an approved or paid statement is never rebuilt;
* so that no accepted line is left off every statement, an approved or paid statement **closes**
  its party, month and scheme: a later submission is refused (409 ``statement_closed``,
  ``statement_refuse_closed``), and a statement that does not count every submission of its party,
  month and scheme (one came after it was prepared) cannot be approved before a refresh (409
  ``statement_stale``). A submission holds the statement's row lock from this check to its commit
  and approval takes the same lock, so the two cannot interleave: whichever comes second sees the
  other;
* every step locks the row (``select_for_update``), writes in one transaction and records its
  audit event in it (organisation and statement ids, month, scheme, figures: nothing personal).

Sums: claimed = every line's amount (a line without an amount counts 0), accepted and rejected
split it; total = accepted + administrative cost (Scheme E local governments); amounts are the
two-decimal sums of two-decimal amounts, so no rounding happens.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from aldis.exceptions import ApplicationError
from aldis.money import eur
from aldis.organisations.models import Organisation
from audit.services import audit_record
from compensation.models import (
    AppliedLine,
    ClaimLine,
    Scheme,
    Statement,
    StatementStatus,
    Submission,
    SubmissionKind,
)

ZERO = Decimal("0.00")
# DOMAIN: "by budget programme (protected users: 29.02.00)".
PROTECTED_USERS_PROGRAMME = "29.02.00"

KIND_OF_SCHEME = {Scheme.PROTECTED_USERS: SubmissionKind.APPLIED, Scheme.ENERGY_AID: SubmissionKind.CLAIM}
SCHEME_OF_KIND = {kind: scheme for scheme, kind in KIND_OF_SCHEME.items()}
# Who may prepare or refresh statements (the admin's actions and pages, ``prepare_statements``).
PREPARE_PERMISSION = "compensation.prepare_statement"


def budget_programme(scheme: str) -> str:
    """The budget programme a scheme's compensation is paid from: Scheme P's from DOMAIN, Scheme
    E's from the setting ``ALDIS_BUDGET_PROGRAMME_ENERGY_AID``."""
    if scheme == Scheme.PROTECTED_USERS:
        return PROTECTED_USERS_PROGRAMME
    return str(settings.ALDIS_BUDGET_PROGRAMME_ENERGY_AID)


@dataclass(frozen=True)
class StatementTotals:
    submissions_through: int
    lines_accepted: int
    lines_rejected: int
    claimed_eur: Decimal
    accepted_eur: Decimal
    rejected_eur: Decimal
    admin_cost_eur: Decimal

    @property
    def total_eur(self) -> Decimal:
        return self.accepted_eur + self.admin_cost_eur


def _check(*, month: date, scheme: str) -> None:
    errors: dict[str, list[str]] = {}
    if month.day != 1:
        errors["month"] = ["a month is given by its first day"]
    if scheme not in Scheme.values:
        errors["scheme"] = [f"unknown scheme {scheme!r}: one of {', '.join(Scheme.values)}"]
    if errors:
        raise ValidationError(errors)


def scheme_lines(
    *, organisation_id: int, month: date, scheme: str, submissions_through: int | None = None
) -> QuerySet[Any]:
    """The lines a party reported for ``month`` under ``scheme`` (up to a submission id, if given),
    in the order received: ``AppliedLine`` (trader) or ``ClaimLine`` rows."""
    queryset: QuerySet[Any]
    if scheme == Scheme.PROTECTED_USERS:
        queryset = AppliedLine.objects.filter(trader_id=organisation_id, month=month)
    else:
        queryset = ClaimLine.objects.filter(organisation_id=organisation_id, month=month)
    if submissions_through is not None:
        queryset = queryset.filter(submission_id__lte=submissions_through)
    return queryset.order_by("submission_id", "line_no")


def statement_lines(*, statement: Statement) -> QuerySet[Any]:
    """The lines a statement counts (its party, month, scheme, up to its newest submission)."""
    return scheme_lines(
        organisation_id=statement.organisation_id,
        month=statement.month,
        scheme=statement.scheme,
        submissions_through=statement.submissions_through or 0,
    )


def statement_totals(*, organisation: Organisation, month: date, scheme: str) -> StatementTotals | None:
    """What a statement of the party, month and scheme would say now; None if the party sent
    nothing for it. Two grouped queries (the submissions, then their lines)."""
    _check(month=month, scheme=scheme)
    submissions = Submission.objects.filter(
        organisation=organisation, month=month, kind=KIND_OF_SCHEME[Scheme(scheme)]
    ).aggregate(through=Max("id"), admin_cost=Sum("admin_cost_eur"))
    if submissions["through"] is None:
        return None
    amount = "applied_eur" if scheme == Scheme.PROTECTED_USERS else "aid_eur"
    accepted, rejected = Q(accepted=True), Q(accepted=False)
    lines = (
        scheme_lines(
            organisation_id=organisation.pk,
            month=month,
            scheme=scheme,
            submissions_through=submissions["through"],
        )
        .order_by()
        .aggregate(
            lines_accepted=Count("id", filter=accepted),
            lines_rejected=Count("id", filter=rejected),
            accepted_eur=Sum(amount, filter=accepted),
            rejected_eur=Sum(amount, filter=rejected),
        )
    )
    accepted_eur, rejected_eur = eur(lines["accepted_eur"]), eur(lines["rejected_eur"])
    return StatementTotals(
        submissions_through=submissions["through"],
        lines_accepted=lines["lines_accepted"],
        lines_rejected=lines["lines_rejected"],
        claimed_eur=accepted_eur + rejected_eur,
        accepted_eur=accepted_eur,
        rejected_eur=rejected_eur,
        admin_cost_eur=eur(submissions["admin_cost"]) if scheme == Scheme.ENERGY_AID else ZERO,
    )


def _user(actor: Any) -> AbstractBaseUser:
    if not isinstance(actor, AbstractBaseUser) or not actor.is_authenticated:
        raise ValidationError({"actor": ["statements are prepared, approved and paid by a staff user"]})
    return actor


def _audit_data(statement: Statement, **extra: Any) -> dict[str, Any]:
    return {
        "organisation_id": statement.organisation_id,
        "month": f"{statement.month:%Y-%m}",
        "scheme": statement.scheme,
        "status": statement.status,
        "lines_accepted": statement.lines_accepted,
        "lines_rejected": statement.lines_rejected,
        "claimed_eur": str(statement.claimed_eur),
        "accepted_eur": str(statement.accepted_eur),
        "admin_cost_eur": str(statement.admin_cost_eur),
        "total_eur": str(statement.total_eur),
        **extra,
    }


def statement_prepare(*, organisation: Organisation, month: date, scheme: str, actor: Any) -> Statement:
    """Build, or while it is still ``prepared`` rebuild, the statement of ``organisation`` for
    ``month`` (its first day) and ``scheme``, from every line its submissions so far carry.

    ``actor``: the staff user preparing it (recorded as the preparer: a rebuild makes its actor
    the preparer, who then may not approve it). Raises ``ValidationError`` for a month that is not
    a first day, an unknown scheme or an actor that is no user; ``ApplicationError``
    ``statement_closed`` if the statement is approved or paid, ``nothing_to_state`` if the party
    sent nothing for the month and scheme, ``statement_busy`` if another preparation created it
    at the same moment. One transaction with the audit event ``statement.prepare``; preparing
    again with no new submission rewrites the same figures.
    """
    user = _user(actor)
    _check(month=month, scheme=scheme)
    with transaction.atomic():
        statement = (
            Statement.objects.select_for_update()
            .filter(organisation=organisation, month=month, scheme=scheme)
            .first()
        )
        if statement is not None and statement.status != StatementStatus.PREPARED:
            raise ApplicationError(
                f"the statement is {statement.status}: it can no longer be rebuilt",
                code="statement_closed",
                details={"statement_id": statement.pk, "status": statement.status},
            )
        totals = statement_totals(organisation=organisation, month=month, scheme=scheme)
        if totals is None:
            raise ApplicationError(
                f"{organisation.code} reported nothing for {month:%Y-%m} ({scheme})",
                code="nothing_to_state",
                details={"organisation_id": organisation.pk, "month": f"{month:%Y-%m}", "scheme": scheme},
            )
        refreshed = statement is not None
        if statement is None:
            statement = Statement(organisation=organisation, month=month, scheme=scheme)
        statement.budget_programme = budget_programme(scheme)
        statement.submissions_through = totals.submissions_through
        statement.lines_accepted = totals.lines_accepted
        statement.lines_rejected = totals.lines_rejected
        statement.claimed_eur = totals.claimed_eur
        statement.accepted_eur = totals.accepted_eur
        statement.rejected_eur = totals.rejected_eur
        statement.admin_cost_eur = totals.admin_cost_eur
        statement.total_eur = totals.total_eur
        statement.prepared_by = user  # type: ignore[assignment]
        statement.prepared_at = timezone.now()
        try:
            with transaction.atomic():
                statement.save()
        except IntegrityError:
            raise ApplicationError(
                "another preparation of this statement is running; try again",
                code="statement_busy",
            ) from None
        audit_record(
            actor=user,
            action="statement.prepare",
            target=statement,
            data=_audit_data(statement, refreshed=refreshed, submissions_through=totals.submissions_through),
        )
    return statement


def statement_refuse_closed(*, organisation_id: int, month: date, kind: str) -> None:
    """Inside a submission's transaction, before it writes: refuse it if the statement of its
    party, month and scheme is approved or paid (nothing sent now could be paid any more).

    Raises ``ApplicationError`` 409 ``statement_closed``. Otherwise it holds the statement's row
    lock (if there is a statement) until the submission commits: an approval waits for it and
    then finds the statement stale (``statement_approve``); a submission that waited for an
    approval reads the approved status here (PostgreSQL re-reads a row locked ``FOR UPDATE``).
    """
    scheme = SCHEME_OF_KIND[SubmissionKind(kind)]
    statement = (
        Statement.objects.select_for_update()
        .filter(organisation_id=organisation_id, month=month, scheme=scheme)
        .only("pk", "status")
        .first()
    )
    if statement is not None and statement.status != StatementStatus.PREPARED:
        raise ApplicationError(
            f"The compensation statement for {month:%Y-%m} is already {statement.status}: nothing more "
            "can be reported for this month. Please contact the Bureau.",
            code="statement_closed",
            details={"month": f"{month:%Y-%m}", "scheme": scheme, "status": statement.status},
        )


def _submissions_after(statement: Statement) -> int:
    """How many submissions of the statement's party, month and scheme it does not count."""
    return Submission.objects.filter(
        organisation_id=statement.organisation_id,
        month=statement.month,
        kind=KIND_OF_SCHEME[Scheme(statement.scheme)],
        id__gt=statement.submissions_through or 0,
    ).count()


def _locked(statement: Statement) -> Statement:
    return Statement.objects.select_for_update().get(pk=statement.pk)


def statement_approve(*, statement: Statement, actor: Any) -> Statement:
    """Approve a ``prepared`` statement. Maker-checker: ``actor`` must not be its preparer.

    Raises ``ApplicationError`` ``statement_not_prepared`` (already approved or paid),
    ``maker_checker``, or ``statement_stale`` (the party sent a submission for the month and
    scheme after the statement was prepared: approving it would leave that submission's lines
    unpaid for good; refresh it first). One transaction on the locked row, audited
    ``statement.approve``. Returns the statement as stored.
    """
    user = _user(actor)
    with transaction.atomic():
        current = _locked(statement)
        if current.status != StatementStatus.PREPARED:
            raise ApplicationError(
                f"only a prepared statement can be approved; this one is {current.status}",
                code="statement_not_prepared",
                details={"statement_id": current.pk, "status": current.status},
            )
        if current.prepared_by_id == user.pk:
            raise ApplicationError(
                "maker-checker: the staff member who prepared a statement cannot approve it",
                code="maker_checker",
                details={"statement_id": current.pk},
            )
        # Under the statement's row lock, which a submission holds until it commits.
        later = _submissions_after(current)
        if later:
            raise ApplicationError(
                f"the party sent {later} submission(s) for this month and scheme after the statement "
                "was prepared: refresh it, then have it approved",
                code="statement_stale",
                details={"statement_id": current.pk, "submissions_after": later},
            )
        current.status = StatementStatus.APPROVED
        current.approved_by = user  # type: ignore[assignment]
        current.approved_at = timezone.now()
        current.save(update_fields=["status", "approved_by", "approved_at"])
        audit_record(actor=user, action="statement.approve", target=current, data=_audit_data(current))
    return current


def statement_mark_paid(*, statement: Statement, actor: Any, payment_reference: str) -> Statement:
    """Mark an ``approved`` statement paid, with the payment's reference (the treasury order).

    Raises ``ValidationError`` for an empty or over-long reference, ``ApplicationError``
    ``statement_not_approved`` otherwise. One transaction on the locked row, audited
    ``statement.pay``.
    """
    user = _user(actor)
    reference = (payment_reference or "").strip()
    if not reference:
        raise ValidationError({"payment_reference": ["the payment's reference is required"]})
    limit = Statement._meta.get_field("payment_reference").max_length or 64
    if len(reference) > limit:
        raise ValidationError({"payment_reference": [f"at most {limit} characters"]})
    with transaction.atomic():
        current = _locked(statement)
        if current.status != StatementStatus.APPROVED:
            raise ApplicationError(
                f"only an approved statement can be marked paid; this one is {current.status}",
                code="statement_not_approved",
                details={"statement_id": current.pk, "status": current.status},
            )
        current.status = StatementStatus.PAID
        current.paid_by = user  # type: ignore[assignment]
        current.paid_at = timezone.now()
        current.payment_reference = reference
        current.save(update_fields=["status", "paid_by", "paid_at", "payment_reference"])
        audit_record(
            actor=user,
            action="statement.pay",
            target=current,
            data=_audit_data(current, payment_reference=reference),
        )
    return current


@dataclass
class MonthPreparation:
    """What preparing a month did (or, in a dry run, would do), per party and scheme."""

    prepared: list[tuple[int, str]] = field(default_factory=list)  # new statements
    refreshed: list[tuple[int, str]] = field(default_factory=list)
    closed: list[tuple[int, str]] = field(default_factory=list)  # approved or paid: left alone
    total_eur: Decimal = ZERO


def statements_prepare_month(*, month: date, actor: Any, commit: bool = True) -> MonthPreparation:
    """Prepare or refresh the statement of every party that reported for ``month``, each scheme
    it reported under; approved and paid ones are left alone (listed as ``closed``).

    ``commit=False`` is a dry run: nothing is written, the figures are what it would write. Each
    statement is its own transaction (a refusal of one does not undo the others).
    """
    _check(month=month, scheme=Scheme.PROTECTED_USERS)
    if commit:
        _user(actor)
    parties = (
        Submission.objects.filter(month=month)
        .order_by("organisation_id", "kind")
        .values_list("organisation_id", "kind")
        .distinct()
    )
    pairs = [(organisation_id, SCHEME_OF_KIND[SubmissionKind(kind)]) for organisation_id, kind in parties]
    organisations = Organisation.objects.in_bulk({organisation_id for organisation_id, _ in pairs})
    status = {
        (organisation_id, scheme): status
        for organisation_id, scheme, status in Statement.objects.filter(month=month).values_list(
            "organisation_id", "scheme", "status"
        )
    }
    result = MonthPreparation()
    for organisation_id, scheme in pairs:
        key = (organisation_id, str(scheme))
        existing = status.get(key)
        if existing is not None and existing != StatementStatus.PREPARED:
            result.closed.append(key)
            continue
        organisation = organisations[organisation_id]
        if commit:
            total = statement_prepare(
                organisation=organisation, month=month, scheme=scheme, actor=actor
            ).total_eur
        else:
            totals = statement_totals(organisation=organisation, month=month, scheme=scheme)
            total = totals.total_eur if totals else ZERO
        (result.refreshed if existing else result.prepared).append(key)
        result.total_eur += total
    return result
