"""What a signed-in person does about their own status (DOMAIN: Rights of the person).

Every function takes the person from the caller's session (never from a form), checks what the
person may do, writes, and records its audit event in the same transaction with internal ids
only. A choice or a refusal applies from the *next run's month*: the first month, at or after the
current month in Latvia, that has no run done or under way (``households.selectors.next_run_month``); a
month already computed never changes behind the Bureau's back (a contest does that).

* ``contract_choice_set``: the contract must be one ``person_allowed_contracts`` offers on the
  next run's reference date; the previous choice ends the day before (a choice that had not
  started yet ends before its start, so it never applies).
* ``contract_choice_clear``: back to the automatic order of DOMAIN's attribution rules 2-4.
* ``service_refusal_start`` / ``service_refusal_undo``: the same shape for the refusal.
* ``contest_case_open``: a case about a month with a run in force that is still kept.
* ``person_status_read``: the status, audited as ``status.view`` (the person) or
  ``status.lookup`` (the portal's API client).
"""

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from aldis.exceptions import ApplicationError
from audit.models import ActorType
from audit.services import Actor, audit_record
from eligibility.selectors import month_run_in_force
from households import selectors
from households.models import ContestCase, ContestItem, ContractChoice, Person, ServiceRefusal
from households.selectors import (
    next_run_month,
    oldest_month_kept,
    person_allowed_contracts,
    person_status,
)

CONTEST_TEXT_MAX = 2000
DAY = timedelta(days=1)


def person_actor(person: Person) -> Actor:
    """The audit actor for a signed-in person: their internal id, never their code."""
    return Actor(ActorType.PERSON, str(person.pk))


def _live(queryset: Any, *, from_month: date) -> Any:
    """Rows that still apply on or after ``from_month`` (open, or ending later; not void)."""
    return queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=from_month)).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from"))
    )


def _end_before(row: ContractChoice | ServiceRefusal, *, from_month: date) -> None:
    """End ``row`` the day before ``from_month``, or before its own start if it starts later."""
    row.valid_to = max(from_month, row.valid_from) - DAY
    row.save(update_fields=["valid_to"])


def person_status_read(*, person: Person, actor: Any, today: date | None = None) -> dict[str, Any]:
    """``person_status`` of ``person``, the read audited in the same transaction: ``status.view``
    when the person reads their own page, ``status.lookup`` for anyone else (the portal)."""
    with transaction.atomic():
        status = person_status(person=person, today=today)
        who = Actor.of(actor)
        own = who.type == ActorType.PERSON and who.id == str(person.pk)
        audit_record(
            actor=who,
            action="status.view" if own else "status.lookup",
            target=person,
            data={"months": [m["month"].strftime("%Y-%m") for m in status["months"]]},
        )
    return status


def contract_choice_set(
    *, person: Person, trader_id: int, contract_no: str, actor: Any, today: date | None = None
) -> ContractChoice:
    """``person`` chooses the contract (``trader_id``, ``contract_no``) for the support from the
    next run's month. Raises ``ValidationError`` (field ``contract``) if it is not one the person
    may choose on that month's reference date. Ends the previous choice; audited
    ``contract_choice.set``. Choosing the contract already chosen changes nothing."""
    with transaction.atomic():
        from_month = next_run_month(today=today)
        allowed = {
            (c["trader_id"], c["contract_no"]) for c in person_allowed_contracts(person=person, on=from_month)
        }
        if (trader_id, contract_no) not in allowed:
            raise ValidationError({"contract": [_("This contract cannot be chosen.")]}, code="not_allowed")
        previous = list(
            _live(ContractChoice.objects.select_for_update().filter(person=person), from_month=from_month)
        )
        for choice in previous:
            if (
                choice.trader_id == trader_id
                and choice.contract_no == contract_no
                and choice.valid_to is None
            ):
                return choice
        for choice in previous:
            _end_before(choice, from_month=from_month)
        choice = ContractChoice.objects.create(
            person=person, trader_id=trader_id, contract_no=contract_no, valid_from=from_month
        )
        audit_record(
            actor=actor,
            action="contract_choice.set",
            target=choice,
            data={
                "person_id": person.pk,
                "trader_id": trader_id,
                "valid_from": from_month,
                "ended": [c.pk for c in previous],
            },
        )
    return choice


