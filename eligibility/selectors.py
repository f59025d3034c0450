"""Reads of the dated parameters (the whole table on a day, as known now or at a batch) and of the
monthly runs (the version in force, a run's units)."""

import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, NoReturn

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from aldis.exceptions import ApplicationError
from aldis.money import from_cents
from eligibility.models import (
    AdjustmentLine,
    Category,
    ContractLine,
    EligibleAddress,
    EligibleObject,
    EnergyAidDecision,
    HouseholdEntitlement,
    MonthRun,
    ParameterValue,
    RunStatus,
    UnitDecision,
)
from eligibility.parameters import BY_NAME, parse
from eligibility.services.scheme_e import income_window
from households.models import (
    Address,
    AddressRecord,
    Disability,
    Person,
    PopulationRecord,
    SocialStatus,
    TemporaryProtection,
)


def parameter_values(*, known_at_batch: int | None = None) -> QuerySet[ParameterValue]:
    """Every version believed now (``known_at_batch`` None) or as known right after batch B."""
    queryset = ParameterValue.objects.select_related("learned_in")
    if known_at_batch is None:
        return queryset.filter(superseded_in__isnull=True)
    return queryset.filter(
        Q(learned_in_id__lte=known_at_batch),
        Q(superseded_in__isnull=True) | Q(superseded_in_id__gt=known_at_batch),
    )


class ParameterValues(dict[str, Decimal | bool]):
    """The parameters with a value on ``day``; asking for one without a value raises
    ``ApplicationError`` (code ``parameter_missing``) naming it and the day, never ``KeyError``.

    Scheme P's amounts start in 2021 and Scheme E's values in 2023-2024, so an early month has
    only some of them: a reader fails on the one it needs and lacks, not on the table.
    """

    def __init__(self, values: dict[str, Decimal | bool], *, day: date) -> None:
        super().__init__(values)
        self.day = day

    def __missing__(self, name: str) -> NoReturn:
        if name not in BY_NAME:
            raise KeyError(name)
        raise _missing(self.day, [name])


def _missing(day: date, names: list[str]) -> ApplicationError:
    return ApplicationError(
        f"no value on {day.isoformat()} for parameter(s): {', '.join(names)}",
        code="parameter_missing",
        details={"day": day.isoformat(), "missing": names},
    )


def parameters_on(
    *, day: date, known_at_batch: int | None = None, require: Iterable[str] = ()
) -> ParameterValues:
    """Every parameter with a value on ``day``: money and shares as ``Decimal``, switches as ``bool``.

    ``known_at_batch``: as ALDIS knew it right after that batch (how a published month reads the
    values it used again); None: as known now. ``require``: names that must have a value (a run
    checks what it needs up front). Raises ``ApplicationError`` (code ``parameter_missing``)
    naming each required parameter without a value on ``day``, and so does reading one later.
    """
    rows = (
        parameter_values(known_at_batch=known_at_batch)
        .filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("name", "valid_from")
        .values_list("name", "value")
    )
    # Ordered by valid_from: should ends ever overlap, the latest start wins.
    values = ParameterValues({name: parse(name, value) for name, value in rows}, day=day)
    required = list(require)
    if unknown := [name for name in required if name not in BY_NAME]:
        raise ValidationError({"require": [f"unknown parameter(s): {', '.join(unknown)}"]})
    if missing := [name for name in required if name not in values]:
        raise _missing(day, missing)
    return values


def parameter_history(*, name: str) -> QuerySet[ParameterValue]:
    """Every version of parameter ``name``, current and superseded, by start date then as learned."""
    if name not in BY_NAME:
        raise ValidationError({"name": [f"unknown parameter {name!r}"]})
    return (
        ParameterValue.objects.filter(name=name)
        .select_related("learned_in", "superseded_in")
        .order_by("valid_from", "learned_in_id", "id")
    )


def month_run_in_force(*, month: date) -> MonthRun | None:
    """The version of ``month`` (its first day) in force: its newest done run, or None."""
    return MonthRun.objects.filter(month=month, status=RunStatus.DONE).order_by("-version").first()


