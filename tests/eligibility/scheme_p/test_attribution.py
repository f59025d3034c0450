"""Attribution to one contract (DOMAIN: Scheme P, Attribution to one contract).

The household at FLAT_1 is QUALIFYING (needy, the qualifying person of its unit) and MEMBER;
its 20.00 goes to one household contract valid on 2026-11-01 at a participating trader (trader A;
trader B does not give the service): 1 chosen by a member, 2 held by a qualifying person at the
address, 3 held by another member who is not a debtor at the address, 4 a member's sub-user
contract; ties by earliest start, then contract number. None: unattributed, with a reason.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from tests.eligibility.scheme_p.conftest import (
    BUILDING,
    BUILDING_MANAGER_ORG,
    FLAT_1,
    FLAT_2,
    HOUSE_1,
    NOV_2026,
    TRADER_A_ORG,
    code,
    resident,
    run_month,
)

FATHER = code(90)  # a disabled child's father, living elsewhere
QUALIFYING = code(100)
MEMBER = code(101)
NEIGHBOUR = code(150)  # lives at FLAT_2
CHILD = code(200)


def household(registers, *, neighbour_address: str = FLAT_2) -> None:
    registers.population(
        resident(QUALIFYING, date(1970, 1, 1)),
        resident(MEMBER, date(1972, 2, 2)),
        resident(NEIGHBOUR, date(1960, 3, 3), neighbour_address),
    )
    registers.social_status((QUALIFYING, "needy", date(2025, 1, 1)))


def attribution(month, address_code: str = FLAT_1) -> tuple[str | None, int | None, str | None, str]:
    """``(contract_no, rule, sub-user's code, unattributed reason)`` of the household."""
    row = month.entitlement(address_code)
    assert row.amount_eur == Decimal("20.00")
    if row.contract is not None:
        assert row.contract.trader.code == TRADER_A_ORG
    return (
        row.contract.contract_no if row.contract else None,
        row.attribution_rule,
        row.sub_user.personal_code if row.sub_user else None,
        row.unattributed_reason,
    )


def linguistic_contract_numbers() -> None:
    """On PostgreSQL, give the contract numbers the run reads a linguistic collation, as a
    database created under en_US has (there 'a-100' sorts before 'B-100'; byte by byte, after).
    Called once the files are imported. SQLite compares text byte by byte unless told otherwise."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = 'en-US-x-icu'")
        if cursor.fetchone() is None:
            pytest.skip("PostgreSQL without ICU collations")
        for table in ("traders_contract", "traders_subuser", "households_contractchoice"):
            cursor.execute(
                f'ALTER TABLE {table} ALTER COLUMN contract_no TYPE varchar(64) COLLATE "en-US-x-icu"'
            )


def building_contract(registers, *more: tuple) -> None:
    """Trader A's contracts: the building's (held by its manager) and ``more``."""
    registers.contracts(
        registers.trader_a,
        ("B-100", BUILDING_MANAGER_ORG, BUILDING, date(2005, 1, 1), None, "building"),
        *more,
    )


# --- the order of the rules ---------------------------------------------------------------------


def test_rule_1_a_contract_chosen_by_a_member_beats_the_qualifying_holder_s(registers):
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2010, 1, 1)),
        ("M-200", MEMBER, FLAT_1, date(2020, 1, 1)),
    )
    registers.choice(MEMBER, "M-200")

    assert attribution(run_month(NOV_2026)) == ("M-200", 1, None, "")


def test_rule_1_a_member_may_choose_another_member_s_contract_elsewhere(registers):
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2010, 1, 1)),
        ("M-300", MEMBER, HOUSE_1, date(2021, 1, 1)),
    )
    registers.choice(QUALIFYING, "M-300")

    assert attribution(run_month(NOV_2026)) == ("M-300", 1, None, "")


def test_rule_1_a_member_may_choose_their_sub_user_contract(registers):
    household(registers)
    building_contract(registers, ("Q-100", QUALIFYING, FLAT_1, date(2010, 1, 1)))
    registers.sub_users(registers.trader_a, (MEMBER, "B-100", FLAT_1, date(2024, 5, 5)))
    registers.choice(MEMBER, "B-100")

    assert attribution(run_month(NOV_2026)) == ("B-100", 1, None, "")


def test_rule_1_a_chosen_contract_of_someone_outside_the_household_is_not_used(registers):
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2020, 1, 1)),
        ("N-050", NEIGHBOUR, FLAT_2, date(2001, 1, 1)),
    )
    registers.choice(MEMBER, "N-050")

    assert attribution(run_month(NOV_2026)) == ("Q-100", 2, None, "")


def test_rule_1_a_choice_from_next_month_is_not_used(registers):
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2010, 1, 1)),
        ("M-200", MEMBER, FLAT_1, date(2020, 1, 1)),
    )
    registers.choice(MEMBER, "M-200", valid_from=date(2026, 12, 1))

    assert attribution(run_month(NOV_2026)) == ("Q-100", 2, None, "")
    assert attribution(run_month(date(2026, 12, 1))) == ("M-200", 1, None, "")


def test_rule_1_a_chosen_contract_at_a_non_participating_trader_is_not_used(registers):
    household(registers)
    registers.contracts(registers.trader_a, ("Q-100", QUALIFYING, FLAT_1, date(2020, 1, 1)))
    registers.contracts(registers.trader_b, ("M-001", MEMBER, FLAT_1, date(2001, 1, 1)))
    registers.choice(MEMBER, "M-001", trader=registers.trader_b)

    assert attribution(run_month(NOV_2026)) == ("Q-100", 2, None, "")


def test_rule_1_a_chosen_contract_re_sent_as_a_building_contract_is_not_used(registers):
    """Rule 1 chooses among household contracts (and the chooser's sub-user contracts): once the
    trader re-sends the chosen contract as a building's, rule 2 decides."""
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2020, 1, 1)),
        ("M-200", MEMBER, FLAT_1, date(2010, 1, 1)),
        as_of=date(2026, 9, 1),
    )
    registers.choice(MEMBER, "M-200")
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2020, 1, 1)),
        ("M-200", MEMBER, FLAT_1, date(2010, 1, 1), None, "building"),
        as_of=date(2026, 10, 1),
    )

    assert attribution(run_month(NOV_2026)) == ("Q-100", 2, None, "")


