"""Scheme E household decisions (DOMAIN: Scheme E), amounts worked out by hand.

The month is November 2025 unless a test says otherwise: its 12 months are 2024-11 .. 2025-10;
threshold 473.53 EUR per member, share 0.30, normative 142.06 EUR per member (the seeded table).
"""

from datetime import date
from decimal import Decimal

import pytest

from eligibility.models import EnergyAidDecision
from eligibility.services.scheme_e import income_window
from tests.eligibility.scheme_e.conftest import (
    HOUSE_1,
    HOUSE_2,
    HOUSE_3,
    HOUSE_4,
    HOUSE_5,
    HOUSE_B,
    WINDOW,
    Country,
    M,
    code,
    decision,
    months,
    person,
)

pytestmark = pytest.mark.django_db


def test_two_members_earning_900_each_are_above_the_threshold(country: Country) -> None:
    country.population([person(1, HOUSE_1), person(2, HOUSE_1)])
    country.income(1, "900.00")
    country.income(2, "900.00")

    run, summary = country.run(M)

    d = decision(run, HOUSE_1)
    # (900 * 12 * 2) / 12 / 2 = 900.00 > 473.53
    assert (d.members, d.income_per_member_eur, d.eligible, d.reason) == (
        2,
        Decimal("900.00"),
        False,
        "income_above_threshold",
    )
    assert (d.income_cents, d.income_within_threshold) == (2_160_000, False)
    assert (summary.households, summary.eligible_households) == (1, 0)


def test_pensioner_alone_with_housing_above_the_share_is_eligible(country: Country) -> None:
    country.population([person(1, HOUSE_2, born="1950-03-01")])
    country.benefits(1, "400.00", kind="pension")
    country.housing(HOUSE_2, "130.00")

    run, summary = country.run(M)

    d = decision(run, HOUSE_2)
    # income 400.00; housing 130.00 >= 0.30 * 400.00 = 120.00
    assert (d.income_per_member_eur, d.housing_per_member_eur, d.housing_reported) == (
        Decimal("400.00"),
        Decimal("130.00"),
        True,
    )
    assert (d.eligible, d.reason) == (True, "eligible")
    assert (
        d.members,
        d.income_cents,
        d.benefits_cents,
        d.housing_cents,
        d.housing_months,
        d.income_within_threshold,
        d.housing_share_met,
        d.sanctioned_members,
        d.sanctions,
    ) == (1, 0, 480_000, 156_000, 12, True, True, 0, None)
    assert (summary.households, summary.eligible_households, summary.sanctioned_households) == (1, 1, 0)


def test_pensioner_alone_with_housing_below_the_share(country: Country) -> None:
    country.population([person(1, HOUSE_2, born="1950-03-01")])
    country.benefits(1, "400.00")
    country.housing(HOUSE_2, "110.00")

    run, _ = country.run(M)

    d = decision(run, HOUSE_2)
    # 110.00 < 120.00
    assert (d.housing_per_member_eur, d.eligible, d.reason) == (
        Decimal("110.00"),
        False,
        "housing_share_below",
    )
    assert (d.income_within_threshold, d.housing_share_met) == (True, False)


def test_no_housing_reported_uses_the_normative_amount_per_member(country: Country) -> None:
    country.population([person(1, HOUSE_2), person(2, HOUSE_3), person(3, HOUSE_3)])
    country.benefits(1, "400.00")
    country.benefits(2, "400.00")
    country.benefits(3, "400.00")

    run, _ = country.run(M)

    alone, pair = decision(run, HOUSE_2), decision(run, HOUSE_3)
    # 142.06 per member whatever the size, against 0.30 * 400.00 = 120.00
    assert (alone.housing_per_member_eur, alone.housing_reported, alone.eligible) == (
        Decimal("142.06"),
        False,
        True,
    )
    assert (pair.members, pair.housing_per_member_eur, pair.housing_reported, pair.eligible) == (
        2,
        Decimal("142.06"),
        False,
        True,
    )
    assert (alone.housing_cents, alone.housing_months) == (0, 0)


