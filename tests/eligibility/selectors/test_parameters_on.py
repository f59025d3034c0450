"""The seeded table read through ``parameters_on`` and ``parameter_history`` (values by hand)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from aldis.exceptions import ApplicationError
from aldis.feeds.models import BatchStatus, FeedBatch
from eligibility.models import ParameterValue
from eligibility.selectors import parameter_history, parameters_on

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "amount"),
    [
        (date(2021, 9, 1), Decimal("10.00")),
        (date(2021, 10, 31), Decimal("10.00")),
        (date(2021, 11, 1), Decimal("20.00")),
        (date(2023, 7, 31), Decimal("20.00")),
        (date(2023, 8, 1), Decimal("25.00")),
        (date(2026, 11, 1), Decimal("25.00")),
    ],
)
def test_large_family_amount_by_day(day, amount):
    assert parameters_on(day=day)["p_amount_large_family"] == amount


def test_the_whole_table_on_a_day_typed():
    values = parameters_on(day=date(2026, 11, 1))

    assert values == {
        "p_amount_needy_low_income": Decimal("20.00"),
        "p_amount_disabled_child": Decimal("20.00"),
        "p_amount_group_i_disability": Decimal("20.00"),
        "p_amount_large_family": Decimal("25.00"),
        "e_on_electricity": False,
        "e_on_electricity_heating": False,
        "e_on_gas_heating": False,
        "e_on_district_heat": False,
        "e_on_decentralised_fuel": False,
        "e_income_threshold_eur": Decimal("473.53"),
        "e_housing_share": Decimal("0.30"),
        "e_housing_normative_eur": Decimal("142.06"),
        "e_cap_electricity_eur": Decimal("8.00"),
        "e_cap_gas_heating_eur": Decimal("110.00"),
        "e_admin_cost_eur": Decimal("0.00"),
    }
    assert values["e_on_electricity"] is False
    assert all(isinstance(v, Decimal) for k, v in values.items() if not k.startswith("e_on_"))


def test_income_threshold_from_september_2024():
    assert parameters_on(day=date(2024, 9, 1))["e_income_threshold_eur"] == Decimal("473.53")


def test_reading_a_parameter_before_its_first_value_names_it():
    values = parameters_on(day=date(2024, 8, 31))

    assert values["p_amount_large_family"] == Decimal("25.00")
    assert "e_income_threshold_eur" not in values
    with pytest.raises(ApplicationError) as raised:
        values["e_income_threshold_eur"]
    assert raised.value.code == "parameter_missing"
    assert raised.value.message == "no value on 2024-08-31 for parameter(s): e_income_threshold_eur"
    assert raised.value.details == {"day": "2024-08-31", "missing": ["e_income_threshold_eur"]}


def test_required_parameters_without_a_value_are_named_up_front():
    with pytest.raises(ApplicationError) as raised:
        parameters_on(
            day=date(2024, 8, 31),
            require=["p_amount_large_family", "e_income_threshold_eur", "e_housing_share"],
        )

    assert raised.value.code == "parameter_missing"
    assert raised.value.details["missing"] == ["e_income_threshold_eur", "e_housing_share"]
    assert "e_income_threshold_eur, e_housing_share" in raised.value.message


def test_requiring_an_unknown_parameter_is_bad_input():
    with pytest.raises(ValidationError):
        parameters_on(day=date(2024, 9, 1), require=["e_income_threshold"])


def test_an_unknown_name_is_a_plain_key_error():
    with pytest.raises(KeyError):
        parameters_on(day=date(2024, 9, 1))["e_income_threshold"]


def test_scheme_p_months_before_scheme_e_still_read_their_amounts():
    values = parameters_on(
        day=date(2021, 10, 31), require=["p_amount_needy_low_income", "p_amount_large_family"]
    )

    assert values == {
        "p_amount_needy_low_income": Decimal("5.00"),
        "p_amount_disabled_child": Decimal("5.00"),
        "p_amount_group_i_disability": Decimal("5.00"),
        "p_amount_large_family": Decimal("10.00"),
    }


def test_before_the_first_amounts_nothing_has_a_value():
    values = parameters_on(day=date(2021, 8, 31))

    assert values == {}
    with pytest.raises(ApplicationError, match=r"2021-08-31 for parameter\(s\): p_amount_large_family"):
        values["p_amount_large_family"]


def test_the_seed_is_one_parameters_batch_by_system_seed():
    seed = FeedBatch.objects.get(feed="parameters")

    assert seed.actor == "system:seed"
    assert seed.sender is None
    assert seed.status == BatchStatus.APPLIED
    assert seed.rows == seed.inserted == 23
    assert ParameterValue.objects.count() == 23
    assert set(ParameterValue.objects.values_list("learned_in_id", flat=True)) == {seed.pk}
    assert not ParameterValue.objects.filter(superseded_in__isnull=False).exists()


def test_the_seed_stores_the_derived_ends():
    history = [(v.valid_from, v.valid_to, v.value) for v in parameter_history(name="p_amount_large_family")]

    assert history == [
        (date(2021, 9, 1), date(2021, 10, 31), "10.00"),
        (date(2021, 11, 1), date(2023, 7, 31), "20.00"),
        (date(2023, 8, 1), None, "25.00"),
    ]
    assert [(v.valid_from, v.valid_to) for v in parameter_history(name="e_on_electricity")] == [
        (date(2023, 12, 8), None)
    ]


def test_history_of_an_unknown_name_is_refused():
    with pytest.raises(ValidationError):
        parameter_history(name="p_amount_everything")
