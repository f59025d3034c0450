"""A bad feed file is rejected whole (INTERFACES §1): nothing applied, every bad row named by line
(the header is line 1), column, value and reason; the rejected file is still recorded and audited."""

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.identifiers import complete_personal_code
from audit.models import AuditEvent
from households.models import Person
from tests.feeds.conftest import (
    ADDRESS_HEADER,
    ADDRESS_ROWS,
    ANNA,
    BERTS,
    BUILDING,
    CILDA,
    CONNECTIONS_HEADER,
    CONTRACTS_HEADER,
    DAVIS,
    DISABILITY_HEADER,
    DSO_ORG,
    FLAT_1,
    INCOME_HEADER,
    MUNICIPALITY_CODE,
    ON_POSTGRES,
    ORG_HEADER,
    ORG_ROWS,
    POPULATION_HEADER,
    SUB_USERS_HEADER,
    TRADER_A_ORG,
    eic_code,
    error_at,
    hyphenated,
    org_code,
    row_counts,
    run_import,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2024, 2, 1)


def anna(**changes: str) -> list[str]:
    """A good population row for Anna at flat 1, with some fields changed."""
    row = {
        "personal_code": ANNA,
        "previous_code": "",
        "given_name": "Anna",
        "surname": "Bērziņa",
        "birth_date": "1980-01-01",
        "death_date": "",
        "address_code": FLAT_1,
        "declared_from": "2020-01-01",
    }
    row.update(changes)
    return [row[c] for c in POPULATION_HEADER]


def berts(**changes: str) -> list[str]:
    row = dict(zip(POPULATION_HEADER, anna(), strict=True))
    row.update(personal_code=BERTS, given_name="Berts", birth_date="1975-05-15")
    row.update(changes)
    return [row[c] for c in POPULATION_HEADER]


@pytest.fixture
def before(world):
    """Row counts of every register table, taken after the world is built."""
    return row_counts()


@pytest.fixture
def reject(write_csv, before):
    """``reject(feed, header, rows, sender=...)``: import and check that nothing was applied."""

    def do(feed, header, rows, sender=None):
        batch = run_import(feed, write_csv(header, rows), as_of=AS_OF, sender=sender)
        assert batch.status == BatchStatus.REJECTED, batch.errors
        assert row_counts() == before
        assert batch.error_count == len(batch.errors)
        return batch

    return do


@pytest.fixture
def reject_bytes(write_bytes, before):
    def do(feed, data: bytes, sender=None):
        batch = run_import(feed, write_bytes(data), as_of=AS_OF, sender=sender)
        assert batch.status == BatchStatus.REJECTED, batch.errors
        assert row_counts() == before
        return batch

    return do


def population_bytes(*lines: str) -> bytes:
    return (",".join(POPULATION_HEADER) + "\n" + "".join(line + "\n" for line in lines)).encode()


# --- the header --------------------------------------------------------------------------------


def test_header_missing_a_column_is_rejected(reject):
    header = [c for c in POPULATION_HEADER if c != "surname"]
    row = [v for c, v in zip(POPULATION_HEADER, anna(), strict=True) if c != "surname"]
    batch = reject("population", header, [row])
    assert error_at(batch, 1, "surname")["reason"] == "column missing from the header"
    assert len(batch.errors) == 1


def test_header_with_an_unknown_column_is_rejected(reject):
    batch = reject("population", [*POPULATION_HEADER, "nickname"], [[*anna(), "Ančiņa"]])
    assert error_at(batch, 1, "nickname")["reason"].startswith("unknown column")
    assert len(batch.errors) == 1


def test_header_with_a_column_twice_is_rejected(reject):
    batch = reject("population", [*POPULATION_HEADER, "surname"], [[*anna(), "Bērziņa"]])
    assert error_at(batch, 1, "surname")["reason"] == "column appears twice in the header"


def test_header_columns_may_come_in_any_order(world, write_csv, before):
    header = list(reversed(POPULATION_HEADER))
    batch = run_import("population", write_csv(header, [list(reversed(anna()))]), as_of=AS_OF)
    assert batch.status == BatchStatus.APPLIED, batch.errors
    assert batch.inserted == 1


