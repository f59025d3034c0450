"""A trader reports what it applied for month M (DOMAIN: Balance; INTERFACES §3 ``applied``).

Money moves on these lines, so each is judged alone and kept, accepted or rejected with a reason:

1. format: ``contract_no`` a non-empty text of at most 64 characters, ``sub_user_code`` empty or
   a valid personal code (hyphen optional), ``applied_eur`` a non-negative amount with at most
   two decimals → else ``invalid`` (the message names the field);
2. the recipient is in the trader's list of the version of M in force → else ``not_in_list``
   (a sub-user may be named by a previous personal code of the same person);
3. no accepted line for that recipient and month already, and not named earlier in this request
   → else ``duplicate`` (the first mention in a request is judged, every later one refused);
4. ``applied_eur`` at most the recipient's available balance (``compensation.selectors``) → else
   ``above_balance``. Money applied for M is also spent from the balances of the later months of
   the year, so a late report for M is checked against each later month's list of the year that
   has a version in force too (the smallest available balance counts): otherwise a report for
   October sent after November's, each within its own month's view, could together apply more
   than was credited.

Every line is stored (``AppliedLine``, 1-based ``line_no``) under one ``Submission`` with the
totals, the version checked against and the answer; an accepted line stores the recipient's code
as the list shows it and the person. All in one transaction with the ``applied.submit`` audit
event (counts and sums only, nothing personal), serialised per trader, idempotent by key, a
byte-for-byte repeat of an earlier request for the month answered with that request's answer,
and refused once the month's Scheme P statement is approved or paid
(``compensation.services.submissions``).
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import status

from aldis.exceptions import ApplicationError
from aldis.identifiers import normalise_personal_code
from aldis.organisations.models import Organisation
from audit.services import audit_record
from compensation.models import AppliedLine, Submission, SubmissionKind
from compensation.selectors import accepted_applied_recipients, contract_lines_with_available
from compensation.services.submissions import (
    ZERO,
    SubmissionOutcome,
    as_text,
    money,
    parse_amount,
    submit_once,
)
from eligibility.models import MonthRun
from eligibility.selectors import month_run_in_force
from households.models import PersonCode

MAX_LINES = 200_000
BATCH = 2000
CHUNK = 500
# ``available_eur`` is an annotation (``contract_lines_with_available``).
LIST_FIELDS = ("contract_no", "sub_user_code", "sub_user_id", "available_eur")

REASONS = {
    "invalid": "The line is not valid.",
    "not_in_list": "The contract and sub-user are not in your list for this month.",
    "duplicate": "An application for this recipient and month was already accepted, or the request "
    "names the recipient more than once.",
    "above_balance": "The amount is above the recipient's available balance.",
}


def _month_not_computed(month: date) -> ApplicationError:
    return ApplicationError(
        f"Month {month:%Y-%m} has no computed version in force yet.",
        code="month_not_computed",
        details={"month": f"{month:%Y-%m}"},
        status=status.HTTP_404_NOT_FOUND,
    )


class _Line:
    __slots__ = ("amount", "balance_after", "code", "contract_no", "message", "no", "person", "raw", "reason")

    def __init__(self, no: int, raw: Any) -> None:
        self.no = no
        self.raw = raw if isinstance(raw, dict) else {}
        self.contract_no = ""
        self.code = ""
        self.person: int | None = None
        self.amount: Decimal | None = None
        self.balance_after = ""
        self.reason = ""
        self.message = ""

    def reject(self, reason: str, message: str = "") -> None:
        self.reason = reason
        self.message = message or REASONS[reason]


def _check_format(line: _Line, raw: Any) -> None:
    if not isinstance(raw, dict):
        line.reject("invalid", "A line must be an object with contract_no, sub_user_code and applied_eur.")
        return
    contract_no = raw.get("contract_no")
    if (
        not isinstance(contract_no, str)
        or not contract_no.strip()
        or len(contract_no.strip()) > 64
        or not contract_no.strip().isprintable()
    ):
        line.reject("invalid", "contract_no must be a non-empty printable text of at most 64 characters.")
        return
    line.contract_no = contract_no.strip()
    code = raw.get("sub_user_code", "")
    if code is None:
        code = ""
    if not isinstance(code, str):
        line.reject("invalid", "sub_user_code must be a personal code or empty.")
        return
    if code.strip():
        try:
            line.code = normalise_personal_code(code)
        except ValidationError as exc:
            line.reject("invalid", f"sub_user_code: {exc.messages[0]}.")
            return
    amount = parse_amount(raw.get("applied_eur"))
    if amount is None:
        line.reject("invalid", "applied_eur must be a non-negative amount with at most two decimals.")
        return
    line.amount = amount


def _list_rows(
    run: MonthRun, trader_id: int, contract_nos: Sequence[str]
) -> dict[tuple[str, str | int], tuple[str, int | None, Decimal]]:
    """The trader's list rows for these contracts, keyed by (contract_no, code) and, for
    sub-users, (contract_no, person id) too: the row's code, person and available balance."""
    found: dict[tuple[str, str | int], tuple[str, int | None, Decimal]] = {}
    base = contract_lines_with_available(run=run, trader_id=trader_id)
    for start in range(0, len(contract_nos), CHUNK):
        rows = base.filter(contract_no__in=contract_nos[start : start + CHUNK]).values_list(*LIST_FIELDS)
        for contract_no, code, person, available in rows:
            value = (code, person, Decimal(str(available)).quantize(Decimal("0.01")))
            found[(contract_no, code)] = value
            if person is not None:
                found[(contract_no, person)] = value
    return found


