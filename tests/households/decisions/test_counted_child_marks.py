"""Counted-child marks (DOMAIN: Counted child): added with evidence and a period, ended, never
overlapping for the same adult and child; every write audited with internal ids only."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from aldis.exceptions import ApplicationError
from audit.models import AuditEvent
from households.models import CountedChildMark
from households.services.counted_child_marks import counted_child_mark_create, counted_child_mark_end

EVIDENCE = "University of Tartu, certificate of studies 2025/26"


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def mark(parent, student, staff_user, valid_from=date(2025, 9, 1), valid_to=None, evidence=EVIDENCE):
    return counted_child_mark_create(
        adult=parent,
        child=student,
        valid_from=valid_from,
        valid_to=valid_to,
        evidence=evidence,
        actor=staff_user,
    )


def test_a_mark_is_stored_with_who_marked_it_and_audited(parent, student, staff_user):
    created = mark(parent, student, staff_user, valid_to=date(2026, 6, 30), evidence=f"  {EVIDENCE}\n")

    stored = CountedChildMark.objects.get()
    assert stored == created
    assert (stored.adult, stored.child) == (parent, student)
    assert (stored.valid_from, stored.valid_to) == (date(2025, 9, 1), date(2026, 6, 30))
    assert stored.evidence == EVIDENCE
    assert stored.marked_by == f"user:{staff_user.pk}"
    [event] = events("counted_child.mark")
    assert (event.target_type, event.target_id) == ("households.countedchildmark", str(stored.pk))
    assert event.data == {
        "mark_id": stored.pk,
        "adult_id": parent.pk,
        "child_id": student.pk,
        "valid_from": "2025-09-01",
        "valid_to": "2026-06-30",
    }


def test_a_one_day_mark_is_a_period(parent, student, staff_user):
    created = mark(parent, student, staff_user, valid_from=date(2026, 11, 1), valid_to=date(2026, 11, 1))

    assert created.valid_to == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"child": "adult"}, "child", "the child must be another person than the adult"),
        ({"valid_to": date(2025, 8, 31)}, "valid_to", "the last day is before the first day"),
        ({"evidence": "  "}, "evidence", "write down the evidence the Bureau saw"),
    ],
)
def test_bad_marks_are_refused(parent, student, staff_user, changes, field, message):
    child = parent if changes.get("child") == "adult" else student
    with pytest.raises(ValidationError) as refused:
        counted_child_mark_create(
            adult=parent,
            child=child,
            valid_from=date(2025, 9, 1),
            valid_to=changes.get("valid_to"),
            evidence=changes.get("evidence", EVIDENCE),
            actor=staff_user,
        )

    assert refused.value.message_dict == {field: [message]}
    assert not CountedChildMark.objects.exists()
    assert events("counted_child.mark") == []


def test_an_overlapping_mark_of_the_same_pair_is_refused(parent, student, staff_user):
    first = mark(parent, student, staff_user, valid_from=date(2025, 9, 1), valid_to=date(2026, 6, 30))

    with pytest.raises(ApplicationError) as refused:
        mark(parent, student, staff_user, valid_from=date(2026, 6, 30))

    assert refused.value.code == "mark_overlaps"
    assert refused.value.details == {"mark": first.pk}
    assert CountedChildMark.objects.count() == 1


def test_an_open_mark_overlaps_any_later_one(parent, student, staff_user):
    mark(parent, student, staff_user, valid_from=date(2025, 9, 1))

    with pytest.raises(ApplicationError):
        mark(parent, student, staff_user, valid_from=date(2030, 1, 1), valid_to=date(2030, 12, 31))


def test_marks_of_the_pair_may_follow_each_other(parent, student, staff_user):
    mark(parent, student, staff_user, valid_from=date(2025, 9, 1), valid_to=date(2026, 6, 30))
    mark(parent, student, staff_user, valid_from=date(2026, 7, 1))
    mark(parent, student, staff_user, valid_from=date(2024, 1, 1), valid_to=date(2025, 8, 31))

    assert CountedChildMark.objects.count() == 3


def test_ending_a_mark_sets_its_last_day_audited(parent, student, staff_user):
    created = mark(parent, student, staff_user)

    ended = counted_child_mark_end(mark=created, valid_to=date(2026, 12, 31), actor=staff_user)

    assert ended.valid_to == date(2026, 12, 31)
    assert CountedChildMark.objects.get().valid_to == date(2026, 12, 31)
    [event] = events("counted_child.end")
    assert event.data["valid_to"] == "2026-12-31"
    assert event.data["mark_id"] == created.pk


def test_a_mark_ends_once(parent, student, staff_user):
    created = mark(parent, student, staff_user)
    counted_child_mark_end(mark=created, valid_to=date(2026, 12, 31), actor=staff_user)

    with pytest.raises(ApplicationError) as refused:
        counted_child_mark_end(mark=created, valid_to=date(2026, 11, 30), actor=staff_user)

    assert refused.value.code == "mark_ended"
    assert CountedChildMark.objects.get().valid_to == date(2026, 12, 31)


def test_a_mark_cannot_end_before_it_starts(parent, student, staff_user):
    created = mark(parent, student, staff_user)

    with pytest.raises(ValidationError) as refused:
        counted_child_mark_end(mark=created, valid_to=date(2025, 8, 31), actor=staff_user)

    assert list(refused.value.message_dict) == ["valid_to"]
    assert CountedChildMark.objects.get().valid_to is None
    assert events("counted_child.end") == []
