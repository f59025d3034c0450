"""Benchmark: the parties' month lists over the API, on PostgreSQL.

    .venv/bin/python bench/api.py [--database aldis_bench_api] [--rows 300000] [--clients 20]

Creates a scratch database (dropped and created, then migrated), one trader and one in-force
version of 2026-11 whose list has ``--rows`` contract lines, and the trader's year so far: an
accepted applied line of 2.00 EUR for every one of them in each of January to October (10 x
``--rows`` lines, which every available balance and the list's ETag read), all written set-based
by ``INSERT ... SELECT generate_series``. Then measures, in the same run:

1. ``COPY (SELECT ... the list's columns, in its order) TO STDOUT`` of the same rows: the yardstick;
2. the CSV list (``Accept: text/csv``) streamed in-process through Django's test client: rows/s
   and the growth of this process's peak RSS while streaming (flat memory: it must not grow with
   the list);
3. the same CSV over HTTP from gunicorn (rows/s, the serving worker's peak RSS);
4. the first JSON page (100 rows) with ``--clients`` concurrent clients against gunicorn, each
   sending ``--requests`` requests: p50/p95/p99 latency, as served (each worker keeps the
   rendered first page under its ETag), and again from a server that keeps none
   (``ALDIS_PAGE_CACHE_SECONDS=0``: every request reads and renders the page).

gunicorn's workers count the API throttle in Redis (``--redis``), as in production.

Targets: CSV at least 100,000 rows/s with flat memory; the JSON first page's p95 at most 100 ms.
"""

