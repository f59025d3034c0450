"""The Celery side: the beat entry on the 5th, the scheduled request of this month in Riga, and
the task that executes a run (eagerly here; ``test_real_worker`` sends one through Redis)."""

import logging
from datetime import UTC, date, datetime

import pytest
from celery.schedules import crontab

from aldis.celery import app
from audit.models import AuditEvent
from audit.services import Actor
from eligibility.models import MonthRun, RunStatus
from eligibility.services.runs import month_run_request
from eligibility.tasks import month_run_scheduled, month_run_task

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
