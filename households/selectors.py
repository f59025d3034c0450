"""Reads of persons, addresses and their register records (the admin's pages, and later others).

Each selector returns a queryset with what its rows show already joined (``select_related``),
ordered newest first, and never sliced: the caller caps what it shows. A personal code is only
ever matched exactly (an index lookup), never by a part of it: nobody can list the population by
a prefix. Auditing the read is the caller's job (it knows who reads, and why).
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.months import add_months
from eligibility import selectors as eligibility_selectors
from eligibility.models import (
    Category,
    ContractLine,
    EnergyAidDecision,
    HouseholdEntitlement,
    MonthRun,
    RunStatus,
    UnitDecision,
)
from eligibility.services.scheme_e import income_window
from households.models import (
    CURRENT,
    Address,
    AddressRecord,
    Benefit,
    ContestCase,
    ContestStatus,
    ContractChoice,
    Debtor,
    Disability,
    Education,
    Income,
    Person,
    PersonCode,
    PopulationRecord,
    Relation,
    Sanction,
    ServiceRefusal,
    SocialStatus,
    TemporaryProtection,
)
from traders.models import Connection, Contract, SubUser

DECIDED = (ContestStatus.UPHELD, ContestStatus.REJECTED)

# The batches a version points at are shown by feed, date and status; their error lists (up to
# 100,000 rows each) are never needed next to a record.
_BATCHES = ("learned_in", "superseded_in")
_BATCH_ERRORS = ("learned_in__errors", "superseded_in__errors")
_NEWEST_PERIOD = (F("valid_from").desc(nulls_last=True), "-learned_in_id", "-id")
_NEWEST_MONTH = ("-month", "-learned_in_id", "-id")


def valid_on(on: date) -> Q:
    """Versions whose valid time (inclusive dates, null = open) contains ``on``."""
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=on)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )


def _versions(
    queryset: QuerySet[Any], *related: str, order: tuple[Any, ...] = _NEWEST_PERIOD
) -> QuerySet[Any]:
    return queryset.select_related(*_BATCHES, *related).defer(*_BATCH_ERRORS).order_by(*order)


def normalise_search_code(term: str) -> str | None:
    """A search term as the 11 digits a personal code is stored as, or None if it cannot be one.

    The hyphen of ``DDMMYY-NNNNN`` is optional; anything shorter, longer or not digits is no
    code at all (there is no partial match to fall back on).
    """
    text = term.strip()
    if len(text) == 12 and text[6] == "-":
        text = text[:6] + text[7:]
    return text if len(text) == 11 and text.isdigit() else None


def person_search(*, term: str) -> QuerySet[Person]:
    """The person who has (or had) exactly this personal code: at most one, usually none."""
    code = normalise_search_code(term)
    if code is None:
        return Person.objects.none()
    # PersonCode.code is unique: a subquery on its index, no join that could repeat a person.
    return Person.objects.filter(pk__in=PersonCode.objects.filter(code=code).values("person_id"))


def person_codes(*, person: Person) -> QuerySet[PersonCode]:
    """Every personal code the person has had (the current one among them)."""
    return PersonCode.objects.filter(person=person).order_by("-id")


def person_register_records(*, person: Person) -> dict[str, QuerySet[Any]]:
    """Every version of every register record about ``person``, one queryset per register.

    Keys, in the order a page shows them: ``population``, ``temporary_protection``,
    ``relations_as_carer`` (the person is the parent/guardian), ``relations_as_dependant``,
    ``disability``, ``social_status``, ``education``, ``debtors``, ``sanctions``, ``income``,
    ``benefits``, ``contracts`` (held), ``sub_users`` (their applications). Current and
    superseded versions alike, newest first, with the batches that brought and replaced them.
    """
    return {
        "population": _versions(PopulationRecord.objects.filter(person=person), "address"),
        "temporary_protection": _versions(TemporaryProtection.objects.filter(person=person), "address"),
        "relations_as_carer": _versions(Relation.objects.filter(person=person), "dependant"),
        "relations_as_dependant": _versions(Relation.objects.filter(dependant=person), "person"),
        "disability": _versions(Disability.objects.filter(person=person)),
        "social_status": _versions(SocialStatus.objects.filter(person=person)),
        "education": _versions(Education.objects.filter(person=person)),
        "debtors": _versions(Debtor.objects.filter(person=person)),
        "sanctions": _versions(Sanction.objects.filter(person=person)),
        "income": _versions(Income.objects.filter(person=person), order=_NEWEST_MONTH),
        "benefits": _versions(Benefit.objects.filter(person=person), order=_NEWEST_MONTH),
        "contracts": _versions(Contract.objects.filter(holder=person), "trader", "address"),
        "sub_users": _versions(SubUser.objects.filter(person=person), "trader", "address"),
    }


def population_reference_date() -> date:
    """The date residents are shown for by default: the newest ``as_of`` of an applied
    population batch (what ALDIS knows the register to say), or today if none was applied."""
    newest = (
        FeedBatch.objects.filter(feed="population", status=BatchStatus.APPLIED)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    return newest or timezone.localdate()


def address_records(*, address: Address) -> QuerySet[AddressRecord]:
    """Every version of the address register's entry for ``address``, newest first."""
    return _versions(AddressRecord.objects.filter(address=address), "parent")