class ListRun(NamedTuple):
    run: MonthRun
    # Its statistics are kept: its result rows are deleted, or about to be, under retention.
    rows_purged: bool


def month_run_in_force_for_lists(*, month: date) -> ListRun | None:
    """``month_run_in_force`` as every party's list request reads it: the same row through a
    plain cursor, because the ORM would spend three times as long composing the query as the
    database spends answering it. The run has its id, month, version and ``credited_runs`` (the
    balances need it); any other field loads when first used."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, version, statistics IS NOT NULL, credited_runs FROM eligibility_monthrun "
            "WHERE month = %s AND status = %s ORDER BY version DESC LIMIT 1",
            [month, RunStatus.DONE.value],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    # The drivers hand JSON over as text here (Django decodes it only for the ORM's own reads).
    credited = json.loads(row[3]) if isinstance(row[3], (str, bytes)) else row[3]
    run = MonthRun.from_db(
        connection.alias,
        ["id", "month", "version", "credited_runs"],
        [row[0], month, row[1], credited],
    )
    return ListRun(run=run, rows_purged=bool(row[2]))


def month_runs_in_force(*, months_from: date, months_before: date) -> dict[date, int]:
    """Each month in [months_from, months_before) that has one, to its in-force (newest done) run id."""
    newest: dict[date, tuple[int, int]] = {}
    for pk, month, version in MonthRun.objects.filter(
        month__gte=months_from, month__lt=months_before, status=RunStatus.DONE
    ).values_list("pk", "month", "version"):
        if month not in newest or version > newest[month][1]:
            newest[month] = (pk, version)
    return {month: pk for month, (pk, _) in newest.items()}


def month_key(month: date) -> str:
    """A month as the keys of ``MonthRun.credited_runs`` write it: ``YYYY-MM``."""
    return f"{month:%Y-%m}"


def credited_runs_in_force(*, month: date) -> dict[str, int]:
    """The runs a balance of ``month`` (its first day) credits now: each month of its year before
    it that has a version in force, as ``YYYY-MM`` to that run's id (``MonthRun.credited_runs``
    holds the same map as it was when a run started). January has none, and costs no query.

    Every request for a traders' list reads it (its ETag), so it goes through a plain cursor as
    ``month_run_in_force_for_lists`` does: the same rows as ``month_runs_in_force``."""
    if month.month == 1:
        return {}
    newest: dict[str, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, month, version FROM eligibility_monthrun WHERE month >= %s AND month < %s "
            "AND status = %s",
            [month.replace(month=1), month, RunStatus.DONE.value],
        )
        for pk, earlier, version in cursor.fetchall():
            key = str(earlier)[:7]  # a date, or its ISO text (SQLite's driver)
            if key not in newest or version > newest[key][1]:
                newest[key] = (pk, version)
    return {key: pk for key, (pk, _) in sorted(newest.items())}


def month_run_units(*, run: MonthRun) -> dict[str, int]:
    """Granted units of ``run`` per Scheme P category, every category listed (0 if none)."""
    counts = dict(
        UnitDecision.objects.filter(run=run, granted=True)
        .order_by()
        .values("category")
        .annotate(units=Count("id"))
        .values_list("category", "units")
    )
    return {category: int(counts.get(category, 0)) for category in Category.values}


def month_totals(*, run: MonthRun) -> dict[str, dict[str, dict[str, Any]]]:
    """Scheme P totals of ``run``, as three maps (every amount a Decimal in cents)::

        {"categories": {category: {"units", "amount_eur"}},  # granted units, every category
         "municipalities": {municipality_code: {"households", "amount_eur"}},
         "traders": {trader org code: {"lines", "amount_eur"}}}

    Categories and municipalities cover every entitled household, attributed or not; a
    household's municipality is that of its address record known at the run's batch and valid
    on the month's first day ('' if none). Traders cover the contract lines (attributed support
    only), so their sum is the run's total less the unattributed households' amounts.
    """
    k = run.knowledge_batch
    cent = Decimal("0.01")

    def eur(value: Any) -> Decimal:
        return Decimal(str(value or 0)).quantize(cent)

    granted = dict(
        UnitDecision.objects.filter(run=run, granted=True)
        .order_by()
        .values("category")
        .annotate(amount=Sum("amount_eur"))
        .values_list("category", "amount")
    )
    units = month_run_units(run=run)
    categories = {
        category: {"units": units[category], "amount_eur": eur(granted.get(category))}
        for category in Category.values
    }
    municipality = Subquery(
        AddressRecord.objects.filter(
            Q(address_id=OuterRef("address_id")),
            Q(learned_in_id__lte=k),
            Q(superseded_in__isnull=True) | Q(superseded_in_id__gt=k),
            Q(valid_from__isnull=True) | Q(valid_from__lte=run.month),
            Q(valid_to__isnull=True) | Q(valid_to__gte=run.month),
        )
        .order_by("-learned_in_id", "-id")
        .values("municipality_code")[:1]
    )
    municipalities = {
        row["municipality"] or "": {"households": row["households"], "amount_eur": eur(row["amount"])}
        for row in HouseholdEntitlement.objects.filter(run=run)
        .annotate(municipality=municipality)
        .order_by()
        .values("municipality")
        .annotate(households=Count("id"), amount=Sum("amount_eur"))
    }
    traders = {
        row["trader__code"]: {"lines": row["lines"], "amount_eur": eur(row["amount"])}
        for row in ContractLine.objects.filter(run=run)
        .order_by()
        .values("trader__code")
        .annotate(lines=Count("id"), amount=Sum("amount_eur"))
    }
    return {"categories": categories, "municipalities": municipalities, "traders": traders}


# --- Why this person got this amount, or nothing (the explanation page) ----------------------

UNIT_REASONS: dict[str, str] = {
    "granted": "Granted: a qualifying person who passes the exclusions lives in the household on the "
    "reference date.",
    "maintenance_debtor": "Every qualifying person is on the maintenance-debtor register on the "
    "reference date.",
    "refused": "Every qualifying person has refused the protected-user service for a period covering "
    "the reference date.",
    "debtor_or_refused": "Every qualifying person is both on the maintenance-debtor register and has "
    "refused the protected-user service on the reference date.",
    "no_carer": "The child has no parent, foster parent or guardian in the relations register on the "
    "reference date.",
    "no_household": "The qualifying person has no household on the reference date (no declared address "
    "and no temporary-protection residence), so the unit has nowhere to go.",
    "no_qualifying_person": "Every qualifying person failed, in different ways (maintenance debtor, "
    "refusal of the service, or no household).",
}

ATTRIBUTION_RULES: dict[int, str] = {
    1: "Rule 1: the contract a member of the household chose.",
    2: "Rule 2: a household contract at the address held by a qualifying person of a granted unit.",
    3: "Rule 3: a household contract at the address held by a member who is not a maintenance debtor.",
    4: "Rule 4: the contract named by a member's accepted sub-user application.",
}

UNATTRIBUTED_REASONS: dict[str, str] = {
    "trader_not_participating": "The contract at the address is with a trader that does not give the "
    "protected-user service on the reference date.",
    "holder_not_eligible": "There is a household contract at the address with a participating trader, "
    "but its holder is neither a qualifying person nor a member who is not a maintenance debtor, and "
    "no member chose it or applied as its sub-user.",
    "no_contract": "No contract at the address is valid on the reference date, and no member chose one "
    "or applied as a sub-user of one.",
}

ENERGY_AID_REASONS: dict[str, str] = {
    "eligible": "Eligible: income per member is at most the threshold and housing expenditure reaches "
    "the share of income.",
    "income_above_threshold": "Not eligible: income per member is above the threshold.",
    "housing_share_below": "Not eligible: housing expenditure per member is below the required share of "
    "income.",
    "sanctioned_member": "Not eligible: a member of the household is under sanctions.",
}

NO_HOUSEHOLD_REASONS: dict[str, str] = {
    "dead": "The person is dead on the reference date, per the population register as known at the "
    "run's batch.",
    "no_address": "The person has no declared address valid on the reference date in the population "
    "register, and no temporary-protection residence, as known at the run's batch.",
    "unknown": "Neither the population register nor the temporary-protection register holds a record of "
    "the person valid on the reference date, as known at the run's batch.",
}


def _explained(text: dict[Any, str], code: Any) -> str:
    return text.get(code) or f"Reason code {code!r}: no description is registered for it."


def _known_on(*, knowledge_batch: int, on: date) -> Q:
    """Register versions as known right after batch ``knowledge_batch`` and valid on ``on``."""
    return (
        Q(learned_in_id__lte=knowledge_batch)
        & (Q(superseded_in__isnull=True) | Q(superseded_in_id__gt=knowledge_batch))
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    )


def person_household_on(*, person: Person, run: MonthRun) -> tuple[int | None, str]:
    """The household (address id) of ``person`` on ``run``'s reference date as the run read it,
    and where it came from: ``population`` or ``temporary_protection``; else None and why
    (``dead``, ``no_address`` or ``unknown``). Mirrors Scheme P's members (``scheme_p._persons``)."""
    r, k = run.month, run.knowledge_batch
    records = list(
        PopulationRecord.objects.filter(_known_on(knowledge_batch=k, on=r), person=person).values_list(
            "address_id", "death_date"
        )
    )
    if any(died is not None and died <= r for _, died in records):
        return None, "dead"
    addresses = [address for address, _ in records if address is not None]
    if addresses:
        return min(addresses), "population"
    protected = list(
        TemporaryProtection.objects.filter(_known_on(knowledge_batch=k, on=r), person=person).values_list(
            "address_id", flat=True
        )
    )
    if protected:
        return min(protected), "temporary_protection"
    return None, ("no_address" if records else "unknown")


