"""A real Celery worker process, against Redis and the test's PostgreSQL database.

The rest of the suite runs tasks eagerly; this test proves the production path: the task is
serialised, sent through Redis, picked up by a separate ``celery worker`` process, and its effect
lands in the database. Each run listens on its own queue, so a stray worker cannot steal the task.
"""

from collections.abc import Iterator

import pytest

from audit.models import AuditVerification
from audit.services import Actor, audit_record
from audit.tasks import audit_verify_task
from tests.real_worker import NEEDS_REDIS, real_worker

pytestmark = [pytest.mark.real_worker, NEEDS_REDIS]


@pytest.fixture
def worker_queue(transactional_db: None) -> Iterator[str]:
    with real_worker() as queue:
        yield queue


def test_a_task_sent_through_redis_runs_in_a_worker_and_writes_to_the_database(worker_queue):
    audit_record(actor=Actor.system("test"), action="test.before_worker")
    assert not AuditVerification.objects.exists()

    result = audit_verify_task.apply_async(queue=worker_queue)
    verification_id = result.get(timeout=90)

    verification = AuditVerification.objects.get(pk=verification_id)
    assert verification.ok
    assert verification.events_checked == 1
    assert result.successful()