# --- values ------------------------------------------------------------------------------------


def test_missing_required_value_is_rejected(reject):
    batch = reject("population", POPULATION_HEADER, [anna(), berts(given_name="")])
    error = error_at(batch, 3, "given_name")
    assert error["reason"] == "is required"
    assert len(batch.errors) == 1


def test_personal_code_with_wrong_check_digit_is_rejected(reject):
    wrong = ANNA[:10] + str((int(ANNA[10]) + 1) % 10)
    batch = reject("population", POPULATION_HEADER, [anna(personal_code=wrong)])
    error = error_at(batch, 2, "personal_code")
    assert error["value"] == wrong
    assert error["reason"] == "has a wrong check digit"


def test_org_code_with_wrong_check_digit_is_rejected(world, reject):
    good = org_code("5000000001")
    wrong = good[:10] + str((int(good[10]) + 1) % 10)
    rows = [*ORG_ROWS, (wrong, "New trader", "trader", "", "false")]
    batch = reject("organisations", ORG_HEADER, rows)
    error = error_at(batch, len(ORG_ROWS) + 2, "org_code")
    assert error["value"] == wrong
    assert error["reason"] == "has a wrong check digit"


def test_electricity_eic_with_wrong_check_character_is_rejected(world, reject):
    good = eic_code("11XLATVIJA00001")
    wrong = good[:15] + ("A" if good[15] != "A" else "B")
    rows = [
        (good, "electricity", FLAT_1, TRADER_A_ORG, "2020-01-01", ""),
        (wrong, "electricity", BUILDING, TRADER_A_ORG, "2020-01-01", ""),
    ]
    batch = reject("connections", CONNECTIONS_HEADER, rows, sender=world.dso)
    error = error_at(batch, 3, "object_code")
    assert error["value"] == wrong
    assert error["reason"] == "has a wrong EIC check character"
    assert len(batch.errors) == 1


def test_impossible_date_is_rejected(reject):
    batch = reject("disability", DISABILITY_HEADER, [(ANNA, "2", "2023-02-29", "")])
    error = error_at(batch, 2, "valid_from")
    assert error["value"] == "2023-02-29"
    assert error["reason"] == "is not a real date"


def test_old_personal_code_with_impossible_birth_date_is_rejected(reject):
    thirtieth_of_february = complete_personal_code("3002801234")  # 30.02.1980, check digit right
    batch = reject("population", POPULATION_HEADER, [anna(personal_code=thirtieth_of_february)])
    error = error_at(batch, 2, "personal_code")
    assert error["reason"] == "holds an impossible birth date"


def test_valid_from_after_valid_to_is_rejected(reject):
    batch = reject("disability", DISABILITY_HEADER, [(ANNA, "2", "2024-05-01", "2024-04-30")])
    error = error_at(batch, 2, "valid_to")
    assert error["value"] == "2024-04-30"
    assert error["reason"] == "is before valid_from"


def test_a_single_day_period_is_accepted(world, write_csv):
    batch = run_import("disability", write_csv(DISABILITY_HEADER, [(ANNA, "2", "2024-05-01", "2024-05-01")]))
    assert batch.status == BatchStatus.APPLIED, batch.errors


def test_duplicate_key_is_rejected_even_when_written_with_and_without_hyphen(reject):
    batch = reject("population", POPULATION_HEADER, [anna(), berts(), anna(personal_code=hyphenated(ANNA))])
    error = error_at(batch, 4, "personal_code")
    assert "repeats the key" in error["reason"]
    assert "line 2" in error["reason"]
    assert len(batch.errors) == 1


def test_fact_rows_repeating_a_key_are_rejected_naming_the_first_line(reject):
    batch = reject(
        "income",
        INCOME_HEADER,
        [(ANNA, "2024-01", "10.00"), (BERTS, "2024-01", "5.00"), (ANNA, "2024-01", "20.00")],
    )
    assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [
        (4, "personal_code", "repeats the key (personal_code, month) of line 2"),
    ]


