"""Rule 1 (register record versions, monthly facts) and rule 6 (persons nothing refers to)."""

from datetime import date
from decimal import Decimal

import pytest

from aldis.retention import references_to
from eligibility.models import HouseholdEntitlement
from households.models import (
    Benefit,
    Disability,
    HousingCost,
    Income,
    Person,
    PersonCode,
    PopulationRecord,
    Relation,
    ServiceRefusal,
)
from households.services.retention import register_models
from tests.organisations.factories import OrganisationFactory
from tests.retention.conftest import (
    DAY_BEFORE_C,
    NOV_2024,
    OCT_2024,
    C,
    address,
    at,
    batch,
    code,
    contract_line,
    month_run,
    person,
    population,
    purge,
)
from traders.models import Contract, SubUser

pytestmark = pytest.mark.django_db


def test_the_register_tables_are_those_of_households_and_traders_but_addresses():
    assert [m._meta.label for m in register_models()] == [
        "households.PopulationRecord",
        "households.TemporaryProtection",
        "households.Relation",
        "households.Disability",
        "households.SocialStatus",
        "households.Education",
        "households.Debtor",
        "households.Sanction",
        "households.Income",
        "households.Benefit",
        "households.HousingCost",
        "traders.Contract",
        "traders.SubUser",
        "traders.Connection",
    ]


def test_every_known_reference_to_a_person_is_found():
    found = {(model._meta.label, fk.name) for model, fk in references_to(Person)}
    assert {
        ("households.PersonCode", "person"),
        ("households.PopulationRecord", "person"),
        ("households.Relation", "person"),
        ("households.Relation", "dependant"),
        ("households.Income", "person"),
        ("households.ServiceRefusal", "person"),
        ("households.CountedChildMark", "adult"),
        ("households.CountedChildMark", "child"),
        ("households.ContestCase", "person"),
        ("traders.Contract", "holder"),
        ("traders.SubUser", "person"),
        ("eligibility.UnitDecision", "subject"),
        ("eligibility.HouseholdEntitlement", "sub_user"),
        ("eligibility.ContractLine", "sub_user"),
        ("eligibility.AdjustmentLine", "sub_user"),
        ("compensation.AppliedLine", "sub_user"),
    } <= found


def test_versions_that_ended_or_were_replaced_before_the_cutoff_go_and_current_ones_stay():
    old = batch(at(2020, 1, 10))
    replaced_before_c = batch(at(2024, 10, 31, 23, 59))  # the last minute before C in Riga
    replaced_on_c = batch(at(2024, 11, 1, 0, 0))  # C's first minute: kept
    ended_before = person(code(1), code(11))  # a current and an old personal code
    ended_before_record = population(ended_before, old, valid_to=DAY_BEFORE_C)
    ended_on_c = population(person(code(2)), old, valid_to=C)
    current_since_long = population(person(code(3)), old, valid_from=date(2024, 5, 15))  # 30 months
    replaced = person(code(4))
    replaced_early = population(replaced, old, superseded_in=replaced_before_c)
    replacement = population(replaced, replaced_before_c)
    replaced_late = person(code(5))
    replaced_at_c = population(replaced_late, old, superseded_in=replaced_on_c)
    replacement_at_c = population(replaced_late, replaced_on_c)

    dry = purge(commit=False)
    assert dry.before == C
    assert dry.tables["households.PopulationRecord"] == 2
    assert (dry.tables["households.Person"], dry.tables["households.PersonCode"]) == (1, 2)
    assert PopulationRecord.objects.count() == 7  # the dry run deleted nothing

    result = purge(commit=True)
    assert result.tables["households.PopulationRecord"] == 2
    assert set(PopulationRecord.objects.values_list("pk", flat=True)) == {
        ended_on_c.pk,
        current_since_long.pk,
        replacement.pk,
        replaced_at_c.pk,
        replacement_at_c.pk,
    }
    assert ended_before_record.pk not in set(PopulationRecord.objects.values_list("pk", flat=True))
    assert replaced_early.pk not in set(PopulationRecord.objects.values_list("pk", flat=True))
    # The person with nothing left goes, under both codes; the others stay.
    assert not Person.objects.filter(pk=ended_before.pk).exists()
    assert not PersonCode.objects.filter(code__in=[code(1), code(11)]).exists()
    assert Person.objects.count() == 4
    assert (result.tables["households.Person"], result.tables["households.PersonCode"]) == (1, 2)


def test_a_link_that_ended_before_the_cutoff_goes_and_the_child_with_nothing_else_too():
    old = batch(at(2010, 1, 1))
    adult, child = person(code(20)), person(code(21))
    population(adult, old)  # the adult is still in the register
    Relation.objects.create(
        person=adult,
        dependant=child,
        relation="foster",
        valid_from=date(2010, 1, 1),
        valid_to=date(2023, 5, 31),
        learned_in=old,
    )

    result = purge(commit=True)

    assert result.tables["households.Relation"] == 1
    assert list(Person.objects.values_list("pk", flat=True)) == [adult.pk]


