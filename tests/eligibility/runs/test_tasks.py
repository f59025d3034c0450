"""The Celery side: the beat entry on the 5th, the scheduled request of this month in Riga, and
the task that executes a run (eagerly here; ``test_real_worker`` sends one through Redis)."""

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from celery.schedules import crontab
from django.utils import timezone

from aldis.celery import app
from audit.models import AuditEvent
from audit.services import Actor
from eligibility.models import MonthRun, RunStatus
from eligibility.services.runs import month_run_request, stale_after
from eligibility.tasks import month_run_scheduled, month_run_task, month_runs_fail_stale_task

pytestmark = pytest.mark.django_db

OPERATOR = Actor("operator", "anna")


def at(moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def test_beat_runs_the_month_on_the_fifth_at_three():
    entry = app.conf.beat_schedule["month-run-monthly"]

    assert entry["task"] == month_run_scheduled.name == "eligibility.tasks.month_run_scheduled"
    assert entry["schedule"] == crontab(day_of_month=5, hour=3, minute=0)
    assert app.conf.timezone == "Europe/Riga"


def test_the_scheduled_run_is_this_month_in_riga(monkeypatch, computation, executed):
    # 22:30 UTC on 30 November is already 1 December in Riga.
    at(datetime(2026, 11, 30, 22, 30, tzinfo=UTC), monkeypatch)

    with executed():
        run_id = month_run_scheduled()

    run = MonthRun.objects.get(pk=run_id)
    assert (run.month, run.version, run.status) == (date(2026, 12, 1), 1, RunStatus.DONE)
    assert run.requested_by == "system:beat"
    event = AuditEvent.objects.get(action="run.request")
    assert (event.actor_type, event.actor_id) == ("system", "beat")


def test_the_scheduled_run_of_the_fifth(monkeypatch, computation, executed):
    at(datetime(2026, 11, 5, 1, 0, tzinfo=UTC), monkeypatch)  # 03:00 in Riga

    with executed():
        run_id = month_run_scheduled()

    assert MonthRun.objects.get(pk=run_id).month == date(2026, 11, 1)


def test_the_scheduled_run_skips_a_month_in_progress(monkeypatch, computation, caplog):
    at(datetime(2026, 11, 5, 1, 0, tzinfo=UTC), monkeypatch)
    month_run_request(month=date(2026, 11, 1), actor=OPERATOR)

    with caplog.at_level(logging.INFO, logger="eligibility.tasks"):
        assert month_run_scheduled() is None

    assert MonthRun.objects.count() == 1
    assert "scheduled run of 2026-11 skipped" in caplog.text


def test_the_task_executes_the_run(computation):
    run = month_run_request(month=date(2026, 11, 1), actor=OPERATOR)

    assert month_run_task.delay(run.pk).get() == RunStatus.DONE
    assert computation.calls == [run.pk]


def test_beat_fails_stale_runs_every_ten_minutes():
    entry = app.conf.beat_schedule["month-run-stale"]

    assert entry["task"] == month_runs_fail_stale_task.name == "eligibility.tasks.month_runs_fail_stale_task"
    assert entry["schedule"] == crontab(minute="*/10")


def test_the_periodic_task_fails_stale_runs_only(computation):
    now = timezone.now()
    old, young = now - stale_after() - timedelta(minutes=1), now - stale_after() + timedelta(minutes=1)

    def run(month: int, **state: object) -> MonthRun:
        requested = month_run_request(month=date(2026, month, 1), actor=OPERATOR)  # not sent: queued
        MonthRun.objects.filter(pk=requested.pk).update(**state)
        return requested

    stale_running = run(8, status=RunStatus.RUNNING, requested_at=old, started_at=old)
    stale_queued = run(9, requested_at=old)
    started_lately = run(
        10, status=RunStatus.RUNNING, requested_at=old, started_at=young
    )  # waited, now works
    queued_lately = run(11, requested_at=young)
    long_done = run(12, status=RunStatus.DONE, requested_at=old, started_at=old, finished_at=old)

    assert month_runs_fail_stale_task.delay().get() == [stale_running.pk, stale_queued.pk]

    statuses = dict(MonthRun.objects.values_list("pk", "status"))
    assert statuses == {
        stale_running.pk: RunStatus.FAILED,
        stale_queued.pk: RunStatus.FAILED,
        started_lately.pk: RunStatus.RUNNING,
        queued_lately.pk: RunStatus.QUEUED,
        long_done.pk: RunStatus.DONE,
    }
    failed = AuditEvent.objects.filter(action="run.failed").order_by("seq")
    assert [(event.target_id, event.data["stage"]) for event in failed] == [
        (str(stale_running.pk), "stale"),
        (str(stale_queued.pk), "stale"),
    ]
    assert month_runs_fail_stale_task.delay().get() == []  # nothing twice