def test_fact_rows_for_one_person_under_an_old_and_a_new_code_repeat_a_key(world, write_csv):
    """Anna's code changed (previous_code): an income file naming her under both codes for one
    month gives her two incomes for it. Rejected like any repeated key, not a failed import."""
    new_code = complete_personal_code("3250000001")
    renamed = (new_code, ANNA, "Anna", "Bērziņa", "1980-01-01", "", FLAT_1, "2020-01-01")
    assert run_import("population", write_csv(POPULATION_HEADER, [renamed]), as_of=AS_OF).status == "applied"
    before = row_counts()
    rows = [(ANNA, "2024-01", "10.00"), (new_code, "2024-01", "20.00")]
    batch = run_import("income", write_csv(INCOME_HEADER, rows), as_of=AS_OF)
    assert batch.status == BatchStatus.REJECTED
    assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [
        (3, "personal_code", "repeats the key (personal_code, month) of line 2"),
    ]
    assert row_counts() == before


def test_fact_rows_repeating_a_key_unchanged_since_the_last_file_are_rejected(world, write_csv):
    """The key already has a current version, equal to both rows: neither would be written, so
    no "one current version" constraint could notice the repeat. The file is still rejected."""
    assert run_import("income", write_csv(INCOME_HEADER, [(ANNA, "2024-01", "10.00")])).status == "applied"
    before = row_counts()
    for second in ("10.00", "20.00"):
        rows = [(ANNA, "2024-01", "10.00"), (ANNA, "2024-01", second)]
        batch = run_import("income", write_csv(INCOME_HEADER, rows), as_of=AS_OF)
        assert batch.status == BatchStatus.REJECTED
        assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [
            (3, "personal_code", "repeats the key (personal_code, month) of line 2"),
        ]
        assert row_counts() == before


def test_an_operators_housing_costs_repeating_a_key_are_rejected(reject):
    """Sent with no sender, the key's sender is empty, which a plain unique index takes as
    distinct each time: the one-current-version constraint counts it as one sender."""
    rows = [(FLAT_1, "2024-01", "60.00"), (FLAT_1, "2024-01", "61.00")]
    batch = reject("housing_costs", ("address_code", "month", "amount_eur"), rows)
    assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [
        (3, "address_code", "repeats the key (address_code, month) of line 2"),
    ]


def test_a_fact_file_with_bad_values_and_repeated_keys_gets_both_in_one_answer(reject):
    rows = [(ANNA, "2024-01", "10.00"), (ANNA, "2024-01", "20.00"), (BERTS, "2024-13", "5.00")]
    batch = reject("income", INCOME_HEADER, rows)
    assert [(e["line"], e["column"]) for e in batch.errors] == [(3, "personal_code"), (4, "month")]


def test_a_fact_file_with_bad_values_in_every_column_lists_them_all(reject):
    """Each column's distinct values are checked once (on PostgreSQL all columns in one scan);
    every bad row of every column is still listed, by line and column."""
    wrong_digit = ANNA[:-1] + str((int(ANNA[-1]) + 1) % 10)
    rows = [(wrong_digit, "2024-01", "10.00"), (ANNA, "2024-13", "1.0.0"), (BERTS, "", "5.00")]
    batch = reject("income", INCOME_HEADER, rows)
    assert [(e["line"], e["column"], e["value"]) for e in batch.errors] == [
        (2, "personal_code", wrong_digit),
        (3, "amount_eur", "1.0.0"),
        (3, "month", "2024-13"),
        (4, "month", ""),
    ]


def test_unknown_address_code_is_rejected(reject):
    batch = reject("population", POPULATION_HEADER, [anna(), berts(address_code="199999999")])
    error = error_at(batch, 3, "address_code")
    assert error["value"] == "199999999"
    assert error["reason"].startswith("unknown address code")


