"""Helpers for the feed tests: CSV files in ``tmp_path``, a tiny world built through
``feed_import`` itself, current versions, and row counts of every register table."""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db.models import Model
from stdnum.eu import eic

from aldis.feeds.models import BatchStatus, FeedBatch, VersionedRecord
from aldis.feeds.services import feed_import
from aldis.identifiers import complete_org_code, complete_personal_code
from aldis.organisations.models import Organisation
from audit.services import Actor

ACTOR = Actor.system("feed-tests")
# Which backend this run tests (known before any test runs).
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
ON_SQLITE = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
WORLD_AS_OF = date(2024, 1, 1)
MUNICIPALITY_CODE = "0001000"

# Hand-picked identifiers (all valid): old-format codes carry the birth date DDMMYY and the
# century digit (1 = 1900s, 2 = 2000s); 32-codes carry none.
ANNA = complete_personal_code("0101801234")  # born 1980-01-01
BERTS = complete_personal_code("1505752345")  # born 1975-05-15
CILDA = complete_personal_code("3200001234")  # new-format code
DAVIS = complete_personal_code("2002903456")  # born 1990-02-20
EDGARS = complete_personal_code("3211112222")  # new-format code

BUILDING = "100000001"
FLAT_1 = "100000002"
FLAT_2 = "100000003"
HOUSE = "100000004"


def org_code(first_ten: str) -> str:
    code = complete_org_code(first_ten)
    assert code is not None, f"no check digit fits {first_ten}"
    return code


def _org(prefix: int) -> str:
    """The first organisation code at or after ``prefix`` that has a check digit."""
    while (code := complete_org_code(str(prefix))) is None:
        prefix += 1
    return code


MUNICIPALITY_ORG = _org(9000000001)
REGISTER_ORG = _org(9000000101)
TRADER_A_ORG = _org(4000000201)
TRADER_B_ORG = _org(4000000301)
DSO_ORG = _org(4000000401)


def eic_code(first15: str) -> str:
    return first15 + eic.calc_check_digit(first15)