def test_rule_2_the_qualifying_holder_s_contract_beats_an_earlier_one_of_another_member(registers):
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("M-100", MEMBER, FLAT_1, date(2010, 1, 1)),
        ("Q-200", QUALIFYING, FLAT_1, date(2020, 1, 1)),
    )

    assert attribution(run_month(NOV_2026)) == ("Q-200", 2, None, "")


def disabled_child_at_home_with_mother(registers, *, father_address: str | None) -> None:
    """The mother (QUALIFYING) and her disabled child at FLAT_1, where the child's unit goes; the
    father lives at ``father_address``. Only the father holds a contract at FLAT_1."""
    registers.population(
        resident(QUALIFYING, date(1980, 1, 1), FLAT_1),
        resident(CHILD, date(2015, 1, 1), FLAT_1),
        resident(FATHER, date(1979, 1, 1), father_address),
    )
    registers.relations(
        (QUALIFYING, CHILD, "parent", date(2015, 1, 1)), (FATHER, CHILD, "parent", date(2015, 1, 1))
    )
    registers.disability((CHILD, "child", date(2019, 1, 1)))
    registers.contracts(registers.trader_a, ("F-1", FATHER, FLAT_1, date(2010, 1, 1)))


@pytest.mark.parametrize("father_address", [FLAT_2, None])
def test_rule_2_a_disabled_child_s_parent_living_elsewhere_holds_the_contract_at_the_child_s_home(
    registers, father_address
):
    """A qualifying person of a unit is one wherever they live: the father of the child whose unit
    FLAT_1 gets is a qualifying person of that unit, at another address or at none."""
    disabled_child_at_home_with_mother(registers, father_address=father_address)

    month = run_month(NOV_2026)

    assert month.unit("disabled_child", CHILD).address.code == FLAT_1
    assert attribution(month) == ("F-1", 2, None, "")


