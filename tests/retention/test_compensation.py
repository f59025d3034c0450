"""Rule 4: applied and claim lines, submissions, closed recovery items; statements stay."""

from decimal import Decimal

import pytest

from compensation.models import AppliedLine, ClaimLine, RecoveryItem, Statement, Submission
from tests.organisations.factories import OrganisationFactory
from tests.retention.conftest import NOV_2024, OCT_2024, at, code, month_run, person, purge, staff

pytestmark = pytest.mark.django_db


def submission(organisation, kind: str, month) -> Submission:
    return Submission.objects.create(
        organisation=organisation,
        kind=kind,
        month=month,
        request_hash="0" * 64,
        response={"accepted": [{"line": 1, "sub_user_code": code(1)}]},
    )


def applied(sub: Submission, line_no: int, sub_user=None) -> AppliedLine:
    return AppliedLine.objects.create(
        submission=sub,
        trader=sub.organisation,
        month=sub.month,
        line_no=line_no,
        contract_no="C-1",
        sub_user_code=sub_user.personal_code if sub_user else "",
        sub_user=sub_user,
        applied_eur=Decimal("20.00"),
        accepted=line_no == 1,
    )


def claimed(sub: Submission, line_no: int) -> ClaimLine:
    return ClaimLine.objects.create(
        submission=sub,
        organisation=sub.organisation,
        month=sub.month,
        resource="decentralised_fuel",
        line_no=line_no,
        address_code="300000001",
        aid_eur=Decimal("110.00"),
        accepted=True,
    )


def test_lines_and_submissions_of_months_before_the_cutoff_go_and_statements_stay():
    trader = OrganisationFactory.create(kind="trader")
    municipality = OrganisationFactory.create(kind="municipality")
    tenant = person(code(1))
    october = submission(trader, "applied", OCT_2024)
    applied(october, 1, tenant)
    applied(october, 2)
    november = submission(trader, "applied", NOV_2024)
    applied(november, 1)
    october_claim = submission(municipality, "claim", OCT_2024)
    claimed(october_claim, 1)
    november_claim = submission(municipality, "claim", NOV_2024)
    claimed(november_claim, 1)
    statement = Statement.objects.create(
        organisation=trader,
        month=OCT_2024,
        scheme="protected_users",
        budget_programme="24.00.00",
        lines_accepted=1,
        lines_rejected=1,
        claimed_eur=Decimal("40.00"),
        accepted_eur=Decimal("20.00"),
        rejected_eur=Decimal("20.00"),
        total_eur=Decimal("20.00"),
        prepared_by=staff("maker"),
        prepared_at=at(2024, 11, 6, 10),
    )

    result = purge(commit=True)

    assert (
        result.tables["compensation.AppliedLine"],
        result.tables["compensation.ClaimLine"],
        result.tables["compensation.Submission"],
    ) == (2, 1, 2)
    assert set(Submission.objects.values_list("pk", flat=True)) == {november.pk, november_claim.pk}
    assert list(AppliedLine.objects.values_list("submission_id", flat=True)) == [november.pk]
    assert list(ClaimLine.objects.values_list("submission_id", flat=True)) == [november_claim.pk]
    kept = Statement.objects.get()
    assert (kept.pk, kept.accepted_eur, kept.total_eur) == (statement.pk, Decimal("20.00"), Decimal("20.00"))
    assert result.tables["households.Person"] == 1  # the sub-user was named by the October line only


def test_a_submission_with_a_kept_line_stays():
    trader = OrganisationFactory.create(kind="trader")
    october = submission(trader, "applied", OCT_2024)
    applied(october, 1)
    late = AppliedLine.objects.create(
        submission=october,
        trader=trader,
        month=NOV_2024,
        line_no=2,
        contract_no="C-2",
        applied_eur=Decimal("25.00"),
        accepted=True,
    )

    result = purge(commit=True)

    assert (result.tables["compensation.AppliedLine"], result.tables["compensation.Submission"]) == (1, 0)
    assert list(AppliedLine.objects.values_list("pk", flat=True)) == [late.pk]
    assert Submission.objects.filter(pk=october.pk).exists()


def test_closed_recovery_items_created_before_the_cutoff_go_and_open_ones_stay():
    trader = OrganisationFactory.create(kind="trader")
    run = month_run(OCT_2024)

    def item(status: str, created_at) -> RecoveryItem:
        made = RecoveryItem.objects.create(
            run=run,
            trader=trader,
            contract_no="C-1",
            year=2024,
            credited_eur=Decimal("0.00"),
            applied_eur=Decimal("25.00"),
            amount_eur=Decimal("25.00"),
            status=status,
        )
        RecoveryItem.objects.filter(pk=made.pk).update(created_at=created_at)
        return made

    recovered_before = item("recovered", at(2024, 10, 31, 23, 59))
    waived_before = item("waived", at(2023, 2, 1))
    still_open = item("open", at(2023, 2, 1))
    notice_issued = item("notice_issued", at(2023, 2, 1))
    recovered_on_c = item("recovered", at(2024, 11, 1, 0, 0))

    result = purge(commit=True)

    assert result.tables["compensation.RecoveryItem"] == 2
    assert set(RecoveryItem.objects.values_list("pk", flat=True)) == {
        still_open.pk,
        notice_issued.pk,
        recovered_on_c.pk,
    }
    assert not RecoveryItem.objects.filter(pk__in=[recovered_before.pk, waived_before.pk]).exists()
