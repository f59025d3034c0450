"""``month_run_execute``: queued, running, then done with its summary or failed with nothing of its
own visible; the newest done version stays in force; executing twice changes nothing."""

import threading
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor
from eligibility.models import MonthRun, RunStatus, UnitDecision
from eligibility.selectors import month_run_in_force, month_run_in_force_for_lists, month_run_units
from eligibility.services.runs import (
    month_run_execute,
    month_run_request,
    month_runs_fail_stale,
    stale_after,
)
from eligibility.services.scheme_e import scheme_e_compute

pytestmark = pytest.mark.django_db

NOV = date(2026, 11, 1)
OPERATOR = Actor("operator", "anna")


def queued() -> MonthRun:
    """A requested run whose task has not been sent (the test executes it)."""
    return month_run_request(month=NOV, actor=OPERATOR)


def test_a_run_is_done_with_its_summary(computation):
    run = month_run_execute(run_id=queued().pk)

    assert run.status == RunStatus.DONE
    assert (run.households, run.persons_without_address) == (10, 1)
    assert (run.entitled_households, run.unattributed_households) == (3, 1)
    assert run.total_eur == Decimal("65.00")
    assert (run.chunks_done, run.chunks_total) == (1, 1)
    assert run.started_at <= run.finished_at
    assert run.error == ""
    assert month_run_in_force(month=NOV) == run
    assert month_run_units(run=run) == {
        "needy_low_income": 0,
        "large_family": 1,
        "disabled_child": 2,
        "group_i_disability": 0,
    }


def test_start_and_done_are_audited_with_the_summary(computation):
    run = month_run_execute(run_id=queued().pk)

    start, done = AuditEvent.objects.filter(action__in=["run.start", "run.done"]).order_by("seq")
    assert (start.action, done.action) == ("run.start", "run.done")
    assert (done.actor_type, done.actor_id) == ("system", "month-run")
    assert done.target_id == str(run.pk)
    assert done.data == {
        "month": "2026-11",
        "version": 1,
        "households": 10,
        "persons_without_address": 1,
        "entitled_households": 3,
        "unattributed_households": 1,
        "units": {"disabled_child": 2, "large_family": 1},
        "total_eur": "65.00",
        # Scheme E runs for real on an empty country, with every resource switched off in 2026-11.
        "energy_aid": {
            "households": 0,
            "eligible_households": 0,
            "sanctioned_households": 0,
            "resources": [],
            "objects": {},
            "addresses": {},
        },
    }


def test_a_failed_run_leaves_the_previous_version_in_force(computation):
    first = month_run_execute(run_id=queued().pk)
    computation.error = RuntimeError("boom")

    second = month_run_execute(run_id=queued().pk)

    assert second.version == 2
    assert second.status == RunStatus.FAILED
    assert second.error == "RuntimeError: boom"
    assert second.finished_at is not None
    assert (second.households, second.total_eur) == (0, Decimal("0.00"))
    # The row the computation wrote before it failed rolled back with it.
    assert not UnitDecision.objects.filter(run=second).exists()
    assert UnitDecision.objects.filter(run=first).count() == 4
    assert month_run_in_force(month=NOV) == first
    assert month_run_in_force_for_lists(month=NOV) == (first, False)
    failed = AuditEvent.objects.get(action="run.failed")
    assert failed.data == {"month": "2026-11", "version": 2, "stage": "execute", "error": "RuntimeError"}


def test_no_version_in_force_before_the_first_done(computation):
    computation.error = ValueError("no data")

    month_run_execute(run_id=queued().pk)

    assert month_run_in_force(month=NOV) is None
    assert month_run_in_force_for_lists(month=NOV) is None


def test_the_newest_done_version_is_in_force(computation):
    month_run_execute(run_id=queued().pk)
    second = month_run_execute(run_id=queued().pk)
    third = queued()  # requested, not yet executed

    assert month_run_in_force(month=NOV) == second
    assert third.version == 3
    for_lists, rows_purged = month_run_in_force_for_lists(month=NOV)
    assert (for_lists.pk, for_lists.month, for_lists.version, rows_purged) == (second.pk, NOV, 2, False)
    assert (for_lists.status, for_lists.total_eur) == (RunStatus.DONE, second.total_eur)  # loaded when used

    MonthRun.objects.filter(pk=second.pk).update(statistics={"kept": "before the purge"})
    assert month_run_in_force_for_lists(month=NOV) == (second, True)