def address_residents(*, address: Address, on: date) -> QuerySet[PopulationRecord]:
    """Persons declared at ``address`` on ``on`` (as known now) and alive that day: their current
    population versions valid on ``on``, oldest birth first."""
    return (
        PopulationRecord.objects.filter(CURRENT, valid_on(on), address=address)
        .filter(Q(death_date__isnull=True) | Q(death_date__gte=on))
        .select_related("person", *_BATCHES)
        .defer(*_BATCH_ERRORS)
        .order_by("birth_date", "person_id")
    )


def address_protected_residents(*, address: Address, on: date) -> QuerySet[TemporaryProtection]:
    """Persons with temporary protection whose indicated residence on ``on`` is ``address``."""
    return (
        TemporaryProtection.objects.filter(CURRENT, valid_on(on), address=address)
        .select_related("person", *_BATCHES)
        .defer(*_BATCH_ERRORS)
        .order_by("birth_date", "person_id")
    )


def address_children(*, address: Address) -> QuerySet[AddressRecord]:
    """The addresses (flats) whose current entry names ``address`` as their parent."""
    return (
        AddressRecord.objects.filter(CURRENT, parent=address)
        .select_related("address")
        .order_by("address__code")
    )


def address_contracts(*, address: Address) -> QuerySet[Contract]:
    """The current versions of contracts at ``address``."""
    return Contract.objects.filter(CURRENT, address=address).select_related("trader").order_by("contract_no")


def address_connections(*, address: Address) -> QuerySet[Connection]:
    """The current versions of connection objects at ``address``."""
    return (
        Connection.objects.filter(CURRENT, address=address)
        .select_related("operator", "supplier")
        .order_by("resource", "object_code")
    )


# --- The person's own status (the /status/ page and the portal's POST /api/v1/status/) --------
#
# Retention rule (DOMAIN "Audit and retention"): data about month M is erased 24 months (the
# setting ALDIS_RETENTION_MONTHS) after the end of M, i.e. on the first day of M + 25 months. A
# month is shown while that day has not come: this month and the 24 before it.


def riga_today() -> date:
    """Today in Latvia (Europe/Riga), whatever the server's zone."""
    return timezone.localtime(timezone.now(), ZoneInfo("Europe/Riga")).date()


def month_erased_on(month: date) -> date:
    """The day data about ``month`` is erased: 24 months after the month's end."""
    return add_months(month, settings.ALDIS_RETENTION_MONTHS + 1)


def oldest_month_kept(*, today: date) -> date:
    """The oldest month whose data is still kept on ``today``."""
    return add_months(today.replace(day=1), -settings.ALDIS_RETENTION_MONTHS)


def next_run_month(*, today: date | None = None) -> date:
    """The month a choice or refusal made now first applies to: the first month, at or after the
    current month in Latvia, that has no run done, queued or running. A run under way may have read
    the choices already (and each chunk reads them at its own time), so a choice made meanwhile
    waits for the next month rather than be promised for a month it may miss; a failed run's month
    is free again."""
    month = (today or riga_today()).replace(day=1)
    taken = (RunStatus.DONE, RunStatus.QUEUED, RunStatus.RUNNING)
    done = set(MonthRun.objects.filter(month__gte=month, status__in=taken).values_list("month", flat=True))
    while month in done:
        month = add_months(month, 1)
    return month


def person_household_address(*, person: Person, on: date) -> Address | None:
    """The person's household on ``on`` as known now: the declared address (population register),
    else the temporary-protection residence; None if neither (or dead by then)."""
    records = list(
        PopulationRecord.objects.filter(CURRENT, valid_on(on), person=person)
        .select_related("address")
        .order_by("address_id")
    )
    if any(r.death_date is not None and r.death_date <= on for r in records):
        return None
    for record in records:
        if record.address is not None:
            return record.address
    protection = (
        TemporaryProtection.objects.filter(CURRENT, valid_on(on), person=person)
        .select_related("address")
        .order_by("address_id")
        .first()
    )
    return protection.address if protection else None


