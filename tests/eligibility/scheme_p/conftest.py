"""Helpers for the Scheme P tests: a small world built through ``feed_import`` (a municipality,
the registers, trader A that gives the protected-user service and trader B that does not, a
building with four flats and two houses), the registers' files written from short tuples, the
person-level choices made with the ORM, and ``run_month`` to compute one month.

Every test writes its amounts out by hand; nothing here computes an amount.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.feeds.services import feed_import
from aldis.identifiers import complete_org_code, complete_personal_code
from aldis.organisations.models import Organisation
from audit.services import Actor
from eligibility.models import HouseholdEntitlement, MonthRun, UnitDecision
from eligibility.selectors import parameters_on
from eligibility.services.scheme_p import SchemePSummary, scheme_p_compute
from households.models import (
    Address,
    ContractChoice,
    CountedChildMark,
    Person,
    PersonCode,
    ServiceRefusal,
)
from tests.feeds.conftest import csv_text

ACTOR = Actor.system("scheme-p-tests")
AS_OF = date(2026, 11, 3)  # when the registers' files below are sent, unless a test says otherwise
NOV_2026 = date(2026, 11, 1)  # the month most tests compute (rates 20/20/20/25)
MUNICIPALITY_CODE = "0001000"

BUILDING = "200000001"
FLAT_1 = "200000002"
FLAT_2 = "200000003"
FLAT_3 = "200000004"
FLAT_4 = "200000005"
HOUSE_1 = "200000006"
HOUSE_2 = "200000007"


def _org(prefix: int) -> str:
    """The first organisation code at or after ``prefix`` that has a check digit."""
    while (code := complete_org_code(str(prefix))) is None:
        prefix += 1
    return code


MUNICIPALITY_ORG = _org(9100000001)
REGISTER_ORG = _org(9100000101)
TRADER_A_ORG = _org(4100000201)  # gives the protected-user service
TRADER_B_ORG = _org(4100000301)  # does not
BUILDING_MANAGER_ORG = _org(4100000501)  # holds the building's contract (not an ALDIS party)


def code(n: int) -> str:
    """A valid new-format personal code; a lower ``n`` gives a lower code."""
    return complete_personal_code(f"32{n:08d}")


ORG_HEADER = ("org_code", "name", "kind", "municipality_code", "protected_service")
ADDRESS_HEADER = ("address_code", "type", "parent_code", "municipality_code", "full_address")
POPULATION_HEADER = (
    "personal_code",
    "previous_code",
    "given_name",
    "surname",
    "birth_date",
    "death_date",
    "address_code",
    "declared_from",
)
PROTECTION_HEADER = (
    "personal_code",
    "given_name",
    "surname",
    "birth_date",
    "address_code",
    "valid_from",
    "valid_to",
)
RELATIONS_HEADER = ("person_code", "dependant_code", "relation", "valid_from", "valid_to")
DISABILITY_HEADER = ("personal_code", "group", "valid_from", "valid_to")
SOCIAL_HEADER = ("personal_code", "status", "municipality_code", "valid_from", "valid_to")
EDUCATION_HEADER = ("personal_code", "level", "valid_from", "valid_to")
DEBTORS_HEADER = ("personal_code", "valid_from", "valid_to")
CONTRACTS_HEADER = (
    "contract_no",
    "holder_code",
    "address_code",
    "object_code",
    "kind",
    "valid_from",
    "valid_to",
)
SUB_USERS_HEADER = ("personal_code", "contract_no", "address_code", "applied_on", "valid_to")


@dataclass(frozen=True)
class Resident:
    """One row of the population register."""

    code: str
    born: date
    address: str | None = FLAT_1
    died: date | None = None
    declared_from: date | None = None


def resident(
    code: str,
    born: date,
    address: str | None = FLAT_1,
    *,
    died: date | None = None,
    declared_from: date | None = None,
) -> Resident:
    """A population row; with an address declared from ``declared_from`` (default: birth, or
    2000-01-01 for those born earlier)."""
    if address is None:
        return Resident(code, born, None, died, None)
    return Resident(code, born, address, died, declared_from or max(born, date(2000, 1, 1)))


def person(personal_code: str) -> Person:
    return PersonCode.objects.select_related("person").get(code=personal_code).person


def address(address_code: str) -> Address:
    return Address.objects.get(code=address_code)


class Registers:
    """Sends the registers' and traders' files through ``feed_import`` (each must be applied)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.files = 0
        self.organisations: dict[str, Organisation] = {}

    def send(
        self,
        feed: str,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        as_of: date = AS_OF,
        sender: Organisation | None = None,
    ) -> FeedBatch:
        self.files += 1
        path = self.tmp_path / f"{self.files:03d}-{feed}.csv"
        path.write_text(csv_text(header, rows), encoding="utf-8")
        batch = feed_import(feed=feed, path=path, as_of=as_of, sender=sender, actor=ACTOR)
        assert batch.status == BatchStatus.APPLIED, batch.errors
        return batch

    # The world --------------------------------------------------------------------------------

    def world(self) -> None:
        self.send(
            "organisations",
            ORG_HEADER,
            [
                (MUNICIPALITY_ORG, "Test municipality", "municipality", MUNICIPALITY_CODE, ""),
                (REGISTER_ORG, "Population register", "register", "", ""),
                (TRADER_A_ORG, "Trader A", "trader", "", "true"),
                (TRADER_B_ORG, "Trader B", "trader", "", "false"),
            ],
            as_of=date(2020, 1, 1),
        )
        self.send(
            "addresses",
            ADDRESS_HEADER,
            [
                (BUILDING, "building", "", MUNICIPALITY_CODE, "Brīvības iela 1, Rīga"),
                (FLAT_1, "flat", BUILDING, MUNICIPALITY_CODE, "Brīvības iela 1 - 1, Rīga"),
                (FLAT_2, "flat", BUILDING, MUNICIPALITY_CODE, "Brīvības iela 1 - 2, Rīga"),
                (FLAT_3, "flat", BUILDING, MUNICIPALITY_CODE, "Brīvības iela 1 - 3, Rīga"),
                (FLAT_4, "flat", BUILDING, MUNICIPALITY_CODE, "Brīvības iela 1 - 4, Rīga"),
                (HOUSE_1, "building", "", MUNICIPALITY_CODE, "Lauku māja 1, Rīga"),
                (HOUSE_2, "building", "", MUNICIPALITY_CODE, "Lauku māja 2, Rīga"),
            ],
            as_of=date(2020, 1, 1),
        )
        self.organisations = {o.code: o for o in Organisation.objects.all()}

    @property
    def trader_a(self) -> Organisation:
        return self.organisations[TRADER_A_ORG]

    @property
    def trader_b(self) -> Organisation:
        return self.organisations[TRADER_B_ORG]

    # Register files (each a whole snapshot of that register) ----------------------------------

    def population(self, *residents: Resident, as_of: date = AS_OF) -> FeedBatch:
        return self.send(
            "population",
            POPULATION_HEADER,
            [
                (r.code, "", "Persona", f"P{r.code[-4:]}", r.born, r.died, r.address, r.declared_from)
                for r in residents
            ],
            as_of=as_of,
        )

    def temporary_protection(
        self, *rows: tuple[str, date, str, date, date | None], as_of: date = AS_OF
    ) -> FeedBatch:
        """``(code, born, address, valid_from, valid_to)``."""
        return self.send(
            "temporary_protection",
            PROTECTION_HEADER,
            [(c, "Olena", f"T{c[-4:]}", born, addr, vf, vt) for c, born, addr, vf, vt in rows],
            as_of=as_of,
        )

    def relations(self, *rows: tuple[Any, ...], as_of: date = AS_OF) -> FeedBatch:
        """``(adult, child, relation, valid_from[, valid_to])``."""
        return self.send("relations", RELATIONS_HEADER, [_pad(row, 5) for row in rows], as_of=as_of)

    def disability(self, *rows: tuple[Any, ...], as_of: date = AS_OF) -> FeedBatch:
        """``(code, group, valid_from[, valid_to])``."""
        return self.send("disability", DISABILITY_HEADER, [_pad(row, 4) for row in rows], as_of=as_of)

    def social_status(self, *rows: tuple[Any, ...], as_of: date = AS_OF) -> FeedBatch:
        """``(code, status, valid_from[, valid_to])``."""
        return self.send(
            "social_status",
            SOCIAL_HEADER,
            [(c, status, MUNICIPALITY_CODE, *_pad(rest, 2)) for c, status, *rest in rows],
            as_of=as_of,
        )

    def education(self, *rows: tuple[Any, ...], as_of: date = AS_OF) -> FeedBatch:
        """``(code, level, valid_from[, valid_to])``."""
        return self.send("education", EDUCATION_HEADER, [_pad(row, 4) for row in rows], as_of=as_of)

    def debtors(self, *rows: tuple[Any, ...], as_of: date = AS_OF) -> FeedBatch:
        """``(code, valid_from[, valid_to])``."""
        return self.send("debtors", DEBTORS_HEADER, [_pad(row, 3) for row in rows], as_of=as_of)

    def contracts(self, trader: Organisation, *rows: tuple[Any, ...], as_of: date = AS_OF) -> FeedBatch:
        """``(contract_no, holder_code, address_code, valid_from[, valid_to[, kind]])`` of one trader
        (kind ``household`` unless given)."""
        lines = []
        for row in rows:
            no, holder, addr, valid_from, valid_to, kind = _pad(row, 6)
            lines.append((no, holder, addr, "", kind or "household", valid_from, valid_to))
        return self.send("contracts", CONTRACTS_HEADER, lines, as_of=as_of, sender=trader)

    def sub_users(self, trader: Organisation, *rows: tuple[Any, ...], as_of: date = AS_OF) -> FeedBatch:
        """``(personal_code, contract_no, address_code, applied_on[, valid_to])`` of one trader."""
        return self.send(
            "sub_users", SUB_USERS_HEADER, [_pad(row, 5) for row in rows], as_of=as_of, sender=trader
        )

    # Person-level choices and staff marks (plain models) ---------------------------------------

    def refusal(self, personal_code: str, valid_from: date, valid_to: date | None = None) -> ServiceRefusal:
        return ServiceRefusal.objects.create(
            person=person(personal_code), valid_from=valid_from, valid_to=valid_to
        )

    def choice(
        self,
        personal_code: str,
        contract_no: str,
        *,
        trader: Organisation | None = None,
        valid_from: date = date(2026, 1, 1),
        valid_to: date | None = None,
    ) -> ContractChoice:
        return ContractChoice.objects.create(
            person=person(personal_code),
            trader=trader or self.trader_a,
            contract_no=contract_no,
            valid_from=valid_from,
            valid_to=valid_to,
        )

    def mark(
        self, adult: str, child: str, valid_from: date, valid_to: date | None = None
    ) -> CountedChildMark:
        return CountedChildMark.objects.create(
            adult=person(adult),
            child=person(child),
            valid_from=valid_from,
            valid_to=valid_to,
            evidence="certificate of studies abroad",
            marked_by="staff",
        )


