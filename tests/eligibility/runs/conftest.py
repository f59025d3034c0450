"""The monthly-run tests replace the computation by a fake that writes known rows and totals.

``computation`` stands in for ``scheme_p_compute``: it writes three granted unit decisions and
one dropped (household 1) and three entitlements (one unattributed) that add up to the summary
below (the run's totals are read back from its rows), and returns that summary; with ``.error``
set it writes one row and then raises it, as a computation failing half-way would.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from eligibility.models import Category, HouseholdEntitlement, MonthRun, UnitDecision
from eligibility.services.scheme_p import RunSql, household_members


@dataclass
class FakeSummary:
    households: int = 10
    persons_without_address: int = 1
    entitled_households: int = 3
    unattributed_households: int = 1
    total_eur: Decimal = Decimal("65.00")
    units: dict[str, int] = field(
        default_factory=lambda: {Category.LARGE_FAMILY: 1, Category.DISABLED_CHILD: 2}
    )


@dataclass
class FakeComputation:
    calls: list[int] = field(default_factory=list)
    error: BaseException | None = None

    def __call__(self, *, run: MonthRun, chunk: object = None, keep_members: bool = False) -> FakeSummary:
        self.calls.append(run.pk)
        if keep_members:  # as the real one: the household tables stay for Scheme E
            household_members(RunSql(run))

        def unit(category: str, granted: bool, amount: str) -> UnitDecision:
            return UnitDecision(
                run=run,
                address_id=1,
                category=category,
                granted=granted,
                reason="granted" if granted else "maintenance_debtor",
                amount_eur=Decimal(amount),
            )

        if self.error is not None:
            unit(Category.LARGE_FAMILY, True, "25.00").save()
            raise self.error
        UnitDecision.objects.bulk_create(
            [
                unit(Category.LARGE_FAMILY, True, "25.00"),
                unit(Category.DISABLED_CHILD, True, "20.00"),
                unit(Category.DISABLED_CHILD, True, "20.00"),
                unit(Category.NEEDY_LOW_INCOME, False, "0.00"),
            ]
        )
        HouseholdEntitlement.objects.bulk_create(
            [
                HouseholdEntitlement(
                    run=run, address_id=1, members=3, amount_eur=Decimal("25.00"), contract_id=7
                ),
                HouseholdEntitlement(
                    run=run, address_id=2, members=2, amount_eur=Decimal("20.00"), contract_id=8
                ),
                HouseholdEntitlement(
                    run=run,
                    address_id=3,
                    members=1,
                    amount_eur=Decimal("20.00"),
                    unattributed_reason="no_contract",
                ),
            ]
        )
        return FakeSummary()


@pytest.fixture
def computation(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeComputation:
    settings.ALDIS_RUN_CHUNKS = 1  # the fake knows no chunks: the run executes whole
    fake = FakeComputation()
    monkeypatch.setattr("eligibility.services.runs.scheme_p_compute", fake)
    return fake


@pytest.fixture
def executed(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[..., Any]:
    """``with executed(): month_run_request(...)``: the commit's callbacks (the eager task) run."""

    def capture() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    return capture


from tests.eligibility.scheme_p.conftest import registers  # noqa: E402, F401  (the fixture, for test_chunks)
