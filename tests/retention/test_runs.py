"""Rule 2: the run results of months before the cutoff go; their statistics stay on the run.

The world (built through the feeds): a parent of three children under 18 at FLAT_1 holding
contract C-1 at trader A (a large family: 25.00 in 2024), a needy tenant at FLAT_2 holding C-2 at
trader A (20.00), a needy person alone at HOUSE_1 with no contract (20.00, unattributed).
October and November 2024 are computed with their contract lines; October is before the cutoff.
"""

from datetime import date
from decimal import Decimal

import pytest

from eligibility.models import (
    ContractLine,
    EnergyAidDecision,
    HouseholdEntitlement,
    MonthRun,
    MonthRunChunk,
    RunStatus,
    UnitDecision,
)
from eligibility.services.lines import adjustment_lines_compute, contract_lines_compute
from households.models import Person
from tests.eligibility.scheme_p.conftest import (
    FLAT_1,
    FLAT_2,
    HOUSE_1,
    MUNICIPALITY_CODE,
    TRADER_A_ORG,
    resident,
    run_month_with,
)
from tests.retention.conftest import NOV_2024, OCT_2024, address, code, month_run, purge

pytestmark = pytest.mark.django_db

PARENT, TENANT, LONER = code(100), code(300), code(400)
CHILDREN = (code(200), code(201), code(202))

STATISTICS = {
    "categories": {
        "needy_low_income": {"units": 2, "amount_eur": "40.00"},
        "large_family": {"units": 1, "amount_eur": "25.00"},
        "disabled_child": {"units": 0, "amount_eur": "0.00"},
        "group_i_disability": {"units": 0, "amount_eur": "0.00"},
    },
    "municipalities": {MUNICIPALITY_CODE: {"households": 3, "amount_eur": "65.00"}},
    "traders": {TRADER_A_ORG: {"lines": 2, "amount_eur": "45.00"}},
}


def world(registers) -> None:
    registers.population(
        resident(PARENT, date(1980, 3, 4), FLAT_1),
        resident(CHILDREN[0], date(2012, 5, 6), FLAT_1),
        resident(CHILDREN[1], date(2014, 7, 8), FLAT_1),
        resident(CHILDREN[2], date(2016, 9, 10), FLAT_1),
        resident(TENANT, date(1970, 1, 1), FLAT_2),
        resident(LONER, date(1965, 1, 1), HOUSE_1),
    )
    registers.relations(*((PARENT, child, "parent", date(2016, 9, 10)) for child in CHILDREN))
    registers.social_status((TENANT, "needy", date(2024, 1, 1)), (LONER, "needy", date(2024, 1, 1)))
    registers.contracts(
        registers.trader_a,
        ("C-1", PARENT, FLAT_1, date(2020, 1, 1)),
        ("C-2", TENANT, FLAT_2, date(2020, 1, 1)),
    )


def compute(month: date) -> MonthRun:
    """Scheme P and the lines for ``month``, as a done run."""
    return run_month_with(month, contract_lines_compute, adjustment_lines_compute)


def rows(run: MonthRun) -> tuple[int, int, int, int]:
    return (
        UnitDecision.objects.filter(run=run).count(),
        HouseholdEntitlement.objects.filter(run=run).count(),
        ContractLine.objects.filter(run=run).count(),
        EnergyAidDecision.objects.filter(run=run).count(),
    )


def test_a_month_before_the_cutoff_loses_its_rows_and_keeps_its_statistics(registers):
    world(registers)
    october, november = compute(OCT_2024), compute(NOV_2024)
    EnergyAidDecision.objects.create(
        run=october,
        address=address(HOUSE_1),
        members=1,
        income_per_member_eur=Decimal("300.00"),
        housing_per_member_eur=Decimal("142.06"),
        housing_reported=False,
        income_cents=360_000,  # 300.00 x 12 months
        benefits_cents=0,
        housing_cents=0,
        housing_months=0,
        income_within_threshold=True,
        housing_share_met=True,
        sanctioned_members=0,
        eligible=True,
        reason="eligible",
    )
    assert rows(october) == (3, 3, 2, 1)
    assert rows(november) == (3, 3, 2, 0)

    dry = purge(commit=False)
    assert dry.tables["eligibility.MonthRun.statistics"] == 1
    assert MonthRun.objects.get(pk=october.pk).statistics is None  # the dry run kept nothing

    result = purge(commit=True)

    assert result.tables == dry.tables
    assert result.tables["eligibility.MonthRun.statistics"] == 1
    assert (
        result.tables["eligibility.UnitDecision"],
        result.tables["eligibility.HouseholdEntitlement"],
        result.tables["eligibility.ContractLine"],
        result.tables["eligibility.EnergyAidDecision"],
    ) == (3, 3, 2, 1)
    october.refresh_from_db()
    assert october.statistics == STATISTICS
    assert (october.status, october.parameters["p_amount_large_family"]) == ("done", "25.00")
    assert rows(october) == (0, 0, 0, 0)
    november.refresh_from_db()
    assert november.statistics is None
    assert rows(november) == (3, 3, 2, 0)
    assert Person.objects.count() == 6  # every one of them still in the population register


def test_statistics_already_kept_are_not_recomputed_and_active_runs_are_left_alone():
    october = month_run(OCT_2024)
    MonthRun.objects.filter(pk=october.pk).update(statistics={"kept": "earlier"})
    MonthRunChunk.objects.create(run=october, index=0)
    september = month_run(date(2024, 9, 1), status=RunStatus.RUNNING)
    MonthRunChunk.objects.create(run=september, index=0)
    failed = month_run(date(2024, 9, 1), version=2, status=RunStatus.FAILED)

    result = purge(commit=True)

    assert result.tables["eligibility.MonthRun.statistics"] == 0
    assert result.tables["eligibility.MonthRunChunk"] == 1
    assert MonthRun.objects.get(pk=october.pk).statistics == {"kept": "earlier"}
    assert list(MonthRunChunk.objects.values_list("run_id", flat=True)) == [september.pk]
    assert MonthRun.objects.get(pk=failed.pk).statistics is None
    assert MonthRun.objects.count() == 3  # run rows stay
