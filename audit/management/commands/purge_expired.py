import datetime
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from aldis.exceptions import ApplicationError
from aldis.months import iso_date_argument
from aldis.retention import FEED_ERRORS, retention_purge_expired
from audit.services import Actor
from eligibility.services.retention import STATISTICS

# What a step does to its rows, in the dry run's words and the commit's (default: delete).
VERBS = {STATISTICS: ("would keep", "kept"), FEED_ERRORS: ("would empty", "emptied")}
DELETE = ("would delete", "deleted")


class Command(BaseCommand):
    help = "Delete personal data and audit trails past retention (a dry run unless --commit)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--commit", action="store_true", help="delete for real (default: report only)")
        parser.add_argument(
            "--as-of",
            type=iso_date_argument,
            default=None,
            help="the date retention is counted back from (default: today)",
        )

    def handle(self, *args: Any, commit: bool, as_of: datetime.date | None, **options: Any) -> None:
        if as_of and as_of > timezone.localdate():
            raise CommandError("--as-of may not be in the future")
        bars: dict[str, tqdm[Any]] = {}

        def progress(label: str, done: int, total: int) -> None:
            bar = bars.get(label)
            if bar is None:
                bar = bars[label] = tqdm(
                    desc=label, total=total, unit="chunk", file=self.stderr, disable=options["verbosity"] < 1
                )
            bar.update(done - bar.n)
            if done >= total:
                bar.close()

        try:
            result = retention_purge_expired(
                as_of=as_of or timezone.localdate(), commit=commit, actor=Actor.operator(), progress=progress
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        finally:
            for bar in bars.values():
                bar.close()

        before = f"{result.before:%Y-%m-%d}"
        for label, count in result.tables.items():
            would, did = VERBS.get(label, DELETE)
            self.stdout.write(f"{label}: {did if commit else would} {count}")
        events = result.audit.events
        if events and not commit:
            self.stdout.write(
                f"dry run: would delete {events} audit events before {before}; run again with --commit"
            )
        elif events:
            self.stdout.write(f"deleted {events} audit events before {before}")
        else:
            self.stdout.write(f"audit trail: nothing to delete before {before}")
        self.stdout.write(summary(result.tables, events, before=before, commit=commit))


def summary(tables: dict[str, int], events: int, *, before: str, commit: bool) -> str:
    """One line: rows deleted (tables and audit events), statistics kept, batches emptied."""
    deleted = {label: count for label, count in tables.items() if label not in VERBS and count}
    parts: list[tuple[str, str, str]] = []  # (dry-run verb, commit verb, what)
    if deleted or events:
        what = f"{sum(deleted.values())} rows from {len(deleted)} tables and {events} audit events"
        parts.append(("would delete", "deleted", what))
    if tables.get(STATISTICS):
        parts.append(("would keep", "kept", f"the statistics of {tables[STATISTICS]} runs"))
    if tables.get(FEED_ERRORS):
        parts.append(("would empty", "emptied", f"the bad rows of {tables[FEED_ERRORS]} feed batches"))
    if not parts:
        return f"summary: nothing past retention before {before}"
    text = "; ".join(f"{did if commit else would} {what}" for would, did, what in parts)
    if commit:
        return f"summary: {text} (retained from {before})"
    return f"summary: dry run, {text} (retained from {before}); run again with --commit"
