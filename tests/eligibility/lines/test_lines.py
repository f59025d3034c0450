"""Contract lines, balances, adjustments and month totals (DOMAIN: Balance, Corrections;
INTERFACES §3). Worlds are built through the feeds with the Scheme P helpers; every amount is
written out by hand."""

from datetime import date
from decimal import Decimal

from eligibility.models import AdjustmentLine, ContractLine, MonthRun, RunStatus
from eligibility.selectors import month_totals
from eligibility.services.lines import adjustment_lines_compute, contract_lines_compute
from eligibility.services.runs import month_run_execute
from tests.eligibility.scheme_p.conftest import (
    BUILDING,
    BUILDING_MANAGER_ORG,
    FLAT_1,
    FLAT_2,
    FLAT_3,
    MUNICIPALITY_CODE,
    NOV_2026,
    TRADER_A_ORG,
    code,
    person,
    resident,
    run_month,
    run_month_with,
)

OCT_2026 = date(2026, 10, 1)
JAN_2027 = date(2027, 1, 1)
PARENT = code(100)
CHILD_1 = code(200)
CHILD_2 = code(201)
CHILD_3 = code(202)
TENANT = code(300)
OTHER_TENANT = code(301)
CHILDREN = (CHILD_1, CHILD_2, CHILD_3)


def family(registers, *, tenants: bool = False) -> None:
    """A parent of three children under 18 at FLAT_1 (large family, 25.00 in 2026-2027) holding
    contract C-1 at trader A; with ``tenants``, a needy tenant at FLAT_2 and one at FLAT_3 (20.00
    each), residents of the building whose contract B-100 the manager holds."""
    residents = [
        resident(PARENT, date(1980, 3, 4)),
        resident(CHILD_1, date(2012, 5, 6)),
        resident(CHILD_2, date(2014, 7, 8)),
        resident(CHILD_3, date(2016, 9, 10)),
    ]
    if tenants:
        residents += [
            resident(TENANT, date(1970, 1, 1), FLAT_2),
            resident(OTHER_TENANT, date(1971, 1, 1), FLAT_3),
        ]
    registers.population(*residents)
    registers.relations(*((PARENT, child, "parent", date(2016, 9, 10)) for child in CHILDREN))
    contracts: list[tuple[object, ...]] = [("C-1", PARENT, FLAT_1, date(2020, 1, 1))]
    if tenants:
        contracts.append(("B-100", BUILDING_MANAGER_ORG, BUILDING, date(2005, 1, 1), None, "building"))
        registers.social_status(
            (TENANT, "needy", date(2026, 1, 1)), (OTHER_TENANT, "needy", date(2026, 1, 1))
        )
    registers.contracts(registers.trader_a, *contracts)


def compute(month: date) -> MonthRun:
    """Scheme P and the lines for ``month``, as a done run (the next version of the month)."""
    return run_month_with(month, contract_lines_compute, adjustment_lines_compute)


def lines(run: MonthRun) -> list[tuple[str, str, Decimal, Decimal, list[dict[str, object]]]]:
    return [
        (line.contract_no, line.sub_user_code, line.amount_eur, line.balance_eur, line.categories)
        for line in ContractLine.objects.filter(run=run).order_by("contract_no", "sub_user_code")
    ]


def adjustments(run: MonthRun) -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
    return [
        (a.contract_no, a.sub_user_code, a.previous_amount_eur, a.amount_eur, a.delta_eur)
        for a in AdjustmentLine.objects.filter(run=run).order_by("contract_no", "sub_user_code")
    ]


def test_a_large_family_gives_one_line_of_25(registers):
    family(registers)

    run = compute(NOV_2026)

    assert lines(run) == [
        (
            "C-1",
            "",
            Decimal("25.00"),
            Decimal("25.00"),
            [{"category": "large_family", "units": 1, "amount_eur": "25.00"}],
        )
    ]
    line = ContractLine.objects.get(run=run)
    assert (line.trader.code, line.address.code, line.sub_user_id) == (TRADER_A_ORG, FLAT_1, None)


def test_two_categories_are_both_listed(registers):
    family(registers)
    registers.disability((CHILD_1, "child", date(2020, 1, 1)))

    run = compute(NOV_2026)

    assert lines(run) == [
        (
            "C-1",
            "",
            Decimal("45.00"),
            Decimal("45.00"),
            [
                {"category": "disabled_child", "units": 1, "amount_eur": "20.00"},
                {"category": "large_family", "units": 1, "amount_eur": "25.00"},
            ],
        )
    ]


def test_a_sub_user_line_carries_the_sub_users_code(registers):
    family(registers, tenants=True)
    registers.sub_users(registers.trader_a, (TENANT, "B-100", FLAT_2, date(2024, 5, 5)))

    run = compute(NOV_2026)

    needy = [{"category": "needy_low_income", "units": 1, "amount_eur": "20.00"}]
    assert ("B-100", TENANT, Decimal("20.00"), Decimal("20.00"), needy) in lines(run)
    assert ContractLine.objects.get(run=run, contract_no="B-100").sub_user == person(TENANT)