def test_unknown_municipality_code_is_rejected(reject):
    rows = [(BUILDING, "building", "", MUNICIPALITY_CODE, "A"), ("100000099", "building", "", "0009999", "B")]
    batch = reject("addresses", ADDRESS_HEADER, rows)
    error = error_at(batch, 3, "municipality_code")
    assert error["value"] == "0009999"
    assert error["reason"].startswith("unknown municipality code")


def test_unknown_parent_address_is_rejected(reject):
    rows = [
        (BUILDING, "building", "", MUNICIPALITY_CODE, "A"),
        ("100000098", "flat", "100000999", MUNICIPALITY_CODE, "A - 9"),
    ]
    batch = reject("addresses", ADDRESS_HEADER, rows)
    error = error_at(batch, 3, "parent_code")
    assert error["value"] == "100000999"
    assert error["reason"].startswith("unknown parent address code")


def test_parent_address_may_be_new_in_the_same_file(world, write_csv):
    rows = [
        *ADDRESS_ROWS,
        ("200000001", "flat", "200000000", MUNICIPALITY_CODE, "Jauna iela 1 - 1"),
        ("200000000", "building", "", MUNICIPALITY_CODE, "Jauna iela 1"),
    ]
    batch = run_import("addresses", write_csv(ADDRESS_HEADER, rows))
    assert batch.status == BatchStatus.APPLIED, batch.errors


def test_enum_value_not_allowed_is_rejected(reject):
    batch = reject("disability", DISABILITY_HEADER, [(ANNA, "4", "2024-01-01", "")])
    error = error_at(batch, 2, "group")
    assert error["value"] == "4"
    assert error["reason"] == "must be one of: 1, 2, 3, child"


def test_money_with_three_decimals_is_rejected(reject):
    batch = reject("income", INCOME_HEADER, [(ANNA, "2024-01", "15.00"), (BERTS, "2024-01", "15.000")])
    error = error_at(batch, 3, "amount_eur")
    assert error["value"] == "15.000"
    assert "at most two decimals" in error["reason"]


def test_money_with_a_decimal_comma_is_rejected(reject):
    batch = reject("income", INCOME_HEADER, [(ANNA, "2024-01", "15,00")])
    error = error_at(batch, 2, "amount_eur")
    assert error["value"] == "15,00"
    assert "and a dot" in error["reason"]


# --- the sender --------------------------------------------------------------------------------


def test_per_party_feed_from_the_wrong_kind_of_party_is_refused_before_anything(world, write_csv, before):
    path = write_csv(CONTRACTS_HEADER, [("C-1", ANNA, FLAT_1, "", "household", "2023-01-01", "")])
    batches = FeedBatch.objects.count()
    with pytest.raises(ValidationError) as refused:
        run_import("contracts", path, as_of=AS_OF, sender=world.dso)
    assert "does not send the contracts feed" in str(refused.value)
    assert FeedBatch.objects.count() == batches
    assert row_counts() == before


def test_per_party_feed_without_a_sender_is_refused_before_anything(world, write_csv, before):
    path = write_csv(CONTRACTS_HEADER, [("C-1", ANNA, FLAT_1, "", "household", "2023-01-01", "")])
    batches = FeedBatch.objects.count()
    with pytest.raises(ValidationError) as refused:
        run_import("contracts", path, as_of=AS_OF, sender=None)
    assert "name the sending organisation" in str(refused.value)
    assert FeedBatch.objects.count() == batches
    assert row_counts() == before


def test_sub_user_of_a_contract_the_trader_does_not_have_is_rejected(world, write_csv, reject):
    theirs = run_import(
        "contracts",
        write_csv(CONTRACTS_HEADER, [("B-9", DSO_ORG, BUILDING, "", "building", "2023-01-01", "")]),
        sender=world.trader_b,
    )
    assert theirs.status == BatchStatus.APPLIED, theirs.errors
    counts = row_counts()
    batch = run_import(
        "sub_users",
        write_csv(SUB_USERS_HEADER, [(ANNA, "B-9", FLAT_1, "2023-06-01", "")]),
        as_of=AS_OF,
        sender=world.trader_a,
    )
    assert batch.status == BatchStatus.REJECTED
    error = error_at(batch, 2, "contract_no")
    assert error["value"] == "B-9"
    assert error["reason"].startswith("no such contract of yours")
    assert row_counts() == counts


