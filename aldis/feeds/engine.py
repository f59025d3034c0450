"""The import engine: a feed file into versioned records, all or nothing, set-based.

Stages, all inside the caller's transaction:

1. ``load``: the file's rows into a temporary staging table ``feed_raw`` (PostgreSQL: one
   ``COPY`` straight from the file; SQLite: Python's csv module), numbered by line.
2. ``validate``: every check of INTERFACES §1 as SQL over ``feed_norm`` (the normalised rows):
   types and formats, check digits, enums, lengths, row rules, duplicate keys, references.
   Every bad row is collected (up to ``ERROR_CAP``); any bad row rejects the whole file.
3. ``promote``: ``feed_in`` (rows typed and resolved to internal ids) is compared with the
   current versions by key: new keys and changed rows get a new version and the old one is
   superseded; unchanged rows get nothing; in a snapshot, current versions whose key is missing
   end the day before ``as_of`` (as a new version). A first load (nothing current in the table)
   has nothing to compare or end: its rows are written as they are. Personal codes the database
   does not know yet become persons of their own (``spec.person_columns``).

An identical file sent again for a later date may be applied without these stages: see
``aldis.feeds.writes`` and ``feed_import``.

The same SQL runs on both databases; the few differences are in ``Dialect``. The field checks
are SQL functions of the same names on both (``aldis.feeds.checks``).
"""

import csv
import io
import logging
import re
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import Model

from aldis.feeds.spec import Column, FeedSpec, T
from aldis.organisations.models import Organisation

logger = logging.getLogger(__name__)
# A field may be long (and is then reported as too long, not as broken CSV).
csv.field_size_limit(sys.maxsize)

ERROR_CAP = 100_000
# A batch adding at least this many rows to a table, and at least as many as it holds, drops the
# table's indexes and builds them again afterwards (see ``indexes_rebuilt_after``).
REBUILD_MIN_ROWS = 100_000
# A file this large is planned as a national one (``feed_import``), and a snapshot this large
# sorts all its rows to find a repeated person (``_repeats_before_writing``).
LARGE_FILE_ROWS = 100_000
VALUE_SHOWN = 80  # characters of a bad value echoed back in an error
_CHUNK = 1 << 20
STAGING_TABLES = ("feed_raw", "feed_norm", "feed_in", "feed_delta", "feed_end", "feed_prev", "feed_merge")


@dataclass(frozen=True)
class BadRow:
    line: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "value": self.value, "reason": self.reason}

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        shown = f" {self.value!r}" if self.value else ""
        return f"{where}{shown}: {self.reason}"


class FeedRejected(Exception):
    def __init__(self, errors: list[BadRow], total: int | None = None) -> None:
        self.errors = sorted(errors, key=lambda e: (e.line, e.column))[:ERROR_CAP]
        self.total = total if total is not None else len(errors)
        super().__init__(f"{self.total} bad row(s)")


@dataclass
class PromotionCounts:
    rows: int = 0
    inserted: int = 0
    changed: int = 0
    ended: int = 0

    @property
    def unchanged(self) -> int:
        return self.rows - self.inserted - self.changed


class Dialect:
    """The few places where PostgreSQL and SQLite need different SQL."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.postgres = vendor == "postgresql"

    def temp_table(self, name: str, select_sql: str, index: tuple[str, ...] = ()) -> list[str]:
        """The statements that (re)create a temporary table from a query, with an index on each
        column of ``index``. On PostgreSQL it is analysed at once: autovacuum never visits
        temporary tables, and the joins that read it next need to know its size."""
        schema, create = (
            ("pg_temp", f"CREATE TEMP TABLE {name} ON COMMIT DROP")
            if self.postgres
            else ("temp", f"CREATE TEMP TABLE {name}")
        )
        statements = [f"DROP TABLE IF EXISTS {schema}.{name}", f"{create} AS {select_sql}"]
        statements += [f"CREATE INDEX {name}_{column} ON {name} ({column})" for column in index]
        if self.postgres:
            statements.append(f"ANALYZE {name}")
        return statements

    def cast(self, expr: str, type_: T) -> str:
        if type_ is T.DATE:
            return f"CAST({expr} AS date)" if self.postgres else expr
        if type_ is T.MONTH:
            return f"CAST({expr} || '-01' AS date)" if self.postgres else f"({expr} || '-01')"
        if type_ in (T.MONEY, T.DECIMAL):
            return f"CAST({expr} AS numeric)" if self.postgres else expr
        if type_ is T.BOOL:
            return (
                f"({expr} = 'true')"
                if self.postgres
                else f"(CASE WHEN {expr} = 'true' THEN 1 WHEN {expr} = 'false' THEN 0 END)"
            )
        return expr

    @property
    def true(self) -> str:
        return "true" if self.postgres else "1"

    @property
    def false(self) -> str:
        return "false" if self.postgres else "0"

    def boolean(self, condition: str) -> str:
        """A boolean column's value from ``condition`` (true or false, never NULL)."""
        return f"CASE WHEN {condition} THEN {self.true} ELSE {self.false} END"

    @property
    def now(self) -> str:
        return "now()" if self.postgres else "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now')"

    def bytewise(self, expr: str) -> str:
        """Text ``expr`` to sort byte by byte, whatever the database's collation: PostgreSQL
        otherwise sorts by the column's collation (under en_US 'a-100' before 'B-100'); SQLite's
        default collation is already binary."""
        return f'{expr} COLLATE "C"' if self.postgres else expr

    def differs(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}" if self.postgres else f"{a} IS NOT {b}"

    def day_before(self, expr: str) -> str:
        return f"({expr} - 1)" if self.postgres else f"date({expr}, '-1 day')"

    @property
    def fence(self) -> str:
        """Ends a subquery that must be computed as written: without it the planner pushes an
        outer filter down into it (a check meant for each distinct value would run on every row).
        Neither database pushes a filter into a subquery with a LIMIT or an OFFSET."""
        return " OFFSET 0" if self.postgres else " LIMIT -1"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass
