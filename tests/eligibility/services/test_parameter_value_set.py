"""``parameter_value_set``: a staff edit written as versions in a batch of its own, audited."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from aldis.feeds.models import BatchStatus, FeedBatch
from audit.models import AuditEvent
from eligibility.models import ParameterValue
from eligibility.selectors import parameter_history, parameters_on
from eligibility.services import parameter_value_set

pytestmark = pytest.mark.django_db

NEW_REF = "Cabinet Regulation No. 345, amended 2026"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="editor", is_staff=True)


def current_large_family() -> list[tuple[date | None, date | None, str]]:
    return [
        (v.valid_from, v.valid_to, v.value)
        for v in parameter_history(name="p_amount_large_family")
        if v.superseded_in_id is None
    ]


def test_a_new_value_from_a_later_date(user):
    seed = FeedBatch.objects.get(feed="parameters", actor="system:seed")
    old = ParameterValue.objects.get(name="p_amount_large_family", valid_from=date(2023, 8, 1))

    version = parameter_value_set(
        name="p_amount_large_family",
        valid_from=date(2027, 1, 1),
        value="30.00",
        legal_ref=NEW_REF,
        actor=user,
    )

    batch = version.learned_in
    assert (batch.feed, batch.sender, batch.actor, batch.status) == (
        "parameters",
        None,
        f"user:{user.pk}",
        BatchStatus.APPLIED,
    )
    assert (batch.rows, batch.inserted, batch.changed) == (1, 1, 1)
    assert (version.valid_from, version.valid_to, version.value, version.legal_ref) == (
        date(2027, 1, 1),
        None,
        "30.00",
        NEW_REF,
    )
    old.refresh_from_db()
    assert (old.superseded_in_id, old.valid_to) == (batch.pk, None)
    assert current_large_family() == [
        (date(2021, 9, 1), date(2021, 10, 31), "10.00"),
        (date(2021, 11, 1), date(2023, 7, 31), "20.00"),
        (date(2023, 8, 1), date(2026, 12, 31), "25.00"),
        (date(2027, 1, 1), None, "30.00"),
    ]
    assert parameters_on(day=date(2027, 1, 1))["p_amount_large_family"] == Decimal("30.00")
    assert parameters_on(day=date(2027, 1, 1), known_at_batch=seed.pk)["p_amount_large_family"] == Decimal(
        "25.00"
    )
    event = AuditEvent.objects.get(action="parameter.set")
    assert (event.actor_type, event.actor_id) == ("user", str(user.pk))
    assert (event.target_type, event.target_id) == ("eligibility.parametervalue", str(version.pk))
    assert event.data["name"] == "p_amount_large_family"
    assert event.data["valid_from"] == "2027-01-01"
    assert event.data["old_value"] is None
    assert event.data["new_value"] == "30.00"
    assert event.data["batch"] == batch.pk


def test_a_corrected_value_for_an_existing_date_leaves_its_neighbours_alone(user):
    old = ParameterValue.objects.get(name="p_amount_large_family", valid_from=date(2021, 11, 1))

    version = parameter_value_set(
        name="p_amount_large_family", valid_from=date(2021, 11, 1), value="21.00", legal_ref=None, actor=user
    )

    assert (version.learned_in.inserted, version.learned_in.changed) == (0, 1)
    assert ParameterValue.objects.filter(learned_in=version.learned_in).count() == 1
    old.refresh_from_db()
    assert old.superseded_in_id == version.learned_in_id
    assert current_large_family() == [
        (date(2021, 9, 1), date(2021, 10, 31), "10.00"),
        (date(2021, 11, 1), date(2023, 7, 31), "21.00"),
        (date(2023, 8, 1), None, "25.00"),
    ]
    event = AuditEvent.objects.get(action="parameter.set")
    assert (event.data["old_value"], event.data["new_value"]) == ("20.00", "21.00")


def test_a_value_between_two_dates_ends_the_one_before(user):
    parameter_value_set(
        name="p_amount_large_family", valid_from=date(2022, 6, 1), value="22.00", legal_ref="", actor=user
    )

    assert current_large_family() == [
        (date(2021, 9, 1), date(2021, 10, 31), "10.00"),
        (date(2021, 11, 1), date(2022, 5, 31), "20.00"),
        (date(2022, 6, 1), date(2023, 7, 31), "22.00"),
        (date(2023, 8, 1), None, "25.00"),
    ]
    assert parameters_on(day=date(2022, 5, 31))["p_amount_large_family"] == Decimal("20.00")
    assert parameters_on(day=date(2022, 6, 1))["p_amount_large_family"] == Decimal("22.00")


def test_a_switch_turned_on(user):
    parameter_value_set(
        name="e_on_electricity", valid_from=date(2026, 12, 1), value="true", legal_ref=None, actor=user
    )

    assert parameters_on(day=date(2026, 11, 30))["e_on_electricity"] is False
    assert parameters_on(day=date(2026, 12, 1))["e_on_electricity"] is True


def test_the_same_value_again_changes_nothing(user):
    current = ParameterValue.objects.get(name="e_housing_share", valid_from=date(2024, 9, 1))
    batches = FeedBatch.objects.count()

    version = parameter_value_set(
        name="e_housing_share",
        valid_from=date(2024, 9, 1),
        value="0.30",
        legal_ref=current.legal_ref,
        actor=user,
    )

    assert version.pk == current.pk
    assert FeedBatch.objects.count() == batches
    assert not AuditEvent.objects.filter(action="parameter.set").exists()


@pytest.mark.parametrize(
    ("name", "value", "field", "reason"),
    [
        ("e_on_electricity", "5.00", "value", "'5.00' must be true or false"),
        (
            "e_cap_electricity_eur",
            "8.005",
            "value",
            "'8.005' must be an amount with at most two decimals and a dot, such as 15.00",
        ),
        ("e_housing_share", "1.5", "value", "'1.5' must be a share between 0 and 1, such as 0.30"),
        ("e_housing_share", "0,3", "value", "'0,3' must be a decimal number with a dot, such as 0.30"),
        ("e_income_threshold_eur", " ", "value", "is required"),
        ("p_amount_everything", "5.00", "name", "unknown parameter 'p_amount_everything'"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(user, name, value, field, reason):
    versions, batches = ParameterValue.objects.count(), FeedBatch.objects.count()

    with pytest.raises(ValidationError) as raised:
        parameter_value_set(name=name, valid_from=date(2027, 1, 1), value=value, legal_ref=None, actor=user)

    assert raised.value.message_dict == {field: [reason]}
    assert (ParameterValue.objects.count(), FeedBatch.objects.count()) == (versions, batches)
    assert not AuditEvent.objects.filter(action="parameter.set").exists()
