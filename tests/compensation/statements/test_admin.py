"""Statements in the admin: the list, the page with its lines and steps, the actions (and their
refusals), the exports, the monthly totals with their chart, and who may see them."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from compensation.models import Scheme, Statement, StatementStatus
from compensation.services.statements import statement_approve, statement_prepare
from tests.compensation.statements.conftest import NOV, OCT

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:compensation_statement_changelist"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def prepared(trader_world, municipality_world, maker) -> Statement:
    statement_prepare(
        organisation=municipality_world.municipality, month=NOV, scheme=Scheme.ENERGY_AID, actor=maker
    )
    statement_prepare(organisation=trader_world.trader, month=OCT, scheme=Scheme.PROTECTED_USERS, actor=maker)
    return statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )


def test_the_list_shows_each_statement_with_its_totals(prepared, checker):
    client = login(checker)
    client.get(reverse(CHANGELIST))  # warm the session and permission caches

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(CHANGELIST), {"month": "2026-11"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Trader T" in body
    assert "Novads M" in body
    assert "170,25" in body  # the admin speaks Latvian: a decimal comma
    assert "50,50" in body
    assert "Monthly totals per party" in body
    assert "Prepare statements for a month" in body
    # session, user, two permission reads, the month filter's months, two counts, two group checks
    # of the base page, and one page of statements joined to their party (none per row)
    assert len(queries) == 10, "\n".join(q["sql"][:150] for q in queries)


def test_the_page_shows_the_lines_with_reasons_and_is_audited(prepared, checker):
    response = login(checker).get(reverse("admin:compensation_statement_change", args=[prepared.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "above_balance" in body
    assert "applied 30.00 above the balance 25.00" in body
    assert "Export CSV" in body
    assert "Export PDF" in body
    assert "Approve (maker-checker" in body
    event = AuditEvent.objects.get(action="statement.view")
    assert event.data == {"lines_shown": 5, "after": 0, "which": "all"}


def test_the_lines_page_by_keyset(prepared, checker, monkeypatch):
    monkeypatch.setattr("compensation.admin.LINES_PER_PAGE", 2)
    url = reverse("admin:compensation_statement_change", args=[prepared.pk])
    client = login(checker)

    first = client.get(url, {"lines": "all"})
    rejected = client.get(url, {"lines": "rejected"})

    assert first.context["statement_lines"][1].contract_no == "C-2"
    after = first.context["lines_next"]
    second = client.get(url, {"lines": "all", "after": after})
    assert [line.contract_no for line in second.context["statement_lines"]] == ["C-3", "C-4"]
    assert [line.contract_no for line in rejected.context["statement_lines"]] == ["C-3", "C-4"]


def test_the_preparer_is_refused_approval_with_a_message(prepared, maker):
    response = login(maker).post(
        reverse("admin:compensation_statement_step", args=[prepared.pk]), {"step": "approve"}, follow=True
    )

    assert (
        "maker-checker: the staff member who prepared a statement cannot approve it"
        in response.content.decode()
    )
    prepared.refresh_from_db()
    assert prepared.status == StatementStatus.PREPARED


def test_approve_then_pay_from_the_page(prepared, checker):
    client = login(checker)
    step = reverse("admin:compensation_statement_step", args=[prepared.pk])

    client.post(step, {"step": "approve"})
    refused = client.post(step, {"step": "pay", "payment_reference": ""}, follow=True)
    client.post(step, {"step": "pay", "payment_reference": "VK-7"})

    assert "the payment&#x27;s reference is required" in refused.content.decode()
    prepared.refresh_from_db()
    assert (prepared.status, prepared.approved_by, prepared.payment_reference) == (
        StatementStatus.PAID,
        checker,
        "VK-7",
    )


def test_the_approve_action_approves_others_and_reports_its_refusals(prepared, maker, checker):
    other = Statement.objects.get(scheme=Scheme.ENERGY_AID)
    statement_prepare(organisation=other.organisation, month=NOV, scheme=Scheme.ENERGY_AID, actor=checker)

    response = login(checker).post(
        reverse(CHANGELIST),
        {"action": "approve", "_selected_action": [prepared.pk, other.pk]},
        follow=True,
    )

    body = response.content.decode()
    assert "1 statement(s) approved." in body
    assert "not approved: maker-checker" in body
    assert Statement.objects.get(pk=prepared.pk).status == StatementStatus.APPROVED
    assert Statement.objects.get(pk=other.pk).status == StatementStatus.PREPARED


def test_the_mark_paid_action_asks_the_reference(prepared, checker):
    statement_approve(statement=prepared, actor=checker)
    client = login(checker)

    asked = client.post(reverse(CHANGELIST), {"action": "mark_paid", "_selected_action": [prepared.pk]})
    done = client.post(
        reverse(CHANGELIST),
        {"action": "mark_paid", "_selected_action": [prepared.pk], "apply": "1", "payment_reference": "VK-9"},
        follow=True,
    )

    assert asked.status_code == 200
    assert "Payment reference" in asked.content.decode()
    assert "1 statement(s) marked paid." in done.content.decode()
    assert Statement.objects.get(pk=prepared.pk).payment_reference == "VK-9"


def test_the_refresh_action_and_prepare_month_page(trader_world, municipality_world, maker):
    client = login(maker)

    page = client.get(reverse("admin:compensation_statement_prepare"))
    bad = client.post(reverse("admin:compensation_statement_prepare"), {"month": "2026-13"})
    done = client.post(reverse("admin:compensation_statement_prepare"), {"month": "2026-11"}, follow=True)

    assert page.status_code == 200
    assert "not a month: write YYYY-MM" in bad.content.decode()
    assert "2026-11: 3 prepared, 0 refreshed, 0 already approved or paid" in done.content.decode()
    refreshed = client.post(
        reverse(CHANGELIST),
        {
            "action": "prepare_refresh",
            "_selected_action": list(Statement.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )
    assert "3 statement(s) refreshed." in refreshed.content.decode()


def test_exports_are_served_and_audited(prepared, checker):
    client = login(checker)

    csv_response = client.get(reverse("admin:compensation_statement_export", args=[prepared.pk, "csv"]))
    pdf_response = client.get(reverse("admin:compensation_statement_export", args=[prepared.pk, "pdf"]))
    other = client.get(reverse("admin:compensation_statement_export", args=[prepared.pk, "xlsx"]))

    text = b"".join(csv_response.streaming_content).decode()
    assert "total_eur,50.50\n" in text
    assert csv_response["Content-Disposition"].endswith('-2026-11-protected_users.csv"')
    assert pdf_response.content.startswith(b"%PDF")
    assert other.status_code == 404
    assert AuditEvent.objects.filter(action="statement.export").count() == 2


def test_monthly_totals_per_party_with_a_chart(prepared, checker):
    client = login(checker)
    client.get(reverse("admin:compensation_statement_totals"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:compensation_statement_totals"), {"month": "2026-11"})

    body = response.content.decode()
    assert response.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in body
    assert '<title id="chart-parties-title">Compensation per party, 2026-11 (EUR)</title>' in body
    assert "<title>accepted: 155,25 EUR</title>" in body  # Novads M's accepted bar
    months = response.context["months"]
    # November: Trader T 50.50 + Novads M 170.25; October: Trader T 20.00
    assert [(f"{m['month']:%Y-%m}", m["parties"], m["total"]) for m in months] == [
        ("2026-11", 2, Decimal("220.75")),
        ("2026-10", 1, Decimal("20.00")),
    ]
    assert [s.total_eur for s in response.context["parties"]] == [Decimal("170.25"), Decimal("50.50")]
    # session, user, two permission reads, the months, the parties, two group checks of the base page
    assert len(queries) == 8, "\n".join(q["sql"][:120] for q in queries)


def test_auditors_and_operators_are_refused(prepared, auditor_client, operator_client):
    for client in (auditor_client, operator_client):
        assert client.get(reverse(CHANGELIST)).status_code == 403
        assert client.get(reverse("admin:compensation_statement_totals")).status_code == 403
        assert (
            client.get(reverse("admin:compensation_statement_export", args=[prepared.pk, "csv"])).status_code
            == 403
        )
        refused = client.post(
            reverse("admin:compensation_statement_step", args=[prepared.pk]), {"step": "approve"}
        )
        assert refused.status_code == 403
    prepared.refresh_from_db()
    assert prepared.status == StatementStatus.PREPARED


def test_submissions_are_read_only_with_their_lines(trader_world, checker):
    client = login(checker)

    listing = client.get(reverse("admin:compensation_submission_changelist"))
    page = client.get(reverse("admin:compensation_submission_change", args=[trader_world.first.pk]))

    assert listing.status_code == 200
    body = page.content.decode()
    assert page.status_code == 200
    assert "above_balance" in body
    assert "C-4" in body
    assert 'name="_save"' not in body
    assert AuditEvent.objects.filter(action="submission.view").count() == 1