def test_rule_2_a_parent_living_elsewhere_who_is_a_debtor_is_not_a_passing_qualifying_person(registers):
    disabled_child_at_home_with_mother(registers, father_address=FLAT_2)
    registers.debtors((FATHER, date(2024, 1, 1)))

    assert attribution(run_month(NOV_2026)) == (None, None, None, "holder_not_eligible")


def test_rule_3_another_member_s_contract_beats_a_sub_user_contract(registers):
    household(registers)
    building_contract(registers, ("M-300", MEMBER, FLAT_1, date(2020, 1, 1)))
    registers.sub_users(registers.trader_a, (QUALIFYING, "B-100", FLAT_1, date(2010, 1, 1)))

    assert attribution(run_month(NOV_2026)) == ("M-300", 3, None, "")


def test_rule_4_a_member_s_sub_user_contract(registers):
    household(registers)
    building_contract(registers)
    registers.sub_users(registers.trader_a, (MEMBER, "B-100", FLAT_1, date(2019, 3, 3)))

    month = run_month(NOV_2026)

    assert attribution(month) == ("B-100", 4, MEMBER, "")
    assert month.summary.unattributed_households == 0


def test_rule_4_a_sub_user_application_must_be_valid_on_the_reference_date(registers):
    household(registers)
    building_contract(registers)
    registers.sub_users(
        registers.trader_a,
        (MEMBER, "B-100", FLAT_1, date(2019, 3, 3), date(2026, 10, 31)),
        (QUALIFYING, "B-100", FLAT_1, date(2026, 11, 2)),
    )

    assert attribution(run_month(NOV_2026)) == (None, None, None, "no_contract")


# --- ties within a rule ---------------------------------------------------------------------------


def test_tie_the_earliest_start_wins(registers):
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2018, 1, 1)),
        ("Q-200", QUALIFYING, FLAT_1, date(2015, 1, 1)),
    )

    assert attribution(run_month(NOV_2026)) == ("Q-200", 2, None, "")


def test_tie_on_the_start_the_lower_contract_number_wins(registers):
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("Q-200", QUALIFYING, FLAT_1, date(2015, 1, 1)),
        ("Q-100", QUALIFYING, FLAT_1, date(2015, 1, 1)),
    )

    assert attribution(run_month(NOV_2026)) == ("Q-100", 2, None, "")


def test_tie_on_the_start_contract_numbers_compare_byte_by_byte(registers):
    """Upper-case letters come before lower-case ones, whatever the database's collation."""
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("a-100", QUALIFYING, FLAT_1, date(2015, 1, 1)),
        ("B-100", QUALIFYING, FLAT_1, date(2015, 1, 1)),
    )
    linguistic_contract_numbers()

    assert attribution(run_month(NOV_2026)) == ("B-100", 2, None, "")


def test_tie_between_two_sub_users_of_one_contract_the_lower_personal_code_is_the_sub_user(registers):
    """Two members are accepted sub-users of the building's contract: the member with the lower
    personal code is the recipient (as for rule 1's sub-users), whoever the registers named first
    (here MEMBER: QUALIFYING, with the lower code, moves in later)."""
    registers.population(resident(MEMBER, date(1972, 2, 2)), as_of=date(2026, 9, 1))
    registers.population(
        resident(MEMBER, date(1972, 2, 2)),
        resident(QUALIFYING, date(1970, 1, 1), declared_from=date(2026, 10, 1)),
    )
    registers.social_status((QUALIFYING, "needy", date(2025, 1, 1)))
    building_contract(registers)
    registers.sub_users(
        registers.trader_a,
        (MEMBER, "B-100", FLAT_1, date(2019, 3, 3)),
        (QUALIFYING, "B-100", FLAT_1, date(2021, 4, 4)),
    )

    assert attribution(run_month(NOV_2026)) == ("B-100", 4, QUALIFYING, "")


