"""Scheme E outputs: eligible objects and addresses, only for the resources switched on and counting.

Household 2 (a pensioner alone, 400 EUR a month, normative housing) is eligible; household 1 (two
members earning 900 each) is not. Switches are changed by importing a ``parameters`` file.
"""

from datetime import date
from typing import Any

import pytest

from aldis.exceptions import ApplicationError
from eligibility.models import EligibleAddress, EligibleObject, EnergyAidDecision, MonthRun
from eligibility.services.scheme_e import SchemeESummary, resources_counting, switched_on
from tests.eligibility.scheme_e.conftest import (
    ELECTRICITY_DSO_ORG,
    GAS_DSO_ORG,
    GAS_TRADER_ORG,
    HEAT_ORG,
    HOUSE_1,
    HOUSE_2,
    HOUSE_B,
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    TRADER_ORG,
    Country,
    months,
    person,
)
from tests.feeds.conftest import eic_code

pytestmark = pytest.mark.django_db

EIC_1 = eic_code("11XHOUSE0000011")
EIC_2 = eic_code("11XHOUSE0000002")
EIC_B = eic_code("11XHOUSE0000101")
ALL_MONTHS = months("2024-01", 24)  # enough for any month of 2025
ALL_ON = [
    (f"e_on_{r}", "2024-12-01", "true")
    for r in ("electricity", "electricity_heating", "gas_heating", "district_heat", "decentralised_fuel")
]


def two_households(country: Country) -> None:
    country.population([person(1, HOUSE_1), person(2, HOUSE_1), person(3, HOUSE_2, born="1950-01-01")])
    country.income(1, "900.00", in_months=ALL_MONTHS)
    country.income(2, "900.00", in_months=ALL_MONTHS)
    country.benefits(3, "400.00", in_months=ALL_MONTHS)
    country.connections(
        ELECTRICITY_DSO_ORG,
        [(EIC_1, "electricity", HOUSE_1, TRADER_ORG), (EIC_2, "electricity", HOUSE_2, TRADER_ORG)],
    )
    country.connections(
        GAS_DSO_ORG,
        [("GAS-0001", "gas", HOUSE_1, GAS_TRADER_ORG), ("GAS-0002", "gas", HOUSE_2, GAS_TRADER_ORG)],
    )
    country.connections(HEAT_ORG, [("HEAT-0001", "heat", HOUSE_1, ""), ("HEAT-0002", "heat", HOUSE_2, "")])


def listed(run: MonthRun, **filters: Any) -> list[tuple[str, str, str]]:
    return sorted(
        EligibleObject.objects.filter(run=run, **filters).values_list(
            "resource", "connection__object_code", "address__code"
        )
    )


def test_nothing_is_listed_while_every_resource_is_off(country: Country) -> None:
    two_households(country)

    run, summary = country.run(date(2025, 11, 1))

    assert (summary.households, summary.eligible_households) == (2, 1)
    assert (summary.resources, summary.objects, summary.addresses) == ([], {}, {})
    assert not EligibleObject.objects.filter(run=run).exists()
    assert not EligibleAddress.objects.filter(run=run).exists()


def test_electricity_objects_from_the_month_it_is_switched_on(country: Country) -> None:
    two_households(country)
    country.parameters([("e_on_electricity", "2025-03-01", "true")])

    february, before = country.run(date(2025, 2, 1))
    march, after = country.run(date(2025, 3, 1))

    assert (before.resources, before.objects) == ([], {})
    assert not EligibleObject.objects.filter(run=february).exists()
    assert (after.resources, after.objects, after.addresses) == (["electricity"], {"electricity": 1}, {})
    [obj] = EligibleObject.objects.filter(run=march).select_related(
        "connection", "operator", "supplier", "address"
    )
    assert (obj.resource, obj.connection.object_code, obj.address.code) == ("electricity", EIC_2, HOUSE_2)
    assert (obj.operator.code, obj.supplier.code if obj.supplier else None) == (
        ELECTRICITY_DSO_ORG,
        TRADER_ORG,
    )


def test_heating_resources_count_only_from_october_to_april(country: Country) -> None:
    two_households(country)
    country.parameters(ALL_ON)

    april, in_season = country.run(date(2025, 4, 1))
    may, out_of_season = country.run(date(2025, 5, 1))

    assert in_season.resources == [
        "electricity",
        "electricity_heating",
        "gas_heating",
        "district_heat",
        "decentralised_fuel",
    ]
    # Electricity for heating is listed by address only, to the local government that handles it
    # (the Law, Section 4(2)), not also as an object to the trader, which could then claim it too.
    assert in_season.objects == {"electricity": 1, "gas_heating": 1, "district_heat": 1}
    assert in_season.addresses == {"electricity_heating": 1, "decentralised_fuel": 1}
    assert listed(april) == [
        ("district_heat", "HEAT-0002", HOUSE_2),
        ("electricity", EIC_2, HOUSE_2),
        ("gas_heating", "GAS-0002", HOUSE_2),
    ]
    assert (out_of_season.resources, out_of_season.objects, out_of_season.addresses) == (
        ["electricity"],
        {"electricity": 1},
        {},
    )
    assert listed(may) == [("electricity", EIC_2, HOUSE_2)]
    assert not EligibleAddress.objects.filter(run=may).exists()