def test_executing_a_finished_run_again_changes_nothing(computation):
    run = month_run_execute(run_id=queued().pk)
    events = AuditEvent.objects.count()

    again = month_run_execute(run_id=run.pk)

    assert again.status == RunStatus.DONE
    assert again.finished_at == run.finished_at
    assert computation.calls == [run.pk]
    assert AuditEvent.objects.count() == events
    assert UnitDecision.objects.filter(run=run).count() == 4


def test_a_running_run_nobody_works_on_was_abandoned(computation):
    run = queued()
    MonthRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)

    again = month_run_execute(run_id=run.pk)

    assert again.status == RunStatus.FAILED
    assert again.error.startswith("abandoned")
    assert computation.calls == []
    assert queued().version == 2  # the month is open again


def test_a_run_another_worker_holds_is_left_alone(computation, other_session):
    run = queued()
    MonthRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    other_session.execute("SELECT pg_advisory_lock(%s, %s)", [0x414C5255, run.pk])

    again = month_run_execute(run_id=run.pk)

    assert again.status == RunStatus.RUNNING
    assert computation.calls == []


def test_execute_refuses_an_outer_transaction(computation):
    run = queued()

    with pytest.raises(RuntimeError), transaction.atomic():
        month_run_execute(run_id=run.pk)


@pytest.mark.parametrize(
    ("interruption", "error"),
    [(KeyboardInterrupt(), "KeyboardInterrupt: interrupted"), (SystemExit(1), "SystemExit: interrupted (1)")],
)
def test_an_interruption_fails_the_run_and_the_month_stays_open(computation, interruption, error):
    before = month_run_execute(run_id=queued().pk)
    computation.error = interruption  # Ctrl-C (or an exit) half-way through the computation
    run = queued()

    with pytest.raises(type(interruption)):
        month_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, error)
    assert run.finished_at is not None
    assert not UnitDecision.objects.filter(run=run).exists()  # its rows rolled back
    assert month_run_in_force(month=NOV) == before
    failed = AuditEvent.objects.get(action="run.failed")
    assert failed.data == {
        "month": "2026-11",
        "version": 2,
        "stage": "execute",
        "error": type(interruption).__name__,
    }
    computation.error = None
    assert month_run_execute(run_id=queued().pk).status == RunStatus.DONE  # the month is open again


@pytest.mark.django_db(transaction=True)
def test_a_run_failed_as_stale_while_it_computes_does_not_come_back_done(computation, monkeypatch):
    """Another session (the beat's) fails the run as stale while this worker computes it; the
    worker's finish, later, rolls back instead of marking it done."""
    if connection.vendor != "postgresql":
        pytest.skip("two sessions at once: PostgreSQL only (SQLite's writer holds the database)")
    monkeypatch.setattr("eligibility.services.runs._enqueue", lambda run_id: None)  # this test executes it
    run = queued()
    failed_meanwhile: list[MonthRun] = []

    def beat_meanwhile() -> None:
        try:
            MonthRun.objects.filter(pk=run.pk).update(
                started_at=timezone.now() - stale_after() - timedelta(minutes=1)
            )
            failed_meanwhile.extend(month_runs_fail_stale())
        finally:
            connection.close()  # this thread's own connection

    def scheme_e_then_the_beat(**kwargs: Any) -> None:
        scheme_e_compute(**kwargs)
        beat = threading.Thread(target=beat_meanwhile)
        beat.start()
        beat.join(timeout=60)

    monkeypatch.setattr("eligibility.services.runs.scheme_e_compute", scheme_e_then_the_beat)

    late = month_run_execute(run_id=run.pk)

    assert [stale.pk for stale in failed_meanwhile] == [run.pk]
    assert late.status == RunStatus.FAILED
    assert late.error.startswith("stale: running since ")
    assert not UnitDecision.objects.filter(run=run).exists()
    assert not AuditEvent.objects.filter(action="run.done").exists()
    assert AuditEvent.objects.get(action="run.failed").data["stage"] == "stale"