# --- the file itself ---------------------------------------------------------------------------


def test_non_utf8_bytes_are_rejected_naming_the_line(reject_bytes):
    latin1 = ",".join(berts(surname="Berzins")).encode().replace(b"Berzins", b"B\xe8rzi\xf2\xb9")
    data = population_bytes(",".join(anna())) + latin1 + b"\n" + ",".join(anna(personal_code=CILDA)).encode()
    batch = reject_bytes("population", data)
    assert batch.errors == [
        {"line": 3, "column": "", "value": "", "reason": "the file is not UTF-8 (bad byte here)"}
    ]


def test_empty_file_is_rejected(reject_bytes):
    batch = reject_bytes("population", b"")
    assert batch.errors == [
        {"line": 1, "column": "", "value": "", "reason": "the file is empty: a header row is expected"}
    ]


def test_ten_megabyte_field_is_rejected_as_too_long_naming_line_and_column(reject_bytes):
    huge = "x" * 10_000_000
    batch = reject_bytes("population", population_bytes(",".join(anna()), ",".join(berts(given_name=huge))))
    error = error_at(batch, 3, "given_name")
    assert error["reason"] == "is 10000000 characters long; at most 100"
    assert error["value"] == "x" * 80  # shown truncated


def test_rows_with_the_wrong_number_of_fields_are_each_rejected(reject_bytes):
    data = population_bytes(
        ",".join(anna()),
        ",".join(berts()[:-1]),  # one field short
        ",".join(anna(personal_code=CILDA)),
        ",".join([*anna(personal_code=DAVIS), "extra"]),  # one field too many
    )
    batch = reject_bytes("population", data)
    assert batch.errors == [
        {"line": 3, "column": "", "value": "", "reason": "the row has 7 fields; the header has 8"},
        {"line": 5, "column": "", "value": "", "reason": "the row has 9 fields; the header has 8"},
    ]


def test_line_numbers_count_lines_of_the_file_after_a_field_spanning_two_lines(reject_bytes):
    data = (
        (
            ",".join(ADDRESS_HEADER) + "\n"
            f'{BUILDING},building,,{MUNICIPALITY_CODE},"Brīvības iela 1\nRīga"\n'  # lines 2 and 3
            f"100000099,building,,0009999,B\n"  # line 4
        ).encode()
    )
    batch = reject_bytes("addresses", data)
    assert error_at(batch, 4, "municipality_code")["value"] == "0009999"


@pytest.mark.parametrize(
    "berts_written",
    [
        '"Berts',  # a quote never closed
        '"Ber"ts',  # text after a closing quote
        # RFC 4180: a field that is not quoted may not hold a quote. PostgreSQL's COPY would read
        # it as the start of a quoted section, Python's csv as a letter: refused on both.
        'Ber"ts',
    ],
    ids=["unterminated-quote", "text-after-closing-quote", "quote-inside-unquoted-field"],
)
def test_broken_quoting_is_rejected_naming_its_line(berts_written, reject_bytes):
    broken = ",".join(berts()).replace("Berts", berts_written, 1)
    batch = reject_bytes("population", population_bytes(",".join(anna()), broken))
    assert len(batch.errors) == 1
    assert batch.errors[0]["line"] == 3
    assert batch.errors[0]["reason"].startswith("the CSV quoting is broken")


def test_personal_code_with_a_trailing_newline_inside_quotes_is_rejected(reject_bytes):
    data = population_bytes(",".join(anna()), f'"{BERTS}\n",' + ",".join(berts()[1:]))
    batch = reject_bytes("population", data)
    error = error_at(batch, 3, "personal_code")
    assert error["reason"] == "must be 11 digits, written DDMMYY-NNNNN or 32NNNN-NNNNN"