def _pad(row: Sequence[Any], length: int) -> tuple[Any, ...]:
    return (*row, *([None] * (length - len(row))))


@dataclass
class Month:
    """One computed month: its run, the summary, and readers of what it wrote."""

    run: MonthRun
    summary: SchemePSummary

    def units(self, category: str | None = None) -> list[UnitDecision]:
        queryset = UnitDecision.objects.filter(run=self.run).select_related("address", "subject")
        if category:
            queryset = queryset.filter(category=category)
        return list(queryset.order_by("id"))

    def unit(self, category: str, subject: str | None = None) -> UnitDecision:
        """The one decision of ``category`` (about ``subject``, a personal code, if given)."""
        found = [u for u in self.units(category) if subject is None or u.subject_id == person(subject).pk]
        assert len(found) == 1, f"expected one {category} unit, got {found}"
        return found[0]

    def granted(self) -> list[tuple[str, str, Decimal]]:
        """``(category, household address code, amount)`` of every granted unit, sorted."""
        return sorted(
            (u.category, u.address.code if u.address else "", u.amount_eur) for u in self.units() if u.granted
        )

    def entitlements(self) -> dict[str, HouseholdEntitlement]:
        rows = HouseholdEntitlement.objects.filter(run=self.run).select_related(
            "address", "contract", "contract__trader", "sub_user"
        )
        return {row.address.code: row for row in rows}

    def entitlement(self, address_code: str) -> HouseholdEntitlement:
        return self.entitlements()[address_code]

    def amounts(self) -> dict[str, Decimal]:
        """Household address code to the month's amount."""
        return {code: row.amount_eur for code, row in self.entitlements().items()}


