"""A real ``celery worker`` process for the tests that prove the production path.

It listens on a queue of its own (so a stray worker cannot take the test's task), against Redis
and the test's own PostgreSQL database, and is stopped by its process id at the end. While it
runs, this process sends tasks for real (not eagerly) and routes the named tasks to its queue.
"""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from aldis.celery import app

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("REDIS_URL", "")
NEEDS_REDIS = pytest.mark.skipif(
    not REDIS_URL, reason="REDIS_URL is not set: no broker for a real worker (CI sets it)"
)


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _reset_router() -> None:
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)  # the router is cached


@contextmanager
def real_worker(*, route: tuple[str, ...] = ()) -> Iterator[str]:
    """Start a worker; yield its queue. ``route``: task names sent to that queue by default."""
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
    app.conf.task_routes = {name: {"queue": queue} for name in route}
    _reset_router()
    try:
        yield queue
    finally:
        app.conf.task_always_eager, app.conf.task_routes = eager, routes
        _reset_router()
        worker.send_signal(signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        print(output)  # shown by pytest only when the test fails
