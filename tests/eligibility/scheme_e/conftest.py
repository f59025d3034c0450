"""A small country for the Scheme E tests, built through ``feed_import`` itself, and a month run.

Two municipalities; a trader, a gas trader, an electricity DSO, a gas DSO and a heat supplier;
five houses in municipality A and one in B. Each test sends the population, income, benefits,
housing costs, sanctions and connections it needs; ``run(month)`` creates a ``MonthRun``
directly (the newest applied batch, the parameters on the month's first day as known then, as
strings) and computes Scheme E for it.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Max

from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.identifiers import complete_personal_code
from aldis.organisations.models import Organisation
from eligibility.models import EnergyAidDecision, MonthRun, RunStatus
from eligibility.selectors import parameters_on
from eligibility.services.scheme_e import SchemeESummary, scheme_e_compute
from tests.eligibility.conftest import HEADER as PARAMETERS_HEADER
from tests.eligibility.conftest import TABLE
from tests.feeds.conftest import (
    ADDRESS_HEADER,
    CONNECTIONS_HEADER,
    INCOME_HEADER,
    ORG_HEADER,
    POPULATION_HEADER,
    _org,
    run_import,
    write_csv,  # noqa: F401 (a fixture)
)

AS_OF = date(2024, 1, 1)
MUNICIPALITY_A = "0001000"
MUNICIPALITY_B = "0002000"

MUNICIPALITY_A_ORG = _org(9000000001)
MUNICIPALITY_B_ORG = _org(9000000011)
TRADER_ORG = _org(4000000201)
GAS_TRADER_ORG = _org(4000000301)
ELECTRICITY_DSO_ORG = _org(4000000401)
GAS_DSO_ORG = _org(4000000501)
HEAT_ORG = _org(4000000601)

HOUSE_1, HOUSE_2, HOUSE_3, HOUSE_4, HOUSE_5 = "200000001", "200000002", "200000003", "200000004", "200000005"
HOUSE_B = "200000101"  # in municipality B

ORG_ROWS = [
    (MUNICIPALITY_A_ORG, "Municipality A", "municipality", MUNICIPALITY_A, ""),
    (MUNICIPALITY_B_ORG, "Municipality B", "municipality", MUNICIPALITY_B, ""),
    (TRADER_ORG, "Electricity trader", "trader", "", "true"),
    (GAS_TRADER_ORG, "Gas trader", "trader", "", "false"),
    (ELECTRICITY_DSO_ORG, "Electricity DSO", "electricity_dso", "", ""),
    (GAS_DSO_ORG, "Gas DSO", "gas_dso", "", ""),
    (HEAT_ORG, "Heat supplier", "heat_supplier", "", ""),
]
ADDRESS_ROWS = [
    (HOUSE_1, "building", "", MUNICIPALITY_A, "Māja 1, A"),
    (HOUSE_2, "building", "", MUNICIPALITY_A, "Māja 2, A"),
    (HOUSE_3, "building", "", MUNICIPALITY_A, "Māja 3, A"),
    (HOUSE_4, "building", "", MUNICIPALITY_A, "Māja 4, A"),
    (HOUSE_5, "building", "", MUNICIPALITY_A, "Māja 5, A"),
    (HOUSE_B, "building", "", MUNICIPALITY_B, "Māja 1, B"),
]

BENEFITS_HEADER = ("personal_code", "month", "amount_eur", "kind")
HOUSING_HEADER = ("address_code", "month", "amount_eur")
SANCTIONS_HEADER = ("personal_code", "valid_from", "valid_to")
TEMPORARY_PROTECTION_HEADER = (
    "personal_code",
    "given_name",
    "surname",
    "birth_date",
    "address_code",
    "valid_from",
    "valid_to",
)


def code(n: int) -> str:
    """The n-th test person's personal code (new format, valid check digit)."""
    return complete_personal_code(f"32{n:08d}")