def test_income_exactly_at_the_threshold_is_eligible_one_cent_above_is_not(country: Country) -> None:
    country.population([person(1, HOUSE_1), person(2, HOUSE_2)])
    country.income(1, "473.53")
    country.income(2, "473.54")

    run, _ = country.run(M)

    at, above = decision(run, HOUSE_1), decision(run, HOUSE_2)
    # normative 142.06 >= 0.30 * 473.53 = 142.059
    assert (at.income_per_member_eur, at.eligible, at.reason) == (Decimal("473.53"), True, "eligible")
    assert (above.income_per_member_eur, above.eligible, above.reason) == (
        Decimal("473.54"),
        False,
        "income_above_threshold",
    )


def test_one_cent_above_over_a_year_of_three_members_is_above_though_it_shows_473_53(
    country: Country,
) -> None:
    """3 * 12 * 473.53 = 17,047.08 is the most; 17,047.09 / 36 = 473.5302..., shown as 473.53."""
    country.population([person(1, HOUSE_1), person(2, HOUSE_1), person(3, HOUSE_1)])
    country.income(1, "473.53", in_months=WINDOW[:-1])
    country.income(1, "473.54", in_months=WINDOW[-1:])
    country.income(2, "473.53")
    country.income(3, "473.53")

    run, _ = country.run(M)

    d = decision(run, HOUSE_1)
    assert d.income_cents == 1_704_709
    assert (d.income_per_member_eur, d.eligible, d.reason) == (
        Decimal("473.53"),
        False,
        "income_above_threshold",
    )


def test_housing_exactly_30_percent_is_eligible_one_cent_less_is_not(country: Country) -> None:
    country.population([person(1, HOUSE_1), person(2, HOUSE_2)])
    country.benefits(1, "400.00")
    country.benefits(2, "400.00")
    country.housing(HOUSE_1, "120.00")
    country.housing(HOUSE_2, "119.99")

    run, _ = country.run(M)

    assert (decision(run, HOUSE_1).eligible, decision(run, HOUSE_1).reason) == (True, "eligible")
    assert (decision(run, HOUSE_2).eligible, decision(run, HOUSE_2).reason) == (False, "housing_share_below")


def test_the_share_boundary_is_exact_where_floats_would_miss_it(country: Country) -> None:
    """Income 333.30 and housing 99.99 a month: 99.99 = 0.30 * 333.30 exactly. In binary floats
    the twelve-month sums give 99.99 * 12 * 12 = 14398.559999... < 0.3 * 333.3 * 12 * 12 =
    14398.560000..., which would refuse the household; the comparison in whole cents does not."""
    country.population([person(1, HOUSE_1)])
    country.income(1, "333.30")
    country.housing(HOUSE_1, "99.99")

    run, _ = country.run(M)

    d = decision(run, HOUSE_1)
    assert (d.income_per_member_eur, d.housing_per_member_eur) == (Decimal("333.30"), Decimal("99.99"))
    assert (d.eligible, d.reason) == (True, "eligible")


def test_benefits_count_as_income_with_state_revenue_income(country: Country) -> None:
    country.population([person(1, HOUSE_1), person(2, HOUSE_2)])
    # Person 1: 300 earned + 100 benefit + 100 pension = 500 > 473.53
    country.income(1, "300.00")
    country.benefits(1, "100.00", kind="benefit")
    country.benefits(1, "100.00", kind="pension")
    # Person 2: only a 500 benefit, also above
    country.benefits(2, "500.00", kind="benefit")

    run, _ = country.run(M)

    one, two = decision(run, HOUSE_1), decision(run, HOUSE_2)
    assert (one.income_per_member_eur, one.reason) == (Decimal("500.00"), "income_above_threshold")
    assert (one.income_cents, one.benefits_cents) == (360_000, 240_000)
    assert (two.income_per_member_eur, two.reason) == (Decimal("500.00"), "income_above_threshold")