def test_date_in_year_zero_is_rejected_not_a_crash(world, write_csv, before):
    path = write_csv(DISABILITY_HEADER, [(ANNA, "2", "0000-01-01", "")])
    try:
        batch = run_import("disability", path, as_of=AS_OF)
    except Exception as crash:
        raise AssertionError(f"the import crashed: {crash}") from crash
    assert batch.status == BatchStatus.REJECTED
    assert error_at(batch, 2, "valid_from")["reason"] == "is not a real date"
    assert row_counts() == before


def test_month_in_year_zero_is_rejected_not_a_crash(world, write_csv, before):
    """PostgreSQL has no year 0: the month must be refused by its check, not fail the cast."""
    path = write_csv(INCOME_HEADER, [(ANNA, "0000-01", "10.00")])
    try:
        batch = run_import("income", path, as_of=AS_OF)
    except Exception as crash:
        raise AssertionError(f"the import crashed: {crash}") from crash
    assert batch.status == BatchStatus.REJECTED
    assert error_at(batch, 2, "month")["reason"] == "must be a month written YYYY-MM"
    assert row_counts() == before


def test_line_ends_of_a_carriage_return_alone_are_rejected_not_a_crash(reject_bytes):
    data = population_bytes(",".join(anna()), ",".join(berts())).replace(b"\n", b"\r")
    batch = reject_bytes("population", data)
    assert batch.errors == [
        {
            "line": 1,
            "column": "",
            "value": "",
            "reason": "a line ends in a carriage return alone: lines end with LF or CRLF",
        }
    ]


def test_two_rows_with_the_same_previous_code_are_rejected_not_a_crash(world, write_csv, before):
    rows = [anna(personal_code=CILDA, previous_code=ANNA), berts(personal_code=DAVIS, previous_code=ANNA)]
    try:
        batch = run_import("population", write_csv(POPULATION_HEADER, rows), as_of=AS_OF)
    except Exception as crash:
        raise AssertionError(f"the import crashed: {crash}") from crash
    assert batch.status == BatchStatus.REJECTED
    assert error_at(batch, 3, "previous_code")
    assert row_counts() == before


# --- reporting ---------------------------------------------------------------------------------


def test_every_bad_row_is_reported_not_only_the_first(reject):
    rows = [
        anna(birth_date="1980-13-01"),
        berts(),
        anna(personal_code=CILDA, address_code="199999999"),
        anna(personal_code=DAVIS, given_name=""),
    ]
    batch = reject("population", POPULATION_HEADER, rows)
    assert [(e["line"], e["column"]) for e in batch.errors] == [
        (2, "birth_date"),
        (4, "address_code"),
        (5, "given_name"),
    ]
    assert batch.error_count == 3


def test_bad_values_of_a_column_checked_once_per_value_are_reported_on_every_line(reject):
    """Sixty persons born on two days: on PostgreSQL the staging statistics count few distinct
    birth dates, so that column is checked once per distinct value (``_checked_by_value``); each
    bad value is still reported on every line that holds it, and other columns row by row."""
    codes = [complete_personal_code(f"{day:02d}0180{n:04d}") for day in (1, 2) for n in range(1000, 1030)]
    rows = [anna(personal_code=code, birth_date=f"1980-01-0{code[1]}") for code in codes]
    rows[5][POPULATION_HEADER.index("birth_date")] = "1980-02-30"
    rows[40][POPULATION_HEADER.index("birth_date")] = "1980-02-30"
    rows[41][POPULATION_HEADER.index("death_date")] = "1970-01-01"
    with CaptureQueriesContext(connection) as queries:
        batch = reject("population", POPULATION_HEADER, rows)
    per_value = any('SELECT DISTINCT n."birth_date"' in q["sql"] for q in queries.captured_queries)
    assert per_value == ON_POSTGRES
    assert [(e["line"], e["column"], e["value"], e["reason"]) for e in batch.errors] == [
        (7, "birth_date", "1980-02-30", "is not a real date"),
        (42, "birth_date", "1980-02-30", "is not a real date"),
        (43, "death_date", "1970-01-01", "is before birth_date"),
    ]