def months(first: str, count: int) -> list[str]:
    """``count`` months from ``first`` (``YYYY-MM``) on."""
    year, month = (int(part) for part in first.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# The 12 months before November 2025 (the month most tests run).
M = date(2025, 11, 1)
WINDOW = months("2024-11", 12)


def person(n: int, address: str | None, born: str = "1960-01-01", died: str = "") -> tuple[Any, ...]:
    return (
        code(n),
        "",
        f"Vārds{n}",
        f"Uzvārds{n}",
        born,
        died,
        address or "",
        "2000-01-01" if address else "",
    )


@dataclass
class Country:
    write: Callable[..., Path]
    organisations: dict[str, Organisation]

    def send(
        self, feed: str, header: Sequence[str], rows: Iterable[Sequence[Any]], sender: str | None = None
    ) -> FeedBatch:
        batch = run_import(
            feed,
            self.write(header, list(rows)),
            as_of=AS_OF,
            sender=self.organisations[sender] if sender else None,
        )
        assert batch.status == BatchStatus.APPLIED, batch.errors
        return batch

    def population(self, rows: Iterable[tuple[Any, ...]]) -> FeedBatch:
        return self.send("population", POPULATION_HEADER, rows)

    def income(self, n: int, amount: str, in_months: Iterable[str] = WINDOW) -> FeedBatch:
        return self.send("income", INCOME_HEADER, [(code(n), month, amount) for month in in_months])

    def benefits(
        self, n: int, amount: str, kind: str = "pension", in_months: Iterable[str] = WINDOW
    ) -> FeedBatch:
        return self.send("benefits", BENEFITS_HEADER, [(code(n), month, amount, kind) for month in in_months])

    def housing(self, address: str, amount: str, in_months: Iterable[str] = WINDOW) -> FeedBatch:
        # Sent by the electricity DSO (an energy company); a sender is always named.
        return self.send(
            "housing_costs",
            HOUSING_HEADER,
            [(address, month, amount) for month in in_months],
            sender=ELECTRICITY_DSO_ORG,
        )

    def sanctions(self, rows: Iterable[tuple[int, str, str]]) -> FeedBatch:
        return self.send("sanctions", SANCTIONS_HEADER, [(code(n), start, end) for n, start, end in rows])

    def connections(self, operator: str, rows: Iterable[tuple[str, str, str, str]]) -> FeedBatch:
        """``rows``: (object_code, resource, address_code, supplier_code); valid from 2024-01-01."""
        return self.send(
            "connections",
            CONNECTIONS_HEADER,
            [
                (obj, resource, address, supplier, "2024-01-01", "")
                for obj, resource, address, supplier in rows
            ],
            sender=operator,
        )

    def parameters(self, changes: Iterable[tuple[str, str, str]]) -> FeedBatch:
        """The seeded table with ``changes`` added: (name, valid_from, value)."""
        rows = [*TABLE, *((name, start, value, "test") for name, start, value in changes)]
        return run_import("parameters", self.write(PARAMETERS_HEADER, rows), as_of=date(2026, 11, 20))

    def run(self, month: date, knowledge_batch: int | None = None) -> tuple[MonthRun, SchemeESummary]:
        k = knowledge_batch or newest_batch()
        run = MonthRun.objects.create(
            month=month,
            version=(MonthRun.objects.filter(month=month).aggregate(v=Max("version"))["v"] or 0) + 1,
            status=RunStatus.DONE,
            knowledge_batch=k,
            parameters={
                name: str(value) for name, value in parameters_on(day=month, known_at_batch=k).items()
            },
            requested_by="test",
        )
        return run, scheme_e_compute(run=run)


def newest_batch() -> int:
    return int(FeedBatch.objects.filter(status=BatchStatus.APPLIED).aggregate(k=Max("id"))["k"] or 0)


def decision(run: MonthRun, address: str) -> EnergyAidDecision:
    return EnergyAidDecision.objects.get(run=run, address__code=address)


@pytest.fixture
def country(db: None, write_csv: Callable[..., Path]) -> Country:  # noqa: F811
    run_import("organisations", write_csv(ORG_HEADER, ORG_ROWS), as_of=AS_OF)
    run_import("addresses", write_csv(ADDRESS_HEADER, ADDRESS_ROWS), as_of=AS_OF)
    return Country(write=write_csv, organisations={o.code: o for o in Organisation.objects.all()})