def _cites(evidence: Any, person_id: int, records: dict[str, set[int]]) -> bool:
    for item in evidence if isinstance(evidence, list) else []:
        source, record = item.get("source"), item.get("record")
        if source == "counted_children" and record == person_id:
            return True
        if record in records.get(source, set()):
            return True
    return False


def person_month_explanation(*, person: Person, month: date) -> dict[str, Any]:
    """Why ``person`` got what they got in ``month`` (its first day), or nothing, from the run in force.

    Returns ``{"month", "run", "parameters", "household", "no_household", "decisions",
    "entitlement", "energy_aid"}``; with no run in force, ``run`` is None and the rest empty.
    ``household``: ``{"address", "source", "members"}`` (members from the entitlement, else from
    the Scheme E decision, else None). ``no_household``: ``{"code", "text"}`` when the person had
    none. ``decisions``: every unit decision of the household, about the person (subject) or
    whose evidence cites one of their records, each ``{"decision", "category", "reason_text",
    "evidence", "about"}``. Every decision whose evidence cites the person is among these: Scheme P
    cites only records of the unit's subject or of a member of the household it goes to.
    ``entitlement``: ``{"row", "rule_text", "unattributed_text"}``; ``energy_aid``: ``{"row",
    "reason_text", "window" (the first and last month read), "income_eur", "benefits_eur",
    "housing_eur" (the exact sums)}``. Reads only; auditing is the caller's job.
    """
    run = month_run_in_force(month=month)
    result: dict[str, Any] = {
        "month": month,
        "run": run,
        "parameters": sorted((run.parameters or {}).items()) if run else [],
        "household": None,
        "no_household": None,
        "decisions": [],
        "entitlement": None,
        "energy_aid": None,
    }
    if run is None:
        return result
    address_id, source = person_household_on(person=person, run=run)
    entitlement = (
        HouseholdEntitlement.objects.filter(run=run, address_id=address_id)
        .select_related("address", "contract", "contract__trader")
        .first()
        if address_id
        else None
    )
    energy_aid = (
        EnergyAidDecision.objects.filter(run=run, address_id=address_id).first() if address_id else None
    )
    if address_id is None:
        result["no_household"] = {"code": source, "text": NO_HOUSEHOLD_REASONS[source]}
    else:
        members = entitlement.members if entitlement else (energy_aid.members if energy_aid else None)
        result["household"] = {
            "address": Address.objects.get(pk=address_id),
            "source": source,
            "members": members,
        }
    scope = Q(subject=person) | Q(address_id=address_id) if address_id else Q(subject=person)
    decisions = (
        UnitDecision.objects.filter(scope, run=run).select_related("address").order_by("category", "id")
    )
    records = {
        "social_status": set(SocialStatus.objects.filter(person=person).values_list("id", flat=True)),
        "disability": set(Disability.objects.filter(person=person).values_list("id", flat=True)),
    }
    for decision in decisions:
        if decision.subject_id == person.pk:
            about = "about this person"
        elif _cites(decision.evidence, person.pk, records):
            about = "cites this person's record"
        else:
            about = "household unit" if decision.subject_id is None else "another member's unit"
        result["decisions"].append(
            {
                "decision": decision,
                "category": decision.get_category_display(),
                "reason_text": _explained(UNIT_REASONS, decision.reason),
                "evidence": [item for item in decision.evidence or [] if isinstance(item, dict)],
                "about": about,
            }
        )
    if entitlement is not None:
        result["entitlement"] = {
            "row": entitlement,
            "rule_text": (
                _explained(ATTRIBUTION_RULES, entitlement.attribution_rule)
                if entitlement.attribution_rule
                else None
            ),
            "unattributed_text": (
                _explained(UNATTRIBUTED_REASONS, entitlement.unattributed_reason)
                if entitlement.contract_id is None
                else None
            ),
        }
    if energy_aid is not None:
        result["energy_aid"] = {
            "row": energy_aid,
            "reason_text": _explained(ENERGY_AID_REASONS, energy_aid.reason),
            "window": income_window(run.month),
            "income_eur": from_cents(energy_aid.income_cents),
            "benefits_eur": from_cents(energy_aid.benefits_cents),
            "housing_eur": from_cents(energy_aid.housing_cents),
        }
    return result