def person_allowed_contracts(*, person: Person, on: date) -> list[dict[str, Any]]:
    """The contracts ``person`` may choose for the support from ``on`` (DOMAIN attribution rule 1):
    household contracts valid on ``on`` with a trader that gives the protected-user service, held by
    the person or a member of their household (at any address, as the run honours them: a
    member's contract at their country house may be chosen); and the contracts the person is an
    accepted sub-user of. Each ``{"trader_id", "trader", "contract_no", "address",
    "held_by_you", "sub_user"}``, sorted by trader and number."""
    participating = Q(trader__protected_service=True, trader__is_active=True)
    found: dict[tuple[int, str], dict[str, Any]] = {}
    household = person_household_address(person=person, on=on)
    if household is not None:
        # Members as the run counts them: declared here, or under temporary protection here and
        # declared nowhere (one declared elsewhere is a member of that household, not this one).
        protected = {r.person_id for r in address_protected_residents(address=household, on=on)}
        declared_elsewhere = set(
            PopulationRecord.objects.filter(
                CURRENT, valid_on(on), person_id__in=protected, address__isnull=False
            ).values_list("person_id", flat=True)
        )
        members = {r.person_id for r in address_residents(address=household, on=on)} | (
            protected - declared_elsewhere
        )
        members.add(person.pk)
        held = Contract.objects.filter(
            CURRENT, valid_on(on), participating, kind="household", holder_id__in=members
        ).select_related("trader")
        for contract in held:
            found[(contract.trader_id, contract.contract_no)] = {
                "trader_id": contract.trader_id,
                "trader": contract.trader.name,
                "contract_no": contract.contract_no,
                "address_id": contract.address_id,
                "held_by_you": contract.holder_id == person.pk,
                "sub_user": False,
            }
    applications = list(
        SubUser.objects.filter(CURRENT, valid_on(on), person=person).values_list("trader_id", "contract_no")
    )
    if applications:
        named = Q()
        for trader_id, contract_no in applications:
            named |= Q(trader_id=trader_id, contract_no=contract_no)
        for contract in Contract.objects.filter(named, CURRENT, valid_on(on), participating).select_related(
            "trader"
        ):
            found.setdefault(
                (contract.trader_id, contract.contract_no),
                {
                    "trader_id": contract.trader_id,
                    "trader": contract.trader.name,
                    "contract_no": contract.contract_no,
                    "address_id": contract.address_id,
                    "held_by_you": False,
                    "sub_user": True,
                },
            )
    addresses = _full_addresses({c["address_id"] for c in found.values()})
    result = []
    for key in sorted(found, key=lambda k: (found[k]["trader"], k[1])):
        offered = dict(found[key])
        offered["address"] = addresses.get(offered.pop("address_id"), "")
        result.append(offered)
    return result


def _full_addresses(address_ids: set[int]) -> dict[int, str]:
    """Current full address texts of ``address_ids`` (one query)."""
    if not address_ids:
        return {}
    rows = (
        AddressRecord.objects.filter(CURRENT, address_id__in=address_ids)
        .order_by("address_id", F("valid_from").asc(nulls_first=True), "id")
        .values_list("address_id", "full_address")
    )
    return dict(rows)  # the latest start wins (ordered ascending)


def _day(value: Any) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _evidence_sources(evidence: Any) -> list[dict[str, Any]]:
    """A decision's evidence as the person sees it: which register, valid from and to (no ids)."""
    sources = []
    for item in evidence if isinstance(evidence, list) else []:
        if not isinstance(item, dict):
            continue
        source: dict[str, Any] = {
            "source": str(item.get("source", "")),
            "valid_from": _day(item.get("valid_from")),
            "valid_to": _day(item.get("valid_to")),
        }
        if item.get("children") is not None:
            source["children"] = int(item["children"])
        sources.append(source)
    return sources


