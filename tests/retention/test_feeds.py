"""Rule 5: the bad rows (with their values) kept on old feed batches."""

import pytest

from aldis.feeds.models import FeedBatch
from tests.retention.conftest import at, batch, code, purge

pytestmark = pytest.mark.django_db


def rejected(received_at) -> FeedBatch:
    made = batch(received_at)
    bad_row = {"line": 2, "column": "personal_code", "value": code(1), "reason": "unknown person"}
    FeedBatch.objects.filter(pk=made.pk).update(status="rejected", error_count=1, errors=[bad_row])
    return made


def test_bad_rows_of_batches_received_before_the_cutoff_are_emptied_and_the_batches_stay():
    before = rejected(at(2024, 10, 31, 23, 59))
    on_c = rejected(at(2024, 11, 1, 0, 0))
    clean = batch(at(2023, 1, 1))

    assert purge(commit=False).tables["feeds.FeedBatch.errors"] == 1
    assert FeedBatch.objects.get(pk=before.pk).errors != []  # the dry run changed nothing
    assert purge(commit=True).tables["feeds.FeedBatch.errors"] == 1

    before.refresh_from_db()
    on_c.refresh_from_db()
    assert (before.errors, before.error_count, before.status) == ([], 1, "rejected")
    assert on_c.errors == [
        {"line": 2, "column": "personal_code", "value": code(1), "reason": "unknown person"}
    ]
    assert FeedBatch.objects.filter(pk=clean.pk).exists()
    assert purge(commit=True).tables["feeds.FeedBatch.errors"] == 0