def test_tie_between_two_chosen_contracts(registers):
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2020, 1, 1)),
        ("M-200", MEMBER, FLAT_1, date(2016, 1, 1)),
    )
    registers.choice(QUALIFYING, "Q-100")
    registers.choice(MEMBER, "M-200")

    assert attribution(run_month(NOV_2026)) == ("M-200", 1, None, "")


def test_tie_between_two_other_members_contracts(registers):
    household(registers, neighbour_address=FLAT_1)
    registers.contracts(
        registers.trader_a,
        ("C-200", MEMBER, FLAT_1, date(2016, 1, 1)),
        ("C-100", NEIGHBOUR, FLAT_1, date(2016, 1, 1)),
    )

    assert attribution(run_month(NOV_2026)) == ("C-100", 3, None, "")


# --- what is not used -----------------------------------------------------------------------------


def test_only_a_contract_at_a_non_participating_trader_leaves_it_unattributed(registers):
    household(registers)
    registers.contracts(registers.trader_b, ("Q-100", QUALIFYING, FLAT_1, date(2010, 1, 1)))

    month = run_month(NOV_2026)

    assert attribution(month) == (None, None, None, "trader_not_participating")
    assert month.summary.unattributed_households == 1


def test_a_contract_at_a_participating_trader_beats_an_earlier_one_at_another(registers):
    household(registers)
    registers.contracts(registers.trader_b, ("Q-001", QUALIFYING, FLAT_1, date(2005, 1, 1)))
    registers.contracts(registers.trader_a, ("Q-900", QUALIFYING, FLAT_1, date(2022, 1, 1)))

    assert attribution(run_month(NOV_2026)) == ("Q-900", 2, None, "")


def test_no_contract_at_all(registers):
    household(registers)

    month = run_month(NOV_2026)

    assert attribution(month) == (None, None, None, "no_contract")
    assert month.summary.entitled_households == 1
    assert month.summary.unattributed_households == 1
    assert month.summary.total_eur == Decimal("20.00")


def test_a_contract_of_a_debtor_member_is_not_used_under_rule_3(registers):
    household(registers)
    registers.contracts(registers.trader_a, ("M-100", MEMBER, FLAT_1, date(2010, 1, 1)))
    registers.debtors((MEMBER, date(2023, 1, 1)))

    month = run_month(NOV_2026)

    row = month.entitlement(FLAT_1)
    assert (row.contract, row.attribution_rule, row.amount_eur) == (None, None, Decimal("20.00"))
    assert row.unattributed_reason == "holder_not_eligible"


def test_a_debtor_member_s_contract_loses_to_a_member_s_sub_user_contract(registers):
    household(registers)
    building_contract(registers, ("M-100", MEMBER, FLAT_1, date(2010, 1, 1)))
    registers.sub_users(registers.trader_a, (QUALIFYING, "B-100", FLAT_1, date(2020, 1, 1)))
    registers.debtors((MEMBER, date(2023, 1, 1)))

    assert attribution(run_month(NOV_2026)) == ("B-100", 4, QUALIFYING, "")


def test_a_contract_valid_only_from_next_month_is_not_used(registers):
    household(registers)
    registers.contracts(registers.trader_a, ("Q-100", QUALIFYING, FLAT_1, date(2026, 12, 1)))

    assert attribution(run_month(NOV_2026)) == (None, None, None, "no_contract")
    assert attribution(run_month(date(2026, 12, 1))) == ("Q-100", 2, None, "")


def test_a_contract_from_next_month_leaves_the_current_one_in_use(registers):
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2026, 12, 1)),
        ("M-900", MEMBER, FLAT_1, date(2024, 1, 1)),
    )

    assert attribution(run_month(NOV_2026)) == ("M-900", 3, None, "")