def _energy_aid_sources(decision: EnergyAidDecision, *, month: date) -> list[dict[str, Any]]:
    first, last = income_window(month)
    start, end = first, add_months(last, 1) - timedelta(days=1)
    sources: list[dict[str, Any]] = [
        {"source": "income", "valid_from": start, "valid_to": end},
        {"source": "benefits", "valid_from": start, "valid_to": end},
        {
            "source": "housing_costs" if decision.housing_reported else "housing_normative",
            "valid_from": start,
            "valid_to": end,
        },
    ]
    for sanction in decision.sanctions or []:
        if isinstance(sanction, dict):
            sources.append(
                {
                    "source": "sanctions",
                    "valid_from": _day(sanction.get("valid_from")),
                    "valid_to": _day(sanction.get("valid_to")),
                }
            )
    return sources


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def recipient_balance(
    *,
    run: MonthRun,
    trader_id: int,
    contract_no: str,
    sub_user_id: int | None,
    in_force: dict[str, int] | None = None,
) -> tuple[Decimal | None, str | None]:
    """The balance of one recipient's contract line in ``run`` and which one it is: ``available``
    (credited in the year up to the month, with the earlier months' versions in force now, less
    what the trader reported applied; from ``compensation.selectors``) or, where compensation is
    not installed, ``credited``. ``(None, None)`` when the run has no line for the recipient
    (lines not computed). ``in_force``: the earlier months' versions in force, when the caller
    knows them (``eligibility.selectors.credited_runs_in_force``), else read here."""
    lines = ContractLine.objects.filter(run=run, trader_id=trader_id)
    try:
        from compensation.selectors import contract_lines_with_available
    except ImportError:  # pragma: no cover - compensation is part of the project
        kind = "credited"
    else:
        lines = contract_lines_with_available(run=run, trader_id=trader_id, in_force=in_force)
        kind = "available"
    line = lines.filter(contract_no=contract_no, sub_user_id=sub_user_id).first()
    if line is None:
        return None, None
    value = getattr(line, "available_eur", line.balance_eur) if kind == "available" else line.balance_eur
    return Decimal(str(value)).quantize(Decimal("0.01")), kind


def _person_month(*, person: Person, run: MonthRun, in_force: dict[str, int] | None = None) -> dict[str, Any]:
    """One month of ``person_status`` from its run in force (``in_force``: as ``recipient_balance``)."""
    address_id, source = eligibility_selectors.person_household_on(person=person, run=run)
    month: dict[str, Any] = {
        "month": run.month,
        "version": run.version,
        "computed_at": run.finished_at,
        "erased_on": month_erased_on(run.month),
        "household": None,
        "no_household": None,
        "categories": [],
        "not_granted": [],
        "amount_eur": Decimal("0.00"),
        "balance_eur": None,
        "balance_kind": None,
        "contract": None,
        "unattributed": None,
        "energy_aid": None,
    }
    scope = Q(subject=person) | Q(address_id=address_id) if address_id else Q(subject=person)
    decisions = list(UnitDecision.objects.filter(scope, run=run).order_by("category", "id"))
    if address_id is None:
        month["no_household"] = {"reason": source}
    else:
        entitlement = (
            HouseholdEntitlement.objects.filter(run=run, address_id=address_id)
            .select_related("contract", "contract__trader")
            .first()
        )
        energy_aid = EnergyAidDecision.objects.filter(run=run, address_id=address_id).first()
        members = entitlement.members if entitlement else (energy_aid.members if energy_aid else None)
        month["household"] = {
            "address": _full_addresses({address_id}).get(address_id, ""),
            "members": members,
            "source": source,
        }
        if entitlement is not None:
            month["amount_eur"] = entitlement.amount_eur
            contract = entitlement.contract
            if contract is not None:
                month["contract"] = {
                    "trader": contract.trader.name,
                    "contract_no": contract.contract_no,
                    "held_by_you": contract.holder_id == person.pk,
                    "sub_user": entitlement.sub_user_id is not None,
                    "rule": entitlement.attribution_rule,
                }
                month["balance_eur"], month["balance_kind"] = recipient_balance(
                    run=run,
                    trader_id=contract.trader_id,
                    contract_no=contract.contract_no,
                    sub_user_id=entitlement.sub_user_id,
                    in_force=in_force,
                )
            else:
                month["unattributed"] = {"reason": entitlement.unattributed_reason}
        if energy_aid is not None:
            parameters = run.parameters or {}
            month["energy_aid"] = {
                "eligible": energy_aid.eligible,
                "reason": energy_aid.reason,
                "members": energy_aid.members,
                "income_per_member_eur": energy_aid.income_per_member_eur,
                "housing_per_member_eur": energy_aid.housing_per_member_eur,
                "housing_reported": energy_aid.housing_reported,
                "threshold_eur": _money(parameters.get("e_income_threshold_eur")),
                "housing_share": (
                    Decimal(str(parameters["e_housing_share"])) if parameters.get("e_housing_share") else None
                ),
                "sources": _energy_aid_sources(energy_aid, month=run.month),
            }
    granted: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        if decision.granted and address_id is not None and decision.address_id == address_id:
            row = granted.setdefault(
                decision.category,
                {
                    "category": decision.category,
                    "units": 0,
                    "amount_eur": Decimal("0.00"),
                    "reason": decision.reason,
                    "sources": [],
                },
            )
            row["units"] += 1
            row["amount_eur"] += decision.amount_eur
            row["sources"] += _evidence_sources(decision.evidence)
        elif not decision.granted:
            month["not_granted"].append(
                {
                    "category": decision.category,
                    "reason": decision.reason,
                    "sources": _evidence_sources(decision.evidence),
                }
            )
    month["categories"] = [granted[c] for c in Category.values if c in granted]
    return month


