"""The feed batch admin: every batch with its counts, and a rejected batch's bad rows as a table."""

import pytest
from django.urls import reverse

from aldis.feeds.admin import ERRORS_SHOWN
from aldis.feeds.models import BatchStatus, FeedBatch
from audit.models import AuditEvent
from tests.households.admin.world import FIRST, FLAT_1, MUNICIPALITY_CODE, POPULATION_HEADER

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:feeds_feedbatch_changelist")


def page(batch: FeedBatch) -> str:
    return reverse("admin:feeds_feedbatch_change", args=[batch.pk])


def views() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="feed.view").order_by("seq"))


@pytest.fixture
def rejected(world, files) -> FeedBatch:
    batch = files.load(
        "population",
        POPULATION_HEADER,
        [
            ("12345678901", None, "Bad", "Code", "1980-01-01", None, FLAT_1, None),
            ("010180-11111", None, "Bad", "Date", "1980-02-30", None, "999999999", None),
        ],
    )
    assert batch.status == BatchStatus.REJECTED
    return batch


def test_the_batch_page_shows_its_bad_rows_as_a_table(rejected, staff):
    response = staff.get(page(rejected))

    assert response.status_code == 200
    content = response.content.decode()
    assert '<table class="feed-errors">' in content
    assert f"All {rejected.error_count} bad rows." in content
    for error in rejected.errors:
        assert f"<td>{error['line']}</td><td>{error['column']}</td>" in content
    assert "unknown address code" in content
    assert "1980-02-30" in content


def test_a_long_error_list_is_cut_with_the_total_given(rejected, staff):
    FeedBatch.objects.filter(pk=rejected.pk).update(
        errors=[{"line": n, "column": "c", "value": "v", "reason": "r"} for n in range(2, 2 + 1500)],
        error_count=1500,
    )

    content = staff.get(page(rejected)).content.decode()

    assert f"The first {ERRORS_SHOWN} of 1500 bad rows" in content
    assert content.count("<tr><td>") == ERRORS_SHOWN
    assert [event.data["bad_rows_shown"] for event in views()] == [ERRORS_SHOWN]


def test_the_list_shows_every_batch_with_its_counts(rejected, staff):
    response = staff.get(CHANGELIST)

    assert response.status_code == 200
    shown = {batch.pk for batch in response.context["cl"].result_list}
    assert shown == set(FeedBatch.objects.values_list("pk", flat=True))
    assert staff.get(CHANGELIST, {"status__exact": "rejected"}).context["cl"].result_list[0] == rejected
    assert (
        staff.get(CHANGELIST, {"feed__exact": "contracts", "sender_kind": "trader"})
        .context["cl"]
        .result_count
        == 1
    )
    assert staff.get(CHANGELIST, {"sender_kind": "none"}).context["cl"].result_count == len(shown) - 1


def test_the_list_does_not_load_the_error_lists(rejected, staff):
    response = staff.get(CHANGELIST)

    assert all("errors" in batch.get_deferred_fields() for batch in response.context["cl"].result_list)


def test_operators_see_batches(rejected, operator):
    assert operator.get(CHANGELIST).status_code == 200
    assert operator.get(page(rejected)).status_code == 200


def test_auditors_do_not_see_batches(rejected, auditor):
    assert auditor.get(CHANGELIST).status_code == 403
    assert auditor.get(page(rejected)).status_code == 403
    assert views() == []


def test_opening_a_batch_with_bad_rows_about_persons_writes_exactly_one_audit_event(rejected, staff):
    before = AuditEvent.objects.count()

    assert staff.get(page(rejected)).status_code == 200

    assert AuditEvent.objects.count() == before + 1
    (event,) = views()
    assert (event.target_type, event.target_id) == ("feeds.feedbatch", str(rejected.pk))
    assert event.actor_type == "user"
    assert event.data == {"feed": "population", "bad_rows_shown": len(rejected.errors)}
    recorded = f"{event.data} {event.target_id}"
    for shown in ("12345678901", "010180-11111", "1980-02-30", "Bad", "Code"):
        assert shown not in recorded


def test_an_operator_opening_it_is_audited_too(rejected, operator):
    assert operator.get(page(rejected)).status_code == 200

    (event,) = views()
    assert (event.target_type, event.target_id) == ("feeds.feedbatch", str(rejected.pk))
    assert event.actor_type == "user"


def test_the_list_is_not_audited(rejected, staff):
    assert staff.get(CHANGELIST).status_code == 200
    assert views() == []


def test_a_batch_without_bad_rows_or_of_a_feed_naming_nobody_is_not_audited(world, files, staff):
    addresses = files.load(
        "addresses",
        ("address_code", "type", "parent_code", "municipality_code", "full_address"),
        [("12", "flat", None, MUNICIPALITY_CODE, "Nowhere")],
        as_of=FIRST,
    )
    assert addresses.status == BatchStatus.REJECTED

    assert staff.get(page(world.second_population)).status_code == 200
    assert staff.get(page(addresses)).status_code == 200
    assert views() == []


def test_batches_are_never_added_changed_or_deleted_here(rejected, admin_client):
    assert admin_client.get(reverse("admin:feeds_feedbatch_add")).status_code == 403
    assert admin_client.get(reverse("admin:feeds_feedbatch_delete", args=[rejected.pk])).status_code == 403
    assert admin_client.post(page(rejected), {"status": "applied"}).status_code == 403