def run_month(month: date, *, known_at: int | None = None) -> Month:
    """Compute Scheme P for ``month`` as known at batch ``known_at`` (default: the newest applied)."""
    k = (
        known_at
        or FeedBatch.objects.filter(status=BatchStatus.APPLIED)
        .order_by("-pk")
        .values_list("pk", flat=True)[0]
    )
    version = MonthRun.objects.filter(month=month).count() + 1
    run = MonthRun.objects.create(
        month=month,
        version=version,
        knowledge_batch=k,
        parameters={name: str(value) for name, value in parameters_on(day=month, known_at_batch=k).items()},
        requested_by="test",
        status="running",
    )
    summary = scheme_p_compute(run=run)
    run.status = "done"
    run.save(update_fields=["status"])
    return Month(run=run, summary=summary)


def run_month_with(month: date, *steps: Callable[..., Any], known_at: int | None = None) -> MonthRun:
    """``run_month``, then each of ``steps(run=run)`` while the run is running (the contract
    lines, the adjustments, the recovery items: as the run executes them), then done."""
    run = run_month(month, known_at=known_at).run
    run.status = "running"
    run.save(update_fields=["status"])
    for step in steps:
        step(run=run)
    run.status = "done"
    run.save(update_fields=["status"])
    return run


@pytest.fixture
def registers(db: None, tmp_path: Path) -> Registers:
    """The world's organisations and addresses sent; the registers ready for a test's persons."""
    registers = Registers(tmp_path)
    registers.world()
    return registers
