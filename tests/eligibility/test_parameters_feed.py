"""The ``parameters`` feed through ``feed_import``: derived ends, new versions, "as known at",
withdrawn rows, and bad files rejected whole with every bad row (values written by hand)."""

from datetime import date
from decimal import Decimal

import pytest

from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.feeds.registry import feed_specs
from audit.models import AuditEvent
from eligibility.models import ParameterValue
from eligibility.selectors import parameter_history, parameters_on
from tests.eligibility.conftest import HEADER, SCHEME_P, TABLE

pytestmark = pytest.mark.django_db

RATE_2027 = ("p_amount_large_family", "2027-01-01", "30.00", "Cabinet Regulation No. 345, amended 2026")
FIRST_BAD_LINE = len(TABLE) + 2  # header is line 1, the table lines 2..24


def seed_batch() -> FeedBatch:
    return FeedBatch.objects.get(feed="parameters", actor="system:seed")


def large_family() -> list[tuple[date | None, date | None, str, bool]]:
    return [
        (v.valid_from, v.valid_to, v.value, v.superseded_in_id is None)
        for v in parameter_history(name="p_amount_large_family")
    ]


def test_parameters_is_a_registered_feed_not_sent_over_the_api():
    spec = feed_specs()["parameters"]

    assert spec.kind == "snapshot"
    assert spec.sender_kinds == ()
    assert spec.column_names == ("name", "valid_from", "value", "legal_ref")
    assert spec.key == ("name", "valid_from")


def test_the_seeded_table_sent_as_a_file_changes_nothing(import_parameters):
    batch = import_parameters(TABLE)

    assert batch.status == BatchStatus.APPLIED, batch.errors
    assert (batch.rows, batch.inserted, batch.changed, batch.ended, batch.unchanged) == (23, 0, 0, 0, 23)
    assert ParameterValue.objects.count() == 23


def test_a_new_rate_ends_the_previous_one_in_a_new_version(import_parameters):
    seed = seed_batch()
    old = ParameterValue.objects.get(name="p_amount_large_family", valid_from=date(2023, 8, 1))

    batch = import_parameters([*TABLE, RATE_2027])

    assert batch.status == BatchStatus.APPLIED, batch.errors
    assert (batch.inserted, batch.changed, batch.unchanged) == (1, 1, 22)
    old.refresh_from_db()
    assert old.superseded_in_id == batch.pk
    assert old.valid_to is None  # the old version is never changed, only superseded
    assert large_family() == [
        (date(2021, 9, 1), date(2021, 10, 31), "10.00", True),
        (date(2021, 11, 1), date(2023, 7, 31), "20.00", True),
        (date(2023, 8, 1), None, "25.00", False),
        (date(2023, 8, 1), date(2026, 12, 31), "25.00", True),
        (date(2027, 1, 1), None, "30.00", True),
    ]
    new = ParameterValue.objects.get(name="p_amount_large_family", valid_from=date(2027, 1, 1))
    assert (new.learned_in_id, new.legal_ref) == (batch.pk, RATE_2027[3])
    assert parameters_on(day=date(2026, 12, 31))["p_amount_large_family"] == Decimal("25.00")
    assert parameters_on(day=date(2027, 1, 1))["p_amount_large_family"] == Decimal("30.00")
    # A month published before this batch reads its values as known then.
    as_published = parameters_on(day=date(2027, 1, 1), known_at_batch=seed.pk)
    assert as_published["p_amount_large_family"] == Decimal("25.00")
    assert parameters_on(day=date(2027, 1, 1), known_at_batch=batch.pk)["p_amount_large_family"] == Decimal(
        "30.00"
    )
    assert AuditEvent.objects.filter(action="feed.import", target_id=str(batch.pk)).count() == 1


def test_the_same_file_again_is_a_repeat(import_parameters):
    first = import_parameters([*TABLE, RATE_2027])
    again = import_parameters([*TABLE, RATE_2027])

    assert again.status == BatchStatus.REPEAT
    assert again.repeat_of_id == first.pk
    assert ParameterValue.objects.filter(name="p_amount_large_family").count() == 5


def test_a_changed_value_is_a_new_version_of_that_row_only(import_parameters):
    rows = [
        row if row[:2] != ("e_housing_share", "2024-09-01") else (*row[:2], "0.25", row[3]) for row in TABLE
    ]

    batch = import_parameters(rows)

    assert (batch.inserted, batch.changed, batch.unchanged) == (0, 1, 22)
    assert parameters_on(day=date(2025, 1, 1))["e_housing_share"] == Decimal("0.25")
    assert parameters_on(day=date(2025, 1, 1), known_at_batch=seed_batch().pk)["e_housing_share"] == Decimal(
        "0.30"
    )


def test_a_row_left_out_is_withdrawn_and_its_neighbour_extended(import_parameters):
    added = import_parameters([*TABLE, RATE_2027])

    withdrawn = import_parameters(TABLE)

    assert withdrawn.status == BatchStatus.APPLIED, withdrawn.errors
    assert (withdrawn.inserted, withdrawn.changed) == (0, 1)  # the 2023-08-01 row is open again
    rate_2027 = ParameterValue.objects.get(name="p_amount_large_family", valid_from=date(2027, 1, 1))
    assert rate_2027.superseded_in_id == withdrawn.pk
    assert not ParameterValue.objects.filter(learned_in=withdrawn, valid_from=date(2027, 1, 1)).exists()
    assert parameters_on(day=date(2027, 2, 1))["p_amount_large_family"] == Decimal("25.00")
    assert parameters_on(day=date(2027, 2, 1), known_at_batch=added.pk)["p_amount_large_family"] == Decimal(
        "30.00"
    )