def test_two_households_choosing_the_building_contract_are_two_recipients(registers):
    # Chosen on the web page (rule 1): Scheme P records no sub-user; each line names the chooser.
    family(registers, tenants=True)
    registers.sub_users(
        registers.trader_a,
        (TENANT, "B-100", FLAT_2, date(2024, 5, 5)),
        (OTHER_TENANT, "B-100", FLAT_3, date(2024, 5, 5)),
    )
    registers.choice(TENANT, "B-100")
    registers.choice(OTHER_TENANT, "B-100")

    run = compute(NOV_2026)

    needy = [{"category": "needy_low_income", "units": 1, "amount_eur": "20.00"}]
    assert lines(run) == sorted(
        [
            ("B-100", TENANT, Decimal("20.00"), Decimal("20.00"), needy),
            ("B-100", OTHER_TENANT, Decimal("20.00"), Decimal("20.00"), needy),
            (
                "C-1",
                "",
                Decimal("25.00"),
                Decimal("25.00"),
                [{"category": "large_family", "units": 1, "amount_eur": "25.00"}],
            ),
        ]
    )


def test_an_unattributed_household_gives_no_line(registers):
    registers.population(resident(TENANT, date(1970, 1, 1), FLAT_2))
    registers.social_status((TENANT, "needy", date(2026, 1, 1)))

    run = compute(NOV_2026)

    assert lines(run) == []


def test_balance_adds_the_years_in_force_months_and_lapses_in_january(registers):
    family(registers)

    october = compute(OCT_2026)
    november = compute(NOV_2026)
    january = compute(JAN_2027)

    assert [line[3] for line in lines(october)] == [Decimal("25.00")]
    assert [line[3] for line in lines(november)] == [Decimal("50.00")]
    assert [line[3] for line in lines(january)] == [Decimal("25.00")]


def test_balance_counts_only_the_version_in_force_of_an_earlier_month(registers):
    family(registers)
    compute(OCT_2026)
    registers.disability((CHILD_1, "child", date(2020, 1, 1)))
    compute(OCT_2026)  # version 2: 45.00 in force
    failed = run_month(OCT_2026).run  # a failed version 3 counts for nothing
    failed.status = RunStatus.FAILED
    failed.save(update_fields=["status"])

    november = compute(NOV_2026)

    assert [line[3] for line in lines(november)] == [Decimal("90.00")]


def test_a_first_run_has_no_adjustments(registers):
    family(registers)

    assert adjustments(compute(NOV_2026)) == []


def test_rerun_after_a_disabled_child_is_added_gives_plus_20(registers):
    family(registers)
    first = compute(NOV_2026)
    registers.disability((CHILD_1, "child", date(2020, 1, 1)))

    second = compute(NOV_2026)

    assert adjustments(second) == [("C-1", "", Decimal("25.00"), Decimal("45.00"), Decimal("20.00"))]
    assert AdjustmentLine.objects.get(run=second).previous_run == first
    # The re-run replaces November: its balance counts November once.
    assert [line[3] for line in lines(second)] == [Decimal("45.00")]


def test_rerun_after_the_household_is_removed_gives_minus_25(registers):
    family(registers)
    compute(NOV_2026)
    # Corrected: the parent has had two children only since October, so no large family.
    registers.relations(
        *((PARENT, child, "parent", date(2016, 9, 10)) for child in CHILDREN[:2]), as_of=date(2026, 10, 15)
    )

    second = compute(NOV_2026)

    assert lines(second) == []
    assert adjustments(second) == [("C-1", "", Decimal("25.00"), Decimal("0.00"), Decimal("-25.00"))]


def test_a_sub_user_gone_in_a_rerun_gives_a_negative_line_with_its_code(registers):
    family(registers, tenants=True)
    registers.sub_users(registers.trader_a, (TENANT, "B-100", FLAT_2, date(2024, 5, 5)))
    compute(NOV_2026)
    # Corrected: TENANT's status ended in October.
    registers.social_status((OTHER_TENANT, "needy", date(2026, 1, 1)), as_of=date(2026, 10, 15))

    second = compute(NOV_2026)

    assert adjustments(second) == [("B-100", TENANT, Decimal("20.00"), Decimal("0.00"), Decimal("-20.00"))]


def test_month_totals_per_category_municipality_and_trader(registers):
    family(registers, tenants=True)
    registers.disability((CHILD_1, "child", date(2020, 1, 1)))
    registers.sub_users(registers.trader_a, (TENANT, "B-100", FLAT_2, date(2024, 5, 5)))
    # OTHER_TENANT at FLAT_3 has no contract: entitled (20.00) but unattributed.

    totals = month_totals(run=compute(NOV_2026))

    assert totals["categories"] == {
        "needy_low_income": {"units": 2, "amount_eur": Decimal("40.00")},
        "large_family": {"units": 1, "amount_eur": Decimal("25.00")},
        "disabled_child": {"units": 1, "amount_eur": Decimal("20.00")},
        "group_i_disability": {"units": 0, "amount_eur": Decimal("0.00")},
    }
    assert totals["municipalities"] == {MUNICIPALITY_CODE: {"households": 3, "amount_eur": Decimal("85.00")}}
    assert totals["traders"] == {TRADER_A_ORG: {"lines": 2, "amount_eur": Decimal("65.00")}}


def test_month_run_execute_writes_the_lines(registers):
    family(registers)
    template = run_month(NOV_2026).run  # only for its knowledge batch and parameters
    run = MonthRun.objects.create(
        month=NOV_2026,
        version=template.version + 1,
        knowledge_batch=template.knowledge_batch,
        parameters=template.parameters,
        requested_by="test",
    )

    run = month_run_execute(run_id=run.pk)

    assert run.status == RunStatus.DONE, run.error
    assert lines(run) == [
        (
            "C-1",
            "",
            Decimal("25.00"),
            Decimal("25.00"),
            [{"category": "large_family", "units": 1, "amount_eur": "25.00"}],
        )
    ]
    # The template version (done, no lines) was in force: every recipient shows as new.
    assert adjustments(run) == [("C-1", "", Decimal("0.00"), Decimal("25.00"), Decimal("25.00"))]
