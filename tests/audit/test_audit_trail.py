"""The audit trail: append-only on both backends, hash-chained, tamper-evident, auditors only."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from aldis.organisations.roles import BUREAU_AUDITOR, BUREAU_STAFF
from audit.models import AuditEvent, AuditImmutableError
from audit.services import Actor, audit_purge_expired, audit_record, audit_verify
from audit.services.record import GENESIS_HASH, hash_of

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def record_three() -> list[AuditEvent]:
    return [
        audit_record(actor=SYSTEM, action=f"test.step{n}", target=("thing", n), data={"n": n})
        for n in (1, 2, 3)
    ]


def tamper(sql: str, params: list) -> None:
    """Change rows behind the ORM's and the trigger's back, as an intruder with DB access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")
            cursor.execute(sql, params)


def test_events_form_a_chain_from_genesis():
    first, second, third = record_three()
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    stored = AuditEvent.objects.get(seq=2)
    assert hash_of(stored) == stored.hash
    assert stored.data == {"n": 2}
    assert (stored.target_type, stored.target_id) == ("thing", "2")


def test_the_stored_hash_is_the_hash_of_what_is_stored_whatever_the_text():
    """On PostgreSQL the database hashes the event (``aldis_audit_append``); it must hash exactly
    the canonical JSON that ``verify_audit`` recomputes in Python, Latvian letters, quotes,
    backslashes, nesting and numbers included."""
    record_three()
    data = {"b": ["ņ", 1, 2.5, None, 'a \\ and "quotes" / </tag>'], "a": {"z": "Āžē", "y": True}}
    event = audit_record(actor=SYSTEM, action="test.text", target=("lieta", "ģ/1"), data=data)
    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.data == data
    assert (stored.seq, stored.prev_hash, stored.hash) == (4, AuditEvent.objects.get(seq=3).hash, event.hash)
    assert hash_of(stored) == stored.hash


def test_a_model_target_is_recorded_by_label_and_pk():
    group = Group.objects.create(name="x")
    event = audit_record(actor=SYSTEM, action="test.model", target=group)
    assert (event.target_type, event.target_id) == ("auth.group", str(group.pk))


def test_orm_refuses_update_and_delete():
    event, *_ = record_three()
    event.action = "rewritten"
    with pytest.raises(AuditImmutableError):
        event.save()
    with pytest.raises(AuditImmutableError):
        event.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(seq=1).update(action="rewritten")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(seq=1).action == "test.step1"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'rewritten' WHERE seq = 1",
        "DELETE FROM audit_auditevent WHERE seq = 1",
    ],
)
def test_database_trigger_refuses_raw_update_and_delete(statement):
    record_three()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.get(seq=1).action == "test.step1"


def test_verify_passes_on_an_intact_chain():
    record_three()
    result = audit_verify(chunk_size=2)
    assert result.ok
    assert (result.events_checked, result.first_seq, result.last_seq) == (3, 1, 3)


def test_verify_passes_on_an_empty_trail():
    assert audit_verify().ok


def test_verify_reports_a_row_changed_behind_the_orms_back():
    record_three()
    tamper("UPDATE audit_auditevent SET data = %s WHERE seq = 2", ['{"n": 200}'])
    result = audit_verify()
    assert not result.ok
    assert result.broken_seq == 2
    assert "changed after it was written" in result.problem


def test_verify_reports_a_rehashed_row_by_the_broken_link_after_it():
    record_three()
    forged = AuditEvent.objects.get(seq=2)
    forged.action = "forged"
    new_hash = hash_of(forged)
    tamper("UPDATE audit_auditevent SET action = %s, hash = %s WHERE seq = 2", ["forged", new_hash])
    result = audit_verify()
    assert (result.ok, result.broken_seq) == (False, 3)
    assert "does not link" in result.problem


def test_verify_reports_a_deleted_row():
    record_three()
    tamper("DELETE FROM audit_auditevent WHERE seq = 2", [])
    result = audit_verify()
    assert (result.ok, result.broken_seq) == (False, 2)
    assert "missing" in result.problem


def test_verify_reports_the_oldest_rows_deleted_without_a_purge():
    record_three()
    tamper("DELETE FROM audit_auditevent WHERE seq = 1", [])
    result = audit_verify()
    assert (result.ok, result.broken_seq) == (False, 2)


