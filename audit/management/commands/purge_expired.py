import datetime
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.services import Actor, audit_purge_expired


def retention_cutoff(*, as_of: datetime.date, months: int) -> datetime.datetime:
    """The first instant still retained: the first day of ``as_of``'s month, ``months`` earlier."""
    month_index = as_of.year * 12 + as_of.month - 1 - months
    first = datetime.date(month_index // 12, month_index % 12 + 1, 1)
    return datetime.datetime.combine(first, datetime.time.min, tzinfo=timezone.get_current_timezone())


class Command(BaseCommand):
    help = "Delete personal data and audit trails past retention (a dry run unless --commit)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--commit", action="store_true", help="delete for real (default: report only)")
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=None,
            help="the date retention is counted back from (default: today)",
        )

    def handle(self, *args: Any, commit: bool, as_of: datetime.date | None, **options: Any) -> None:
        if as_of and as_of > timezone.localdate():
            raise CommandError("--as-of may not be in the future")
        as_of = as_of or timezone.localdate()
        before = retention_cutoff(as_of=as_of, months=settings.ALDIS_RETENTION_MONTHS)
        result = audit_purge_expired(before=before, actor=Actor.operator(), commit=commit)
        if result.events and not commit:
            self.stdout.write(
                f"dry run: would delete {result.events} audit events before {before:%Y-%m-%d}; "
                "run again with --commit"
            )
        elif result.events:
            self.stdout.write(f"deleted {result.events} audit events before {before:%Y-%m-%d}")
        else:
            self.stdout.write(f"nothing to delete before {before:%Y-%m-%d}")
