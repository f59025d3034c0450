"""A month run through a real Celery worker, against Redis and the test's PostgreSQL database.

``run_month`` with a broker: the request commits, its task goes through Redis to a separate
``celery worker`` process, which executes the real computation (a fake cannot reach another
process) and marks the run done. The worker listens on a queue of its own, and the run task is
routed there, so a stray worker cannot steal it.
"""

import importlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from aldis.celery import app
from audit.models import AuditEvent
from eligibility.models import MonthRun, RunStatus
from tests.eligibility.conftest import TABLE

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("REDIS_URL", "")


def _computation_missing() -> str:
    try:
        module = importlib.import_module("eligibility.services.scheme_p")
    except ImportError:
        return "eligibility.services.scheme_p does not exist yet"
    if not hasattr(module, "scheme_p_compute"):
        return "eligibility.services.scheme_p has no scheme_p_compute yet"
    return ""


pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.skipif(
        not REDIS_URL, reason="REDIS_URL is not set: no broker for a real worker (CI sets it)"
    ),
    pytest.mark.skipif(
        bool(_computation_missing()),
        reason=f"a real worker runs the real computation: {_computation_missing()}",
    ),
]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue(transactional_db: None) -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("a worker process shares the test database only on PostgreSQL")
    queue = f"aldis-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    worker = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "aldis",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    eager, routes = app.conf.task_always_eager, app.conf.task_routes
    app.conf.task_always_eager = False
    # The request sends the task itself: route it to this worker's queue (the router is cached).
    app.conf.task_routes = {"eligibility.tasks.month_run_task": {"queue": queue}}
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)
    try:
        yield queue
    finally:
        app.conf.task_always_eager, app.conf.task_routes = eager, routes
        app.amqp.flush_routes()
        app.amqp.__dict__.pop("router", None)
        worker.send_signal(signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        print(output)  # shown by pytest only when the test fails


def test_run_month_goes_through_redis_to_a_worker_and_is_done(worker_queue, import_parameters):
    # An earlier committing test may have emptied the tables, seeded parameters included.
    import_parameters(TABLE)
    out = StringIO()
    call_command("run_month", "2026-11", stdout=out, stderr=StringIO())

    run = MonthRun.objects.get()
    assert f"sent to the workers (run id {run.pk})" in out.getvalue()
    deadline = time.monotonic() + 90
    while run.status not in (RunStatus.DONE, RunStatus.FAILED) and time.monotonic() < deadline:
        time.sleep(0.5)
        run.refresh_from_db()

    assert run.status == RunStatus.DONE, run.error
    assert run.version == 1
    assert run.finished_at is not None
    actions = list(
        AuditEvent.objects.filter(action__startswith="run.")
        .order_by("seq")
        .values_list("action", "actor_type")
    )
    assert actions == [("run.request", "operator"), ("run.start", "system"), ("run.done", "system")]
    assert run.parameters["p_amount_large_family"] == "25.00"