def test_a_past_row_left_out_is_withdrawn_not_ended_on_as_of(import_parameters):
    rows = [row for row in TABLE if row[:2] != ("p_amount_needy_low_income", "2021-11-01")]

    batch = import_parameters(rows, as_of=date(2026, 11, 20))

    assert batch.status == BatchStatus.APPLIED, batch.errors
    history = [
        (v.valid_from, v.valid_to, v.value)
        for v in parameter_history(name="p_amount_needy_low_income")
        if v.superseded_in_id is None
    ]
    assert history == [
        (date(2021, 9, 1), date(2023, 7, 31), "5.00"),
        (date(2023, 8, 1), None, "20.00"),
    ]
    assert parameters_on(day=date(2022, 6, 1))["p_amount_needy_low_income"] == Decimal("5.00")


def errors_by_place(batch: FeedBatch) -> dict[tuple[int, str], tuple[str, str]]:
    return {(e["line"], e["column"]): (e["value"], e["reason"]) for e in batch.errors}


def test_bad_rows_are_all_reported_and_nothing_is_applied(import_parameters):
    bad = [
        ("p_amount_everything", "2025-01-01", "5.00", ""),  # unknown name
        ("e_on_electricity", "2025-01-01", "5.00", ""),  # a switch with an amount
        ("e_cap_electricity_eur", "2025-01-01", "8.005", ""),  # three decimals
        ("e_housing_share", "2025-01-01", "1.5", ""),  # a share above 1
        ("e_housing_share", "2026-01-01", "-0.1", ""),  # a share below 0
        ("e_housing_share", "2027-01-01", "30%", ""),  # not a decimal
        ("e_income_threshold_eur", "2025-01-01", "", ""),  # no value
        ("p_amount_large_family", "2023-08-01", "26.00", SCHEME_P),  # repeats a key of the table
        ("e_on_gas_heating", "2025-13-01", "true", ""),  # not a date
    ]
    before = ParameterValue.objects.count()

    batch = import_parameters([*TABLE, *bad])

    assert batch.status == BatchStatus.REJECTED
    line = FIRST_BAD_LINE
    errors = errors_by_place(batch)
    assert errors[(line, "name")][0] == "p_amount_everything"
    assert errors[(line, "name")][1].startswith("must be one of: p_amount_needy_low_income,")
    assert errors[(line + 1, "value")] == ("5.00", "must be true or false")
    assert errors[(line + 2, "value")] == (
        "8.005",
        "must be an amount with at most two decimals and a dot, such as 15.00",
    )
    assert errors[(line + 3, "value")] == ("1.5", "must be a share between 0 and 1, such as 0.30")
    assert errors[(line + 4, "value")] == ("-0.1", "must be a share between 0 and 1, such as 0.30")
    assert errors[(line + 5, "value")] == ("30%", "must be a decimal number with a dot, such as 0.30")
    assert errors[(line + 6, "value")] == ("", "is required")
    assert errors[(line + 7, "name")] == ("", "repeats the key (name, valid_from) of line 13")
    assert errors[(line + 8, "valid_from")] == ("2025-13-01", "is not a real date")
    assert batch.error_count == len(batch.errors) == 9
    assert ParameterValue.objects.count() == before


def test_a_missing_catalogue_name_is_reported_on_the_first_row(import_parameters):
    rows = [row for row in TABLE if row[0] not in ("e_admin_cost_eur", "e_housing_share")]

    batch = import_parameters(rows)

    assert batch.status == BatchStatus.REJECTED
    assert [(e["line"], e["column"]) for e in batch.errors] == [(2, "name"), (2, "name")]
    reasons = sorted(e["reason"] for e in batch.errors)
    assert reasons[0].startswith("the parameter e_admin_cost_eur is missing")
    assert reasons[1].startswith("the parameter e_housing_share is missing")
    assert ParameterValue.objects.filter(superseded_in__isnull=False).count() == 0


def test_a_file_with_no_rows_is_rejected_naming_every_parameter(import_parameters):
    batch = import_parameters([])

    assert batch.status == BatchStatus.REJECTED
    assert {(e["line"], e["column"]) for e in batch.errors} == {(1, "name")}
    assert len(batch.errors) == 15
    assert {e["value"] for e in batch.errors} >= {"p_amount_large_family", "e_admin_cost_eur"}
    assert ParameterValue.objects.filter(superseded_in__isnull=True).count() == 23


def test_valid_to_is_not_a_column_of_the_file(import_parameters):
    batch = import_parameters(
        [(*row, "") for row in TABLE],
        header=(*HEADER, "valid_to"),
    )

    assert batch.status == BatchStatus.REJECTED
    assert batch.errors[0]["column"] == "valid_to"
    assert batch.errors[0]["reason"].startswith("unknown column")
