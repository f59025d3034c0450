import datetime
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from aldis.feeds.models import BatchStatus
from aldis.feeds.services import feed_import
from aldis.months import iso_date_argument
from aldis.organisations.models import Organisation
from audit.services import Actor


class Command(BaseCommand):
    help = "Import one feed file (all or nothing) and print what it changed or every bad row."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("feed", help="the feed's name, e.g. population")
        parser.add_argument("path", type=Path, help="the CSV file")
        parser.add_argument("--as-of", required=True, type=iso_date_argument, help="YYYY-MM-DD")
        parser.add_argument("--org", default=None, help="the sending organisation's code (per-party feeds)")

    def handle(
        self, *args: Any, feed: str, path: Path, as_of: datetime.date, org: str | None, **options: Any
    ) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        sender = None
        if org:
            sender = Organisation.objects.filter(code=org.strip()).first()
            if sender is None:
                raise CommandError(f"--org {org}: no such organisation")
        try:
            batch = feed_import(feed=feed, path=path, as_of=as_of, sender=sender, actor=Actor.operator())
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if batch.status == BatchStatus.REJECTED:
            for error in batch.errors:
                shown = f" {error['value']!r}" if error["value"] else ""
                column = f", column {error['column']}" if error["column"] else ""
                self.stderr.write(f"{path.name} line {error['line']}{column}{shown}: {error['reason']}")
            more = batch.error_count - len(batch.errors)
            if more > 0:
                self.stderr.write(f"... and {more} more bad rows")
            raise CommandError(
                f"{path.name}: rejected, {batch.error_count} bad row(s); nothing was applied (batch {batch.pk})"
            )
        if batch.status == BatchStatus.REPEAT:
            self.stdout.write(
                f"{path.name}: a repeat of batch {batch.repeat_of_id}; nothing changed (batch {batch.pk})"
            )
            return
        self.stdout.write(
            f"{path.name}: {batch.feed} applied as of {batch.as_of}: {batch.rows} rows, {batch.inserted} new, "
            f"{batch.changed} changed, {batch.ended} ended, {batch.unchanged} unchanged (batch {batch.pk})"
        )
