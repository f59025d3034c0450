"""Contest cases (DOMAIN: Rights of the person): review, decide with a written reason, an upheld
case re-runs the month; every step audited with internal ids only."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from aldis.exceptions import ApplicationError
from audit.models import AuditEvent
from eligibility.models import HouseholdEntitlement, MonthRun, RunStatus
from households.models import ContestCase, ContestStatus, CountedChildMark
from households.services.contest_decisions import (
    contest_decide,
    contest_referral_targets,
    contest_review,
)
from tests.eligibility.scheme_p.conftest import FLAT_1, NOV_2026


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_review_takes_a_received_case_into_review_audited(case, staff_user):
    reviewed = contest_review(case=case, actor=staff_user)

    assert reviewed.status == ContestStatus.IN_REVIEW
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.IN_REVIEW
    [event] = events("contest.review")
    assert (event.actor_type, event.actor_id) == ("user", str(staff_user.pk))
    assert (event.target_type, event.target_id) == ("households.contestcase", str(case.pk))
    assert event.data == {"case_id": case.pk, "person_id": case.person_id, "month": "2026-11"}


def test_a_case_is_reviewed_once(case, staff_user):
    contest_review(case=case, actor=staff_user)

    with pytest.raises(ApplicationError) as refused:
        contest_review(case=case, actor=staff_user)

    assert refused.value.code == "contest_not_received"
    assert len(events("contest.review")) == 1


def test_reject_from_review_stores_the_reason_and_who_decided(case, staff_user):
    contest_review(case=case, actor=staff_user)

    decided = contest_decide(
        case=case,
        upheld=False,
        reason="  The registers show no link to a fourth child.  ",
        actor=staff_user,
    )

    decided.refresh_from_db()
    assert decided.status == ContestStatus.REJECTED
    assert decided.decision_reason == "The registers show no link to a fourth child."
    assert decided.referred_to == ""
    assert decided.decided_by == staff_user
    assert decided.decided_at is not None
    assert decided.rerun is None
    assert MonthRun.objects.filter(month=NOV_2026).count() == 1  # no re-run
    [event] = events("contest.decide")
    assert event.data == {
        "case_id": case.pk,
        "person_id": case.person_id,
        "month": "2026-11",
        "status": "rejected",
        "referred_to": "",
        "rerun_id": None,
    }


def test_a_received_case_may_be_decided_without_a_review_and_referred(case, staff_user):
    decided = contest_decide(
        case=case,
        upheld=False,
        reason="Your birth date is wrong in the population register; we have told them.",
        referred_to="the population register",
        actor=staff_user,
    )

    assert decided.status == ContestStatus.REJECTED
    assert ContestCase.objects.get(pk=case.pk).referred_to == "the population register"


def test_the_referral_targets_are_the_senders_of_the_feeds():
    targets = contest_referral_targets()

    assert "the population register" in targets
    assert "the education register" in targets
    assert "the maintenance guarantee fund" in targets


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_decision_needs_a_written_reason(case, staff_user, reason):
    with pytest.raises(ValidationError) as refused:
        contest_decide(case=case, upheld=False, reason=reason, actor=staff_user)

    assert refused.value.message_dict == {"reason": ["a decision needs a written reason"]}
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.RECEIVED
    assert events("contest.decide") == []


def test_an_unknown_referral_is_refused(case, staff_user):
    with pytest.raises(ValidationError) as refused:
        contest_decide(case=case, upheld=False, reason="checked", referred_to="my uncle", actor=staff_user)

    assert list(refused.value.message_dict) == ["referred_to"]
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.RECEIVED


def test_the_database_refuses_a_decided_case_without_a_reason(case):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContestCase.objects.filter(pk=case.pk).update(status=ContestStatus.UPHELD, decision_reason="")


def test_a_decided_case_is_final(case, staff_user):
    contest_decide(case=case, upheld=False, reason="checked", actor=staff_user)

    with pytest.raises(ApplicationError) as again:
        contest_decide(case=case, upheld=True, reason="on second thoughts", actor=staff_user)
    with pytest.raises(ApplicationError) as review:
        contest_review(case=case, actor=staff_user)

    assert again.value.code == "contest_decided"
    assert review.value.code == "contest_not_received"
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.REJECTED
    assert MonthRun.objects.filter(month=NOV_2026).count() == 1


def test_upheld_re_runs_the_month_and_the_new_version_counts_the_marked_child(
    case, version_1, parent, student, staff_user, executed
):
    # Version 1: two counted children, no large family, nothing for flat 1.
    assert not HouseholdEntitlement.objects.filter(run=version_1, address__code=FLAT_1).exclude(
        amount_eur=Decimal("0.00")
    )
    CountedChildMark.objects.create(
        adult=parent,
        child=student,
        valid_from=date(2025, 9, 1),
        evidence="University of Tartu, certificate of studies 2025/26",
        marked_by="user:1",
    )
    contest_review(case=case, actor=staff_user)

    with executed():
        decided = contest_decide(
            case=case, upheld=True, reason="Your daughter studies abroad: now counted.", actor=staff_user
        )

    decided.refresh_from_db()
    assert decided.status == ContestStatus.UPHELD
    rerun = decided.rerun
    assert rerun is not None
    assert (rerun.month, rerun.version, rerun.status) == (NOV_2026, 2, RunStatus.DONE)
    flat_1 = HouseholdEntitlement.objects.get(run=rerun, address__code=FLAT_1)
    assert flat_1.amount_eur == Decimal("25.00")  # large family, November 2026
    [decide] = events("contest.decide")
    assert decide.data["rerun_id"] == rerun.pk
    assert decide.data["status"] == "upheld"
    [request] = events("run.request")
    assert (request.actor_type, request.actor_id) == ("user", str(staff_user.pk))
    assert request.seq < decide.seq  # one transaction: the request first, then the decision


def test_upheld_while_a_run_of_the_month_is_in_progress_is_refused(case, version_1, staff_user):
    MonthRun.objects.create(
        month=NOV_2026, version=2, status=RunStatus.RUNNING, knowledge_batch=0, requested_by="test"
    )

    with pytest.raises(ApplicationError) as refused:
        contest_decide(case=case, upheld=True, reason="Counted now.", actor=staff_user)

    assert refused.value.code == "run_in_progress"
    assert "2026-11" in refused.value.message
    assert "decide again" in refused.value.message
    assert refused.value.details["case"] == case.pk
    unchanged = ContestCase.objects.get(pk=case.pk)
    assert (unchanged.status, unchanged.decision_reason, unchanged.rerun) == (
        ContestStatus.RECEIVED,
        "",
        None,
    )
    assert events("contest.decide") == []
    assert MonthRun.objects.filter(month=NOV_2026).count() == 2


def test_rejected_while_a_run_is_in_progress_is_decided(case, version_1, staff_user):
    MonthRun.objects.create(
        month=NOV_2026, version=2, status=RunStatus.QUEUED, knowledge_batch=0, requested_by="test"
    )

    decided = contest_decide(case=case, upheld=False, reason="Nothing to correct.", actor=staff_user)

    assert decided.status == ContestStatus.REJECTED


def test_upholding_a_month_past_retention_is_refused(case, staff_user):
    ContestCase.objects.filter(pk=case.pk).update(month=date(2024, 1, 1), run=None)

    with pytest.raises(ValidationError) as refused:
        contest_decide(case=case, upheld=True, reason="Counted now.", actor=staff_user)

    assert list(refused.value.message_dict) == ["month"]
    assert ContestCase.objects.get(pk=case.pk).status == ContestStatus.RECEIVED
    assert events("contest.decide") == []