def _later_available(
    month: date, trader_id: int, contract_nos: Sequence[str]
) -> dict[tuple[str, str | int], Decimal]:
    """For the months after ``month`` in its year with a version in force: the smallest available
    balance of each recipient of these contracts over those months' lists (keyed as ``_list_rows``)."""
    smallest: dict[tuple[str, str | int], Decimal] = {}
    for later in range(month.month + 1, 13):
        run = month_run_in_force(month=date(month.year, later, 1))
        if run is None:
            continue
        for key, (_, _, available) in _list_rows(run, trader_id, contract_nos).items():
            if key not in smallest or available < smallest[key]:
                smallest[key] = available
    return smallest


def _persons(codes: set[str]) -> dict[str, int]:
    """Person ids of personal codes (current or previous)."""
    ordered = sorted(codes)
    found: dict[str, int] = {}
    for start in range(0, len(ordered), CHUNK):
        found.update(
            PersonCode.objects.filter(code__in=ordered[start : start + CHUNK]).values_list(
                "code", "person_id"
            )
        )
    return found


def _judge(lines: list[_Line], run: MonthRun, trader_id: int, month: date) -> None:
    valid = [line for line in lines if not line.reason]
    contract_nos = sorted({line.contract_no for line in valid})
    listed = _list_rows(run, trader_id, contract_nos)
    unmatched = {line.code for line in valid if line.code and (line.contract_no, line.code) not in listed}
    persons = _persons(unmatched) if unmatched else {}
    already = accepted_applied_recipients(trader_id=trader_id, month=month, contract_nos=contract_nos)
    later = _later_available(month, trader_id, contract_nos)
    seen: set[tuple[str, str]] = set()
    for line in valid:
        row = listed.get((line.contract_no, line.code))
        if row is None and line.code in persons:
            row = listed.get((line.contract_no, persons[line.code]))
        if row is None:
            line.reject("not_in_list")
            continue
        code, person, available = row
        line.person = person
        recipient = (line.contract_no, code)
        if (
            recipient in seen
            or recipient in already
            or (person is not None and (line.contract_no, person) in already)
        ):
            line.reject("duplicate")
            continue
        seen.add(recipient)
        line.code = code
        keys: list[tuple[str, str | int]] = [recipient]
        if person is not None:
            keys.append((line.contract_no, person))
        available = min([available, *(later[key] for key in keys if key in later)])
        # A balance a downward re-run left negative still takes a report of 0.00 (nothing applied).
        if line.amount is None or line.amount > max(available, Decimal("0.00")):
            line.reject(
                "above_balance",
                f"The amount is above the recipient's available balance of {money(available)} EUR.",
            )
            continue
        line.balance_after = money(available - line.amount)


