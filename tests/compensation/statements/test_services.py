"""Statements: prepare (totals by hand), refresh, maker-checker approval, paid, and the month's
preparation (DOMAIN: Compensation)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from aldis.exceptions import ApplicationError
from audit.models import AuditEvent
from compensation.models import Scheme, Statement, StatementStatus, SubmissionKind
from compensation.services.statements import (
    statement_approve,
    statement_lines,
    statement_mark_paid,
    statement_prepare,
    statements_prepare_month,
)
from tests.compensation.statements.conftest import NOV, OCT, applied, submission
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def figures(statement: Statement) -> tuple[object, ...]:
    return (
        statement.lines_accepted,
        statement.lines_rejected,
        statement.claimed_eur,
        statement.accepted_eur,
        statement.rejected_eur,
        statement.admin_cost_eur,
        statement.total_eur,
    )


def test_a_traders_statement_sums_its_months_lines(trader_world, maker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )

    # accepted 20.00 + 25.00 + 5.50; rejected 30.00 and one line without an amount (counts 0)
    assert figures(statement) == (
        3,
        2,
        Decimal("80.50"),
        Decimal("50.50"),
        Decimal("30.00"),
        Decimal("0.00"),
        Decimal("50.50"),
    )
    assert statement.budget_programme == "29.02.00"
    assert (statement.status, statement.prepared_by) == (StatementStatus.PREPARED, maker)
    assert statement.submissions_through == trader_world.second.pk


def test_a_local_governments_statement_adds_the_administrative_cost(municipality_world, maker):
    statement = statement_prepare(
        organisation=municipality_world.municipality, month=NOV, scheme=Scheme.ENERGY_AID, actor=maker
    )

    # accepted 100.00 + 45.25 + 10.00 = 155.25; rejected 80.00; admin cost 12.00 + 3.00
    assert figures(statement) == (
        3,
        1,
        Decimal("235.25"),
        Decimal("155.25"),
        Decimal("80.00"),
        Decimal("15.00"),
        Decimal("170.25"),
    )
    assert statement.budget_programme == "29.00.00"  # the setting's default


def test_the_energy_aid_programme_comes_from_the_setting(municipality_world, maker, settings):
    settings.ALDIS_BUDGET_PROGRAMME_ENERGY_AID = "29.05.00"

    statement = statement_prepare(
        organisation=municipality_world.municipality, month=NOV, scheme=Scheme.ENERGY_AID, actor=maker
    )

    assert statement.budget_programme == "29.05.00"


def test_prepare_is_audited_with_ids_and_figures_only(trader_world, maker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )

    event = AuditEvent.objects.get(action="statement.prepare")
    assert (event.target_type, event.target_id, event.actor_id) == (
        "compensation.statement",
        str(statement.pk),
        str(maker.pk),
    )
    assert event.data["organisation_id"] == trader_world.trader.pk
    assert (event.data["month"], event.data["total_eur"], event.data["refreshed"]) == (
        "2026-11",
        "50.50",
        False,
    )
    assert "32000000017" not in str(event.data)


def test_nothing_reported_is_refused(trader_world, maker):
    with pytest.raises(ApplicationError) as refused:
        statement_prepare(organisation=trader_world.trader, month=NOV, scheme=Scheme.ENERGY_AID, actor=maker)

    assert refused.value.code == "nothing_to_state"
    assert not Statement.objects.exists()


def test_a_month_must_be_a_first_day_and_the_scheme_known(trader_world, maker):
    with pytest.raises(ValidationError) as bad:
        statement_prepare(
            organisation=trader_world.trader, month=date(2026, 11, 5), scheme="other", actor=maker
        )

    assert set(bad.value.message_dict) == {"month", "scheme"}


def test_all_lines_rejected_still_give_a_statement_of_zero(maker):
    trader = OrganisationFactory.create(kind="trader", protected_service=True)
    applied(submission(trader, SubmissionKind.APPLIED), 1, "C-9", "12.00", False, "not_eligible")

    statement = statement_prepare(organisation=trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker)

    assert figures(statement) == (
        0,
        1,
        Decimal("12.00"),
        Decimal("0.00"),
        Decimal("12.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_a_later_submission_counts_only_after_a_refresh(trader_world, maker, checker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )
    late = submission(trader_world.trader, SubmissionKind.APPLIED)
    applied(late, 1, "C-6", "4.50", True)

    assert statement_lines(statement=statement).count() == 5  # the statement's lines stay its own

    refreshed = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=checker
    )

    assert refreshed.pk == statement.pk
    assert (refreshed.accepted_eur, refreshed.total_eur, refreshed.lines_accepted) == (
        Decimal("55.00"),
        Decimal("55.00"),
        4,
    )
    assert refreshed.prepared_by == checker  # who refreshed is now the maker
    assert statement_lines(statement=refreshed).count() == 6
    assert AuditEvent.objects.filter(action="statement.prepare").count() == 2


def test_the_preparer_cannot_approve(trader_world, maker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )

    with pytest.raises(ApplicationError) as refused:
        statement_approve(statement=statement, actor=maker)

    assert refused.value.code == "maker_checker"
    statement.refresh_from_db()
    assert (statement.status, statement.approved_by) == (StatementStatus.PREPARED, None)
    assert not AuditEvent.objects.filter(action="statement.approve").exists()


def test_the_database_refuses_an_approval_by_the_preparer(trader_world, maker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(approved_by=maker)


def test_a_statement_missing_a_later_submission_is_not_approved_before_a_refresh(
    trader_world, maker, checker
):
    """C-6's 4.50 came after the statement of 50.50 was prepared: approving 50.50 would close the
    month with 4.50 accepted and never paid."""
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )
    applied(submission(trader_world.trader, SubmissionKind.APPLIED), 1, "C-6", "4.50", True)

    with pytest.raises(ApplicationError) as stale:
        statement_approve(statement=statement, actor=checker)

    assert (stale.value.code, stale.value.details) == (
        "statement_stale",
        {"statement_id": statement.pk, "submissions_after": 1},
    )
    statement.refresh_from_db()
    assert (statement.status, statement.approved_by) == (StatementStatus.PREPARED, None)
    assert not AuditEvent.objects.filter(action="statement.approve").exists()
    refreshed = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )
    assert statement_approve(statement=refreshed, actor=checker).total_eur == Decimal("55.00")


def test_another_staff_member_approves_then_marks_paid(trader_world, maker, checker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )

    approved = statement_approve(statement=statement, actor=checker)
    paid = statement_mark_paid(statement=approved, actor=maker, payment_reference=" VK-2026-0042 ")

    assert (approved.approved_by, approved.approved_at is not None) == (checker, True)
    assert (paid.status, paid.paid_by, paid.payment_reference) == (
        StatementStatus.PAID,
        maker,
        "VK-2026-0042",
    )
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == ["statement.prepare", "statement.approve", "statement.pay"]


def test_an_approved_or_paid_statement_cannot_be_rebuilt(trader_world, maker, checker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )
    statement_approve(statement=statement, actor=checker)
    applied(submission(trader_world.trader, SubmissionKind.APPLIED), 1, "C-7", "1.00", True)

    with pytest.raises(ApplicationError) as approved:
        statement_prepare(
            organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
        )
    statement_mark_paid(statement=statement, actor=checker, payment_reference="VK-1")
    with pytest.raises(ApplicationError) as paid:
        statement_prepare(
            organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
        )

    assert (approved.value.code, paid.value.code) == ("statement_closed", "statement_closed")
    statement.refresh_from_db()
    assert statement.accepted_eur == Decimal("50.50")


def test_only_prepared_is_approved_and_only_approved_is_paid(trader_world, maker, checker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )

    with pytest.raises(ApplicationError) as not_approved:
        statement_mark_paid(statement=statement, actor=checker, payment_reference="VK-1")
    statement_approve(statement=statement, actor=checker)
    with pytest.raises(ApplicationError) as twice:
        statement_approve(statement=statement, actor=checker)

    assert (not_approved.value.code, twice.value.code) == ("statement_not_approved", "statement_not_prepared")


def test_a_payment_needs_its_reference(trader_world, maker, checker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )
    statement_approve(statement=statement, actor=checker)

    with pytest.raises(ValidationError) as bad:
        statement_mark_paid(statement=statement, actor=checker, payment_reference="  ")

    assert "payment_reference" in bad.value.message_dict


def test_the_month_prepares_every_party_that_reported(trader_world, municipality_world, maker, checker):
    dry = statements_prepare_month(month=NOV, actor=maker, commit=False)

    assert not Statement.objects.exists()
    # trader T 50.50, trader U 99.00, municipality M 170.25
    assert (len(dry.prepared), dry.total_eur) == (3, Decimal("319.75"))

    done = statements_prepare_month(month=NOV, actor=maker)

    assert (len(done.prepared), len(done.refreshed), done.total_eur) == (3, 0, Decimal("319.75"))
    assert Statement.objects.filter(month=NOV).count() == 3
    assert Statement.objects.get(organisation=municipality_world.municipality).scheme == Scheme.ENERGY_AID

    statement_approve(statement=Statement.objects.get(organisation=trader_world.trader), actor=checker)
    again = statements_prepare_month(month=NOV, actor=maker)

    assert (len(again.prepared), len(again.refreshed), len(again.closed)) == (0, 2, 1)
    assert again.total_eur == Decimal("269.25")  # 99.00 + 170.25: the approved one left alone


def test_october_is_its_own_statement(trader_world, maker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=OCT, scheme=Scheme.PROTECTED_USERS, actor=maker
    )

    assert (statement.lines_accepted, statement.total_eur) == (1, Decimal("20.00"))