# --- The parties' month lists (INTERFACES §3) -------------------------------------------------
# Each returns the rows of one run that belong to one party, with what its output needs already
# joined; the API orders and pages them (keyset).


def trader_contract_lines(*, run: MonthRun, trader_id: int) -> QuerySet[ContractLine]:
    """The trader's contract lines of ``run`` (its protected-user list)."""
    return ContractLine.objects.filter(run=run, trader_id=trader_id)


def trader_adjustment_lines(*, run: MonthRun, trader_id: int) -> QuerySet[AdjustmentLine]:
    """The trader's adjustment lines of ``run`` (against the version it replaced)."""
    return AdjustmentLine.objects.filter(run=run, trader_id=trader_id).select_related("previous_run")


def party_eligible_objects(
    *, run: MonthRun, organisation_id: int, as_supplier: bool
) -> QuerySet[EligibleObject]:
    """The eligible objects of ``run`` listed to a party: as the trader supplying them
    (``as_supplier``) or as their operator (a DSO or heat supplier)."""
    scope = Q(supplier_id=organisation_id) if as_supplier else Q(operator_id=organisation_id)
    return EligibleObject.objects.filter(scope, run=run).select_related("connection", "address")


def territory_eligible_addresses(*, run: MonthRun, municipality_code: str) -> QuerySet[EligibleAddress]:
    """The eligible addresses of ``run`` in a local government's territory, each annotated
    ``full_address`` (the address record as known at the run's batch, valid on its month)."""
    k = run.knowledge_batch
    full_address = Subquery(
        AddressRecord.objects.filter(
            Q(address_id=OuterRef("address_id")),
            Q(learned_in_id__lte=k),
            Q(superseded_in__isnull=True) | Q(superseded_in_id__gt=k),
            Q(valid_from__isnull=True) | Q(valid_from__lte=run.month),
            Q(valid_to__isnull=True) | Q(valid_to__gte=run.month),
        )
        .order_by("-learned_in_id", "-id")
        .values("full_address")[:1]
    )
    return (
        EligibleAddress.objects.filter(run=run, municipality_code=municipality_code)
        .select_related("address")
        .annotate(full_address=full_address)
    )
