"""A load as large as its table drops the table's indexes and builds them again (PostgreSQL,
``aldis.feeds.engine.indexes_rebuilt_after``): the indexes come back exactly as they were, and
what the import does to the records is the same as with the indexes kept up to date."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aldis.feeds import engine
from households.models import Income
from tests.feeds import test_import_semantics as semantics
from tests.feeds.conftest import ANNA, BERTS, INCOME_HEADER, ON_POSTGRES, current

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only: SQLite keeps its indexes throughout"),
]


@pytest.fixture
def rebuild_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every batch that adds at least one version and as many as its table holds rebuilds."""
    monkeypatch.setattr(engine, "REBUILD_MIN_ROWS", 1)


def index_definitions(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [table]
        )
        return list(cursor.fetchall())


def test_the_indexes_come_back_exactly_as_they_were(rebuild_always, world, import_rows):
    before = index_definitions("households_income")
    assert any("UNIQUE" in definition for _, definition in before)  # the one-current-version rule
    with CaptureQueriesContext(connection) as queries:
        batch = import_rows(
            "income", INCOME_HEADER, [(ANNA, "2024-01", "100.00"), (BERTS, "2024-01", "200.00")]
        )
    statements = [query["sql"] for query in queries.captured_queries]
    assert any(sql.startswith("DROP INDEX") for sql in statements)
    assert any(
        sql.startswith("ALTER TABLE") and "DROP CONSTRAINT" in sql for sql in statements
    )  # the primary key
    assert batch.inserted == 2
    assert index_definitions("households_income") == before
    assert len(current(Income)) == 2


def test_a_batch_smaller_than_its_table_keeps_the_indexes(rebuild_always, world, import_rows):
    import_rows("income", INCOME_HEADER, [(ANNA, "2024-01", "100.00"), (BERTS, "2024-01", "200.00")])
    with CaptureQueriesContext(connection) as queries:
        batch = import_rows("income", INCOME_HEADER, [(ANNA, "2024-02", "100.00")])
    assert batch.inserted == 1  # one new version into a table of two
    assert not any(query["sql"].startswith("DROP INDEX") for query in queries.captured_queries)


def test_a_batch_below_the_minimum_keeps_the_indexes_even_into_an_empty_table(world, import_rows):
    with CaptureQueriesContext(connection) as queries:
        import_rows("income", INCOME_HEADER, [(ANNA, "2024-01", "100.00")])
    assert not any(query["sql"].startswith("DROP INDEX") for query in queries.captured_queries)


def test_a_first_load_repeating_a_key_is_rejected_with_its_lines_and_the_indexes_kept(
    rebuild_always, world, import_rows
):
    """A first load is not checked for repeated keys before it is written: the unique index,
    built again afterwards, finds them. The file is then rejected naming the lines, and the
    index dropped for the load is back."""
    before = index_definitions("households_income")
    rows = [(ANNA, "2024-01", "100.00"), (BERTS, "2024-01", "200.00"), (ANNA, "2024-01", "300.00")]
    batch = import_rows("income", INCOME_HEADER, rows)
    assert batch.status == "rejected"
    assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [
        (4, "personal_code", "repeats the key (personal_code, month) of line 2"),
    ]
    assert index_definitions("households_income") == before
    assert Income.objects.count() == 0


@pytest.mark.parametrize(
    "scenario",
    [
        semantics.test_fact_feed_adds_and_replaces_by_key_and_never_ends_missing_keys,
        semantics.test_snapshot_record_starting_after_as_of_that_goes_missing_is_withdrawn_without_an_ended_copy,
        semantics.test_population_person_who_disappears_and_reappears,
        semantics.test_population_move_keeps_the_old_residence_as_closed_history,
        semantics.test_population_backdated_move_cuts_the_earlier_residence_instead_of_erasing_it,
        semantics.test_changed_attribute_gives_a_new_version_and_supersedes_the_old,
        semantics.test_per_party_snapshot_ends_the_senders_missing_contract_but_not_another_traders,
    ],
    ids=lambda scenario: scenario.__name__.removeprefix("test_"),
)
def test_an_import_that_rebuilds_the_indexes_does_what_one_that_keeps_them_does(
    scenario, rebuild_always, world, import_rows
):
    scenario(world, import_rows)


def test_a_batch_changing_a_tenth_of_its_table_or_more_analyses_it(world, import_rows):
    def analysed(rows: list[tuple[str, str, str]]) -> bool:
        with CaptureQueriesContext(connection) as queries:
            import_rows("income", INCOME_HEADER, rows)
        return any(query["sql"] == 'ANALYZE "households_income"' for query in queries.captured_queries)

    months = [f"2024-{month:02}" for month in range(1, 11)]
    assert analysed([(person, month, "100.00") for person in (ANNA, BERTS) for month in months])  # 20 rows
    assert not analysed([(ANNA, "2024-11", "100.00")])  # 1 of 20
    assert analysed([(ANNA, "2024-12", "100.00"), (BERTS, "2024-11", "100.00")])  # 2 of 20
