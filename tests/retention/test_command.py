"""``purge_expired``: dry run by default, the same counts as the commit, idempotent, audited,
one purge at a time."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone

from aldis.exceptions import ApplicationError
from aldis.feeds.models import FeedBatch
from aldis.retention import PURGE_ACTION, retention_cutoff
from audit.models import AuditEvent
from households.models import Income, Person, PersonCode, PopulationRecord
from tests.retention.conftest import DAY_BEFORE_C, OCT_2024, at, batch, code, person, population, purge

pytestmark = pytest.mark.django_db

GONE, OLD_CODE, STAYS = code(1), code(2), code(3)


def world() -> None:
    """One person gone before C (a record, an income, two codes), one still in the register, and
    a rejected batch from before C."""
    old = batch(at(2019, 3, 1))
    gone = person(GONE, OLD_CODE)
    population(gone, old, valid_to=DAY_BEFORE_C)
    Income.objects.create(person=gone, month=OCT_2024, amount_eur=Decimal("512.00"), learned_in=old)
    population(person(STAYS), old)
    rejected = batch(at(2023, 6, 1))
    FeedBatch.objects.filter(pk=rejected.pk).update(
        error_count=1, errors=[{"line": 2, "column": "personal_code", "value": GONE, "reason": "bad"}]
    )


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_expired", "--as-of", "2026-11-15", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_cutoff_is_the_first_day_of_the_month_24_months_back():
    assert retention_cutoff(as_of=datetime.date(2026, 11, 15), months=24) == datetime.date(2024, 11, 1)
    assert retention_cutoff(as_of=datetime.date(2026, 1, 31), months=24) == datetime.date(2024, 1, 1)
    assert retention_cutoff(as_of=datetime.date(2026, 1, 1), months=1) == datetime.date(2025, 12, 1)


def test_a_dry_run_deletes_nothing_and_counts_what_the_commit_deletes():
    world()
    out = run()
    lines = out.splitlines()
    assert "households.PopulationRecord: would delete 1" in lines
    assert "households.Income: would delete 1" in lines
    assert "households.PersonCode: would delete 2" in lines
    assert "households.Person: would delete 1" in lines
    assert "eligibility.MonthRun.statistics: would keep 0" in lines
    assert "feeds.FeedBatch.errors: would empty 1" in lines
    assert "audit trail: nothing to delete before 2024-11-01" in lines
    assert lines[-1] == (
        "summary: dry run, would delete 5 rows from 4 tables and 0 audit events; would empty the bad rows "
        "of 1 feed batches (retained from 2024-11-01); run again with --commit"
    )
    assert (Person.objects.count(), PersonCode.objects.count(), PopulationRecord.objects.count()) == (2, 3, 2)
    assert not AuditEvent.objects.filter(action=PURGE_ACTION).exists()

    dry = purge(commit=False)
    committed = purge(commit=True)
    assert committed.tables == dry.tables
    assert (Person.objects.count(), PersonCode.objects.count(), PopulationRecord.objects.count()) == (1, 1, 1)


def test_commit_deletes_audits_each_step_and_a_second_run_deletes_nothing():
    world()
    out = run("--commit")
    assert "households.Person: deleted 1" in out.splitlines()
    assert out.splitlines()[-1] == (
        "summary: deleted 5 rows from 4 tables and 0 audit events; emptied the bad rows of 1 feed batches "
        "(retained from 2024-11-01)"
    )
    events = list(AuditEvent.objects.filter(action=PURGE_ACTION).order_by("seq"))
    assert [(e.data["table"], e.data["operation"], e.data["count"]) for e in events] == [
        ("households.Income", "delete", 1),
        ("households.PopulationRecord", "delete", 1),  # the register tables' last: it records deaths
        ("households.PersonCode", "delete", 2),
        ("households.Person", "delete", 1),
        ("feeds.FeedBatch.errors", "empty", 1),
    ]
    assert {e.data["before"] for e in events} == {"2024-11-01"}
    assert {e.actor_type for e in events} == {"operator"}
    for event in events:  # internal names and counts only, never a personal code
        assert GONE not in str(event.data)
        assert OLD_CODE not in str(event.data)

    again = run("--commit")
    assert again.splitlines()[-1] == "summary: nothing past retention before 2024-11-01"
    assert AuditEvent.objects.filter(action=PURGE_ACTION).count() == 5
    assert all(count == 0 for count in purge(commit=True).tables.values())


def test_as_of_may_not_be_in_the_future():
    later = timezone.localdate() + datetime.timedelta(days=2)
    with pytest.raises(CommandError, match="future"):
        call_command("purge_expired", "--as-of", later.isoformat())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's")
def test_a_second_purge_is_refused_while_one_holds_the_lock():
    world()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [0x414C4449_50555247])
        with pytest.raises(ApplicationError, match="another purge is running"):
            purge(commit=True)
        with pytest.raises(CommandError, match="another purge is running"):
            run("--commit")
        assert Person.objects.count() == 2  # nothing deleted
        assert purge(commit=False).tables["households.Person"] == 1  # a dry run needs no lock
    finally:
        other.close()