class ImportContext:
    """What the engine and a spec's hooks share during one import."""

    spec: FeedSpec
    batch_id: int
    as_of: date
    sender: Organisation | None
    dialect: Dialect
    joins: dict[str, str] = field(default_factory=dict)
    persons: dict[str, str] = field(default_factory=dict)  # an expression ``person`` gave -> its column

    @property
    def params(self) -> dict[str, Any]:
        return {
            "batch": self.batch_id,
            "as_of": self.as_of,
            "day_before": self.as_of - timedelta(days=1),
            "sender": self.sender.pk if self.sender else None,
            "sender_kind": self.sender.kind if self.sender else None,
        }

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.spec.model)

    @property
    def table(self) -> str:
        return _q(self.model._meta.db_table)

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(sql, {**self.params, **(params or {})})
            rowcount = max(cursor.rowcount, 0)
        logger.debug("%s: %.3fs %s", self.spec.name, time.monotonic() - started, sql[:160])
        return rowcount

    def fetchall(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(sql, {**self.params, **(params or {})})
            rows = list(cursor.fetchall())
        logger.debug("%s: %.3fs %s", self.spec.name, time.monotonic() - started, sql[:160])
        return rows

    def drop(self, *tables: str) -> None:
        """Drop staging tables left by an earlier import on this connection.

        PostgreSQL drops them at commit (``ON COMMIT DROP``), but not when the import's
        transaction is a savepoint inside an outer one (as in tests); SQLite keeps them for the
        connection's life."""
        schema = "pg_temp" if self.dialect.postgres else "temp"
        for table in tables:
            self.execute(f"DROP TABLE IF EXISTS {schema}.{table}")

    def temp(self, name: str, select_sql: str) -> None:
        for statement in self.dialect.temp_table(name, select_sql):
            self.execute(statement)

    # Helpers for a spec's mapping: typed values and resolved ids of the normalised row ``n``.
    def value(self, column: str) -> str:
        return self.dialect.cast(f"n.{_q(column)}", self.spec.column(column).type)

    def person(self, column: str) -> str:
        alias = f"pc_{column}"
        self.joins[alias] = f"LEFT JOIN households_personcode {alias} ON {alias}.code = n.{_q(column)}"
        self.persons[f"{alias}.person_id"] = column
        return f"{alias}.person_id"

    def address(self, column: str) -> str:
        alias = f"ad_{column}"
        self.joins[alias] = f"LEFT JOIN households_address {alias} ON {alias}.code = n.{_q(column)}"
        return f"{alias}.id"

    def organisation(self, column: str) -> str:
        alias = f"org_{column}"
        self.joins[alias] = f"LEFT JOIN organisations_organisation {alias} ON {alias}.code = n.{_q(column)}"
        return f"{alias}.id"


# --- 0. the file itself --------------------------------------------------------------------


@dataclass
class FileFacts:
    header: list[str]
    header_bytes: int  # offset of the first data row
    data_rows_hint: bool  # anything after the header


def read_header(path: Path, spec: FeedSpec) -> FileFacts:
    """Check encoding, emptiness and the header; raise ``FeedRejected`` naming what is wrong.

    The whole file is decoded once as UTF-8 (in chunks, so memory stays flat) to find the first
    bad byte's line; NUL bytes are refused too.
    """
    errors: list[BadRow] = []
    with path.open("rb") as handle:
        first = handle.readline()
        header_bytes = len(first)
        rest_start = handle.read(1)
    if not first.strip(b"\xef\xbb\xbf \r\n"):
        raise FeedRejected([BadRow(1, "", "", "the file is empty: a header row is expected")])
    _check_encoding(path)
    text = first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
    if "\r" in text:
        raise FeedRejected(
            [BadRow(1, "", "", "a line ends in a carriage return alone: lines end with LF or CRLF")]
        )
    header = next(csv.reader([text]))
    expected = spec.column_names
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(BadRow(1, name, "", "column appears twice in the header"))
        elif name not in expected:
            errors.append(
                BadRow(1, name, "", f"unknown column; the {spec.name} feed has: {', '.join(expected)}")
            )
        seen.add(name)
    for name in expected:
        if name not in seen:
            errors.append(BadRow(1, name, "", "column missing from the header"))
    if errors:
        raise FeedRejected(errors)
    return FileFacts(header=header, header_bytes=header_bytes, data_rows_hint=bool(rest_start.strip()))


def _check_encoding(path: Path) -> None:
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk.count(b"\n", 0, exc.start)
                raise FeedRejected([BadRow(line, "", "", "the file is not UTF-8 (bad byte here)")]) from None
            if b"\x00" in chunk:
                line += chunk.count(b"\n", 0, chunk.index(b"\x00"))
                raise FeedRejected([BadRow(line, "", "", "the file holds a NUL byte")])
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FeedRejected(
                [BadRow(line, "", "", "the file is not UTF-8 (it ends inside a character)")]
            ) from None


def structure_errors(path: Path, facts: FileFacts) -> list[BadRow]:
    """Every row whose field count differs from the header's (or that breaks CSV quoting)."""
    errors = []
    width = len(facts.header)
    for line, row, problem in _rows(path, facts):
        if problem:
            errors.append(BadRow(line, "", "", problem))
            break
        if len(row) != width:
            reason = (
                "the row is empty" if not row else f"the row has {len(row)} fields; the header has {width}"
            )
            errors.append(BadRow(line, "", "", reason))
    return errors


# An RFC 4180 record: fields quoted whole (a quote inside written twice) or holding no quote.
_FIELD = r'(?:"(?:[^"]|"")*"|[^",\r\n]*)'
_RECORD = re.compile(rf"{_FIELD}(?:,{_FIELD})*\r?\n?")


class _QuotingBroken(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def _rfc4180_lines(lines: Iterable[str]) -> Iterator[str]:
    """The lines after the header, each record that quotes anything checked against RFC 4180
    on the way.

    Python's csv (even strict) takes a quote inside an unquoted field as a letter, and
    PostgreSQL's COPY as the start of a quoted section: such a file means different things to
    the two paths, so it is refused on both. A record ends where its quotes are balanced.
    """
    record: list[str] = []
    quotes = start = 0
    for number, line in enumerate(lines, start=2):
        if record or '"' in line:
            if not record:
                start = number
            record.append(line)
            quotes += line.count('"')
            if quotes % 2 == 0:
                if not _RECORD.fullmatch("".join(record)):
                    raise _QuotingBroken(
                        start, "a quote may stand only around a whole field, or doubled inside one"
                    )
                record, quotes = [], 0
        yield line
    if record:
        raise _QuotingBroken(start, "a quote is never closed")


def _rows(path: Path, facts: FileFacts) -> Iterator[tuple[int, list[str], str]]:
    """Each record after the header: the file line it starts on (a quoted field may span lines),
    its fields, and what breaks its quoting ("" if nothing)."""
    with path.open("rb") as handle:
        handle.seek(facts.header_bytes)
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        reader = csv.reader(_rfc4180_lines(text), strict=True)
        read = 0  # lines of the file after the header read so far
        try:
            for row in reader:
                yield 2 + read, row, ""
                read = reader.line_num
        except _QuotingBroken as exc:
            yield exc.line, [], f"the CSV quoting is broken: {exc}"
        except csv.Error as exc:
            yield 2 + read, [], f"the CSV quoting is broken: {exc}"


# --- 1. load ---------------------------------------------------------------------------------


class StructureBroken(Exception):
    """COPY refused the file's structure; the caller re-reads it to report every such row."""


def load(ctx: ImportContext, path: Path, facts: FileFacts) -> int:
    columns = ", ".join(f"{_q(c)} text" for c in ctx.spec.column_names)
    ctx.drop(*STAGING_TABLES)
    if ctx.dialect.postgres:
        ctx.execute(
            f"CREATE TEMP TABLE feed_raw (line bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 2), {columns}) "
            "ON COMMIT DROP"
        )
        if _copy_postgres(path, facts):
            _quoting_checked(ctx, path, facts)
    else:
        ctx.execute(f"CREATE TEMP TABLE feed_raw (line integer PRIMARY KEY, {columns})")
        _insert_sqlite(path, facts)
    return int(ctx.fetchall("SELECT COUNT(*) FROM feed_raw")[0][0])


def _copy_postgres(path: Path, facts: FileFacts) -> bool:
    """COPY the rows into ``feed_raw``, numbered by record; whether the file quotes anything."""
    import psycopg

    target = ", ".join(_q(c) for c in facts.header)
    quoted = False
    with connection.cursor() as cursor, path.open("rb") as handle:
        handle.seek(facts.header_bytes)
        raw = cursor.cursor
        try:
            with raw.copy(f"COPY feed_raw ({target}) FROM STDIN WITH (FORMAT csv, ENCODING 'UTF8')") as copy:
                while chunk := handle.read(_CHUNK):
                    quoted = quoted or b'"' in chunk
                    copy.write(chunk)
        except (psycopg.errors.BadCopyFileFormat, psycopg.errors.DataError) as exc:
            raise StructureBroken(str(exc)) from exc
    return quoted


def _quoting_checked(ctx: ImportContext, path: Path, facts: FileFacts) -> None:
    """A file that quotes fields, read again as RFC 4180 strictly as the SQLite path reads it.

    PostgreSQL's COPY is lenient where INTERFACES §1 is not: it reads ``"Ber"ts`` as ``Berts``.
    And it numbers records, not lines: after a quoted field that spans two lines, every later
    row would be reported one line too early. So a broken quote rejects the file, and rows are
    renumbered by the line they start on when the two differ. Files without a quote character
    (the large fact feeds) skip this pass: nothing in them can span lines or break quoting.
    """
    ctx.execute("CREATE TEMP TABLE feed_lines (record bigint, line bigint) ON COMMIT DROP")
    with connection.cursor() as cursor, cursor.cursor.copy("COPY feed_lines FROM STDIN") as copy:
        for record, (line, _, problem) in enumerate(_rows(path, facts), start=2):
            if problem:
                raise StructureBroken(problem)
            if line != record:  # streamed: the file may be national
                copy.write_row((record, line))
    ctx.execute("UPDATE feed_raw r SET line = l.line FROM feed_lines l WHERE l.record = r.line")
    ctx.execute("DROP TABLE feed_lines")


def _insert_sqlite(path: Path, facts: FileFacts) -> None:
    width = len(facts.header)
    names = ", ".join(_q(c) for c in facts.header)
    marks = ", ".join(["%s"] * (width + 1))
    sql = f"INSERT INTO feed_raw (line, {names}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for chunk in _chunks(_rows(path, facts), 10_000):
            rows = []
            for line, row, problem in chunk:
                if problem or len(row) != width:
                    raise StructureBroken(problem or f"line {line}")
                rows.append([line, *(value if value != "" else None for value in row)])
            cursor.executemany(sql, rows)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- 2. validate -----------------------------------------------------------------------------


def _column_reason(column: Column, ref: str | None = None) -> str:
    ref = ref or f"n.{_q(column.name)}"
    parts = [f"WHEN {ref} IS NULL THEN " + ("'is required'" if column.required else "NULL")]
    parts.append(
        f"WHEN length({ref}) > {column.max_length} "
        f"THEN 'is ' || length({ref}) || ' characters long; at most {column.max_length}'"
    )
    if column.type is T.ENUM:
        allowed = ", ".join("'" + c + "'" for c in column.choices)
        parts.append(f"WHEN {ref} NOT IN ({allowed}) THEN 'must be one of: {', '.join(column.choices)}'")
    elif column.type.check_function:
        parts.append(f"ELSE {column.type.check_function}({ref})")
    return "CASE " + " ".join(parts) + " END"


def normalise(ctx: ImportContext) -> None:
    selects = ", ".join(f"{c.type.norm_function}(r.{_q(c.name)}) AS {_q(c.name)}" for c in ctx.spec.columns)
    ctx.temp("feed_norm", f"SELECT r.line, {selects} FROM feed_raw r")


def validate(ctx: ImportContext, *, content_checked: bool = False) -> list[BadRow]:
    """Every bad row of the staged file. ``content_checked``: these exact bytes from this sender
    passed before, so only the checks that depend on the database (references) run again."""
    spec = ctx.spec
    if content_checked:
        return _reference_errors(ctx)
    errors: list[BadRow] = []
    by_value = _checked_by_value(ctx)
    errors.extend(_by_value_errors(ctx, [c for c in spec.columns if c.name in by_value]))
    checks = [(c.name, _column_reason(c)) for c in spec.columns if c.name not in by_value]
    if "valid_from" in spec.column_names and "valid_to" in spec.column_names:
        checks.append(
            (
                "valid_to",
                (
                    # The cheap test first: valid_to is mostly empty.
                    "CASE WHEN n.valid_to IS NULL THEN NULL WHEN aldis_chk_date(n.valid_from) IS NULL "
                    "AND aldis_chk_date(n.valid_to) IS NULL AND n.valid_to < n.valid_from "
                    "THEN 'is before valid_from' END"
                ),
            )
        )
    checks.extend((check.column, check.reason_sql) for check in spec.checks)
    if checks:
        errors.extend(_row_errors(ctx, checks))
    errors.extend(_reference_errors(ctx))
    # A good fact file's key is checked after the rows are resolved (``_repeated_target_keys``,
    # cheaper); a file with other errors is checked here too, so that one answer lists them all.
    errors.extend(_duplicate_errors(ctx, with_key=spec.kind != "fact" or bool(errors)))
    return errors


# A column with at most this share of distinct values is checked once per value, not per row.
BY_VALUE_SHARE = 0.125


def _checked_by_value(ctx: ImportContext) -> set[str]:
    """The columns checked once per distinct value rather than on every row.

    A fact feed repeats its values (13 months of one person's income): every column is. In a
    snapshot, on PostgreSQL, a column whose check costs more than its length (a date, a code) is
    when the staging table's statistics count few distinct values in it (birth dates of a whole
    population); mostly unique columns (personal codes) are checked in the one scan of the rows.
    """
    spec = ctx.spec
    if spec.kind == "fact":
        return set(spec.column_names)
    if not ctx.dialect.postgres:
        return set()
    costly = [c.name for c in spec.columns if c.type.check_function]
    if not costly:
        return set()
    rows = ctx.fetchall(
        "SELECT s.attname, CASE WHEN s.n_distinct < 0 THEN -s.n_distinct ELSE s.n_distinct / "
        "GREATEST(c.reltuples, 1) END FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
        "AND c.relnamespace = pg_my_temp_schema() "
        "WHERE s.schemaname = pg_my_temp_schema()::regnamespace::text AND s.tablename = 'feed_norm'"
    )
    share = {name: float(value) for name, value in rows}
    return {name for name in costly if share.get(name, 1.0) <= BY_VALUE_SHARE}


def _reference_errors(ctx: ImportContext) -> list[BadRow]:
    errors: list[BadRow] = []
    for reference in ctx.spec.references:
        ref = _q(reference.column)
        check = ctx.spec.column(reference.column).type.check_function
        valid = f"AND {check}(n.{ref}) IS NULL" if check else ""
        rows = ctx.fetchall(
            f"SELECT n.line, substr(n.{ref}, 1, {VALUE_SHOWN}) FROM feed_norm n "
            f"WHERE n.{ref} IS NOT NULL {valid} AND NOT ({reference.exists_sql}) ORDER BY n.line LIMIT {ERROR_CAP}"
        )
        errors.extend(BadRow(line, reference.column, value, reference.reason) for line, value in rows)
    return errors


def _row_errors(ctx: ImportContext, checks: list[tuple[str, str]]) -> list[BadRow]:
    """One scan evaluating every check on every row; only bad rows come back."""
    reasons = ", ".join(f"{sql} AS r{i}" for i, (_, sql) in enumerate(checks))
    # The values are read only for bad rows (the outer select), not for every row.
    values = ", ".join(f"substr(x.{_q(column)}, 1, {VALUE_SHOWN})" for column, _ in checks)
    any_bad = " OR ".join(f"r{i} IS NOT NULL" for i in range(len(checks)))
    sql = (
        f"SELECT x.line, {', '.join(f'x.r{i}' for i in range(len(checks)))}, {values} "
        f"FROM (SELECT n.*, {reasons} FROM feed_norm n) x WHERE {any_bad} ORDER BY x.line LIMIT {ERROR_CAP}"
    )
    errors = []
    width = len(checks)
    for row in ctx.fetchall(sql):
        for i, (column, _) in enumerate(checks):
            if row[1 + i] is not None:
                errors.append(BadRow(row[0], column, row[1 + width + i] or "", row[1 + i]))
    return errors


def _by_value_errors(ctx: ImportContext, columns: list[Column]) -> list[BadRow]:
    """Check each distinct value of each of ``columns`` once (in column order).

    On PostgreSQL the distinct values of every column come from one scan of the rows (grouping
    sets: 13.0 s against 16.0 s for the three columns of 12.5 million income rows); only a
    column found to hold a bad value is scanned again, for its lines.
    """
    if ctx.dialect.postgres and len(columns) > 1:
        cols = [f"n.{_q(c.name)}" for c in columns]
        which = "CASE " + " ".join(f"WHEN GROUPING({c}) = 0 THEN {i}" for i, c in enumerate(cols)) + " END"
        reason = (
            "CASE d.w "
            + " ".join(f"WHEN {i} THEN {_column_reason(c, 'd.v')}" for i, c in enumerate(columns))
            + " END"
        )
        sets = ", ".join(f"({c})" for c in cols)
        bad = ctx.fetchall(
            f"SELECT DISTINCT w FROM (SELECT d.w, {reason} AS r FROM (SELECT {which} AS w, "
            f"COALESCE({', '.join(cols)}) AS v FROM feed_norm n GROUP BY GROUPING SETS ({sets}){ctx.dialect.fence}) d) y "
            "WHERE r IS NOT NULL"
        )
        columns = [columns[w] for w in sorted(w for (w,) in bad)]
    return [error for column in columns for error in _distinct_value_errors(ctx, column)]


def _distinct_value_errors(ctx: ImportContext, column: Column) -> list[BadRow]:
    """Check each distinct value of ``column`` once; look up the lines only of bad values."""
    col = _q(column.name)
    bad_values = (
        f"SELECT v, r FROM (SELECT d.v, {_column_reason(column, 'd.v')} AS r "
        f"FROM (SELECT DISTINCT n.{col} AS v FROM feed_norm n{ctx.dialect.fence}) d) y WHERE r IS NOT NULL"
    )
    if not ctx.fetchall(f"{bad_values} LIMIT 1"):
        return []
    rows = ctx.fetchall(
        f"SELECT n.line, b.r, substr(n.{col}, 1, {VALUE_SHOWN}) FROM feed_norm n "
        f"JOIN ({bad_values}) b ON b.v = n.{col} OR (b.v IS NULL AND n.{col} IS NULL) "
        f"ORDER BY n.line LIMIT {ERROR_CAP}"
    )
    return [BadRow(line, column.name, value or "", reason) for line, reason, value in rows]


def _duplicate_errors(ctx: ImportContext, *, with_key: bool = True) -> list[BadRow]:
    """Rows repeating the file's key or another column set that must be unique (``spec.unique``).
    ``with_key=False`` leaves the key to ``_repeated_target_keys`` (see ``validate``)."""
    errors: list[BadRow] = []
    spec = ctx.spec
    for columns in (spec.key, *spec.unique) if with_key else spec.unique:
        key = ", ".join(f"n.{_q(c)}" for c in columns)
        present = " AND ".join(f"n.{_q(c)} IS NOT NULL" for c in columns)
        # Grouping finds whether any key repeats (a hash aggregate); lines are looked up only then.
        if not ctx.fetchall(
            f"SELECT 1 FROM feed_norm n WHERE {present} GROUP BY {key} HAVING COUNT(*) > 1 LIMIT 1"
        ):
            continue
        what = f"key ({', '.join(columns)})" if columns == spec.key else ", ".join(columns)
        errors.extend(_repeat_lines(ctx, "feed_norm", key, present, columns[0], what))
    return errors


def _repeat_lines(
    ctx: ImportContext, table: str, key: str, present: str, column: str, what: str
) -> list[BadRow]:
    """Every row of ``table`` (alias ``n``) whose ``key`` an earlier line already has."""
    rows = ctx.fetchall(
        f"SELECT line, first FROM (SELECT n.line, MIN(n.line) OVER (PARTITION BY {key}) AS first, "
        f"COUNT(*) OVER (PARTITION BY {key}) AS n FROM {table} n WHERE {present}) x "
        f"WHERE n > 1 AND line <> first ORDER BY line LIMIT {ERROR_CAP}"
    )
    return [BadRow(line, column, "", f"repeats the {what} of line {first}") for line, first in rows]


def _repeated_target_keys(ctx: ImportContext, among: str = "1 = 1") -> list[BadRow]:
    """Rows (of those ``among`` selects) whose key, resolved (persons, addresses), an earlier
    line already has.

    Run on the typed, resolved rows (``feed_in``) rather than on the text of the file: sorting
    two numbers a row is cheaper than hashing two strings (12.5 million income rows: 6 s against
    14 s), and it also finds two lines naming one person under an old and a new personal code.
    """
    spec, d = ctx.spec, ctx.dialect
    keys = [_q(k) for k in spec.target_key]
    order = ", ".join(keys)
    previous = ", ".join(f"LAG({k}) OVER w AS p{i}" for i, k in enumerate(keys))
    same = " AND ".join(f"NOT ({d.differs(k, f'p{i}')})" for i, k in enumerate(keys))
    if not ctx.fetchall(
        f"SELECT 1 FROM (SELECT {order}, {previous}, ROW_NUMBER() OVER w AS rn FROM feed_in n WHERE {among} "
        f"WINDOW w AS (ORDER BY {order})) x WHERE rn > 1 AND {same} LIMIT 1"
    ):
        return []
    key = ", ".join(f"n.{k}" for k in keys)
    what = f"key ({', '.join(spec.key)})"
    return _repeat_lines(ctx, "feed_in", key, among, spec.key[0], what)


def _repeats_before_writing(ctx: ImportContext, mapping: dict[str, str], rows: int) -> list[BadRow]:
    """Rows repeating a resolved key of a file that is not a first load, looked for before
    anything is written: a repeated row equal to the current version would be left unwritten as
    unchanged, so no constraint could see it.

    A fact file's keys are checked whole (validation left them to this step). A snapshot's keys
    were checked as text in validation; resolved, they can repeat only where two codes name one
    person (an old and a new code, neither given as the other's ``previous_code``). A small file
    (a trader's few thousand rows) looks only at the rows of its persons known under several
    codes; a large one sorts all its rows, which is cheaper than finding those persons among two
    million (population: 1.5 s against 2.4 s).
    """
    if ctx.spec.kind == "fact":
        return _repeated_target_keys(ctx)
    persons = [_q(k) for k in ctx.spec.target_key if mapping.get(k) in ctx.persons]
    if not persons:
        return []
    if rows >= LARGE_FILE_ROWS:
        return _repeated_target_keys(ctx)
    several = (
        "SELECT pc.person_id FROM households_personcode pc WHERE pc.person_id IN (SELECT f.{p} FROM feed_in f) "
        "GROUP BY pc.person_id HAVING COUNT(*) > 1"
    )
    return _repeated_target_keys(ctx, among=" OR ".join(f"n.{p} IN ({several.format(p=p)})" for p in persons))


# --- 3. promote ------------------------------------------------------------------------------


def create_persons(ctx: ImportContext, column: str) -> int:
    """Give every personal code of ``column`` not yet known a person of its own; return how many."""
    col = _q(column)
    before = ctx.fetchall("SELECT COALESCE(MAX(id), 0) FROM households_person")[0][0]
    created = ctx.execute(
        f"INSERT INTO households_person (personal_code) SELECT n.{col} FROM feed_norm n "
        f"WHERE n.{col} IS NOT NULL AND n.{col} < '4' "  # personal codes only (a holder may be an organisation)
        f"AND NOT EXISTS (SELECT 1 FROM households_personcode pc WHERE pc.code = n.{col}) "
        # Ids in code order: a register's files come sorted by code, so a person's rows of a
        # national load, written in the file's order, sit together (``_insert_versions``).
        f"GROUP BY n.{col} ORDER BY n.{col}"
    )
    with indexes_rebuilt_after(ctx, "households_personcode", new_rows=created) as rebuilt:
        ctx.execute(
            "INSERT INTO households_personcode (code, person_id) SELECT p.personal_code, p.id "
            "FROM households_person p WHERE p.id > %(before)s",
            {"before": before},
        )
    if rebuilt:  # a load this size changes the plans of every later join on person codes
        ctx.execute("ANALYZE households_personcode")
    return created


def _persons_of_unresolved_codes(ctx: ImportContext, mapping: dict[str, str]) -> None:
    """Persons for the codes of the person columns that ``feed_in`` left unresolved, and their
    ids filled in.

    Done after resolving rather than before: a file naming only known persons (every national
    fact file after the population) then costs one look for an empty id in ``feed_in``, not an
    anti-join of every row against every code. (A contract held by an organisation has no person:
    a trader's file with one looks for new codes as before.)
    """
    targets = [
        (ctx.persons[expr], target)
        for target, expr in mapping.items()
        if ctx.persons.get(expr) in ctx.spec.person_columns
    ]
    created = 0
    for column, target in targets:
        if ctx.fetchall(f"SELECT 1 FROM feed_in i WHERE i.{_q(target)} IS NULL LIMIT 1"):
            created += create_persons(ctx, column)
    if not created:
        return
    for column, target in targets:
        ctx.execute(
            f"UPDATE feed_in SET {_q(target)} = pc.person_id FROM feed_norm n "
            f"JOIN households_personcode pc ON pc.code = n.{_q(column)} "
            f"WHERE n.line = feed_in.line AND feed_in.{_q(target)} IS NULL"
        )


def _version_columns(model: type[Model]) -> list[str]:
    return [
        f.column
        for f in model._meta.concrete_fields
        if f.column not in ("id", "learned_in_id", "superseded_in_id")
    ]


def promote(ctx: ImportContext, rows: int) -> PromotionCounts:
    spec, d = ctx.spec, ctx.dialect
    if spec.before_promote:
        spec.before_promote(ctx)
    ctx.joins.clear()
    ctx.persons.clear()
    mapping = dict(spec.mapping(ctx))
    if spec.sender_field:
        mapping[spec.sender_field] = "CAST(%(sender)s AS bigint)"  # typed even when there is no sender
    targets = list(mapping)
    select = ", ".join(f"{expr} AS {_q(name)}" for name, expr in mapping.items())
    ctx.temp("feed_in", f"SELECT n.line, {select} FROM feed_norm n {' '.join(ctx.joins.values())}")
    if spec.person_columns:
        _persons_of_unresolved_codes(ctx, mapping)
    table = ctx.table
    # A first load (nothing current in the table): every row is new, so there is nothing to
    # compare, supersede, split or end, and the rows go in straight from ``feed_in``.
    first_load = not ctx.fetchall(f"SELECT 1 FROM {table} t WHERE t.superseded_in_id IS NULL LIMIT 1")
    # Then every row is written as a current version, and the table's unique "one current
    # version per key" constraint (an empty sender counted as one) finds a repeated key by
    # itself: the rows are looked for only if it does (below). Otherwise they are looked for first.
    if not first_load and (repeated := _repeats_before_writing(ctx, mapping, rows)):
        raise FeedRejected(repeated)

    # The sender of a fact may be absent (an operator's import): match it NULL-safely.
    key_match = " AND ".join(
        f"COALESCE(t.{_q(k)}, 0) = COALESCE(i.{_q(k)}, 0)"
        if k == spec.sender_field
        else f"t.{_q(k)} = i.{_q(k)}"
        for k in spec.target_key
    )
    current = "t.superseded_in_id IS NULL" + (" AND t.valid_to IS NULL" if spec.split_history_on else "")
    attrs = [c for c in targets if c not in spec.target_key and c not in spec.derived]
    changed = " OR ".join(d.differs(f"t.{_q(c)}", f"i.{_q(c)}") for c in attrs) or "1 = 0"
    counts = PromotionCounts(rows=rows)
    if first_load:
        counts.inserted = rows
    else:
        ctx.temp(
            "feed_delta",
            f"SELECT i.*, t.id AS old_id FROM feed_in i LEFT JOIN {table} t ON {key_match} AND {current} "
            f"WHERE t.id IS NULL OR {changed}",
        )
        changed_rows, all_rows = ctx.fetchall(
            "SELECT COALESCE(SUM(CASE WHEN old_id IS NULL THEN 0 ELSE 1 END), 0), COUNT(*) FROM feed_delta"
        )[0]
        counts.changed, counts.inserted = int(changed_rows), int(all_rows) - int(changed_rows)

    table_name = ctx.model._meta.db_table
    held = _rows_counted(ctx, table_name)
    try:
        with (
            transaction.atomic(),
            indexes_rebuilt_after(ctx, table_name, new_rows=counts.inserted + counts.changed) as rebuilt,
        ):
            if first_load:
                _insert_versions(ctx, targets, "feed_in", in_key_order=not rebuilt)
            else:
                _write_versions(ctx, targets, key_match, counts, in_key_order=not rebuilt)
    except IntegrityError:
        # Two rows of the file for one key (resolved: two codes of one person are one key).
        if repeated := _repeated_target_keys(ctx):
            raise FeedRejected(repeated) from None
        raise
    if d.postgres and (written := counts.inserted + counts.changed + counts.ended) and written >= 0.1 * held:
        # Fresh statistics for the monthly run's planner when the batch changed a tenth of the
        # table or more (a national file; autovacuum's rule), not after each trader's few rows.
        ctx.execute(f"ANALYZE {table}")
    return counts


def _rows_counted(ctx: ImportContext, table: str) -> float:
    """The rows of ``table`` as PostgreSQL last counted them (0 if never; SQLite: 0)."""
    if not ctx.dialect.postgres:
        return 0.0
    rows = ctx.fetchall(
        "SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %(t)s::regclass", {"t": table}
    )
    return float(rows[0][0])


def _write_versions(
    ctx: ImportContext, targets: list[str], key_match: str, counts: PromotionCounts, *, in_key_order: bool
) -> None:
    """Supersede the changed versions, add the new ones, and (in a snapshot) end what is missing."""
    spec, table = ctx.spec, ctx.table
    all_columns = _version_columns(ctx.model)
    cols = ", ".join(_q(c) for c in all_columns)
    if spec.split_history_on:
        _split_history(ctx, all_columns)
    ctx.execute(
        f"UPDATE {table} SET superseded_in_id = %(batch)s "
        f"WHERE id IN (SELECT old_id FROM feed_delta WHERE old_id IS NOT NULL)"
    )
    _insert_versions(ctx, targets, "feed_delta", in_key_order=in_key_order)
    if spec.kind == "snapshot":
        scope = f"AND t.{_q(spec.sender_field)} = %(sender)s" if spec.sender_field else ""
        ctx.temp(
            "feed_end",
            f"SELECT t.id FROM {table} t WHERE t.superseded_in_id IS NULL {scope} "
            f"AND (t.valid_to IS NULL OR t.valid_to >= %(as_of)s) "
            f"AND t.learned_in_id <> %(batch)s "
            f"AND NOT EXISTS (SELECT 1 FROM feed_in i WHERE {key_match})",
        )
        counts.ended = int(ctx.fetchall("SELECT COUNT(*) FROM feed_end")[0][0])
        # Supersede first, then add the ended copies: at no moment are there two current versions.
        ctx.execute(f"UPDATE {table} SET superseded_in_id = %(batch)s WHERE id IN (SELECT id FROM feed_end)")
        copied = ", ".join("%(day_before)s" if c == "valid_to" else f"t.{_q(c)}" for c in all_columns)
        ctx.execute(
            f"INSERT INTO {table} ({cols}, learned_in_id) SELECT {copied}, %(batch)s FROM {table} t "
            f"WHERE t.id IN (SELECT id FROM feed_end) AND (t.valid_from IS NULL OR t.valid_from <= %(day_before)s)"
        )


def _insert_versions(ctx: ImportContext, targets: list[str], source: str, *, in_key_order: bool) -> None:
    """The rows of ``source`` as new versions learned in this batch.

    ``in_key_order`` while the table's indexes are kept: the new versions then go into them as
    appends. Not when they are built again after (a national load): the sort would only cluster
    the table by its key, which nothing needs (the monthly run scans these tables whole; a
    person's page reads a few rows through an index), and it cost 6 of the 27 s of writing
    12.5 million income rows. The rows then stay in the file's order."""
    new_cols = ", ".join(_q(c) for c in targets)
    order = ", ".join(_q(k) for k in ctx.spec.target_key)
    ctx.execute(
        f"INSERT INTO {ctx.table} ({new_cols}, learned_in_id) SELECT {new_cols}, %(batch)s FROM {source}"
        + (f" ORDER BY {order}" if in_key_order else "")
    )


@contextmanager
def indexes_rebuilt_after(ctx: ImportContext, table: str, *, new_rows: int) -> Iterator[bool]:
    """On PostgreSQL, when a batch adds at least ``REBUILD_MIN_ROWS`` rows to ``table`` and at
    least as many as it holds (a national first load, or a register re-sent whole), drop the
    table's indexes for the writes and build them again after, in the same transaction. Yields
    whether it does.

    Keeping a B-tree up to date costs about a microsecond per row and index; building it again
    from sorted rows costs a fraction of that, so past this size a rebuild is cheaper. The
    unique indexes come back as they were and are checked in full as they are built: a
    violation raises, as it would on a write (``promote`` then names the repeated rows). An
    index that a foreign key relies on stays. Dropping an index locks the table until the import
    commits: reads of it wait until then, which only a load as large as the table makes them do.
    """
    if not ctx.dialect.postgres or new_rows < REBUILD_MIN_ROWS or new_rows < _rows_counted(ctx, table):
        yield False
        return
    indexes = ctx.fetchall(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
        "AND c.contype IN ('p', 'u') "
        "WHERE x.indrelid = %(t)s::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = x.indexrelid) "
        "ORDER BY i.relname",
        {"t": table},
    )
    rebuild = []
    for index, index_sql, constraint, constraint_sql in indexes:
        # Run again through ``execute``, whose named parameters give ``%`` a meaning.
        index_sql, constraint_sql = index_sql.replace("%", "%%"), (constraint_sql or "").replace("%", "%%")
        if constraint:
            ctx.execute(f"ALTER TABLE {_q(table)} DROP CONSTRAINT {_q(constraint)}")
            rebuild.append(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(constraint)} {constraint_sql}")
        else:
            ctx.execute(f"DROP INDEX {_q(index)}")
            rebuild.append(index_sql)
    yield True
    for statement in rebuild:
        ctx.execute(statement)


def _split_history(ctx: ImportContext, all_columns: list[str]) -> None:
    """A changed residence: keep the old one as closed history, and let the new one override
    any other current version it overlaps (so current versions never overlap in valid time)."""
    table, d, key = ctx.table, ctx.dialect, ctx.spec.target_key[0]
    moved = " OR ".join(d.differs(f"t.{_q(c)}", f"x.{_q(c)}") for c in ctx.spec.split_history_on)
    copied = ", ".join(d.day_before("x.valid_from") if c == "valid_to" else f"t.{_q(c)}" for c in all_columns)
    cols = ", ".join(_q(c) for c in all_columns)
    ctx.execute(
        f"INSERT INTO {table} ({cols}, learned_in_id) SELECT {copied}, %(batch)s "
        f"FROM feed_delta x JOIN {table} t ON t.id = x.old_id "
        f"WHERE x.valid_from IS NOT NULL AND (t.valid_from IS NULL OR t.valid_from < x.valid_from) AND ({moved})"
    )
    overlapped = (
        f"SELECT t.id FROM {table} t JOIN feed_delta x ON t.{_q(key)} = x.{_q(key)} "
        f"WHERE t.superseded_in_id IS NULL AND t.learned_in_id <> %(batch)s AND t.valid_to IS NOT NULL "
        f"AND (x.valid_from IS NULL OR t.valid_to >= x.valid_from)"
    )
    # An earlier residence the new one overlaps keeps its part before the new one begins.
    ctx.execute(
        f"INSERT INTO {table} ({cols}, learned_in_id) SELECT {copied}, %(batch)s "
        f"FROM {table} t JOIN feed_delta x ON t.{_q(key)} = x.{_q(key)} "
        f"WHERE t.id IN ({overlapped}) AND x.valid_from IS NOT NULL "
        f"AND t.valid_from IS NOT NULL AND t.valid_from < x.valid_from"
    )
    ctx.execute(f"UPDATE {table} SET superseded_in_id = %(batch)s WHERE id IN ({overlapped})")