def test_verify_reports_the_newest_rows_deleted_after_a_check():
    """No later link betrays the newest events gone: the last check's newest event does."""
    record_three()
    assert audit_verify().last_seq == 3
    audit_record(actor=SYSTEM, action="test.step4")
    assert audit_verify().ok  # events appended since are fine

    tamper("DELETE FROM audit_auditevent WHERE seq >= 3", [])
    result = audit_verify()

    assert (result.ok, result.broken_seq) == (False, 3)
    assert "events #3..#4, seen by the check of" in result.problem
    assert "are missing" in result.problem


def test_verify_reports_the_chain_rewritten_after_a_check():
    """Event 3 changed and hashed again, and nothing after it to link: the chain verifies, but
    the last check saw another event 3."""
    record_three()
    assert audit_verify().ok
    forged = AuditEvent.objects.get(seq=3)
    forged.action = "forged"
    tamper("UPDATE audit_auditevent SET action = %s, hash = %s WHERE seq = 3", ["forged", hash_of(forged)])

    result = audit_verify()

    assert (result.ok, result.broken_seq) == (False, 3)
    assert "event #3 is not the one the check of" in result.problem


def test_a_purge_after_a_check_keeps_the_chain_verifiable():
    record_three()
    assert audit_verify().ok
    later = audit_record(actor=SYSTEM, action="test.recent")
    audit_purge_expired(before=later.occurred_at, actor=SYSTEM, commit=True)  # events 1..3 go

    assert audit_verify().ok


def test_verify_audit_command_names_the_first_broken_link(capsys):
    record_three()
    call_command("verify_audit")
    assert "intact: 3 events" in capsys.readouterr().out
    tamper("UPDATE audit_auditevent SET target_id = '99' WHERE seq = 1", [])
    with pytest.raises(CommandError, match="BROKEN at event #1"):
        call_command("verify_audit")


def test_retention_purge_deletes_old_events_and_keeps_the_chain_verifiable():
    record_three()
    later = audit_record(actor=SYSTEM, action="test.recent")
    before = later.occurred_at  # everything before the recent event counts as expired
    dry = audit_purge_expired(before=before, actor=SYSTEM, commit=False)
    assert (dry.events, AuditEvent.objects.count()) == (3, 4)

    result = audit_purge_expired(before=before, actor=SYSTEM, commit=True)
    assert (result.events, result.last_purged_seq) == (3, 3)
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "test.recent",
        "audit.purge",
    ]
    assert audit_verify().ok
    # Nothing left to purge: a second run is a no-op.
    assert audit_purge_expired(before=before, actor=SYSTEM, commit=True).events == 0


def test_purge_expired_command_is_a_dry_run_by_default(capsys):
    record_three()
    future = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(CommandError, match="future"):
        call_command("purge_expired", "--as-of", future.isoformat())
    call_command("purge_expired")
    assert "nothing to delete" in capsys.readouterr().out
    assert AuditEvent.objects.count() == 3


def test_web_requests_stamp_their_request_id(client):
    staff = User.objects.create_user("staff", password="a-long-password-1", is_staff=True)
    client.force_login(staff)
    response = client.get("/healthz", HTTP_X_REQUEST_ID="req-12345678")
    assert response["X-Request-ID"] == "req-12345678"
    from aldis.middleware import _request_id

    token = _request_id.set("req-abcdefgh")
    try:
        event = audit_record(actor=staff, action="test.web")
    finally:
        _request_id.reset(token)
    assert (event.actor_type, event.actor_id, event.request_id) == ("user", str(staff.pk), "req-abcdefgh")


def test_only_auditors_see_the_trail_in_the_admin(client):
    record_three()
    superuser = User.objects.create_superuser("root", password="a-long-password-1")
    staff = User.objects.create_user("staff", password="a-long-password-1", is_staff=True)
    staff.groups.add(Group.objects.get(name=BUREAU_STAFF))
    auditor = User.objects.create_user("auditor", password="a-long-password-1", is_staff=True)
    auditor.groups.add(Group.objects.get(name=BUREAU_AUDITOR))

    for user, expected in ((superuser, 403), (staff, 403), (auditor, 200)):
        client.force_login(user)
        assert client.get("/admin/audit/auditevent/").status_code == expected, user.username
    client.force_login(auditor)
    page = client.get("/admin/audit/auditevent/1/change/")
    assert page.status_code == 200
    assert b"test.step1" in page.content
    assert b'name="_save"' not in page.content  # read-only