def contract_choice_clear(*, person: Person, actor: Any, today: date | None = None) -> int:
    """``person`` goes back to the automatic attribution from the next run's month: every choice
    still applying then ends before it. Returns how many ended (0: nothing to do, not audited)."""
    with transaction.atomic():
        from_month = next_run_month(today=today)
        previous = list(
            _live(ContractChoice.objects.select_for_update().filter(person=person), from_month=from_month)
        )
        for choice in previous:
            _end_before(choice, from_month=from_month)
        if previous:
            audit_record(
                actor=actor,
                action="contract_choice.clear",
                target=person,
                data={"ended": [c.pk for c in previous], "from": from_month},
            )
    return len(previous)


def service_refusal_start(*, person: Person, actor: Any, today: date | None = None) -> ServiceRefusal:
    """``person`` refuses the protected-user service from the next run's month on. Raises
    ``ApplicationError`` (``already_refused``) if a refusal already applies then or later."""
    with transaction.atomic():
        from_month = next_run_month(today=today)
        if _live(
            ServiceRefusal.objects.select_for_update().filter(person=person), from_month=from_month
        ).exists():
            raise ApplicationError("You have already refused the service.", code="already_refused")
        refusal = ServiceRefusal.objects.create(person=person, valid_from=from_month)
        audit_record(
            actor=actor,
            action="service_refusal.start",
            target=refusal,
            data={"person_id": person.pk, "valid_from": from_month},
        )
    return refusal


def service_refusal_undo(*, person: Person, actor: Any, today: date | None = None) -> list[ServiceRefusal]:
    """``person`` takes the service back from the next run's month: each refusal still applying
    then ends the day before (one that had not started yet ends before its start, so it never
    applies). Raises ``ApplicationError`` (``not_refused``) if there is none."""
    with transaction.atomic():
        from_month = next_run_month(today=today)
        refusals = list(
            _live(ServiceRefusal.objects.select_for_update().filter(person=person), from_month=from_month)
        )
        if not refusals:
            raise ApplicationError("You have not refused the service.", code="not_refused")
        for refusal in refusals:
            _end_before(refusal, from_month=from_month)
        audit_record(
            actor=actor,
            action="service_refusal.undo",
            target=person,
            data={"refusals": [r.pk for r in refusals], "from": from_month},
        )
    return refusals


def contest_case_open(
    *, person: Person, month: date, item: str, text: str, actor: Any, today: date | None = None
) -> ContestCase:
    """``person`` contests ``month`` (its first day) about ``item`` in their own words.

    Raises ``ValidationError`` for an unknown item, an empty or too long text (over
    ``CONTEST_TEXT_MAX`` characters), or a month without a run in force, in the future or no
    longer kept. The case starts ``received`` and records the version the person saw; audited
    ``contest.open`` (the text is not copied to the trail).
    """
    errors: dict[str, list[Any]] = {}
    if item not in ContestItem.values:
        errors["item"] = [_("Choose what you contest.")]
    words = (text or "").strip()
    if not words:
        errors["text"] = [_("Write what is wrong.")]
    elif len(words) > CONTEST_TEXT_MAX:
        errors["text"] = [_("Write at most %(max)d characters.") % {"max": CONTEST_TEXT_MAX}]
    today = today or selectors.riga_today()
    month = month.replace(day=1)
    run = month_run_in_force(month=month)
    if run is None or month > today.replace(day=1) or month < oldest_month_kept(today=today):
        errors["month"] = [_("This month cannot be contested.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = ContestCase.objects.create(person=person, month=month, run=run, item=item, text=words)
        audit_record(
            actor=actor,
            action="contest.open",
            target=case,
            data={
                "person_id": person.pk,
                "month": month.strftime("%Y-%m"),
                "run_id": run.pk if run else None,
            },
        )
    return case
