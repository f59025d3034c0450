"""Helpers for the retention tests: rows built with the ORM at dates written by hand.

Every test purges as of 2026-11-15, so the cutoff C is 2024-11-01 (24 months before November
2026): a date before C is past retention, C itself is kept. Timestamps are compared in the
project's time zone (Europe/Riga): C begins at 2024-11-01 00:00 in Riga.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.organisations.models import Organisation
from aldis.retention import RetentionResult, retention_purge_expired
from audit.services import Actor
from eligibility.models import ContractLine, MonthRun, RunStatus
from households.models import Address, Person, PersonCode, PopulationRecord
from tests.eligibility.scheme_p.conftest import code, registers  # noqa: F401  (the fixture)

ACTOR = Actor.system("retention-tests")
AS_OF = date(2026, 11, 15)
C = date(2024, 11, 1)
DAY_BEFORE_C = date(2024, 10, 31)
OCT_2024 = date(2024, 10, 1)
NOV_2024 = date(2024, 11, 1)
RIGA = ZoneInfo("Europe/Riga")

__all__ = ["code"]


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in Riga."""
    return datetime(year, month, day, hour, minute, tzinfo=RIGA)


def purge(*, commit: bool) -> RetentionResult:
    return retention_purge_expired(as_of=AS_OF, commit=commit, actor=ACTOR)


def batch(received_at: datetime, feed: str = "population") -> FeedBatch:
    """An applied feed batch received at ``received_at``."""
    made = FeedBatch.objects.create(
        feed=feed,
        as_of=received_at.date(),
        file_sha256="0" * 64,
        actor="system:test",
        status=BatchStatus.APPLIED,
    )
    FeedBatch.objects.filter(pk=made.pk).update(received_at=received_at)
    made.refresh_from_db()
    return made


def person(*codes: str) -> Person:
    """A person known under ``codes`` (the first is the current one)."""
    made = Person.objects.create(personal_code=codes[0])
    PersonCode.objects.bulk_create(PersonCode(code=c, person=made) for c in codes)
    return made


def population(
    who: Person,
    learned_in: FeedBatch,
    *,
    valid_from: date | None = date(2000, 1, 1),
    valid_to: date | None = None,
    superseded_in: FeedBatch | None = None,
) -> PopulationRecord:
    return PopulationRecord.objects.create(
        person=who,
        given_name="Anna",
        surname="Bērziņa",
        birth_date=date(1960, 1, 1),
        valid_from=valid_from,
        valid_to=valid_to,
        learned_in=learned_in,
        superseded_in=superseded_in,
    )


def address(address_code: str) -> Address:
    return Address.objects.get_or_create(code=address_code)[0]


def month_run(
    month: date, *, version: int = 1, status: str = RunStatus.DONE, knowledge_batch: int = 0
) -> MonthRun:
    return MonthRun.objects.create(
        month=month, version=version, status=status, knowledge_batch=knowledge_batch, requested_by="test"
    )


def contract_line(
    run: MonthRun, trader: Organisation, sub_user: Person | None, *, contract_no: str
) -> ContractLine:
    return ContractLine.objects.create(
        run=run,
        trader=trader,
        contract_no=contract_no,
        sub_user=sub_user,
        sub_user_code=sub_user.personal_code if sub_user else "",
        address=address("300000001"),
        amount_eur=Decimal("20.00"),
        balance_eur=Decimal("20.00"),
    )


def staff(username: str) -> User:
    return User.objects.create_user(username, password="a-long-password-1", is_staff=True)
