"""Whether a register table has been written since a batch: marks that PostgreSQL triggers keep.

What for: an identical snapshot sent again, known as of a later date (a register re-sending an
unchanged extract), changes nothing, provided nothing it reads or writes has changed since the
last applied batch of its feed and sender brought those bytes. Every row then equals its current
version, and whatever is missing from the file had already ended before that batch's ``as_of``.
``feed_import`` then applies the file without reading it (``unchanged_since``).

How: one sequence, and a statement-level trigger on each watched table that stores the
sequence's next value as the table's mark (``TableWrite``). A batch records the highest mark when
it finishes (``FeedBatch.write_mark``); a table written since has a higher one. Every writer is
seen, whoever it is (an import, a merge of persons, the retention purge, staff, a hand-written
statement), and a statement counts even if it changed no row, which errs on the safe side.

Watched: every versioned table (``VersionedRecord``), for every kind of write; and the tables
that codes resolve through (persons, personal codes, addresses, organisations) for updates,
deletes and truncation only. A new code or address cannot change what the codes of an applied
file resolve to (each was resolved, so each is already there; codes are unique), so adding one
does not count: an income file that names no new person leaves the population snapshot's mark.

Writers wait for a running import. A batch's mark is read when the import ends, so a write that
committed while the import was reading, unseen by it, would carry a lower mark and never look
"written since". The triggers therefore run before each statement and first take the import lock
(``lock_imports``) in shared mode: a staff edit or a hand-written statement waits until the
import in progress commits and then draws a higher mark; an import waits for such writers to
commit before it starts, and then reads what they wrote. Imports, parameter edits, the purge and
a run fixing its knowledge horizon hold the lock exclusively, so their own statements pass.

Triggers are installed after every ``migrate`` (``install``), so a new versioned table is never
missed. SQLite keeps no marks: every import there reads its file, and its IMMEDIATE transactions
already exclude every other writer.
"""

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, connections

from aldis.feeds.models import TableWrite, VersionedRecord
from aldis.feeds.spec import FeedSpec

TRIGGER = "aldis_written"
IMPORT_LOCK_KEY = 0x414C4449_46454544  # "ALDIFEED"
SEQUENCE = "feeds_tablewrite_mark"
RESOLUTION_TABLES = (
    "households_person",
    "households_personcode",
    "households_address",
    "organisations_organisation",
)


def lock_imports() -> None:
    """Hold the feed import's lock until the transaction ends (PostgreSQL): no import, parameter
    edit, purge step or run horizon runs meanwhile, and every other writer of a watched table
    waits (the triggers take the lock shared)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def imports_locked_out() -> bool:
    """Hold the import lock shared until the transaction ends, if no import is running (True);
    False at once if one is. For a person at a screen: a change to a watched table would
    otherwise wait, silently, for as long as a national file takes (minutes). SQLite: True."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock_shared(%s)", [IMPORT_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def refuse_while_importing(what: str) -> None:
    """For an admin form's ``clean`` (inside the admin's transaction): refuse the change with a
    message at once while an import runs, rather than let the request wait for it; otherwise hold
    the lock shared until the change commits, so no import starts in between."""
    if not imports_locked_out():
        raise ValidationError(
            f"A feed import is being applied; {what} can be changed when it finishes "
            "(Feed batches shows it). Nothing was saved.",
            code="import_running",
        )


def versioned_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, VersionedRecord) and not model._meta.proxy
    )


def _ddl() -> list[str]:
    mark_table = TableWrite._meta.db_table
    statements = [
        f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}",
        f"""CREATE OR REPLACE FUNCTION aldis_table_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared({IMPORT_LOCK_KEY});
    INSERT INTO {mark_table} ("table", mark) VALUES (TG_TABLE_NAME, nextval('{SEQUENCE}'))
    ON CONFLICT ("table") DO UPDATE SET mark = EXCLUDED.mark;
    RETURN NULL;
END $$""",  # noqa: S608 (names from the models, no input)
    ]
    for table, events in _watched().items():
        statements.append(
            f"CREATE OR REPLACE TRIGGER {TRIGGER} BEFORE {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION aldis_table_written()"
        )
    return statements


def _watched() -> dict[str, str]:
    watched = dict.fromkeys(versioned_tables(), "INSERT OR UPDATE OR DELETE OR TRUNCATE")
    watched.update(dict.fromkeys(RESOLUTION_TABLES, "UPDATE OR DELETE OR TRUNCATE"))
    return watched


def _all_installed(using: str) -> bool:
    watched = list(_watched())
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_trigger WHERE tgname = %s AND tgrelid::regclass::text = ANY(%s)",
            [TRIGGER, watched],
        )
        return bool(cursor.fetchone()[0] == len(watched))


def install(using: str = "default", **kwargs: Any) -> None:
    """The sequence, the function and one trigger per watched table (PostgreSQL; idempotent).

    Connected to ``post_migrate``, which is sent once per app after every ``migrate`` and every
    test flush: returns at once when every trigger is there, and installs nothing until every
    watched table exists."""
    connection = connections[using]
    if connection.vendor != "postgresql" or _all_installed(using):
        return
    tables = [TableWrite._meta.db_table, *_watched()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT bool_and(to_regclass(t) IS NOT NULL) FROM unnest(%s::text[]) t", [tables])
        if not cursor.fetchone()[0]:
            return
        for statement in _ddl():
            cursor.execute(statement)


def tables_of(spec: FeedSpec) -> list[str]:
    """What an import of ``spec`` depends on: its own table, the tables codes resolve through,
    and the other versioned tables it reads."""
    read = [apps.get_model(model)._meta.db_table for model in spec.reads]
    return [apps.get_model(spec.model)._meta.db_table, *RESOLUTION_TABLES, *read]


def tracked() -> bool:
    """Whether marks are kept: PostgreSQL, with every trigger in place (a database set up
    without ``migrate``'s signal has none, and then no table would ever look written)."""
    return connections["default"].vendor == "postgresql" and _all_installed("default")


def current_mark() -> int | None:
    """The highest mark of any table (None where no marks are kept)."""
    if not tracked():
        return None
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(mark), 0) FROM {TableWrite._meta.db_table}")  # noqa: S608
        return int(cursor.fetchone()[0])


def written_since(tables: Iterable[str], mark: int) -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f'SELECT EXISTS (SELECT 1 FROM {TableWrite._meta.db_table} WHERE "table" = ANY(%s) AND mark > %s)',  # noqa: S608
            [list(tables), mark],
        )
        return bool(cursor.fetchone()[0])
