"""The ``parameters`` feed (INTERFACES §1): the Bureau's whole table of dated parameters.

Each file is the complete table: every catalogue name, each with the dates its values start.
How it differs from the register snapshots:

* ``valid_to`` is not sent; it is derived while promoting (the next ``valid_from`` of the same
  name minus one day, a window function in the mapping), so a new row from 2027-01-01 also
  gives the row before it a new version ending 2026-12-31.
* A row left out of the file is *withdrawn*: its current version is superseded and nothing takes
  its place. The engine's snapshot rule ("what is missing ends the day before ``as_of``") does
  not fit a table whose ends are derived from the next row (the ended row and its neighbour's
  new end would overlap), so ``before_promote`` supersedes such rows before the engine looks.
* A file missing a catalogue name is rejected: values are read per name and day, and a name with
  no value would stop every month that needs it.
"""

from aldis.feeds.engine import BadRow, FeedRejected, ImportContext
from aldis.feeds.spec import Check, Column, FeedSpec, T
from eligibility.parameters import NAMES, SHARE_RANGE, Kind, names_of


def _sql_list(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _value_check() -> Check:
    """The value fits its name's kind (the name itself is checked as an enum)."""
    share = (
        f"WHEN n.name IN ({_sql_list(names_of(Kind.SHARE))}) THEN CASE "
        "WHEN aldis_chk_decimal(n.value) IS NOT NULL THEN aldis_chk_decimal(n.value) "
        "WHEN CAST(n.value AS numeric) < 0 OR CAST(n.value AS numeric) > 1 "
        f"THEN '{SHARE_RANGE}' END"
    )
    return Check(
        "value",
        "CASE WHEN n.value IS NULL THEN NULL "
        f"WHEN n.name IN ({_sql_list(names_of(Kind.BOOL))}) THEN aldis_chk_bool(n.value) "
        f"WHEN n.name IN ({_sql_list(names_of(Kind.MONEY))}) THEN aldis_chk_money(n.value) "
        f"{share} END",
    )


def missing_reason(name: str) -> str:
    return f"the parameter {name} is missing: the whole table is sent each time, every name with its values"


def _present_check(name: str) -> Check:
    """``name`` has at least one row; reported once, on the file's first row."""
    return Check(
        "name",
        "CASE WHEN n.line = (SELECT MIN(f.line) FROM feed_norm f) "
        f"AND NOT EXISTS (SELECT 1 FROM feed_norm f WHERE f.name = '{name}') "
        f"THEN '{missing_reason(name)}' END",
    )


def _mapping(ctx: ImportContext) -> dict[str, str]:
    valid_from = ctx.value("valid_from")
    next_from = f"LEAD({valid_from}) OVER (PARTITION BY n.name ORDER BY n.valid_from)"
    return {
        "name": ctx.value("name"),
        "valid_from": valid_from,
        "valid_to": ctx.dialect.day_before(next_from),
        "value": ctx.value("value"),
        "legal_ref": ctx.value("legal_ref"),
    }


def _before_promote(ctx: ImportContext) -> None:
    # Validation reports a missing name on the first row; a file with no rows has none, and
    # must not withdraw the whole table.
    present = {row[0] for row in ctx.fetchall("SELECT DISTINCT n.name FROM feed_norm n")}
    missing = [name for name in NAMES if name not in present]
    if missing:
        raise FeedRejected([BadRow(1, "name", name, missing_reason(name)) for name in missing])
    ctx.execute(
        f"UPDATE {ctx.table} SET superseded_in_id = %(batch)s WHERE superseded_in_id IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM feed_norm n "
        f"WHERE n.name = {ctx.table}.name AND {ctx.value('valid_from')} = {ctx.table}.valid_from)"
    )


PARAMETERS = FeedSpec(
    name="parameters",
    kind="snapshot",
    columns=(
        Column("name", T.ENUM, required=True, choices=NAMES, max_length=64),
        Column("valid_from", T.DATE, required=True),
        Column("value", T.TEXT, required=True, max_length=20),
        Column("legal_ref", T.TEXT),
    ),
    key=("name", "valid_from"),
    model="eligibility.ParameterValue",
    mapping=_mapping,
    target_key=("name", "valid_from"),
    sent_by="the Bureau",
    sender_kinds=(),  # not over the API: operators import it with import_feed
    checks=(_value_check(), *(_present_check(name) for name in NAMES)),
    before_promote=_before_promote,
    # A release may add a name to the catalogue, and then the same table sent again is incomplete.
    unread_repeat=False,
)
