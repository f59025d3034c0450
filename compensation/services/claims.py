"""Energy-aid compensation claims for month M (DOMAIN: Scheme E "Compensation"; INTERFACES §3).

The State compensates whoever applied the aid (the Law, Section 4): an **energy company**, an
energy supply merchant of Section 4(1) (a trader for the electricity and gas it supplies, a heat
supplier for its heat), claims per month and resource the total aid it granted, excluding VAT,
with the VAT rate and one line per object; a **local government** claims the aid it granted on
submission (Section 4(2)) per address, plus an administrative cost per examined submission
(``submissions_examined`` times the run's ``e_admin_cost_eur``). Distribution system operators
receive the eligible objects to inform the traders (Section 7(3)) but apply no aid and claim
nothing: their claims are refused (403). So each object and resource has one claimant, and no
aid is compensated twice.

Header rules (``ValidationError``, 400, nothing stored): the resource is one the party kind
claims (objects: ``electricity``, ``gas_heating``, ``district_heat``; addresses:
``electricity_heating``, ``decentralised_fuel``) and is switched on and counting in M per the
version in force; ``total_eur`` equals the sum of the lines' ``aid_eur``.

Line rules, each line accepted or rejected with a reason:

* ``not_eligible``: the object is not among the eligible objects of M for the resource that the
  party supplies (a trader) or operates (a heat supplier: heat objects name no trader), or the
  address not in its territory's eligible addresses;
* ``duplicate``: already accepted for the party, month, resource and object/address, or named
  earlier in this request (the first mention is judged);
* ``above_cap``: above the cap per object per month, where ALDIS can know it: ``electricity``
  (``e_cap_electricity_eur``) and ``gas_heating`` (``e_cap_gas_heating_eur``), from the
  parameters the run recorded. The other caps depend on prices, tariffs and consumption that
  ALDIS does not receive: those lines are checked for eligibility and duplicates only, and the
  answer says so (``cap_checked`` false).

Stored as one ``Submission`` (kind ``claim``) with every ``ClaimLine``, in one transaction with
the ``claim.submit`` audit event, serialised per party, idempotent by key
(``compensation.services.submissions``). A claim whose body is byte-for-byte that of an earlier
claim of the party for the month is a repeat: it gets the earlier answer and stores nothing, so
its ``submissions_examined`` cannot earn the administrative cost twice. Once the party's Scheme E
statement of the month is approved or paid, claims for it are refused (409 ``statement_closed``).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import status

from aldis.exceptions import ApplicationError
from aldis.organisations.models import Organisation, OrganisationKind
from audit.services import audit_record
from compensation.models import ClaimLine, Submission, SubmissionKind
from compensation.selectors import accepted_claim_keys
from compensation.services.submissions import ZERO, SubmissionOutcome, money, submit_once
from eligibility.models import ADDRESS_RESOURCES, OBJECT_RESOURCES, EligibleAddress, EligibleObject, MonthRun
from eligibility.selectors import month_run_in_force
from eligibility.services.scheme_e import resources_counting

CHUNK = 500
BATCH = 2000
CAP_PARAMETERS = {"electricity": "e_cap_electricity_eur", "gas_heating": "e_cap_gas_heating_eur"}
# The energy supply merchants (the Law, Section 4(1)); the object column naming each as the party
# that applies an object's aid.
ENERGY_COMPANY_KINDS = (OrganisationKind.TRADER, OrganisationKind.HEAT_SUPPLIER)
_CLAIMANT_COLUMN = {OrganisationKind.TRADER: "supplier_id", OrganisationKind.HEAT_SUPPLIER: "operator_id"}

REASONS = {
    "not_eligible": "Not eligible in this month for this resource and party.",
    "duplicate": "Already claimed and accepted for this month and resource, or named more than once "
    "in the request.",
    "above_cap": "The aid is above the cap per object per month.",
}


@dataclass
class ClaimLineInput:
    """One line as parsed by the API: ``code`` is the object code or the address code."""

    code: str
    aid_eur: Decimal


@dataclass
class _Judged:
    no: int
    code: str
    aid: Decimal
    reason: str = ""
    message: str = ""


def _parameter(run: MonthRun, name: str) -> Decimal:
    value = (run.parameters or {}).get(name)
    if value is None:
        raise ApplicationError(
            f"The version of {run.month:%Y-%m} in force recorded no value for {name}.",
            code="parameter_missing",
            details={"missing": [name]},
        )
    return Decimal(str(value))


def _check_header(
    *,
    organisation: Organisation,
    run: MonthRun,
    resource: str,
    total_eur: Decimal,
    lines: Sequence[ClaimLineInput],
) -> None:
    municipality = organisation.kind == OrganisationKind.MUNICIPALITY
    allowed = ADDRESS_RESOURCES if municipality else OBJECT_RESOURCES
    errors: dict[str, list[str]] = {}
    if resource not in allowed:
        errors["resource"] = [f"a {organisation.kind} claims one of: {', '.join(allowed)}"]
    elif resource not in resources_counting(month=run.month, parameters=run.parameters or {}):
        errors["resource"] = [f"{resource} is not switched on (or does not count) in {run.month:%Y-%m}"]
    lines_total = sum((line.aid_eur for line in lines), ZERO)
    if lines_total != total_eur:
        errors["total_eur"] = [
            f"{money(total_eur)} is not the sum of the lines' aid_eur ({money(lines_total)})"
        ]
    if errors:
        raise ValidationError(errors)


def _eligible_codes(
    *, organisation: Organisation, run: MonthRun, resource: str, codes: list[str]
) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        rows: Iterable[str]
        if organisation.kind == OrganisationKind.MUNICIPALITY:
            rows = EligibleAddress.objects.filter(
                run=run,
                resource=resource,
                municipality_code=organisation.municipality_code or "",
                address__code__in=chunk,
            ).values_list("address__code", flat=True)
        else:
            rows = EligibleObject.objects.filter(
                **{_CLAIMANT_COLUMN[OrganisationKind(organisation.kind)]: organisation.pk},
                run=run,
                resource=resource,
                connection__object_code__in=chunk,
            ).values_list("connection__object_code", flat=True)
        found.update(rows)
    return found


def claim_submit(
    *,
    organisation: Organisation,
    month: date,
    resource: str,
    total_eur: Decimal,
    lines: Sequence[ClaimLineInput],
    vat_rate: Decimal | None,
    submissions_examined: int | None,
    request_hash: str,
    idempotency_key: str = "",
    actor: Any,
    client_id: str | None = None,
) -> SubmissionOutcome:
    """Judge and store one energy-aid claim of ``organisation`` for ``month`` (its first day).

    ``lines`` are already well-formed (the API checks shapes and amounts). Raises
    ``ApplicationError`` 404 ``month_not_computed``, 422 ``idempotency_key_reused``, 409
    ``parameter_missing`` or ``statement_closed``; ``ValidationError`` for a header rule (see the
    module docstring). One transaction; a retry with the same key, or the same body as an
    earlier claim for the month, is answered with the stored answer (``replayed``).
    """

    def compute(locked: Organisation) -> Submission:
        run = month_run_in_force(month=month)
        if run is None:
            raise ApplicationError(
                f"Month {month:%Y-%m} has no computed version in force yet.",
                code="month_not_computed",
                details={"month": f"{month:%Y-%m}"},
                status=status.HTTP_404_NOT_FOUND,
            )
        _check_header(organisation=locked, run=run, resource=resource, total_eur=total_eur, lines=lines)
        municipality = locked.kind == OrganisationKind.MUNICIPALITY
        cap = _parameter(run, CAP_PARAMETERS[resource]) if resource in CAP_PARAMETERS else None
        admin_cost = (
            (_parameter(run, "e_admin_cost_eur") * (submissions_examined or 0)).quantize(Decimal("0.01"))
            if municipality
            else None
        )
        codes = sorted({line.code for line in lines})
        eligible = _eligible_codes(organisation=locked, run=run, resource=resource, codes=codes)
        already = {
            address if municipality else obj
            for obj, address in accepted_claim_keys(organisation_id=locked.pk, month=month, resource=resource)
        }
        judged: list[_Judged] = []
        seen: set[str] = set()
        for no, line in enumerate(lines, start=1):
            item = _Judged(no=no, code=line.code, aid=line.aid_eur)
            if line.code not in eligible:
                item.reason = "not_eligible"
            elif line.code in seen or line.code in already:
                item.reason = "duplicate"
            elif cap is not None and line.aid_eur > cap:
                item.reason = "above_cap"
                item.message = f"The aid is above the cap of {money(cap)} EUR per object per month."
            if line.code in eligible:
                seen.add(line.code)
            if item.reason and not item.message:
                item.message = REASONS[item.reason]
            judged.append(item)
        return _store(
            organisation=locked,
            month=month,
            run=run,
            resource=resource,
            vat_rate=vat_rate,
            submissions_examined=submissions_examined if municipality else None,
            admin_cost=admin_cost,
            total_eur=total_eur,
            judged=judged,
            cap_checked=cap is not None,
            request_hash=request_hash,
            key=idempotency_key,
            actor=actor,
            client_id=client_id,
        )

    return submit_once(
        organisation=organisation,
        kind=SubmissionKind.CLAIM,
        month=month,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        actor=actor,
        action="claim.submit",
        compute=compute,
    )


def _store(
    *,
    organisation: Organisation,
    month: date,
    run: MonthRun,
    resource: str,
    vat_rate: Decimal | None,
    submissions_examined: int | None,
    admin_cost: Decimal | None,
    total_eur: Decimal,
    judged: list[_Judged],
    cap_checked: bool,
    request_hash: str,
    key: str,
    actor: Any,
    client_id: str | None,
) -> Submission:
    municipality = organisation.kind == OrganisationKind.MUNICIPALITY
    code_field = "address_code" if municipality else "object_code"
    accepted = [item for item in judged if not item.reason]
    rejected = [item for item in judged if item.reason]
    accepted_eur = sum((item.aid for item in accepted), ZERO)
    submission = Submission.objects.create(
        organisation=organisation,
        client_id=client_id,
        kind=SubmissionKind.CLAIM,
        month=month,
        run=run,
        idempotency_key=key.strip(),
        request_hash=request_hash,
        resource=resource,
        vat_rate=vat_rate,
        submissions_examined=submissions_examined,
        admin_cost_eur=admin_cost,
        lines_accepted=len(accepted),
        lines_rejected=len(rejected),
        claimed_eur=total_eur,
        accepted_eur=accepted_eur,
    )
    ClaimLine.objects.bulk_create(
        (
            ClaimLine(
                submission=submission,
                organisation=organisation,
                month=month,
                resource=resource,
                line_no=item.no,
                object_code="" if municipality else item.code,
                address_code=item.code if municipality else "",
                aid_eur=item.aid,
                accepted=not item.reason,
                reason=item.reason,
                message=item.message[:255],
            )
            for item in judged
        ),
        batch_size=BATCH,
    )
    response: dict[str, Any] = {
        "submission": submission.pk,
        "month": f"{month:%Y-%m}",
        "version": run.version,
        "resource": resource,
        "vat_rate": money(vat_rate) if vat_rate is not None else None,
        "cap_checked": cap_checked,
        "accepted": [{"line": i.no, code_field: i.code, "aid_eur": money(i.aid)} for i in accepted],
        "rejected": [
            {
                "line": i.no,
                code_field: i.code,
                "aid_eur": money(i.aid),
                "reason": i.reason,
                "message": i.message,
            }
            for i in rejected
        ],
        "totals": {
            "lines": len(judged),
            "accepted": len(accepted),
            "rejected": len(rejected),
            "claimed_eur": money(total_eur),
            "accepted_eur": money(accepted_eur),
            "rejected_eur": money(total_eur - accepted_eur),
            "admin_cost_eur": money(admin_cost) if admin_cost is not None else None,
        },
    }
    if municipality:
        response["submissions_examined"] = submissions_examined
    submission.response = response
    submission.save(update_fields=["response"])
    audit_record(
        actor=actor,
        action="claim.submit",
        target=submission,
        data={
            "month": f"{month:%Y-%m}",
            "run": run.pk,
            "version": run.version,
            "resource": resource,
            "lines": len(judged),
            "accepted": len(accepted),
            "rejected": len(rejected),
            "claimed_eur": money(total_eur),
            "accepted_eur": money(accepted_eur),
        },
    )
    return submission
