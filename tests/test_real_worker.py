"""A real Celery worker process, against Redis and the test's PostgreSQL database.

The rest of the suite runs tasks eagerly; this test proves the production path: the task is
serialised, sent through Redis, picked up by a separate ``celery worker`` process, and its effect
lands in the database. Each run listens on its own queue, so a stray worker cannot steal the task.
"""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from aldis.celery import app
from audit.models import AuditVerification
from audit.services import Actor, audit_record
from audit.tasks import audit_verify_task

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.skipif(
        not REDIS_URL, reason="REDIS_URL is not set: no broker for a real worker (CI sets it)"
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
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        app.conf.task_always_eager = eager
        worker.send_signal(signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        print(output)  # shown by pytest only when the test fails


def test_a_task_sent_through_redis_runs_in_a_worker_and_writes_to_the_database(worker_queue):
    audit_record(actor=Actor.system("test"), action="test.before_worker")
    assert not AuditVerification.objects.exists()

    result = audit_verify_task.apply_async(queue=worker_queue)
    verification_id = result.get(timeout=90)

    verification = AuditVerification.objects.get(pk=verification_id)
    assert verification.ok
    assert verification.events_checked == 1
    assert result.successful()
