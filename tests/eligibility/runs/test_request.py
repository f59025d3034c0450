"""``month_run_request``: a new version, queued, with what it will read fixed; one at a time."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from aldis.exceptions import ApplicationError
from aldis.feeds.models import BatchStatus, FeedBatch
from audit.models import AuditEvent
from audit.services import Actor
from eligibility.models import MonthRun, RunStatus
from eligibility.services import parameter_value_set
from eligibility.services.runs import knowledge_horizon, month_run_request, stale_after

pytestmark = pytest.mark.django_db

NOV = date(2026, 11, 1)
OPERATOR = Actor("operator", "anna")


def batch(status: str = BatchStatus.APPLIED, **fields: object) -> FeedBatch:
    return FeedBatch.objects.create(
        feed="population",
        as_of=date(2026, 10, 31),
        file_sha256="0" * 64,
        actor="test",
        status=status,
        **fields,
    )


def newest_applied() -> int:
    return FeedBatch.objects.filter(status=BatchStatus.APPLIED).latest("id").pk


def test_versions_count_up_per_month(computation, executed):
    with executed():
        first = month_run_request(month=NOV, actor=OPERATOR)
    with executed():
        second = month_run_request(month=NOV, actor=OPERATOR)
    with executed():
        other = month_run_request(month=date(2026, 10, 1), actor=OPERATOR)

    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert set(MonthRun.objects.values_list("status", flat=True)) == {RunStatus.DONE}


def test_a_request_is_queued_and_sends_the_task_on_commit(computation, executed):
    with executed() as callbacks:
        run = month_run_request(month=NOV, actor=OPERATOR)
        assert run.status == RunStatus.QUEUED
        assert computation.calls == []

    assert len(callbacks) == 1
    assert computation.calls == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.requested_by == "operator:anna"


def test_one_run_of_a_month_at_a_time(computation):
    queued = month_run_request(month=NOV, actor=OPERATOR)  # its task is not sent: still queued

    with pytest.raises(ApplicationError) as refused:
        month_run_request(month=NOV, actor=OPERATOR)

    assert refused.value.code == "run_in_progress"
    assert refused.value.details == {"month": "2026-11", "run": queued.pk}
    MonthRun.objects.filter(pk=queued.pk).update(status=RunStatus.RUNNING)
    with pytest.raises(ApplicationError, match="already running"):
        month_run_request(month=NOV, actor=OPERATOR)
    assert MonthRun.objects.count() == 1
    # Another month is free.
    assert month_run_request(month=date(2026, 10, 1), actor=OPERATOR).version == 1


def test_the_database_constraint_is_the_guard(computation):
    month_run_request(month=NOV, actor=OPERATOR)

    with pytest.raises(IntegrityError), transaction.atomic():
        MonthRun.objects.create(month=NOV, version=2, knowledge_batch=0, requested_by="test")


def test_a_failed_or_done_run_does_not_block_the_month(computation):
    first = month_run_request(month=NOV, actor=OPERATOR)
    MonthRun.objects.filter(pk=first.pk).update(status=RunStatus.FAILED)
    second = month_run_request(month=NOV, actor=OPERATOR)
    MonthRun.objects.filter(pk=second.pk).update(status=RunStatus.DONE)

    assert month_run_request(month=NOV, actor=OPERATOR).version == 3


@pytest.mark.parametrize(
    ("month", "message"),
    [
        (date(2026, 11, 2), "is not the first day of a month"),
        (date(2027, 2, 1), "is after next month (2026-12)"),
        (date(2024, 10, 1), "is past retention: data before 2024-11 is erased"),
    ],
)
def test_bad_months_are_refused(monkeypatch, month, message):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 11, 20, 12, tzinfo=UTC))

    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        month_run_request(month=month, actor=OPERATOR)
    assert not MonthRun.objects.exists()


def test_next_month_may_be_requested(monkeypatch, computation):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 11, 20, 12, tzinfo=UTC))

    assert month_run_request(month=date(2026, 12, 1), actor=OPERATOR).version == 1


def test_the_knowledge_batch_is_the_newest_applied_batch_and_stays(computation):
    batch()
    newest = batch()
    batch(status=BatchStatus.REJECTED)

    run = month_run_request(month=NOV, actor=OPERATOR)
    later = batch()

    assert run.knowledge_batch == newest.pk
    run.refresh_from_db()
    assert run.knowledge_batch == newest.pk
    assert later.pk > newest.pk
    assert knowledge_horizon() == later.pk


def test_the_horizon_stops_below_an_import_still_in_flight():
    settled = batch()
    in_flight = batch(status=BatchStatus.RECEIVED)
    batch()  # applied meanwhile, under a higher id

    assert knowledge_horizon() == settled.pk

    # An import that has said nothing for hours has died: it no longer holds the horizon back.
    FeedBatch.objects.filter(pk=in_flight.pk).update(received_at=timezone.now() - timedelta(hours=7))
    assert knowledge_horizon() == newest_applied()


def test_the_parameters_of_the_month_as_known_then(computation, django_user_model, settings):
    settings.ALDIS_RETENTION_MONTHS = 60  # so that 2022 is still kept
    run = month_run_request(month=NOV, actor=OPERATOR)
    MonthRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
    editor = django_user_model.objects.create_user(username="editor", is_staff=True)
    parameter_value_set(
        name="p_amount_large_family", valid_from=NOV, value="30.00", legal_ref="test", actor=editor
    )

    again = month_run_request(month=NOV, actor=OPERATOR)
    early = month_run_request(month=date(2022, 11, 1), actor=OPERATOR)

    run.refresh_from_db()
    assert run.parameters["p_amount_large_family"] == "25.00"
    assert run.parameters["p_amount_needy_low_income"] == "20.00"
    assert run.parameters["e_on_electricity"] == "false"
    assert run.parameters["e_housing_share"] == "0.30"
    assert again.parameters["p_amount_large_family"] == "30.00"
    assert again.knowledge_batch > run.knowledge_batch
    assert early.parameters["p_amount_large_family"] == "20.00"
    assert "e_income_threshold_eur" not in early.parameters  # no value yet in 2022
    assert Decimal(run.parameters["e_income_threshold_eur"]) == Decimal("473.53")


def test_a_request_is_audited(computation):
    run = month_run_request(month=NOV, actor=OPERATOR)

    event = AuditEvent.objects.get(action="run.request")
    assert (event.actor_type, event.actor_id) == ("operator", "anna")
    assert (event.target_type, event.target_id) == ("eligibility.monthrun", str(run.pk))
    assert event.data == {"month": "2026-11", "version": 1, "knowledge_batch": run.knowledge_batch}


def test_a_refused_request_writes_nothing(computation):
    month_run_request(month=NOV, actor=OPERATOR)

    with pytest.raises(ApplicationError):
        month_run_request(month=NOV, actor=OPERATOR)

    assert AuditEvent.objects.filter(action="run.request").count() == 1


def test_a_task_that_cannot_be_sent_fails_the_run(computation, executed, monkeypatch):
    from eligibility.tasks import month_run_task

    def no_broker(*args: object, **kwargs: object) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(month_run_task, "delay", no_broker)

    with executed():
        run = month_run_request(month=NOV, actor=OPERATOR)

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "ConnectionError: broker unreachable"
    assert AuditEvent.objects.get(action="run.failed").data["stage"] == "enqueue"
    assert month_run_request(month=NOV, actor=OPERATOR).version == 2  # the month is not blocked


def aged(run: MonthRun, status: str, age: timedelta) -> None:
    """``run`` in ``status`` since ``age`` ago: requested then if queued, started then if running."""
    since = timezone.now() - age
    MonthRun.objects.filter(pk=run.pk).update(
        status=status,
        requested_at=since - timedelta(minutes=5) if status == RunStatus.RUNNING else since,
        started_at=since if status == RunStatus.RUNNING else None,
    )


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_a_stale_run_is_failed_by_the_next_request_which_proceeds(computation, settings, status):
    stuck = month_run_request(month=NOV, actor=OPERATOR)
    aged(stuck, status, stale_after() + timedelta(minutes=1))  # its worker was killed, its task lost

    again = month_run_request(month=NOV, actor=OPERATOR)

    assert (again.version, again.status) == (2, RunStatus.QUEUED)
    stuck.refresh_from_db()
    assert stuck.status == RunStatus.FAILED
    assert stuck.error.startswith(f"stale: {status} since ")
    minutes = settings.ALDIS_RUN_STALE_AFTER_MINUTES
    assert f"longer than a run can take ({minutes} minutes, ALDIS_RUN_STALE_AFTER_MINUTES)" in stuck.error
    assert stuck.finished_at is not None
    failed = AuditEvent.objects.get(action="run.failed")
    assert (failed.actor_type, failed.actor_id, failed.target_id) == ("system", "month-run", str(stuck.pk))
    assert failed.data == {"month": "2026-11", "version": 1, "stage": "stale", "error": "stale"}


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_a_run_not_yet_stale_still_blocks_the_month(computation, status):
    young = month_run_request(month=NOV, actor=OPERATOR)
    aged(young, status, stale_after() - timedelta(minutes=1))

    with pytest.raises(ApplicationError) as refused:
        month_run_request(month=NOV, actor=OPERATOR)

    assert refused.value.code == "run_in_progress"
    young.refresh_from_db()
    assert (young.status, young.error) == (status, "")
    assert not AuditEvent.objects.filter(action="run.failed").exists()


def test_the_staleness_limit_is_a_setting(computation, settings):
    settings.ALDIS_RUN_STALE_AFTER_MINUTES = 180
    run = month_run_request(month=NOV, actor=OPERATOR)
    aged(run, RunStatus.RUNNING, timedelta(minutes=179))

    with pytest.raises(ApplicationError):
        month_run_request(month=NOV, actor=OPERATOR)
    aged(run, RunStatus.RUNNING, timedelta(minutes=181))
    assert month_run_request(month=NOV, actor=OPERATOR).version == 2


def test_the_default_is_derived_from_the_tasks_hard_time_limits():
    from eligibility.limits import stale_after_minutes
    from eligibility.tasks import month_run_chunk_task, month_run_finish_task, month_run_task

    assert stale_after_minutes(1) == 2 * month_run_task.time_limit // 60 == 60
    assert stale_after_minutes(4) * 60 == 2 * (
        month_run_task.time_limit + 4 * month_run_chunk_task.time_limit + month_run_finish_task.time_limit
    )


def test_an_interruption_while_the_task_is_sent_fails_the_run(computation, executed, monkeypatch):
    from eligibility.tasks import month_run_task

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(month_run_task, "delay", interrupted)

    with pytest.raises(KeyboardInterrupt), executed():
        run = month_run_request(month=NOV, actor=OPERATOR)

    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, "KeyboardInterrupt: interrupted")
    assert AuditEvent.objects.get(action="run.failed").data["stage"] == "enqueue"
    assert month_run_request(month=NOV, actor=OPERATOR).version == 2
