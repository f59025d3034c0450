"""``run_month YYYY-MM [--wait]``: in-process it prints the summary; with a broker it prints the
run id, or follows the run with ``--wait``; a failed run exits non-zero with its error.

These tests commit, as a command does: the request's task is sent when it commits.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from eligibility.models import MonthRun, RunStatus
from eligibility.services.runs import month_run_execute, stale_after
from eligibility.tasks import month_run_task

pytestmark = pytest.mark.django_db(transaction=True)


def run_month(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("run_month", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_in_process_it_prints_the_summary(computation):
    out, _ = run_month("2026-11")

    run = MonthRun.objects.get()
    assert run.status == RunStatus.DONE
    assert run.requested_by.startswith("operator:")
    assert out.splitlines()[1:] == [
        "households: 10 (persons without an address: 1)",
        "units granted:",
        "  needy_low_income: 0",
        "  large_family: 1",
        "  disabled_child: 2",
        "  group_i_disability: 0",
        "10 households, 3 entitled, 1 unattributed, total 65.00 EUR",
    ]
    assert out.startswith(f"Run {run.pk}, 2026-11 version 1: done in ")


def test_a_failed_run_exits_non_zero_with_its_error(computation):
    computation.error = RuntimeError("boom")

    with pytest.raises(CommandError, match=r"2026-11 version 1 failed: RuntimeError: boom"):
        run_month("2026-11")

    assert MonthRun.objects.get().status == RunStatus.FAILED


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "2026-1", "november"])
def test_a_bad_month_is_refused(month):
    with pytest.raises(CommandError, match="is not a month: write YYYY-MM"):
        run_month(month)
    assert not MonthRun.objects.exists()


def test_a_month_in_progress_is_refused(computation, monkeypatch):
    monkeypatch.setattr(month_run_task, "delay", lambda run_id: None)  # a broker nobody serves
    run_month("2026-11")

    with pytest.raises(CommandError, match="a run of 2026-11 is already queued"):
        run_month("2026-11")


def test_with_a_broker_it_prints_the_run_id_and_returns(computation, monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(month_run_task, "delay", sent.append)

    out, _ = run_month("2026-11")

    run = MonthRun.objects.get()
    assert sent == [run.pk]
    assert run.status == RunStatus.QUEUED
    assert out == f"Run {run.pk}, 2026-11 version 1: sent to the workers (run id {run.pk})\n"


def test_with_a_broker_wait_follows_the_run_to_its_summary(computation, monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(month_run_task, "delay", sent.append)

    def a_worker_meanwhile(seconds: float) -> None:
        month_run_execute(run_id=sent.pop())

    monkeypatch.setattr("eligibility.management.commands.run_month.time.sleep", a_worker_meanwhile)

    out, err = run_month("2026-11", "--wait")

    assert "sent to the workers" in out
    assert out.endswith("10 households, 3 entitled, 1 unattributed, total 65.00 EUR\n")
    assert "1/1" in err  # the progress bar over the run's chunks
    assert sent == []


def test_with_a_broker_wait_reports_a_failure(computation, monkeypatch):
    computation.error = RuntimeError("boom")
    sent: list[int] = []
    monkeypatch.setattr(month_run_task, "delay", sent.append)
    monkeypatch.setattr(
        "eligibility.management.commands.run_month.time.sleep", lambda s: month_run_execute(run_id=sent.pop())
    )

    with pytest.raises(CommandError, match="failed: RuntimeError: boom"):
        run_month("2026-11", "--wait")


def test_ctrl_c_in_process_fails_the_run_and_the_month_can_run_again(computation):
    computation.error = KeyboardInterrupt()

    with pytest.raises(KeyboardInterrupt):
        run_month("2026-11")

    run = MonthRun.objects.get()
    assert (run.status, run.error) == (RunStatus.FAILED, "KeyboardInterrupt: interrupted")
    computation.error = None
    out, _ = run_month("2026-11")
    assert "2026-11 version 2: done in " in out


def test_with_a_broker_wait_stops_at_a_stale_run(computation, monkeypatch):
    monkeypatch.setattr(month_run_task, "delay", lambda run_id: None)  # the task is lost
    polls: list[float] = []

    def time_passes(seconds: float) -> None:
        polls.append(seconds)
        assert len(polls) < 5, "still waiting for a stale run"
        MonthRun.objects.update(requested_at=timezone.now() - stale_after() - timedelta(minutes=1))

    monkeypatch.setattr("eligibility.management.commands.run_month.time.sleep", time_passes)

    with pytest.raises(CommandError, match=r"2026-11 version 1 failed: stale: queued since "):
        run_month("2026-11", "--wait")

    assert MonthRun.objects.get().status == RunStatus.FAILED
    assert len(polls) == 1