def test_a_contract_ended_before_the_reference_date_is_not_used(registers):
    household(registers)
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2010, 1, 1), date(2026, 10, 31)),
        ("M-900", MEMBER, FLAT_1, date(2026, 11, 1)),
    )

    assert attribution(run_month(NOV_2026)) == ("M-900", 3, None, "")


def test_a_qualifying_person_s_contract_at_another_address_is_not_used(registers):
    household(registers)
    registers.contracts(registers.trader_a, ("Q-100", QUALIFYING, HOUSE_1, date(2010, 1, 1)))

    assert attribution(run_month(NOV_2026)) == (None, None, None, "no_contract")


def test_a_contract_at_the_address_held_by_a_non_member_is_not_used(registers):
    household(registers)
    registers.contracts(registers.trader_a, ("N-100", NEIGHBOUR, FLAT_1, date(2010, 1, 1)))

    row = run_month(NOV_2026).entitlement(FLAT_1)

    assert (row.contract, row.attribution_rule) == (None, None)
    assert row.unattributed_reason != ""


def test_the_entitlement_points_at_the_contract_version_valid_on_the_reference_date(registers):
    household(registers)
    registers.contracts(
        registers.trader_a, ("Q-100", QUALIFYING, FLAT_1, date(2010, 1, 1)), as_of=date(2026, 9, 1)
    )
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2010, 1, 1), date(2027, 12, 31)),
        as_of=date(2026, 10, 1),
    )

    row = run_month(NOV_2026).entitlement(FLAT_1)

    assert (row.contract.contract_no, row.contract.valid_to, row.contract.superseded_in_id) == (
        "Q-100",
        date(2027, 12, 31),
        None,
    )


def test_each_household_gets_exactly_one_contract(registers):
    household(registers)
    registers.social_status(
        (QUALIFYING, "needy", date(2025, 1, 1)), (NEIGHBOUR, "low_income", date(2025, 1, 1))
    )
    registers.contracts(
        registers.trader_a,
        ("Q-100", QUALIFYING, FLAT_1, date(2010, 1, 1)),
        ("M-100", MEMBER, FLAT_1, date(2009, 1, 1)),
        ("N-100", NEIGHBOUR, FLAT_2, date(2011, 1, 1)),
    )

    month = run_month(NOV_2026)

    assert attribution(month, FLAT_1) == ("Q-100", 2, None, "")
    assert attribution(month, FLAT_2) == ("N-100", 2, None, "")
    assert month.summary.entitled_households == 2
    assert month.summary.unattributed_households == 0


def test_rule_2_only_counts_qualifying_persons_of_this_household_s_units(registers):
    """FLAT_2 holds MEMBER (needy) and the father of a disabled child whose unit goes to FLAT_1,
    where the child lives with the mother. The father is a qualifying person of a unit of FLAT_1,
    not of FLAT_2: his earlier contract at FLAT_2 is rule 3, and MEMBER's is rule 2."""
    registers.population(
        resident(QUALIFYING, date(1980, 1, 1), FLAT_1),  # the mother
        resident(CHILD, date(2015, 1, 1), FLAT_1),
        resident(NEIGHBOUR, date(1979, 1, 1), FLAT_2),  # the father
        resident(MEMBER, date(1990, 1, 1), FLAT_2),
    )
    registers.relations(
        (QUALIFYING, CHILD, "parent", date(2015, 1, 1)), (NEIGHBOUR, CHILD, "parent", date(2015, 1, 1))
    )
    registers.disability((CHILD, "child", date(2019, 1, 1)))
    registers.social_status((MEMBER, "needy", date(2025, 1, 1)))
    registers.contracts(
        registers.trader_a,
        ("F-100", NEIGHBOUR, FLAT_2, date(2010, 1, 1)),
        ("M-200", MEMBER, FLAT_2, date(2020, 1, 1)),
    )

    month = run_month(NOV_2026)

    assert month.unit("disabled_child", CHILD).address.code == FLAT_1
    assert attribution(month, FLAT_2) == ("M-200", 2, None, "")