def hyphenated(code: str) -> str:
    return f"{code[:6]}-{code[6:]}"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """``write_csv(header, rows, name=...)``: a CSV file in ``tmp_path`` (each name once)."""
    counter = iter(range(1, 10_000))

    def write(header: Sequence[str], rows: Iterable[Sequence[Any]], name: str = "") -> Path:
        path = tmp_path / (name or f"feed-{next(counter)}.csv")
        path.write_text(csv_text(header, rows), encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_bytes(tmp_path: Path) -> Callable[..., Path]:
    """``write_bytes(data, name=...)``: a file of exactly these bytes in ``tmp_path``."""
    counter = iter(range(1, 10_000))

    def write(data: bytes, name: str = "") -> Path:
        path = tmp_path / (name or f"raw-{next(counter)}.csv")
        path.write_bytes(data)
        return path

    return write


def run_import(
    feed: str, path: Path, as_of: date = WORLD_AS_OF, sender: Organisation | None = None
) -> FeedBatch:
    return feed_import(feed=feed, path=path, as_of=as_of, sender=sender, actor=ACTOR)


@pytest.fixture
def import_rows(write_csv: Callable[..., Path]) -> Callable[..., FeedBatch]:
    """``import_rows(feed, header, rows, as_of=..., sender=...)``: write the file and import it."""

    def do(
        feed: str,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        as_of: date = WORLD_AS_OF,
        sender: Organisation | None = None,
    ) -> FeedBatch:
        return run_import(feed, write_csv(header, rows), as_of=as_of, sender=sender)

    return do


POPULATION_HEADER = (
    "personal_code",
    "previous_code",
    "given_name",
    "surname",
    "birth_date",
    "death_date",
    "address_code",
    "declared_from",
)
DISABILITY_HEADER = ("personal_code", "group", "valid_from", "valid_to")
INCOME_HEADER = ("personal_code", "month", "amount_eur")
CONTRACTS_HEADER = (
    "contract_no",
    "holder_code",
    "address_code",
    "object_code",
    "kind",
    "valid_from",
    "valid_to",
)
SUB_USERS_HEADER = ("personal_code", "contract_no", "address_code", "applied_on", "valid_to")
CONNECTIONS_HEADER = ("object_code", "resource", "address_code", "supplier_code", "valid_from", "valid_to")
ORG_HEADER = ("org_code", "name", "kind", "municipality_code", "protected_service")
ORG_ROWS = [
    (MUNICIPALITY_ORG, "Test municipality", "municipality", MUNICIPALITY_CODE, ""),
    (REGISTER_ORG, "Population register", "register", "", ""),
    (TRADER_A_ORG, "Trader A", "trader", "", "true"),
    (TRADER_B_ORG, "Trader B", "trader", "", "false"),
    (DSO_ORG, "Electricity DSO", "electricity_dso", "", ""),
]
ADDRESS_HEADER = ("address_code", "type", "parent_code", "municipality_code", "full_address")
ADDRESS_ROWS = [
    (BUILDING, "building", "", MUNICIPALITY_CODE, "Brīvības iela 1, Rīga"),
    (FLAT_1, "flat", BUILDING, MUNICIPALITY_CODE, "Brīvības iela 1 - 1, Rīga"),
    (FLAT_2, "flat", BUILDING, MUNICIPALITY_CODE, "Brīvības iela 1 - 2, Rīga"),
    (HOUSE, "building", "", MUNICIPALITY_CODE, "Lauku māja, Rīga"),
]


@dataclass
class World:
    municipality: Organisation
    register: Organisation
    trader_a: Organisation
    trader_b: Organisation
    dso: Organisation
    organisations_batch: FeedBatch
    addresses_batch: FeedBatch


@pytest.fixture
def world(db: None, write_csv: Callable[..., Path]) -> World:
    """One municipality, a register, two traders, an electricity DSO; a building with two flats
    and a house; all through ``feed_import`` as of 2024-01-01."""
    orgs = run_import("organisations", write_csv(ORG_HEADER, ORG_ROWS, name="organisations.csv"))
    assert orgs.status == BatchStatus.APPLIED, orgs.errors
    addresses = run_import("addresses", write_csv(ADDRESS_HEADER, ADDRESS_ROWS, name="addresses.csv"))
    assert addresses.status == BatchStatus.APPLIED, addresses.errors
    by_code = {o.code: o for o in Organisation.objects.all()}
    return World(
        municipality=by_code[MUNICIPALITY_ORG],
        register=by_code[REGISTER_ORG],
        trader_a=by_code[TRADER_A_ORG],
        trader_b=by_code[TRADER_B_ORG],
        dso=by_code[DSO_ORG],
        organisations_batch=orgs,
        addresses_batch=addresses,
    )


def current(model: type[Model] | str, **filters: Any) -> list[Any]:
    """The current versions (``superseded_in`` null) of ``model``, oldest first."""
    if isinstance(model, str):
        model = apps.get_model(model)
    return list(model._default_manager.filter(superseded_in__isnull=True, **filters).order_by("id"))


def versions(model: type[Model] | str, **filters: Any) -> list[Any]:
    """Every version of ``model`` (current and superseded), oldest first."""
    if isinstance(model, str):
        model = apps.get_model(model)
    return list(model._default_manager.filter(**filters).order_by("id"))


COUNTED_APPS = ("households", "traders", "organisations")


def row_counts() -> dict[str, int]:
    """Rows of every versioned table (any app) and of every model of the register apps
    (Person, PersonCode, Address, Organisation, ...): what a rejected file must not change."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in COUNTED_APPS or issubclass(model, VersionedRecord)
    }


def error_at(batch: FeedBatch, line: int, column: str) -> dict[str, Any]:
    """The single error of ``batch`` on ``line`` in ``column`` (fails if none or several)."""
    found = [e for e in batch.errors if e["line"] == line and e["column"] == column]
    assert len(found) == 1, f"expected one error at line {line}, column {column!r}; got {batch.errors}"
    return found[0]