def test_a_rejected_file_is_recorded_and_audited(reject):
    batch = reject("population", POPULATION_HEADER, [anna(birth_date="1980-02-30")])
    stored = FeedBatch.objects.get(pk=batch.pk)
    assert stored.status == BatchStatus.REJECTED
    assert stored.feed == "population"
    assert stored.as_of == AS_OF
    assert stored.error_count == 1
    assert stored.errors == [
        {"line": 2, "column": "birth_date", "value": "1980-02-30", "reason": "is not a real date"}
    ]
    assert stored.finished_at is not None
    event = AuditEvent.objects.get(
        action="feed.import", target_type="feeds.feedbatch", target_id=str(batch.pk)
    )
    assert event.data["status"] == "rejected"
    assert event.data["errors"] == 1
    assert event.data["feed"] == "population"


@pytest.mark.parametrize("as_of", ["20261101", "2026-11-1", "2026-W44-7", "2026-02-30"])
def test_import_feed_command_takes_only_a_real_date_written_yyyy_mm_dd(world, write_csv, before, as_of):
    path = write_csv(DISABILITY_HEADER, [(ANNA, "2", "2024-01-01", "")])
    with pytest.raises(CommandError, match="is not a date written YYYY-MM-DD"):
        call_command("import_feed", "disability", str(path), "--as-of", as_of)
    assert row_counts() == before
    assert not FeedBatch.objects.filter(feed="disability").exists()


def test_import_feed_command_prints_every_bad_row_and_fails(world, write_csv, before):
    rows = [anna(personal_code=ANNA[:10] + "x"), berts(), anna(personal_code=CILDA, birth_date="1980-02-30")]
    path = write_csv(POPULATION_HEADER, rows, name="population-bad.csv")
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command(
            "import_feed", "population", str(path), "--as-of", "2024-02-01", stdout=stdout, stderr=stderr
        )
    printed = stderr.getvalue().splitlines()
    assert len(printed) == 2
    assert printed[0].startswith("population-bad.csv line 2, column personal_code ")
    assert printed[0].endswith("must be 11 digits, written DDMMYY-NNNNN or 32NNNN-NNNNN")
    assert printed[1] == "population-bad.csv line 4, column birth_date '1980-02-30': is not a real date"
    assert "rejected, 2 bad row(s); nothing was applied" in str(failed.value)
    assert row_counts() == before
    assert FeedBatch.objects.filter(status=BatchStatus.REJECTED, file_name="population-bad.csv").exists()


def test_import_feed_command_refuses_a_sender_that_may_not_send_the_feed(world, write_csv):
    path = write_csv(CONTRACTS_HEADER, [("C-1", ANNA, FLAT_1, "", "household", "2023-01-01", "")])
    with pytest.raises(CommandError, match="does not send the contracts feed"):
        call_command("import_feed", "contracts", str(path), "--as-of", "2024-02-01", "--org", DSO_ORG)
    assert not Person.objects.filter(personal_code=ANNA).exists()


def test_rfc4180_quoting_is_read_alike_on_both_paths(world, write_bytes):
    # A field quoted whole may hold commas, doubled quotes and a line break; the rows after it
    # still import, and the value is kept exactly.
    from households.models import AddressRecord

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(ADDRESS_HEADER)
    for row in ADDRESS_ROWS:
        if row[0] == BUILDING:
            row = (*row[:4], 'Brīvības iela 1,\n"Centrs", Rīga')
        writer.writerow(row)
    batch = run_import("addresses", write_bytes(text.getvalue().encode()), as_of=AS_OF)

    assert batch.status == BatchStatus.APPLIED, batch.errors
    current = AddressRecord.objects.get(address__code=BUILDING, superseded_in__isnull=True)
    assert current.full_address == 'Brīvības iela 1,\n"Centrs", Rīga'
    assert AddressRecord.objects.filter(superseded_in__isnull=True).count() == len(ADDRESS_ROWS)
