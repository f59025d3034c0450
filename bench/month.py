"""Benchmark: a full monthly run (Scheme P and Scheme E) of the 1.9-million-person country.

    .venv/bin/python bench/month.py [--database aldis_bench] [--month 2026-11] [--trace FILE]

Run after ``bench/feeds.py`` (which leaves the whole country in the database). After a ``VACUUM
(ANALYZE)`` (the state autovacuum leaves the tables in), measures, in one process: the wall time
and this process's peak memory of ``month_run_request`` + ``month_run_execute`` (the same
services as ``run_month``, in-process); one bare SQL aggregate over the same persons (the
yardstick: a run should cost at most 3 of it); for scale, one bare aggregate over the monthly
money rows Scheme E must read at the least (not a target); and a naive
per-household ORM loop over 20,000 households doing the lookups a row-by-row implementation
would, extrapolated to the country (the run should be at least 50 times faster). Targets: at
most 60 s, at most 3x the bare aggregate, at most 1 GB, at least 50x the naive loop.
``--trace FILE`` writes each statement of the run with its seconds (its SQL, never its values).
"""

import argparse
import contextlib
import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NAIVE_HOUSEHOLDS = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="aldis_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--month", default="2026-11")
    parser.add_argument(
        "--trace", type=Path, help="write every statement of the run with its time to this file"
    )
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="aldis.settings",
        DJANGO_DEBUG="true",
        DATABASE_URL=f"postgres://postgres@{args.host}:5432/{args.database}",
        DJANGO_LOG_LEVEL="WARNING",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connection

    from audit.services import Actor
    from eligibility.models import MonthRun, RunStatus
    from eligibility.services.runs import month_run_request
    from households.models import Debtor, Disability, PopulationRecord, Relation, SocialStatus
    from traders.models import Contract

    month = date.fromisoformat(f"{args.month}-01")
    MonthRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(status=RunStatus.FAILED)
    # The tables as autovacuum leaves them in production, days after the imports: otherwise the
    # first statement to read a freshly loaded table (the run or the yardstick, whichever comes
    # first) also pays for setting its rows' hint bits, and the two are not compared alike.
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM (ANALYZE) of the database: {time.monotonic() - started:.0f} s (not counted)")

    # 1. The run (in-process: without a broker the task runs when the request commits).
    started = time.monotonic()
    with _traced(connection, args.trace):
        run = month_run_request(month=month, actor=Actor.operator())
    run.refresh_from_db()
    run_seconds = time.monotonic() - started
    if run.status != RunStatus.DONE:
        raise SystemExit(f"the run did not finish: {run.status} {run.error}")

    # 2. One bare aggregate over the same persons: households and their sizes on the date.
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), SUM(n) FROM (SELECT address_id, COUNT(*) AS n FROM households_populationrecord "
            "WHERE superseded_in_id IS NULL AND (valid_from IS NULL OR valid_from <= %s) "
            "AND (valid_to IS NULL OR valid_to >= %s) AND address_id IS NOT NULL GROUP BY address_id) h",
            [month, month],
        )
        cursor.fetchone()
    bare_seconds = time.monotonic() - started

    # 2b. Not a target, for scale: one bare aggregate over what Scheme E must read at the least,
    # each household's members with their twelve months of income and benefits, and its housing
    # costs (about 27 million monthly rows against the 1.9 million of the yardstick above).
    window_from = month.replace(year=month.year - 1)
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), SUM(h.n), SUM(h.money), SUM(hc.housing) FROM (SELECT pr.address_id, COUNT(*) AS n, "
            "SUM(m.total) AS money FROM households_populationrecord pr LEFT JOIN (SELECT x.person_id, "
            "SUM(x.amount_eur) AS total FROM (SELECT person_id, amount_eur FROM households_income "
            "WHERE superseded_in_id IS NULL AND month >= %(w)s AND month < %(m)s UNION ALL SELECT person_id, "
            "amount_eur FROM households_benefit WHERE superseded_in_id IS NULL AND month >= %(w)s "
            "AND month < %(m)s) x GROUP BY x.person_id) m ON m.person_id = pr.person_id "
            "WHERE pr.superseded_in_id IS NULL AND (pr.valid_from IS NULL OR pr.valid_from <= %(m)s) "
            "AND (pr.valid_to IS NULL OR pr.valid_to >= %(m)s) AND pr.address_id IS NOT NULL "
            "GROUP BY pr.address_id) h LEFT JOIN (SELECT address_id, SUM(amount_eur) AS housing "
            "FROM households_housingcost WHERE superseded_in_id IS NULL AND month >= %(w)s AND month < %(m)s "
            "GROUP BY address_id) hc ON hc.address_id = h.address_id",
            {"w": window_from, "m": month},
        )
        cursor.fetchone()
    inputs_seconds = time.monotonic() - started

    # 3. The naive way: household by household through the ORM.
    current = {"superseded_in__isnull": True}
    addresses = list(
        PopulationRecord.objects.filter(**current, address__isnull=False)
        .values_list("address_id", flat=True)
        .distinct()[:NAIVE_HOUSEHOLDS]
    )
    started = time.monotonic()
    for address_id in addresses:
        members = list(
            PopulationRecord.objects.filter(**current, address_id=address_id).values_list(
                "person_id", flat=True
            )
        )
        list(SocialStatus.objects.filter(**current, person_id__in=members))
        list(Disability.objects.filter(**current, person_id__in=members))
        list(Debtor.objects.filter(**current, person_id__in=members))
        children = list(
            Relation.objects.filter(**current, person_id__in=members).values_list("dependant_id", flat=True)
        )
        list(PopulationRecord.objects.filter(**current, person_id__in=children))
        list(Contract.objects.filter(**current, address_id=address_id))
    naive_seconds = time.monotonic() - started
    naive_country = naive_seconds * run.households / max(len(addresses), 1)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results = {
        "month": args.month,
        "households": run.households,
        "entitled_households": run.entitled_households,
        "unattributed_households": run.unattributed_households,
        "total_eur": str(run.total_eur),
        "energy_aid": run.energy_aid,
        "run_seconds": round(run_seconds, 1),
        "bare_aggregate_seconds": round(bare_seconds, 2),
        "run_vs_bare": round(run_seconds / bare_seconds, 1),
        "inputs_aggregate_seconds": round(inputs_seconds, 2),
        "run_vs_inputs_aggregate": round(run_seconds / inputs_seconds, 1),
        "naive_seconds_for_20000_households": round(naive_seconds, 1),
        "naive_extrapolated_seconds": round(naive_country),
        "speedup_vs_naive": round(naive_country / run_seconds, 1),
        "peak_rss_mb": round(peak_mb),
    }
    print(json.dumps(results, indent=2))
    print(
        f"run of {args.month}: {run_seconds:.1f} s (target <= 60), {results['run_vs_bare']}x the bare aggregate "
        f"(target <= 3; {results['run_vs_inputs_aggregate']}x one aggregate over Scheme E's inputs), "
        f"{results['speedup_vs_naive']}x the naive loop (target >= 50), peak {peak_mb:.0f} MB "
        "(target <= 1024)"
    )
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"month-{args.month}.json").write_text(json.dumps(results, indent=2))


@contextlib.contextmanager
def _traced(connection: Any, path: Path | None) -> Iterator[None]:
    """With ``path``: each statement's seconds and its SQL (never its parameters) written there."""
    if path is None:
        yield
        return
    with path.open("w") as trace:

        def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            begun = time.monotonic()
            try:
                return execute(sql, params, many, context)
            finally:
                trace.write(f"{time.monotonic() - begun:9.3f}  {' '.join(sql.split())[:400]}\n")

        with connection.execute_wrapper(timed):
            yield


if __name__ == "__main__":
    main()