def test_each_party_finds_its_own_objects(country: Country) -> None:
    two_households(country)
    country.parameters(ALL_ON)
    orgs = country.organisations

    run, _ = country.run(date(2025, 1, 1))

    assert listed(run, operator=orgs[ELECTRICITY_DSO_ORG]) == [("electricity", EIC_2, HOUSE_2)]
    assert listed(run, supplier=orgs[TRADER_ORG]) == listed(run, operator=orgs[ELECTRICITY_DSO_ORG])
    assert listed(run, operator=orgs[GAS_DSO_ORG]) == [("gas_heating", "GAS-0002", HOUSE_2)]
    assert listed(run, supplier=orgs[GAS_TRADER_ORG]) == [("gas_heating", "GAS-0002", HOUSE_2)]
    assert listed(run, operator=orgs[HEAT_ORG]) == [("district_heat", "HEAT-0002", HOUSE_2)]
    assert EligibleObject.objects.get(run=run, operator=orgs[HEAT_ORG]).supplier is None


def test_objects_ended_before_the_month_are_not_listed(country: Country) -> None:
    two_households(country)
    country.parameters(ALL_ON)
    country.send(
        "connections",
        ("object_code", "resource", "address_code", "supplier_code", "valid_from", "valid_to"),
        [(EIC_2, "electricity", HOUSE_2, TRADER_ORG, "2024-01-01", "2024-12-31")],
        sender=ELECTRICITY_DSO_ORG,
    )

    _, summary = country.run(date(2025, 1, 1))

    assert summary.objects == {"electricity": 0, "gas_heating": 1, "district_heat": 1}


def test_a_local_government_gets_the_eligible_addresses_in_its_territory(country: Country) -> None:
    two_households(country)
    country.population(
        [
            person(1, HOUSE_1),
            person(2, HOUSE_1),
            person(3, HOUSE_2, born="1950-01-01"),
            person(4, HOUSE_B, born="1950-01-01"),
        ]
    )
    country.benefits(4, "300.00", in_months=ALL_MONTHS)
    country.connections(
        ELECTRICITY_DSO_ORG,
        [
            (EIC_1, "electricity", HOUSE_1, TRADER_ORG),
            (EIC_2, "electricity", HOUSE_2, TRADER_ORG),
            (EIC_B, "electricity", HOUSE_B, TRADER_ORG),
        ],
    )
    country.parameters([("e_on_decentralised_fuel", "2024-12-01", "true")])

    run, summary = country.run(date(2025, 11, 1))

    assert summary.addresses == {"decentralised_fuel": 2}
    assert summary.objects == {}

    def territory(municipality: str) -> list[tuple[str, str]]:
        return sorted(
            EligibleAddress.objects.filter(run=run, municipality_code=municipality).values_list(
                "address__code", "resource"
            )
        )

    assert territory(MUNICIPALITY_A) == [(HOUSE_2, "decentralised_fuel")]
    assert territory(MUNICIPALITY_B) == [(HOUSE_B, "decentralised_fuel")]


def test_switch_values_as_a_run_records_them() -> None:
    assert [switched_on(v) for v in ("true", "True", "false", "False", True, False)] == [
        True,
        True,
        False,
        False,
        True,
        False,
    ]
    with pytest.raises(ApplicationError):
        switched_on("yes")
    on = {"e_on_electricity": "true", "e_on_gas_heating": "True", "e_on_district_heat": "false"}
    assert resources_counting(month=date(2025, 10, 1), parameters=on) == ["electricity", "gas_heating"]
    assert resources_counting(month=date(2025, 9, 1), parameters=on) == ["electricity"]
    assert resources_counting(month=date(2025, 9, 1), parameters={}) == []


def test_a_month_before_the_scheme_writes_nothing(country: Country) -> None:
    two_households(country)

    # 2024-02: the switches exist (off) but the threshold starts 2024-09-01.
    run, summary = country.run(date(2024, 2, 1))

    assert summary == SchemeESummary()
    assert not EnergyAidDecision.objects.filter(run=run).exists()


def test_a_resource_switched_on_without_a_threshold_stops_the_run(country: Country) -> None:
    two_households(country)
    country.parameters([("e_on_electricity", "2024-01-01", "true")])

    with pytest.raises(ApplicationError) as raised:
        country.run(date(2024, 2, 1))

    assert raised.value.code == "parameter_missing"
    assert raised.value.details["missing"] == [
        "e_income_threshold_eur",
        "e_housing_share",
        "e_housing_normative_eur",
    ]