import argparse
import contextlib
import http.client
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MONTH = "2026-11"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="aldis_bench_api")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50, help="per client")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="the throttle's cache")
    args = parser.parse_args()
    database_url = f"postgres://postgres@{args.host}:5432/{args.database}"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="aldis.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="bench-only-not-a-secret-" + "x" * 40,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
        DJANGO_LOG_LEVEL="WARNING",
        ALDIS_API_RATE="1000000/minute",
    )
    os.environ.pop("REDIS_URL", None)
    for command in (["dropdb", "--if-exists", "--force"], ["createdb"]):
        subprocess.run([*command, "-h", args.host, "-U", "postgres", args.database], check=True)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    from aldis.identifiers import complete_org_code
    from aldis.organisations.models import ApiClient, Organisation
    from compensation.models import Submission, SubmissionKind
    from eligibility.models import MonthRun, RunStatus

    trader = Organisation.objects.create(
        code=complete_org_code("4000000201") or "", name="Bench trader", kind="trader", protected_service=True
    )
    _, token = ApiClient.objects.create_key(organisation=trader, name="bench")
    run = MonthRun.objects.create(
        month=f"{MONTH}-01", version=1, status=RunStatus.DONE, knowledge_batch=0, requested_by="bench"
    )
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO eligibility_contractline (run_id, trader_id, contract_no, sub_user_id, sub_user_code, "
            "address_id, amount_eur, balance_eur, categories) "
            "SELECT %s, %s, 'C-' || lpad(i::text, 8, '0'), NULL, '', i, 25.00, 25.00 * (1 + i %% 11), "
            '\'[{"category": "large_family", "units": 1, "amount_eur": "25.00"}]\'::jsonb '
            "FROM generate_series(1, %s) AS i",
            [run.pk, trader.pk, args.rows],
        )
    for number in range(1, 11):
        submission = Submission.objects.create(
            organisation=trader,
            kind=SubmissionKind.APPLIED,
            month=date(2026, number, 1),
            request_hash="bench",
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO compensation_appliedline (submission_id, trader_id, month, line_no, contract_no, "
                "sub_user_code, applied_eur, accepted, reason, message) "
                "SELECT %s, %s, %s, i, 'C-' || lpad(i::text, 8, '0'), '', 2.00, true, '', '' "
                "FROM generate_series(1, %s) AS i",
                [submission.pk, trader.pk, submission.month, args.rows],
            )
    # As a list stands when parties pull it, days after the run: vacuumed and checkpointed, so that
    # autovacuum and the checkpoint of the 300,000 new rows do not land inside the measurements.
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) eligibility_contractline")
        cursor.execute("VACUUM (ANALYZE) compensation_appliedline")
        cursor.execute("CHECKPOINT")
    connection.close()
    results: dict[str, object] = {"rows": args.rows, "setup_seconds": round(time.monotonic() - started, 1)}
    print(
        f"{args.rows} contract lines and {10 * args.rows} applied lines written in {results['setup_seconds']} s"
    )

    # 1. The yardstick: COPY of the same rows, in the list's order.
    import psycopg

    with psycopg.connect(database_url) as raw, raw.cursor() as pg:
        started = time.monotonic()
        copied = 0
        with pg.copy(
            "COPY (SELECT contract_no, sub_user_code, amount_eur, balance_eur, categories "
            "FROM eligibility_contractline WHERE run_id = %s AND trader_id = %s "
            "ORDER BY contract_no, sub_user_code, id) TO STDOUT WITH CSV HEADER",
            [run.pk, trader.pk],
        ) as copy:
            for data in copy:
                copied += bytes(data).count(b"\n")
        copy_seconds = time.monotonic() - started
    results["copy_seconds"] = round(copy_seconds, 2)
    results["copy_rows_per_s"] = round(args.rows / copy_seconds)

    # 2. The CSV list through Django in-process (the test client streams the response lazily).
    list_url = f"/api/v1/months/{MONTH}/eligible-contracts/"
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Token {token}")
    client.get(list_url)  # warm up: imports, the first connection
    rss_before = peak_rss_mb()
    started = time.monotonic()
    response = client.get(list_url, HTTP_ACCEPT="text/csv")
    lines = 0
    for chunk in response.streaming_content:  # type: ignore[attr-defined]
        lines += bytes(chunk).count(b"\n")
    csv_seconds = time.monotonic() - started
    if lines != args.rows + 1:
        raise SystemExit(f"the CSV had {lines} lines, expected {args.rows + 1}")
    results["csv_in_process_seconds"] = round(csv_seconds, 2)
    results["csv_in_process_rows_per_s"] = round(args.rows / csv_seconds)
    results["csv_in_process_peak_rss_growth_mb"] = round(peak_rss_mb() - rss_before, 1)
    results["process_peak_rss_mb"] = round(peak_rss_mb())
    connection.close()

    # 3 and 4. gunicorn.
    headers = {"Authorization": f"Token {token}", "Host": "localhost"}
    with _gunicorn(args, headers, list_url) as (port, server):
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.request("GET", list_url, headers={**headers, "Accept": "text/csv"})
        answer = conn.getresponse()
        lines = 0
        while chunk := answer.read(1 << 16):
            lines += chunk.count(b"\n")
        http_seconds = time.monotonic() - started
        conn.close()
        if lines != args.rows + 1:
            raise SystemExit(f"the HTTP CSV had {lines} lines (status {answer.status})")
        results["csv_http_seconds"] = round(http_seconds, 2)
        results["csv_http_rows_per_s"] = round(args.rows / http_seconds)
        workers = [
            int(pid)
            for pid in subprocess.run(
                ["ps", "--ppid", str(server.pid), "-o", "pid="], capture_output=True, text=True, check=True
            ).stdout.split()
        ]
        results["gunicorn_worker_peak_rss_mb"] = round(max(vm_hwm_mb(pid) for pid in workers))
        results["json_first_page"] = _load(args, port, headers, list_url)
    with _gunicorn(args, headers, list_url, ALDIS_PAGE_CACHE_SECONDS="0") as (port, _):
        results["json_first_page_none_kept"] = _load(args, port, headers, list_url)

    print(json.dumps(results, indent=2))
    page: Any = results["json_first_page"]
    cold: Any = results["json_first_page_none_kept"]
    print(
        f"CSV of {args.rows} rows: {results['csv_in_process_rows_per_s']} rows/s in-process, "
        f"{results['csv_http_rows_per_s']} rows/s over HTTP (target >= 100000; COPY "
        f"{results['copy_rows_per_s']} rows/s), peak RSS growth "
        f"{results['csv_in_process_peak_rss_growth_mb']} MB (flat); JSON first page p95 {page['p95_ms']} ms "
        f"with {args.clients} clients (target <= 100); {cold['p95_ms']} ms rendering every request"
    )
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "api.json").write_text(json.dumps(results, indent=2))


@contextlib.contextmanager
def _gunicorn(
    args: argparse.Namespace, headers: dict[str, str], list_url: str, **env: str
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """gunicorn serving the scratch database, its workers warmed up: (port, server)."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "aldis.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": args.redis, **env},
    )
    try:
        _wait_for(port)
        for _ in range(4 * args.workers):  # every worker imports Django and connects first
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            warm.request("GET", list_url, headers=headers)
            warm.getresponse().read()
            warm.close()
        yield port, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def _load(args: argparse.Namespace, port: int, headers: dict[str, str], list_url: str) -> dict[str, Any]:
    """``--clients`` threads each asking for the first JSON page ``--requests`` times."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client_loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        for _ in range(args.requests):
            begun = time.monotonic()
            conn.request("GET", list_url, headers=headers)
            answer = conn.getresponse()
            body = answer.read()
            mine.append(time.monotonic() - begun)
            if answer.status != 200 or b'"results"' not in body:
                with lock:
                    errors.append(f"{answer.status} {body[:200]!r}")
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client_loop) for _ in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load_seconds = time.monotonic() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, e.g. {errors[0]}")
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {
        "clients": args.clients,
        "requests": len(latencies),
        "gunicorn_workers": args.workers,
        "requests_per_s": round(len(latencies) / load_seconds, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
    }


def _wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


if __name__ == "__main__":
    main()
