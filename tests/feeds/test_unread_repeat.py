"""An identical file sent again, known as of a later date, is applied without being read when
nothing it depends on has been written since (PostgreSQL, ``aldis.feeds.writes``); and whenever
something has, it is read and gives what a full import gives. The outcome tests run on both
databases: on SQLite every import reads its file, so they pin down the answer the shortcut must
never differ from."""

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from aldis.feeds import writes
from aldis.feeds.models import FeedBatch
from aldis.feeds.registry import feed_spec, feed_specs
from households.models import Person, PersonCode, PopulationRecord
from tests.eligibility.conftest import HEADER as PARAMETERS_HEADER
from tests.eligibility.conftest import TABLE
from tests.feeds.conftest import (
    ANNA,
    BERTS,
    BUILDING,
    CONTRACTS_HEADER,
    DAVIS,
    DSO_ORG,
    FLAT_1,
    INCOME_HEADER,
    ON_POSTGRES,
    POPULATION_HEADER,
    SUB_USERS_HEADER,
    current,
    run_import,
    versions,
)
from tests.feeds.test_import_semantics import (
    ANNA_AT_FLAT_1,
    APR_1,
    BERTS_AT_FLAT_1,
    CILDA_AT_HOUSE,
    FEB_1,
    MAR_1,
    applied,
    counts,
)

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only: SQLite keeps no write marks")

POPULATION = [ANNA_AT_FLAT_1, BERTS_AT_FLAT_1, CILDA_AT_HOUSE]
JAN_15 = date(2024, 1, 15)


def import_read(feed: str, path: Path, **kwargs) -> tuple[FeedBatch, bool]:
    """Import; and whether the file was read (staged into ``feed_raw``)."""
    with CaptureQueriesContext(connection) as queries:
        batch = run_import(feed, path, **kwargs)
    return batch, any("feed_raw" in query["sql"] for query in queries.captured_queries)


@pytest.fixture
def population(world, write_csv: Callable[..., Path]) -> tuple[Path, FeedBatch]:
    path = write_csv(POPULATION_HEADER, POPULATION)
    return path, applied(run_import("population", path, as_of=FEB_1))


@postgres_only
def test_the_same_snapshot_a_month_later_is_applied_unread(population):
    path, first = population
    before = versions(PopulationRecord)
    again, read = import_read("population", path, as_of=MAR_1)
    assert not read
    assert counts(applied(again)) == (3, 0, 0, 0, 3)
    assert again.repeat_of_id is None  # applied for its own date, not a repeat of the same one
    assert versions(PopulationRecord) == before
    assert again.write_mark == first.write_mark  # nothing written: a third sending is unread too
    third, read = import_read("population", path, as_of=APR_1)
    assert not read
    assert counts(applied(third)) == (3, 0, 0, 0, 3)


@postgres_only
def test_a_write_to_another_feeds_table_leaves_the_shortcut(population, import_rows):
    path, _ = population
    applied(import_rows("income", INCOME_HEADER, [(ANNA, "2024-01", "100.00")]))
    _, read = import_read("population", path, as_of=MAR_1)
    assert not read


@postgres_only
def test_with_a_trigger_missing_nothing_is_applied_unread(population):
    """A database whose triggers are incomplete could not tell a written table from an unwritten
    one: every file is read."""
    path, _ = population
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {writes.TRIGGER} ON households_personcode")
    assert not writes.tracked()
    _, read = import_read("population", path, as_of=MAR_1)
    assert read


@postgres_only
def test_an_earlier_as_of_is_read(population):
    path, _ = population
    _, read = import_read("population", path, as_of=JAN_15)
    assert read


@postgres_only
def test_the_parameters_table_is_always_read(db, write_csv):
    path = write_csv(PARAMETERS_HEADER, TABLE)
    applied(run_import("parameters", path, as_of=FEB_1))
    _, read = import_read("parameters", path, as_of=MAR_1)
    assert read


def test_a_version_ended_by_another_writer_comes_back(population):
    """Something other than an import supersedes Anna's version (staff, a hand-written statement):
    the same file again must bring it back, as any import of a file naming her does."""
    path, first = population
    PopulationRecord.objects.filter(person__personal_code=ANNA).update(superseded_in=first)
    again, read = import_read("population", path, as_of=MAR_1)
    assert read
    assert counts(applied(again)) == (3, 1, 0, 0, 2)
    (anna,) = current(PopulationRecord, person__personal_code=ANNA)
    assert anna.learned_in_id == again.pk


