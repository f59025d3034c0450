"""Benchmark: a whole synthetic country imported into PostgreSQL (issue: registry feeds).

    .venv/bin/python bench/feeds.py [--persons 1900000] [--seed 1] [--database aldis_bench]

Generates the country (unless already generated under bench/out/), recreates the database,
migrates, imports every feed of the manifest through ``feed_import`` (the same service as
``import_feed`` and the API) and reports rows/s per feed, the total wall time and this process's
peak memory. In the same run: a raw ``COPY`` of population.csv into a bare table (the ratio
target: the population import at least 1/3 of raw COPY's rows/s), and a re-import of the
identical population snapshot under the next month's date (target: at most 1/4 of the first
import's time, zero new versions), and the month after's snapshot in which 1,000 persons have a
new personal code (``previous_code`` naming the old one), as monthly files usually differ.
Results go to stdout and bench/out/feeds-<N>.json.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_900_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="aldis_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--trace", type=Path, help="write every import statement's time to this file")
    args = parser.parse_args()

    out = ROOT / "bench" / "out"
    country = out / f"country-{args.persons}-{args.seed}"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="aldis.settings",
        DJANGO_DEBUG="true",
        DATABASE_URL=f"postgres://postgres@{args.host}:5432/{args.database}",
        DJANGO_LOG_LEVEL="WARNING",
    )
    os.environ.pop("REDIS_URL", None)
    results: dict[str, object] = {"persons": args.persons, "seed": args.seed}

    if not (country / "manifest.json").exists():
        started = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "generate_country",
                "--persons",
                str(args.persons),
                "--seed",
                str(args.seed),
                "--out",
                str(country),
            ],
            cwd=ROOT,
            check=True,
        )
        results["generate_seconds"] = round(time.monotonic() - started, 1)
        print(f"generated in {results['generate_seconds']} s")

    for command in (["dropdb", "--if-exists", "--force"], ["createdb"]):
        subprocess.run([*command, "-h", args.host, "-U", "postgres", args.database], check=True)
    import django

    django.setup()
    if args.trace:
        import logging

        handler = logging.FileHandler(args.trace, mode="w")
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        engine_log = logging.getLogger("aldis.feeds.engine")
        engine_log.setLevel(logging.DEBUG)
        engine_log.addHandler(handler)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from aldis.feeds.models import FeedBatch
    from audit.services import Actor
    from fixtures.load import country_import
    from households.models import PopulationRecord

    per_feed: dict[str, dict[str, float]] = {}

    def record(entry: Any, batch: Any, seconds: float) -> None:
        stats = per_feed.setdefault(entry.feed, {"files": 0, "rows": 0, "seconds": 0.0})
        stats["files"] += 1
        stats["rows"] += batch.rows
        stats["seconds"] += seconds
        if entry.feed in ("population", "income", "relations", "addresses"):
            print(
                f"  {entry.feed:<22} {batch.rows:>10,} rows {seconds:7.1f} s  {batch.rows / seconds:>10,.0f} rows/s"
            )

    print(f"importing {country.name} into PostgreSQL {args.database} ...")
    started = time.monotonic()
    country_import(directory=country, actor=Actor.operator(), on_batch=record)
    total = time.monotonic() - started
    results["import_total_seconds"] = round(total, 1)
    feeds: dict[str, dict[str, Any]] = {
        feed: {
            **stats,
            "rows_per_second": round(stats["rows"] / stats["seconds"]) if stats["seconds"] else None,
        }
        for feed, stats in per_feed.items()
    }

    # Raw COPY of the same population file into a bare table: the yardstick.
    population = country / "population.csv"
    header = population.open(encoding="utf-8").readline().strip().split(",")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_population")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_raw_population (" + ", ".join(f"{c} text" for c in header) + ")"
        )
        started = time.monotonic()
        with (
            population.open("rb") as handle,
            cursor.cursor.copy("COPY bench_raw_population FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        raw_seconds = time.monotonic() - started
        cursor.execute("SELECT COUNT(*) FROM bench_raw_population")
        raw_rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_raw_population")
    results["feeds"] = feeds
    pop = feeds["population"]
    results["raw_copy_population_rows_per_second"] = round(raw_rows / raw_seconds)
    results["population_vs_raw_copy"] = round(pop["rows_per_second"] / (raw_rows / raw_seconds), 3)

    # The identical snapshot again, known a month later: everything unchanged.
    from aldis.feeds.services import feed_import

    versions_before = PopulationRecord.objects.count()
    started = time.monotonic()
    again = feed_import(
        feed="population", path=population, as_of=date(2026, 12, 1), sender=None, actor=Actor.operator()
    )
    reimport = time.monotonic() - started
    results["population_reimport_seconds"] = round(reimport, 1)
    results["population_reimport_ratio"] = round(reimport / pop["seconds"], 3)
    results["population_reimport_new_versions"] = PopulationRecord.objects.count() - versions_before
    results["population_reimport_status"] = again.status

    # The next month's snapshot as it usually differs: some persons got a new personal code.
    changed_file = out / "population-changed-codes.csv"
    changed_codes = _with_changed_codes(population, changed_file, CHANGED_CODES)
    started = time.monotonic()
    changed = feed_import(
        feed="population", path=changed_file, as_of=date(2027, 1, 1), sender=None, actor=Actor.operator()
    )
    results["population_changed_codes"] = changed_codes
    results["population_changed_codes_seconds"] = round(time.monotonic() - started, 1)
    results["population_changed_codes_status"] = changed.status
    results["batches"] = FeedBatch.objects.count()
    results["peak_rss_mb"] = round(peak_rss_mb())

    print()
    print(f"{'feed':<22} {'files':>5} {'rows':>12} {'seconds':>8} {'rows/s':>10}")
    for feed, stats in feeds.items():
        print(
            f"{feed:<22} {stats['files']:>5} {stats['rows']:>12,} {stats['seconds']:>8.1f} {stats['rows_per_second'] or 0:>10,}"
        )
    print()
    print(f"whole country imported in {total:.1f} s (target <= 300 s)")
    print(
        f"raw COPY of population.csv: {results['raw_copy_population_rows_per_second']:,} rows/s; "
        f"population import is {results['population_vs_raw_copy']:.2f} of it (target >= 0.33)"
    )
    print(
        f"identical population snapshot again: {reimport:.1f} s = {results['population_reimport_ratio']:.2f} of the "
        f"first import (target <= 0.25), {results['population_reimport_new_versions']} new versions (target 0)"
    )
    print(
        f"the population snapshot with {changed_codes} changed personal codes: "
        f"{results['population_changed_codes_seconds']} s ({changed.status})"
    )
    print(f"peak memory of the importing process: {results['peak_rss_mb']} MB (target <= 1024)")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"feeds-{args.persons}.json").write_text(json.dumps(results, indent=2))


CHANGED_CODES = 1_000


def _with_changed_codes(source: Path, target: Path, count: int) -> int:
    """``source`` with ``count`` persons (spread through the file) under a new personal code
    (``32…``, the code without a birth date) and their old one as ``previous_code``; streamed."""
    import csv

    from stdnum.lv import pvn

    # The new codes start 329: only the file's codes that do too can collide (a small set, so
    # that this helper does not weigh on the peak memory the benchmark reports).
    with source.open(newline="", encoding="utf-8") as handle:
        rows = 0
        taken: set[str] = set()
        for row in csv.DictReader(handle):
            rows += 1
            if (code := row["personal_code"].replace("-", "")).startswith("329"):
                taken.add(code)
    every = max(rows // count, 1)
    changed = serial = 0
    next_at = 7
    with (
        source.open(newline="", encoding="utf-8") as handle,
        target.open("w", newline="", encoding="utf-8") as out,
    ):
        reader = csv.DictReader(handle)
        writer = csv.DictWriter(out, reader.fieldnames or [], lineterminator="\n")
        writer.writeheader()
        for number, row in enumerate(reader):
            if changed < count and number >= next_at and not row["previous_code"]:
                code = ""
                while not code or code in taken:
                    first = f"329{serial:07d}"
                    serial += 1
                    code = first + pvn.calc_check_digit_pers(first)
                row["previous_code"], row["personal_code"] = row["personal_code"], code
                changed += 1
                next_at += every
            writer.writerow(row)
    return changed


if __name__ == "__main__":
    main()
