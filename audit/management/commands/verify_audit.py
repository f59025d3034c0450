from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain and report the first broken link."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--chunk-size", type=int, default=5000, help="events read per query")

    def handle(self, *args: Any, chunk_size: int, **options: Any) -> None:
        result = audit_verify(chunk_size=chunk_size)
        if not result.ok:
            raise CommandError(
                f"audit trail BROKEN at event #{result.broken_seq}: {result.problem} "
                f"({result.events_checked} events read)"
            )
        span = f"#{result.first_seq}..#{result.last_seq}" if result.events_checked else "empty"
        self.stdout.write(f"audit trail intact: {result.events_checked} events ({span})")