def applied_submit(
    *,
    organisation: Organisation,
    month: date,
    lines: Sequence[Any],
    request_hash: str,
    idempotency_key: str = "",
    actor: Any,
    client_id: str | None = None,
) -> SubmissionOutcome:
    """Judge and store one applied request of trader ``organisation`` for ``month`` (first day).

    ``lines``: the parsed body, one item per line (anything; a malformed item is a rejected
    line). Raises ``ApplicationError`` 404 ``month_not_computed`` (no version in force), 400
    ``invalid`` (no line, or more than ``MAX_LINES``), 422 ``idempotency_key_reused``, 409
    ``statement_closed`` (the month's statement is approved or paid). Returns the outcome: the
    submission and its answer (``replayed`` for a retry with the same key and body, or a body
    identical to an earlier request's for the month: it changes nothing). One transaction.
    """
    if not lines:
        raise ApplicationError(
            "The request has no lines.",
            code="invalid",
            details={"lines": ["at least one line"]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if len(lines) > MAX_LINES:
        raise ApplicationError(
            f"The request has more than {MAX_LINES} lines; send it in parts.",
            code="invalid",
            details={"lines": [f"at most {MAX_LINES} lines"]},
            status=status.HTTP_400_BAD_REQUEST,
        )

    def compute(locked: Organisation) -> Submission:
        run = month_run_in_force(month=month)
        if run is None:
            raise _month_not_computed(month)
        judged = []
        for no, raw in enumerate(lines, start=1):
            line = _Line(no, raw)
            _check_format(line, raw)
            judged.append(line)
        _judge(judged, run, locked.pk, month)
        return _store(locked, month, run, judged, request_hash, idempotency_key, actor, client_id)

    return submit_once(
        organisation=organisation,
        kind=SubmissionKind.APPLIED,
        month=month,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        actor=actor,
        action="applied.submit",
        compute=compute,
    )


def _store(
    organisation: Organisation,
    month: date,
    run: MonthRun,
    lines: list[_Line],
    request_hash: str,
    key: str,
    actor: Any,
    client_id: str | None,
) -> Submission:
    accepted = [line for line in lines if not line.reason]
    rejected = [line for line in lines if line.reason]
    accepted_eur = sum((line.amount or ZERO for line in accepted), ZERO)
    rejected_eur = sum((line.amount or ZERO for line in rejected), ZERO)
    submission = Submission.objects.create(
        organisation=organisation,
        client_id=client_id,
        kind=SubmissionKind.APPLIED,
        month=month,
        run=run,
        idempotency_key=key.strip(),
        request_hash=request_hash,
        lines_accepted=len(accepted),
        lines_rejected=len(rejected),
        claimed_eur=accepted_eur + rejected_eur,
        accepted_eur=accepted_eur,
    )
    AppliedLine.objects.bulk_create(
        (
            AppliedLine(
                submission=submission,
                trader=organisation,
                month=month,
                line_no=line.no,
                contract_no=(line.contract_no or as_text(line.raw.get("contract_no")))[:64],
                sub_user_code=(line.code or as_text(line.raw.get("sub_user_code")))[:11],
                sub_user_id=line.person,
                applied_eur=line.amount,
                accepted=not line.reason,
                reason=line.reason,
                message=line.message[:255],
            )
            for line in lines
        ),
        batch_size=BATCH,
    )
    response = {
        "submission": submission.pk,
        "month": f"{month:%Y-%m}",
        "version": run.version,
        "accepted": [
            {
                "line": line.no,
                "contract_no": line.contract_no,
                "sub_user_code": line.code,
                "applied_eur": money(line.amount or ZERO),
                "balance_eur": line.balance_after,
            }
            for line in accepted
        ],
        "rejected": [
            {
                "line": line.no,
                "contract_no": as_text(line.raw.get("contract_no")),
                "sub_user_code": as_text(line.raw.get("sub_user_code"), 20),
                "applied_eur": as_text(line.raw.get("applied_eur"), 20),
                "reason": line.reason,
                "message": line.message,
            }
            for line in rejected
        ],
        "totals": {
            "lines": len(lines),
            "accepted": len(accepted),
            "rejected": len(rejected),
            "accepted_eur": money(accepted_eur),
            "rejected_eur": money(rejected_eur),
        },
    }
    submission.response = response
    submission.save(update_fields=["response"])
    audit_record(
        actor=actor,
        action="applied.submit",
        target=submission,
        data={
            "month": f"{month:%Y-%m}",
            "run": run.pk,
            "version": run.version,
            "lines": len(lines),
            "accepted": len(accepted),
            "rejected": len(rejected),
            "accepted_eur": money(accepted_eur),
            "rejected_eur": money(rejected_eur),
        },
    )
    return submission
