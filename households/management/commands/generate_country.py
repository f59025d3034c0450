from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fixtures.country import generate_country
from fixtures.country.generator import MAX_PERSONS


class Command(BaseCommand):
    help = "Writes a complete, consistent, deterministic set of feed files for a synthetic Latvia."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--persons",
            type=int,
            required=True,
            help=f"persons in the population register (1 to {MAX_PERSONS:,})",
        )
        parser.add_argument("--seed", type=int, required=True, help="the same seed gives the same files")
        parser.add_argument("--out", type=Path, required=True, help="directory to write the files into")
        parser.add_argument(
            "--month", default="2026-11", help="reference month YYYY-MM; its first day is every feed's as_of"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out {out} exists and is not a directory")
        try:
            summary = generate_country(
                persons=options["persons"],
                seed=options["seed"],
                out=out,
                month=options["month"],
                progress=options["verbosity"] > 0,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Wrote {summary.persons:,} persons ({summary.households:,} households, "
            f"{summary.temporary_protection:,} under temporary protection) for {summary.month}: "
            f"{summary.total_rows:,} rows in {len(summary.rows)} files and manifest.json under {out}"
        )
