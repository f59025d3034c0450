"""As known then and as known now (DOMAIN: Time): a run reads every register record as ALDIS knew
it at its ``knowledge_batch``; a correction learned later changes a run made after it, never a
run (or a re-run) fixed at a batch before it."""

from datetime import date
from decimal import Decimal

from tests.eligibility.conftest import TABLE
from tests.eligibility.scheme_p.conftest import FLAT_1, NOV_2026, code, resident, run_month

ADULT = code(100)
CHILD_1 = code(200)
CHILD_2 = code(201)
CHILD_3 = code(202)


def test_a_status_ended_retroactively(registers):
    registers.population(resident(ADULT, date(1970, 1, 1)))
    before = registers.social_status((ADULT, "needy", date(2026, 1, 1)), as_of=date(2026, 11, 3))

    then = run_month(NOV_2026)
    # Municipal social services correct the period: the status ended on 2026-10-31.
    registers.social_status((ADULT, "needy", date(2026, 1, 1), date(2026, 10, 31)), as_of=date(2026, 11, 25))
    now = run_month(NOV_2026)
    again_as_known_then = run_month(NOV_2026, known_at=before.pk)

    assert then.amounts() == {FLAT_1: Decimal("20.00")}
    assert now.amounts() == {}
    assert now.units() == []
    assert again_as_known_then.amounts() == {FLAT_1: Decimal("20.00")}
    assert [r.version for r in (then.run, now.run, again_as_known_then.run)] == [1, 2, 3]


def test_a_disability_learned_late_for_an_earlier_month(registers):
    registers.population(resident(ADULT, date(1980, 1, 1)), resident(CHILD_1, date(2015, 1, 1)))
    before = registers.relations((ADULT, CHILD_1, "parent", date(2015, 1, 1)))

    then = run_month(NOV_2026)
    registers.disability((CHILD_1, "child", date(2026, 9, 1)), as_of=date(2026, 12, 10))
    now = run_month(NOV_2026)

    assert then.amounts() == {}
    assert now.amounts() == {FLAT_1: Decimal("20.00")}
    assert run_month(NOV_2026, known_at=before.pk).amounts() == {}


def test_a_corrected_birth_date_makes_a_large_family(registers):
    residents = [
        resident(ADULT, date(1975, 1, 1)),
        resident(CHILD_1, date(2012, 1, 1)),
        resident(CHILD_2, date(2014, 1, 1)),
    ]
    registers.population(*residents, resident(CHILD_3, date(2007, 10, 1)), as_of=date(2026, 11, 3))
    before = registers.relations(
        *((ADULT, child, "parent", date(2012, 1, 1)) for child in (CHILD_1, CHILD_2, CHILD_3))
    )

    then = run_month(NOV_2026)
    # The register corrects the third child's birth date: 17, not 19, on 2026-11-01.
    registers.population(*residents, resident(CHILD_3, date(2009, 10, 1)), as_of=date(2026, 11, 20))
    now = run_month(NOV_2026)

    assert then.granted() == []
    assert now.granted() == [("large_family", FLAT_1, Decimal("25.00"))]
    assert run_month(NOV_2026, known_at=before.pk).granted() == []


def test_a_debtor_record_learned_later_drops_the_unit_only_as_known_now(registers):
    registers.population(resident(ADULT, date(1970, 1, 1)))
    before = registers.social_status((ADULT, "needy", date(2026, 1, 1)))
    registers.debtors((ADULT, date(2026, 6, 1)), as_of=date(2026, 11, 28))

    as_known_then = run_month(NOV_2026, known_at=before.pk)
    as_known_now = run_month(NOV_2026)

    assert (as_known_then.unit("needy_low_income").granted, as_known_then.amounts()) == (
        True,
        {FLAT_1: Decimal("20.00")},
    )
    assert (as_known_now.unit("needy_low_income").reason, as_known_now.amounts()) == (
        "maintenance_debtor",
        {},
    )


def test_a_contract_learned_later_is_used_only_as_known_now(registers):
    registers.population(resident(ADULT, date(1970, 1, 1)))
    before = registers.social_status((ADULT, "needy", date(2026, 1, 1)))
    registers.contracts(
        registers.trader_a, ("Q-100", ADULT, FLAT_1, date(2018, 1, 1)), as_of=date(2026, 11, 12)
    )

    as_known_then = run_month(NOV_2026, known_at=before.pk).entitlement(FLAT_1)
    as_known_now = run_month(NOV_2026).entitlement(FLAT_1)

    assert (as_known_then.contract, as_known_then.unattributed_reason) == (None, "no_contract")
    assert (as_known_now.contract.contract_no, as_known_now.attribution_rule) == ("Q-100", 2)


def test_a_run_reads_the_rates_as_known_at_its_batch(registers, import_parameters):
    registers.population(resident(ADULT, date(1970, 1, 1)))
    before = registers.social_status((ADULT, "needy", date(2026, 1, 1)))
    # Staff later add a higher rate from 2026-11-01.
    corrected = import_parameters([*TABLE, ("p_amount_needy_low_income", "2026-11-01", "22.50", "amendment")])
    assert corrected.status == "applied", corrected.errors

    assert run_month(NOV_2026, known_at=before.pk).amounts() == {FLAT_1: Decimal("20.00")}
    assert run_month(NOV_2026).amounts() == {FLAT_1: Decimal("22.50")}
    assert run_month(date(2026, 10, 1)).amounts() == {FLAT_1: Decimal("20.00")}


def test_a_trader_that_stops_the_service_later_still_participated_in_earlier_months(registers):
    registers.population(resident(ADULT, date(1970, 1, 1)))
    registers.social_status((ADULT, "needy", date(2026, 1, 1)))
    registers.contracts(registers.trader_a, ("Q-100", ADULT, FLAT_1, date(2018, 1, 1)))
    assert run_month(date(2026, 10, 1)).entitlement(FLAT_1).contract.contract_no == "Q-100"

    # From 2026-11-20 trader A no longer gives the protected-user service.
    registers.send(
        "organisations",
        ("org_code", "name", "kind", "municipality_code", "protected_service"),
        [
            (o.code, o.name, o.kind, o.municipality_code or "", "false" if o.kind == "trader" else "")
            for o in registers.organisations.values()
        ],
        as_of=date(2026, 11, 20),
    )

    # October recomputed as known now (a correction): trader A did give the service on 2026-10-01.
    october = run_month(date(2026, 10, 1)).entitlement(FLAT_1)
    assert (october.contract and october.contract.contract_no, october.attribution_rule) == ("Q-100", 2)
