"""Rule 7: the admin's own change log goes with the rest (C = 2024-11-01 in Riga)."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from aldis.retention import PURGE_ACTION
from audit.models import AuditEvent
from households.models import ContestCase
from tests.retention.conftest import at, purge, staff

pytestmark = pytest.mark.django_db


def test_admin_change_log_entries_made_before_the_cutoff_go():
    user = staff("maker")
    kind = ContentType.objects.get_for_model(ContestCase)
    entries = {}
    for name, when in (("before", at(2024, 10, 31, 23, 59)), ("on_c", at(2024, 11, 1, 0, 0))):
        entry = LogEntry.objects.create(
            user=user, content_type=kind, object_id="1", object_repr="contest case 1", action_flag=CHANGE
        )
        LogEntry.objects.filter(pk=entry.pk).update(action_time=when)
        entries[name] = entry.pk

    assert purge(commit=False).tables["admin.LogEntry"] == 1
    assert purge(commit=True).tables["admin.LogEntry"] == 1

    assert list(LogEntry.objects.values_list("pk", flat=True)) == [entries["on_c"]]
    steps = [
        e.data for e in AuditEvent.objects.filter(action=PURGE_ACTION) if e.data["table"] == "admin.LogEntry"
    ]
    assert [(s["operation"], s["count"]) for s in steps] == [("delete", 1)]