def test_a_code_moved_to_another_person_is_read_again(population):
    """Berts's code re-pointed at Anna's person by a hand-written statement (an update of the
    codes, not an addition): read again, the file now names Anna's person twice."""
    path, _ = population
    anna = PersonCode.objects.get(code=ANNA).person_id
    PersonCode.objects.filter(code=BERTS).update(person_id=anna)
    again, read = import_read("population", path, as_of=MAR_1)
    assert read
    assert again.status == "rejected"
    assert [(e["line"], e["column"]) for e in again.errors] == [(3, "personal_code")]


@postgres_only
def test_a_sub_user_file_is_read_again_after_its_contracts_change(world, import_rows, write_csv):
    contracts = [("A-9", DSO_ORG, BUILDING, "", "building", "2020-01-01", "")]
    applied(import_rows("contracts", CONTRACTS_HEADER, contracts, as_of=FEB_1, sender=world.trader_a))
    sub_users = write_csv(SUB_USERS_HEADER, [(ANNA, "A-9", FLAT_1, "2023-06-01", "")])
    applied(run_import("sub_users", sub_users, as_of=FEB_1, sender=world.trader_a))
    applied(import_rows("contracts", CONTRACTS_HEADER, [], as_of=MAR_1, sender=world.trader_a))  # A-9 ended
    _, read = import_read("sub_users", sub_users, as_of=APR_1, sender=world.trader_a)
    assert read  # its contract check reads the contracts (FeedSpec.reads)


@postgres_only
def test_marks_count_updates_of_codes_but_not_additions(population):
    tables = writes.tables_of(feed_spec("population"))
    mark = writes.current_mark()
    PersonCode.objects.create(code=DAVIS, person=Person.objects.create(personal_code=DAVIS))
    assert not writes.written_since(tables, mark)
    PersonCode.objects.filter(code=DAVIS).update(code=DAVIS)  # even an update that changes nothing
    assert writes.written_since(tables, mark)


@postgres_only
def test_every_versioned_table_and_code_table_has_its_trigger(db):
    assert writes.tracked()
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s", [writes.TRIGGER])
        triggered = {row[0] for row in cursor.fetchall()}
    assert set(writes.versioned_tables()) | set(writes.RESOLUTION_TABLES) <= triggered
    assert {"households_income", "traders_contract", "eligibility_parametervalue"} <= triggered


@pytest.mark.parametrize(
    "write",
    [
        "UPDATE organisations_organisation SET name = name",
        "UPDATE households_personcode SET code = code",
        "DELETE FROM households_income WHERE false",  # a statement counts even if it writes no row
    ],
)
@postgres_only
def test_a_writer_waits_for_the_import_in_progress(other_session, write):
    """Else a write committed while an import reads, unseen by it, would carry a mark below the
    import's and an identical file would later be applied unread."""
    other_session.execute("SELECT pg_advisory_lock(%s)", [writes.IMPORT_LOCK_KEY])  # an import runs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '200ms'")
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            cursor.execute(write)
    other_session.execute("SELECT pg_advisory_unlock(%s)", [writes.IMPORT_LOCK_KEY])
    mark = writes.current_mark()
    with connection.cursor() as cursor:
        cursor.execute(write)
    assert writes.current_mark() > mark


@postgres_only
def test_the_lock_holder_writes_without_waiting(other_session):
    """An import (or the purge, or a parameter edit) holds the lock itself: its writes pass."""
    writes.lock_imports()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '200ms'")
        cursor.execute("UPDATE organisations_organisation SET name = name")
    other = other_session.execute("SELECT pg_try_advisory_lock_shared(%s)", [writes.IMPORT_LOCK_KEY])
    assert other.fetchone() == (False,)  # held exclusively, by this transaction


def test_sqlite_keeps_no_marks(population):
    _, first = population
    if ON_POSTGRES:
        assert first.write_mark is not None
        assert first.write_mark > 0
    else:
        assert first.write_mark is None
        assert not writes.tracked()


@pytest.mark.parametrize("name", sorted(feed_specs()))
def test_every_table_a_feeds_checks_read_is_one_it_depends_on(name):
    """A check or reference reading another table must be declared (``FeedSpec.reads``), or an
    identical file would be applied unread after that table changed."""
    spec = feed_spec(name)
    sql = " ".join([*(r.exists_sql for r in spec.references), *(c.reason_sql for c in spec.checks)])
    named = set(re.findall(r"\b((?:households|traders|organisations|eligibility)_[a-z]+)\b", sql))
    assert named <= set(writes.tables_of(spec))
