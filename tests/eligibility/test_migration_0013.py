"""Migration 0013 converts the Scheme E decisions already written: the exact sums and test
outcomes from the evidence document into columns, the document down to its sanctions records;
and back, rebuilding the document as runs wrote it (window and normative amount from the run)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("eligibility", "0012_result_indexes_as_read")]
AFTER = [("eligibility", "0013_energy_aid_figures_as_columns")]

SANCTION = {"source": "sanctions", "record": 7, "valid_from": "2025-01-01", "valid_to": None}
NOT_SANCTIONED = {
    "window_from": "2024-11",
    "window_to": "2025-10",
    "members": 2,
    "income_cents": 1_704_709,
    "benefits_cents": 240_000,
    "housing_cents": 0,
    "housing_months": 0,
    "housing_normative_cents": 14_206,
    "income_within_threshold": 1,
    "housing_share_met": 0,
    "sanctioned_members": 0,
    "sanctions": [],
}
SANCTIONED = {
    **NOT_SANCTIONED,
    "housing_cents": 39_000,
    "housing_months": 3,
    "housing_normative_cents": None,
    "housing_share_met": 1,
    "sanctioned_members": 1,
    "sanctions": [SANCTION],
}


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture
def at_0012(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # the tables as the others expect


def test_decisions_written_before_keep_every_figure_both_ways(at_0012):
    MonthRun = at_0012.get_model("eligibility", "MonthRun")
    Decision = at_0012.get_model("eligibility", "EnergyAidDecision")
    Address = at_0012.get_model("households", "Address")
    run = MonthRun.objects.create(
        month=date(2025, 11, 1),
        version=1,
        status="done",
        knowledge_batch=0,
        requested_by="operator",
        parameters={"e_housing_normative_eur": "142.06"},
    )
    figures = {
        "run": run,
        "members": 2,
        "income_per_member_eur": Decimal("81.03"),
        "housing_per_member_eur": Decimal("142.06"),
        "eligible": False,
    }
    plain = Decision.objects.create(
        address=Address.objects.create(code="100000001"),
        housing_reported=False,
        reason="housing_share_below",
        evidence=NOT_SANCTIONED,
        **figures,
    )
    sanctioned = Decision.objects.create(
        address=Address.objects.create(code="100000002"),
        housing_reported=True,
        reason="sanctioned_member",
        evidence=SANCTIONED,
        **figures,
    )

    apps = migrate(AFTER)
    Decision = apps.get_model("eligibility", "EnergyAidDecision")
    columns = (
        "income_cents",
        "benefits_cents",
        "housing_cents",
        "housing_months",
        "income_within_threshold",
        "housing_share_met",
        "sanctioned_members",
        "sanctions",
    )
    assert Decision.objects.values_list(*columns).get(pk=plain.pk) == (
        1_704_709,
        240_000,
        0,
        0,
        True,
        False,
        0,
        None,
    )
    assert Decision.objects.values_list(*columns).get(pk=sanctioned.pk) == (
        1_704_709,
        240_000,
        39_000,
        3,
        True,
        True,
        1,
        [SANCTION],
    )

    apps = migrate(BEFORE)
    Decision = apps.get_model("eligibility", "EnergyAidDecision")
    assert Decision.objects.get(pk=plain.pk).evidence == NOT_SANCTIONED
    assert Decision.objects.get(pk=sanctioned.pk).evidence == SANCTIONED
