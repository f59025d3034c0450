"""Recovery items: what a trader applied that a corrected month no longer owes (DOMAIN:
Corrections; the Bureau then issues a payment notice).

Money leaves the state on these, so the rule is one yearly comparison per recipient, never a
guess per month: the balance is yearly (it carries within a calendar year and lapses on
31 December), so what matters is whether the year's applications still fit the year's credits.
Items are only ever added: a later version that credits more again leaves earlier items for
staff to waive; staff follow items up through ``recovery_item_update`` (audited).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from aldis.money import eur
from audit.services import audit_record
from compensation.models import AppliedLine, RecoveryItem, RecoveryStatus
from eligibility.models import ContractLine, MonthRun
from eligibility.selectors import month_runs_in_force
from households.models import PersonCode

ZERO = Decimal("0.00")
BATCH_SIZE = 5000

# trader id, contract number, and who: the sub-user's person id, 0 for the holder's household, or
# ``"code:<code>"`` for a code that names nobody ALDIS knows.
Recipient = tuple[int, str, int | str]
HOLDER = 0


def _year_runs(run: MonthRun) -> list[int]:
    """The runs that credit the year of ``run``: the in-force run of each other month of that
    year, and ``run`` itself for its month (it is being written and replaces that month)."""
    year_start = run.month.replace(month=1)
    in_force = month_runs_in_force(
        months_from=year_start, months_before=year_start.replace(year=year_start.year + 1)
    )
    return [run.pk, *(pk for month, pk in in_force.items() if month != run.month)]


class _Recipients:
    """Keys recipients by person, so that a sub-user whose personal code changed during the year
    is still one recipient: a row's person if it has one, else the person its code names (any
    code they have had), else the code itself."""

    def __init__(self, codes: set[str]) -> None:
        self.persons = dict(PersonCode.objects.filter(code__in=codes - {""}).values_list("code", "person_id"))
        self.codes: dict[Recipient, str] = {}

    def key(self, row: dict[str, Any]) -> Recipient:
        code = row.get("sub_user_code") or ""
        person = row.get("sub_user_id") or self.persons.get(code)
        who: int | str = HOLDER if not code and not person else person or f"code:{code}"
        key = (row["trader_id"], row["contract_no"], who)
        if code:
            self.codes[key] = code  # the newest code seen (rows come oldest first)
        return key

    def sums(self, rows: Any) -> dict[Recipient, Decimal]:
        totals: dict[Recipient, Decimal] = defaultdict(lambda: ZERO)
        for row in rows:
            totals[self.key(row)] += eur(row["total"])
        return totals


@dataclass
class RecoverySummary:
    items: int = 0
    amount_eur: Decimal = ZERO


def recovery_items_compute(*, run: MonthRun) -> RecoverySummary:
    """Record, for ``run``'s calendar year, every amount applied but no longer owed.

    The rule (DOMAIN: Balance, Corrections), per recipient = (trader, contract_no, sub-user)
    and calendar year Y of ``run.month``:

    * credited = Σ ``ContractLine.amount_eur`` of the recipient over the in-force run of each
      month of Y, where ``run`` counts as its own month's in-force run (it is being written, not
      yet ``done``, and replaces that month's earlier versions);
    * applied = Σ ``applied_eur`` of the recipient's accepted ``AppliedLine`` rows of months in Y;
    * owed back = applied - credited; already = Σ ``amount_eur`` of the recipient's recovery items
      of Y (any status: an item waived by staff was still raised);
    * if owed back - already > 0, one new ``RecoveryItem`` for that difference, with the year's
      credited and applied figures and ``run`` as the version that found it.

    Recipients are matched by person (``_Recipients``): a sub-user whose personal code changed
    during the year is one recipient, and the item names the code the trader last reported. Nothing is ever reduced or deleted:
    if a later version credits more again, the earlier items stay for staff to waive.

    Runs in the caller's transaction (the monthly run's, right after the re-run's contract lines
    are written); four grouped queries and one ``bulk_create``, no per-row queries. Idempotent:
    with the same data a second call finds ``already`` equal to owed back and creates nothing.
    """
    year = run.month.year
    year_start, next_year = date(year, 1, 1), date(year + 1, 1, 1)
    applied_rows = list(
        AppliedLine.objects.filter(accepted=True, month__gte=year_start, month__lt=next_year)
        .order_by()
        .values("trader_id", "contract_no", "sub_user_id", "sub_user_code")
        .annotate(total=Sum("applied_eur"), last=Max("month"))
        .order_by("last")
    )
    if not applied_rows:
        return RecoverySummary()
    already_rows = list(
        RecoveryItem.objects.filter(year=year)
        .order_by()
        .values("trader_id", "contract_no", "sub_user_code")
        .annotate(total=Sum("amount_eur"))
    )
    recipients = _Recipients({r["sub_user_code"] for r in applied_rows + already_rows})
    applied = recipients.sums(applied_rows)
    credited = recipients.sums(
        ContractLine.objects.filter(run_id__in=_year_runs(run))
        .order_by()
        .values("trader_id", "contract_no", "sub_user_id")
        .annotate(total=Sum("amount_eur"))
    )
    already = recipients.sums(already_rows)
    items = []
    for key in sorted(applied, key=lambda k: (k[0], k[1], str(k[2]))):
        owed_back = applied[key] - credited.get(key, ZERO)
        amount = owed_back - already.get(key, ZERO)
        if amount > 0:
            items.append(
                RecoveryItem(
                    run=run,
                    trader_id=key[0],
                    contract_no=key[1],
                    sub_user_code=recipients.codes.get(key, ""),
                    year=year,
                    credited_eur=credited.get(key, ZERO),
                    applied_eur=applied[key],
                    amount_eur=amount,
                )
            )
    RecoveryItem.objects.bulk_create(items, batch_size=BATCH_SIZE)
    return RecoverySummary(items=len(items), amount_eur=sum((i.amount_eur for i in items), ZERO))


# Where an item may go from each status; recovered and waived are final.
TRANSITIONS: dict[str, set[str]] = {
    RecoveryStatus.OPEN: {RecoveryStatus.NOTICE_ISSUED, RecoveryStatus.RECOVERED, RecoveryStatus.WAIVED},
    RecoveryStatus.NOTICE_ISSUED: {RecoveryStatus.RECOVERED, RecoveryStatus.WAIVED},
    RecoveryStatus.RECOVERED: set(),
    RecoveryStatus.WAIVED: set(),
}


def recovery_item_errors(*, item: RecoveryItem, status: str, note: str) -> dict[str, list[str]]:
    """Why ``item`` may not move to ``status`` with ``note`` (empty: it may). The admin's form
    shows these; ``recovery_item_update`` raises them."""
    text = (note or "").strip()
    previous = item.status
    if status not in RecoveryStatus.values:
        return {"status": [f"unknown status {status!r}"]}
    if status != previous and status not in TRANSITIONS[previous]:
        return {"status": [f"an item that is {previous} cannot become {status}"]}
    if status == RecoveryStatus.WAIVED and status != previous and not text:
        return {"note": ["waiving an item needs the reason in the note"]}
    if status == previous and not text:
        return {"note": ["nothing to record: give a new status or a note"]}
    return {}


def recovery_item_update(*, item: RecoveryItem, status: str, note: str, actor: Any) -> RecoveryItem:
    """Move a recovery item to ``status`` with a note staff write (appended to its notes, dated).

    Allowed: open → notice issued, recovered or waived; notice issued → recovered or waived;
    recovered and waived are final. Waiving needs a note (the reason); the same status again only
    adds the note. Raises ``ValidationError`` for a status it may not take or a missing note.
    One transaction on the locked row, audited ``recovery.update`` (ids, statuses, amount; the
    note's text stays on the item, since staff may name people in it).
    """
    text = (note or "").strip()
    with transaction.atomic():
        current = RecoveryItem.objects.select_for_update().get(pk=item.pk)
        previous = current.status
        if errors := recovery_item_errors(item=current, status=status, note=text):
            raise ValidationError(errors)
        if text:
            stamp = f"[{timezone.now():%Y-%m-%d %H:%M} {previous}→{status}] {text}"
            current.note = f"{current.note}\n{stamp}" if current.note else stamp
        current.status = status
        current.save(update_fields=["status", "note"])
        audit_record(
            actor=actor,
            action="recovery.update",
            target=current,
            data={
                "trader_id": current.trader_id,
                "year": current.year,
                "from": previous,
                "to": status,
                "amount_eur": str(current.amount_eur),
                "noted": bool(text),
            },
        )
    return current
