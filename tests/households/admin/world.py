"""A tiny country for the admin tests, built through ``feed_import`` from CSV files.

Anna changed her code (old ``ANNA_OLD`` to new ``ANNA``) and moved from flat 1 to the house on
2024-01-15 (population batch 2), so her flat-1 version is superseded. Berts and their child
Karlis stay in flat 1, Olena (temporary protection) lives there, Davis in the house.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.test import Client

from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.feeds.services import feed_import
from aldis.identifiers import complete_org_code, complete_personal_code
from aldis.organisations.models import Organisation
from audit.services import Actor
from households.models import Address, Person
from tests.organisations.factories import OrganisationFactory

ACTOR = Actor.system("admin-tests")
MUNICIPALITY_CODE = "0001000"

ANNA_OLD = complete_personal_code("0101801234")  # born 1980-01-01
ANNA = complete_personal_code("3200001234")  # her new code
BERTS = complete_personal_code("1505751345")  # born 1975-05-15
KARLIS = complete_personal_code("0303152345")  # born 2015-03-03
DAVIS = complete_personal_code("2002901456")  # born 1990-02-20
OLENA = complete_personal_code("3211112222")  # temporary protection

BUILDING = "100000001"
FLAT_1 = "100000002"
HOUSE = "100000004"

FIRST = date(2024, 1, 1)
SECOND = date(2024, 2, 1)


def org_code(prefix: int) -> str:
    while (code := complete_org_code(str(prefix))) is None:
        prefix += 1
    return code


MUNICIPALITY_ORG = org_code(9000000001)
TRADER_ORG = org_code(4000000201)


def hyphenated(code: str) -> str:
    return f"{code[:6]}-{code[6:]}"


class Files:
    """CSV files in one directory, each name used once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def write(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
        self.count += 1
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        path = self.directory / f"feed-{self.count}.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        return path

    def load(
        self,
        feed: str,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        as_of: date = SECOND,
        sender: Organisation | None = None,
    ) -> FeedBatch:
        path = self.write(header, rows)
        return feed_import(feed=feed, path=path, as_of=as_of, sender=sender, actor=ACTOR)

    def apply(
        self, feed: str, header: Sequence[str], rows: Iterable[Sequence[Any]], **kwargs: Any
    ) -> FeedBatch:
        batch = self.load(feed, header, rows, **kwargs)
        assert batch.status == BatchStatus.APPLIED, batch.errors
        return batch


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
OTHERS = [
    (BERTS, None, "Berts", "Bērziņš", "1975-05-15", None, FLAT_1, "2012-01-01"),
    (KARLIS, None, "Kārlis", "Bērziņš", "2015-03-03", None, FLAT_1, "2015-03-03"),
    (DAVIS, None, "Dāvis", "Ozols", "1990-02-20", None, HOUSE, "2019-06-01"),
]


@dataclass
class World:
    trader: Organisation
    first_population: FeedBatch
    second_population: FeedBatch
    anna: Person
    berts: Person
    karlis: Person
    davis: Person
    olena: Person
    flat_1: Address
    house: Address


def build_world(directory: Path) -> World:
    files = Files(directory)
    # The parties themselves straight from the factory; every register record through the feeds.
    OrganisationFactory.create(
        code=MUNICIPALITY_ORG,
        name="Test municipality",
        kind="municipality",
        municipality_code=MUNICIPALITY_CODE,
    )
    trader = OrganisationFactory.create(
        code=TRADER_ORG, name="Trader A", kind="trader", protected_service=True
    )
    files.apply(
        "addresses",
        ("address_code", "type", "parent_code", "municipality_code", "full_address"),
        [
            (BUILDING, "building", None, MUNICIPALITY_CODE, "Brīvības iela 1, Rīga"),
            (FLAT_1, "flat", BUILDING, MUNICIPALITY_CODE, "Brīvības iela 1 - 1, Rīga"),
            (HOUSE, "building", None, MUNICIPALITY_CODE, "Lauku māja, Rīga"),
        ],
        as_of=FIRST,
    )
    first = files.apply(
        "population",
        POPULATION_HEADER,
        [(ANNA_OLD, None, "Anna", "Kalniņa", "1980-01-01", None, FLAT_1, "2010-05-01"), *OTHERS],
        as_of=FIRST,
    )
    second = files.apply(
        "population",
        POPULATION_HEADER,
        [(ANNA, ANNA_OLD, "Anna", "Kalniņa", "1980-01-01", None, HOUSE, "2024-01-15"), *OTHERS],
        as_of=SECOND,
    )
    files.apply(
        "temporary_protection",
        ("personal_code", "given_name", "surname", "birth_date", "address_code", "valid_from", "valid_to"),
        [(OLENA, "Olena", "Shevchenko", "1985-07-07", FLAT_1, "2022-04-01", None)],
    )
    files.apply(
        "relations",
        ("person_code", "dependant_code", "relation", "valid_from", "valid_to"),
        [(ANNA, KARLIS, "parent", "2015-03-03", None), (BERTS, KARLIS, "parent", "2015-03-03", None)],
    )
    files.apply(
        "disability",
        ("personal_code", "group", "valid_from", "valid_to"),
        [(KARLIS, "child", "2020-01-01", "2033-03-02")],
    )
    files.apply(
        "social_status",
        ("personal_code", "status", "municipality_code", "valid_from", "valid_to"),
        [(ANNA, "low_income", MUNICIPALITY_CODE, "2023-07-01", "2024-06-30")],
    )
    files.apply("income", ("personal_code", "month", "amount_eur"), [(ANNA, "2023-12", "1234.56")])
    files.apply(
        "contracts",
        ("contract_no", "holder_code", "address_code", "object_code", "kind", "valid_from", "valid_to"),
        [
            ("C-100", ANNA, HOUSE, None, "household", "2024-01-15", None),
            ("C-200", BERTS, FLAT_1, None, "household", "2012-01-01", None),
        ],
        sender=trader,
    )
    person = {
        code: p for p in Person.objects.prefetch_related("codes") for code in [c.code for c in p.codes.all()]
    }
    return World(
        trader=trader,
        first_population=first,
        second_population=second,
        anna=person[ANNA],
        berts=person[BERTS],
        karlis=person[KARLIS],
        davis=person[DAVIS],
        olena=person[OLENA],
        flat_1=Address.objects.get(code=FLAT_1),
        house=Address.objects.get(code=HOUSE),
    )


def client_in(django_user_model: Any, *roles: str, username: str = "someone") -> Client:
    """A logged-in client of a staff user in ``roles`` (group names of aldis.organisations.roles)."""
    user = django_user_model.objects.create_user(username=username, is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=roles))
    assert user.groups.count() == len(roles)
    client = Client()
    client.force_login(user)
    return client