def runs_in_force_kept(*, today: date | None = None) -> list[MonthRun]:
    """The run in force of this month and of each earlier month still kept, newest month first."""
    today = today or riga_today()
    runs: dict[date, MonthRun] = {}
    for run in MonthRun.objects.filter(
        status=RunStatus.DONE, month__gte=oldest_month_kept(today=today), month__lte=today.replace(day=1)
    ).order_by("-month", "-version"):
        runs.setdefault(run.month, run)
    return list(runs.values())


def _earlier_in_force(run: MonthRun, runs: list[MonthRun], *, oldest: date) -> dict[str, int] | None:
    """The versions in force of the months of ``run``'s year before it, from ``runs`` (the page's
    runs in force, which hold every such month when the year is kept whole); None when the
    year starts before the oldest month kept (the balance then reads them itself)."""
    year_start = run.month.replace(month=1)
    if year_start < oldest:
        return None
    return {eligibility_selectors.month_key(r.month): r.pk for r in runs if year_start <= r.month < run.month}


def person_status(*, person: Person, today: date | None = None) -> dict[str, Any]:
    """Everything ``person`` sees about themself, as plain data (dicts, Decimals, dates, keys).

    ``months``: this month and the earlier months still kept (see the retention rule above) that
    have a run in force, newest first, each from its newest done version: the household (full
    address, members), granted categories with units, amounts and the registers they rest on,
    units not granted and why, the month's amount, the balance, the contract the support goes to
    or why it goes nowhere, and the energy-aid decision with its figures. Also: the next run's
    month (when a choice or refusal made now applies), the refusal that applies to it, the
    current contract choice, the contracts the person may choose, their contest cases and the
    retention rule. Reason and source values are keys; ``households.texts`` has their words.
    Reads only: the caller audits (``person_status_read``).
    """
    today = today or riga_today()
    current = today.replace(day=1)
    oldest = oldest_month_kept(today=today)
    runs = runs_in_force_kept(today=today)
    months = [
        _person_month(person=person, run=run, in_force=_earlier_in_force(run, runs, oldest=oldest))
        for run in runs
    ]
    upcoming = next_run_month(today=today)
    refusal = (
        ServiceRefusal.objects.filter(person=person)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=current))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")))
        .order_by("-valid_from", "-id")
        .first()
    )
    choice = (
        ContractChoice.objects.filter(person=person)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=upcoming))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")))
        .select_related("trader")
        .order_by("-valid_from", "-id")
        .first()
    )
    contests = [
        {
            "id": case.pk,
            "month": case.month,
            "item": case.item,
            "text": case.text,
            "status": case.status,
            "opened_on": timezone.localtime(case.created_at, ZoneInfo("Europe/Riga")).date(),
            "decision_reason": case.decision_reason if case.status in DECIDED else "",
            "referred_to": case.referred_to,
            "decided_on": (
                timezone.localtime(case.decided_at, ZoneInfo("Europe/Riga")).date()
                if case.decided_at
                else None
            ),
        }
        for case in ContestCase.objects.filter(person=person).order_by("-created_at", "-id")
    ]
    return {
        "person_id": person.pk,
        "today": today,
        "next_run_month": upcoming,
        "months": months,
        "refusal": (
            {
                "valid_from": refusal.valid_from,
                "valid_to": refusal.valid_to,
                # It applies to the next run or a later one (undone: it ended before).
                "applies_to_next_run": refusal.valid_to is None or refusal.valid_to >= upcoming,
            }
            if refusal
            else None
        ),
        "contract_choice": (
            {"trader": choice.trader.name, "contract_no": choice.contract_no, "valid_from": choice.valid_from}
            if choice
            else None
        ),
        "allowed_contracts": person_allowed_contracts(person=person, on=upcoming),
        "contests": contests,
        "oldest_month_kept": oldest,
    }
