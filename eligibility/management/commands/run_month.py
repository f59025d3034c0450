import re
import time
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from aldis.exceptions import ApplicationError
from audit.services import Actor
from eligibility.models import MonthRun, RunStatus
from eligibility.selectors import month_run_units
from eligibility.services.runs import month_run_is_stale, month_run_request, month_runs_fail_stale

MONTH = re.compile(r"(\d{4})-(\d{2})")
POLL_SECONDS = 1.0
FINISHED = (RunStatus.DONE, RunStatus.FAILED)


def parse_month(text: str) -> date:
    """``YYYY-MM`` as the month's first day; CommandError otherwise."""
    match = MONTH.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return date(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise CommandError(f"{text!r} is not a month: write YYYY-MM, e.g. 2026-11") from None


class Command(BaseCommand):
    help = (
        "Compute a new version of month YYYY-MM (through Celery if a broker is set up) and print its summary."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("month", help="the month, YYYY-MM")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="with a broker: follow the run until it has finished (or is stale, and so failed)",
        )

    def handle(self, *args: Any, month: str, wait: bool, **options: Any) -> None:
        first_day = parse_month(month)
        try:
            run = month_run_request(month=first_day, actor=Actor.operator())
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        run.refresh_from_db()  # run eagerly, it has finished by now
        if run.status not in FINISHED:
            self.stdout.write(f"{self._name(run)}: sent to the workers (run id {run.pk})")
            if not wait:
                return
            try:
                run = self._follow(run, show=options["verbosity"] >= 1)
            except KeyboardInterrupt:
                raise CommandError(f"stopped following; {self._name(run)} goes on in the workers") from None
        self._summary(run)

    @staticmethod
    def _name(run: MonthRun) -> str:
        return f"Run {run.pk}, {run.month:%Y-%m} version {run.version}"

    def _follow(self, run: MonthRun, *, show: bool) -> MonthRun:
        """Poll the run's row until it has finished, with a bar over its chunks. A run that turns
        stale meanwhile (its worker was killed, its task lost) is marked failed: that ends it."""
        with tqdm(
            desc=f"{run.month:%Y-%m} v{run.version}", unit="chunk", file=self.stderr, disable=not show
        ) as bar:
            while True:
                run.refresh_from_db()
                if run.chunks_total and bar.total != run.chunks_total:
                    bar.reset(total=run.chunks_total)
                bar.n = run.chunks_done
                bar.set_postfix_str(run.status)
                bar.refresh()
                if run.status in FINISHED:
                    return run
                if month_run_is_stale(run):
                    month_runs_fail_stale(month=run.month)
                    continue  # failed now, or finished meanwhile: the next read says which
                time.sleep(POLL_SECONDS)

    def _summary(self, run: MonthRun) -> None:
        if run.status == RunStatus.FAILED:
            raise CommandError(f"{self._name(run)} failed: {run.error}")
        seconds = (
            (run.finished_at - run.started_at).total_seconds() if run.finished_at and run.started_at else 0
        )
        write = self.stdout.write
        write(f"{self._name(run)}: done in {seconds:.1f} s (knowledge batch {run.knowledge_batch})")
        write(f"households: {run.households} (persons without an address: {run.persons_without_address})")
        write("units granted:")
        for category, units in month_run_units(run=run).items():
            write(f"  {category}: {units}")
        write(
            f"{run.households} households, {run.entitled_households} entitled, "
            f"{run.unattributed_households} unattributed, total {run.total_eur:.2f} EUR"
        )
