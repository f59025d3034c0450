"""What a run's balances credit is fixed once, when it starts (``MonthRun.credited_runs``): every
chunk of a shared run reads that map, even when an earlier month gets a new version between two
chunks (DOMAIN: Balance, Corrections). The lists then correct the balances for it.

Trader A's recipients as in ``tests.eligibility.api.conftest``: C-1's holder (FLAT_1, 25.00 a
month) and B-100's two sub-users (FLAT_2 and FLAT_3, 20.00 each); amounts written by hand."""

from datetime import date
from decimal import Decimal

import pytest

from audit.services import Actor
from compensation.selectors import contract_lines_with_available
from eligibility.models import ContractLine, MonthRun, MonthRunChunk, RunStatus
from eligibility.selectors import credited_runs_in_force, month_key, month_runs_in_force
from eligibility.services import lines as lines_service
from eligibility.services.lines import contract_lines_compute, credited_runs_fix
from eligibility.services.runs import (
    month_run_chunk,
    month_run_execute,
    month_run_finish,
    month_run_request,
    month_run_start_chunked,
)
from tests.eligibility.api.conftest import NOV_2026, OCT_2026, OTHER_TENANT, PARENT, TENANT, compute, family
from tests.eligibility.scheme_p.conftest import run_month

OPERATOR = Actor("operator", "anna")


@pytest.fixture(autouse=True)
def _not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests are not sent to a worker: each test executes them as it says."""
    monkeypatch.setattr("eligibility.services.runs._enqueue", lambda run_id: None)


def executed(month: date) -> MonthRun:
    run = month_run_execute(run_id=month_run_request(month=month, actor=OPERATOR).pk)
    assert run.status == RunStatus.DONE, run.error
    return run


def balances(run: MonthRun) -> dict[tuple[str, str], Decimal]:
    return {
        (line.contract_no, line.sub_user_code): line.balance_eur
        for line in ContractLine.objects.filter(run=run)
    }


def test_every_chunk_reads_the_map_stored_when_the_run_started(registers, monkeypatch):
    # (e)
    family(registers)
    october = executed(OCT_2026)
    november = month_run_request(month=NOV_2026, actor=OPERATOR)
    assert month_run_start_chunked(run_id=november.pk, chunks=3)
    november.refresh_from_db()
    assert november.credited_runs == {"2026-10": october.pk}

    read: list[tuple[int, dict[str, int]]] = []  # (run, the map its lines credited)
    fix = lines_service.credited_runs_fix
    monkeypatch.setattr(
        lines_service, "credited_runs_fix", lambda run: read.append((run.pk, fix(run))) or read[-1][1]
    )

    assert month_run_chunk(run_id=november.pk, index=0, chunks=3) == "done"
    # Between two chunks, October gets a new version: every recipient in debt in October, 0.00.
    registers.debtors(
        *((who, date(2026, 10, 1), date(2026, 10, 31)) for who in (PARENT, TENANT, OTHER_TENANT))
    )
    rerun = executed(OCT_2026)
    assert not ContractLine.objects.filter(run=rerun).exists()
    assert [month_run_chunk(run_id=november.pk, index=i, chunks=3) for i in (1, 2)] == ["done", "done"]
    finished = month_run_finish(run_id=november.pk)

    assert finished.status == RunStatus.DONE, finished.error
    # Each chunk, the map stored at the start (October's re-run read its own: none).
    assert [m for pk, m in read if pk == november.pk] == [{"2026-10": october.pk}] * 3
    assert [m for pk, m in read if pk == rerun.pk] == [{}]
    assert sorted(MonthRunChunk.objects.filter(run=november).values_list("households", flat=True)) == [
        1,
        1,
        1,
    ]
    # Every household in its own chunk, all credited October's version 1 (25.00 and 20.00 each).
    assert balances(finished) == {
        ("B-100", OTHER_TENANT): Decimal("40.00"),
        ("B-100", TENANT): Decimal("40.00"),
        ("C-1", ""): Decimal("50.00"),
    }
    assert finished.credited_runs == {"2026-10": october.pk}
    # What is credited now: October's version 2 (nothing) and November.
    available = {
        (row.contract_no, row.sub_user_code): row.available_eur
        for row in contract_lines_with_available(run=finished, trader_id=registers.trader_a.pk)
    }
    assert available == {
        ("B-100", OTHER_TENANT): Decimal("20.00"),
        ("B-100", TENANT): Decimal("20.00"),
        ("C-1", ""): Decimal("25.00"),
    }


def test_a_whole_run_stores_its_map_at_the_start(registers):
    family(registers)
    january = executed(date(2026, 1, 1))
    october = executed(OCT_2026)
    november = executed(NOV_2026)

    assert january.credited_runs == {}
    assert october.credited_runs == {"2026-01": january.pk}
    assert november.credited_runs == {"2026-01": january.pk, "2026-10": october.pk}
    assert balances(november)[("C-1", "")] == Decimal("75.00")


def test_a_run_computed_outside_the_runs_service_stores_its_map_once(registers):
    family(registers)
    october = compute(OCT_2026)
    run = run_month(NOV_2026).run  # no start: no map yet
    assert run.credited_runs is None

    assert credited_runs_fix(run) == {"2026-10": october.pk}
    assert MonthRun.objects.get(pk=run.pk).credited_runs == {"2026-10": october.pk}
    # Once stored, it stays: a later version of October does not change what the run reads.
    compute(OCT_2026)
    again = MonthRun.objects.get(pk=run.pk)
    assert credited_runs_fix(again) == {"2026-10": october.pk}
    contract_lines_compute(run=again)
    assert balances(again)[("C-1", "")] == Decimal("50.00")


@pytest.mark.django_db
def test_the_map_names_each_earlier_months_newest_done_version_of_the_year():
    def run(month: date, version: int, status: str) -> MonthRun:
        return MonthRun.objects.create(
            month=month, version=version, status=status, knowledge_batch=0, requested_by="test"
        )

    run(date(2025, 12, 1), 1, RunStatus.DONE)  # last year: lapsed
    january = run(date(2026, 1, 1), 1, RunStatus.DONE)
    run(OCT_2026, 1, RunStatus.DONE)
    october = run(OCT_2026, 2, RunStatus.DONE)
    run(OCT_2026, 3, RunStatus.FAILED)
    run(date(2026, 9, 1), 1, RunStatus.RUNNING)  # not done: not credited
    run(NOV_2026, 1, RunStatus.DONE)  # the month itself is not in its map

    expected = {"2026-01": january.pk, "2026-10": october.pk}
    assert credited_runs_in_force(month=NOV_2026) == expected
    assert credited_runs_in_force(month=date(2026, 12, 1)) == {
        **expected,
        "2026-11": MonthRun.objects.get(month=NOV_2026).pk,
    }
    in_force = month_runs_in_force(months_from=date(2026, 1, 1), months_before=NOV_2026)
    assert {month_key(m): pk for m, pk in in_force.items()} == expected
    assert credited_runs_in_force(month=date(2026, 1, 1)) == {}