def test_monthly_facts_of_months_before_the_cutoff_go_even_when_current():
    facts = batch(at(2024, 12, 10), feed="income")  # received after C: only the month counts
    only_october, also_november = person(code(30)), person(code(31))
    flat = address("300000009")
    for who, month, amount in (
        (only_october, OCT_2024, "612.40"),
        (also_november, OCT_2024, "700.00"),
        (also_november, NOV_2024, "710.00"),
    ):
        Income.objects.create(person=who, month=month, amount_eur=Decimal(amount), learned_in=facts)
    Benefit.objects.create(
        person=also_november, month=OCT_2024, kind="pension", amount_eur=Decimal("420.00"), learned_in=facts
    )
    Benefit.objects.create(
        person=also_november, month=NOV_2024, kind="pension", amount_eur=Decimal("420.00"), learned_in=facts
    )
    HousingCost.objects.create(address=flat, month=OCT_2024, amount_eur=Decimal("95.10"), learned_in=facts)
    HousingCost.objects.create(address=flat, month=NOV_2024, amount_eur=Decimal("99.90"), learned_in=facts)

    result = purge(commit=True)

    assert (
        result.tables["households.Income"],
        result.tables["households.Benefit"],
        result.tables["households.HousingCost"],
    ) == (2, 1, 1)
    assert list(Income.objects.values_list("month", "amount_eur")) == [(NOV_2024, Decimal("710.00"))]
    assert list(Benefit.objects.values_list("month", flat=True)) == [NOV_2024]
    assert list(HousingCost.objects.values_list("month", "amount_eur")) == [(NOV_2024, Decimal("99.90"))]
    assert list(Person.objects.values_list("pk", flat=True)) == [also_november.pk]
    assert address("300000009").pk == flat.pk  # addresses are not personal data: they stay


def test_a_contract_version_a_kept_month_still_names_stays_though_replaced_before_the_cutoff():
    trader = OrganisationFactory.create(kind="trader")
    old, replaced_in = batch(at(2020, 1, 1), feed="contracts"), batch(at(2024, 10, 20), feed="contracts")
    holder = person(code(40))
    flat = address("300000010")

    def version(contract_no: str, superseded_in=None, learned_in=old) -> Contract:
        return Contract.objects.create(
            trader=trader,
            contract_no=contract_no,
            holder_code=holder.personal_code,
            holder=holder,
            address=flat,
            kind="household",
            valid_from=date(2020, 1, 1),
            learned_in=learned_in,
            superseded_in=superseded_in,
        )

    named = version("C-1", superseded_in=replaced_in)
    version("C-1", learned_in=replaced_in)
    unnamed = version("C-2", superseded_in=replaced_in)
    version("C-2", learned_in=replaced_in)
    # November 2024 was computed early, in October, as known before the replacement.
    november = month_run(NOV_2024, knowledge_batch=old.pk)
    HouseholdEntitlement.objects.create(
        run=november, address=flat, members=1, amount_eur=Decimal("20.00"), contract=named, attribution_rule=2
    )

    assert purge(commit=False).tables["traders.Contract"] == 1
    assert purge(commit=True).tables["traders.Contract"] == 1

    assert Contract.objects.filter(pk=named.pk).exists()
    assert not Contract.objects.filter(pk=unnamed.pk).exists()
    assert Contract.objects.count() == 3


def test_a_person_whom_a_kept_row_of_another_app_names_stays():
    trader = OrganisationFactory.create(kind="trader")
    in_october_lines, in_november_lines = person(code(50)), person(code(51))
    with_open_refusal = person(code(52))
    old = batch(at(2015, 1, 1), feed="sub_users")
    SubUser.objects.create(
        trader=trader,
        person=in_october_lines,
        contract_no="B-1",
        address=address("300000011"),
        valid_from=date(2015, 1, 1),
        valid_to=date(2024, 9, 30),
        learned_in=old,
    )
    contract_line(month_run(OCT_2024), trader, in_october_lines, contract_no="B-1")
    contract_line(month_run(NOV_2024), trader, in_november_lines, contract_no="B-1")
    ServiceRefusal.objects.create(person=with_open_refusal, valid_from=date(2021, 3, 1))

    dry = purge(commit=False)
    result = purge(commit=True)

    assert dry.tables == result.tables
    assert (result.tables["traders.SubUser"], result.tables["eligibility.ContractLine"]) == (1, 1)
    assert result.tables["households.Person"] == 1
    assert set(Person.objects.values_list("pk", flat=True)) == {in_november_lines.pk, with_open_refusal.pk}


def test_the_records_of_a_person_who_died_before_the_cutoff_go_with_the_person():
    """C = 2024-11-01. The register keeps a dead person's population record current (with the
    death date) and their disability record open; died 2024-10-31: everything goes, the person
    too; died on C: everything stays."""
    old = batch(at(2020, 1, 10))
    dead = person(code(1))
    died_on_c = person(code(2))
    for who, death in ((dead, DAY_BEFORE_C), (died_on_c, C)):
        record = population(who, old)
        PopulationRecord.objects.filter(pk=record.pk).update(death_date=death)
        Disability.objects.create(person=who, group="1", valid_from=date(2010, 1, 1), learned_in=old)

    dry = purge(commit=False)
    result = purge(commit=True)

    for counts in (dry.tables, result.tables):
        assert (counts["households.PopulationRecord"], counts["households.Disability"]) == (1, 1)
        assert (counts["households.Person"], counts["households.PersonCode"]) == (1, 1)
    assert list(PopulationRecord.objects.values_list("person_id", flat=True)) == [died_on_c.pk]
    assert list(Disability.objects.values_list("person_id", flat=True)) == [died_on_c.pk]
    assert list(Person.objects.values_list("pk", flat=True)) == [died_on_c.pk]
