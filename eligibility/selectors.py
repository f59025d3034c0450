"""Reads of the dated parameters (the whole table on a day, as known now or at a batch) and of the
monthly runs (the version in force, a run's units)."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from aldis.exceptions import ApplicationError
from eligibility.models import (
    Category,
    ContractLine,
    HouseholdEntitlement,
    MonthRun,
    ParameterValue,
    RunStatus,
    UnitDecision,
)
from eligibility.parameters import BY_NAME, parse
from households.models import AddressRecord


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