def test_only_the_12_months_before_m_are_read(country: Country) -> None:
    country.population([person(1, HOUSE_1)])
    country.income(1, "400.00")
    # A 13th, older month (2024-10) and M itself (2025-11) are not read.
    country.income(1, "9000.00", in_months=["2024-10", "2025-11"])
    country.housing(HOUSE_1, "130.00")
    country.housing(HOUSE_1, "1.00", in_months=["2024-10", "2025-11"])

    run, _ = country.run(M)

    d = decision(run, HOUSE_1)
    assert (d.income_per_member_eur, d.housing_per_member_eur, d.eligible) == (
        Decimal("400.00"),
        Decimal("130.00"),
        True,
    )
    assert (d.income_cents, d.housing_months) == (480_000, 12)


def test_months_without_income_count_as_nothing_and_housing_averages_the_months_reported(
    country: Country,
) -> None:
    country.population([person(1, HOUSE_1)])
    # 800 in six months: 4800 / 12 = 400.00 a month.
    country.income(1, "800.00", in_months=WINDOW[:6])
    # Three months reported: (100 + 130 + 160) / 3 = 130.00.
    country.housing(HOUSE_1, "100.00", in_months=WINDOW[:1])
    country.housing(HOUSE_1, "130.00", in_months=WINDOW[5:6])
    country.housing(HOUSE_1, "160.00", in_months=WINDOW[11:])

    run, _ = country.run(M)

    d = decision(run, HOUSE_1)
    assert (d.income_per_member_eur, d.housing_per_member_eur, d.housing_reported) == (
        Decimal("400.00"),
        Decimal("130.00"),
        True,
    )
    assert (d.housing_cents, d.housing_months) == (39_000, 3)


def test_per_member_figures_are_rounded_half_up_for_display_only(country: Country) -> None:
    # Income: 3 members, 100.01 + 100.00 + 100.00 a month: 3600.12 / 36 = 100.00333 -> 100.00.
    # Housing: 2 reports of 100.00 and 100.01 over 3 members: 200.01 / 2 / 3 = 33.335 -> 33.34.
    country.population([person(1, HOUSE_1), person(2, HOUSE_1), person(3, HOUSE_1)])
    country.income(1, "100.01")
    country.income(2, "100.00")
    country.income(3, "100.00")
    country.housing(HOUSE_1, "100.00", in_months=WINDOW[:1])
    country.housing(HOUSE_1, "100.01", in_months=WINDOW[1:2])

    run, _ = country.run(M)

    d = decision(run, HOUSE_1)
    assert (d.income_per_member_eur, d.housing_per_member_eur) == (Decimal("100.00"), Decimal("33.34"))
    # 33.335 >= 0.30 * 100.0033 = 30.001
    assert d.eligible


def test_a_sanctioned_member_makes_the_household_ineligible(country: Country) -> None:
    country.population(
        [person(1, HOUSE_1), person(2, HOUSE_1), person(3, HOUSE_2), person(4, HOUSE_3), person(5, HOUSE_4)]
    )
    for n in (1, 2, 3, 4, 5):
        country.benefits(n, "400.00")
    country.sanctions(
        [
            (2, "2025-01-01", ""),  # valid on 2025-11-01
            (3, "2024-01-01", "2025-10-31"),  # ended before R
            (4, "2025-11-02", ""),  # starts after R
        ]
    )

    run, summary = country.run(M)

    sanctioned = decision(run, HOUSE_1)
    assert (sanctioned.eligible, sanctioned.reason) == (False, "sanctioned_member")
    # The other tests passed and say so; the record that weighed is kept with the decision.
    assert (sanctioned.income_within_threshold, sanctioned.housing_share_met) == (True, True)
    assert sanctioned.sanctioned_members == 1
    records = sanctioned.sanctions
    assert isinstance(records, list)
    [record] = records
    assert (record["source"], record["valid_from"], record["valid_to"]) == ("sanctions", "2025-01-01", None)
    assert [decision(run, a).reason for a in (HOUSE_2, HOUSE_3, HOUSE_4)] == ["eligible"] * 3
    assert (summary.households, summary.eligible_households, summary.sanctioned_households) == (4, 3, 1)


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "sanctioned"),
    [
        ("2025-11-01", "", True),  # begins on R
        ("2024-01-01", "2025-11-01", True),  # ends on R: valid through that day
        ("2025-11-01", "2025-11-01", True),  # that one day
        ("2024-01-01", "2025-10-31", False),  # ended the day before
        ("2025-11-02", "", False),  # begins the day after
    ],
)
def test_a_sanction_counts_when_valid_on_the_reference_date(
    country: Country, valid_from: str, valid_to: str, sanctioned: bool
) -> None:
    """R = 2025-11-01; a pensioner alone, 400.00 a month: eligible unless sanctioned on R."""
    country.population([person(1, HOUSE_1)])
    country.benefits(1, "400.00")
    country.sanctions([(1, valid_from, valid_to)])

    run, _ = country.run(M)

    d = decision(run, HOUSE_1)
    assert (d.eligible, d.reason) == ((False, "sanctioned_member") if sanctioned else (True, "eligible"))


def test_sanctions_come_before_income_in_the_reason(country: Country) -> None:
    country.population([person(1, HOUSE_1)])
    country.income(1, "900.00")
    country.sanctions([(1, "2020-01-01", "")])

    run, _ = country.run(M)

    d = decision(run, HOUSE_1)
    assert (d.reason, d.income_within_threshold) == ("sanctioned_member", False)


def test_members_are_the_persons_alive_at_the_address_and_temporary_protection_fills_in(
    country: Country,
) -> None:
    country.population(
        [
            person(1, HOUSE_1),
            person(2, HOUSE_1, died="2025-10-15"),  # died before R: not a member, income not read
            person(3, None),  # no address: no household
        ]
    )
    country.send(
        "temporary_protection",
        ("personal_code", "given_name", "surname", "birth_date", "address_code", "valid_from", "valid_to"),
        [(code(4), "Olena", "Shevchenko", "1985-05-05", HOUSE_1, "2024-03-01", "")],
    )
    country.benefits(1, "400.00")
    country.income(2, "5000.00")
    country.income(3, "10.00")
    country.income(4, "500.00")

    run, summary = country.run(M)

    d = decision(run, HOUSE_1)
    # (400 + 500) * 12 / 12 / 2 = 450.00
    assert (d.members, d.income_per_member_eur, d.eligible) == (2, Decimal("450.00"), True)
    assert summary.households == EnergyAidDecision.objects.filter(run=run).count() == 1


def test_the_month_reads_income_as_known_at_its_batch(country: Country) -> None:
    country.population([person(1, HOUSE_1)])
    first = country.income(1, "400.00")
    country.income(1, "900.00")  # a correction of the same months, learned later

    then, _ = country.run(M, knowledge_batch=first.pk)
    now, _ = country.run(M)

    assert (decision(then, HOUSE_1).income_per_member_eur, decision(then, HOUSE_1).eligible) == (
        Decimal("400.00"),
        True,
    )
    assert (decision(now, HOUSE_1).income_per_member_eur, decision(now, HOUSE_1).eligible) == (
        Decimal("900.00"),
        False,
    )


def test_another_month_reads_its_own_twelve_months(country: Country) -> None:
    country.population([person(1, HOUSE_5), person(2, HOUSE_B)])
    # 400 until 2025-01, then 900: January 2025 reads 2024-01 .. 2024-12 only.
    country.income(1, "400.00", in_months=months("2024-01", 12))
    country.income(1, "900.00", in_months=months("2025-01", 12))

    run, _ = country.run(date(2025, 1, 1))

    d = decision(run, HOUSE_5)
    assert income_window(date(2025, 1, 1)) == (date(2024, 1, 1), date(2024, 12, 1))
    assert (d.income_per_member_eur, d.eligible) == (Decimal("400.00"), True)
    # Person 2 has no income known at all: income 0, eligible on the normative housing amount.
    assert (decision(run, HOUSE_B).income_per_member_eur, decision(run, HOUSE_B).eligible) == (
        Decimal("0.00"),
        True,
    )
