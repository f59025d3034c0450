"""A statement's CSV (written out by hand) and PDF, and their audit."""

import re
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from compensation.exports import statement_csv, statement_export, statement_pdf
from compensation.models import AppliedLine, Scheme
from compensation.services.statements import statement_approve, statement_prepare
from tests.compensation.statements.conftest import NOV, applied, submission
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_the_traders_csv(trader_world, maker, checker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )
    statement = statement_approve(statement=statement, actor=checker)
    first, second = trader_world.first.pk, trader_world.second.pk

    text = "".join(statement_csv(statement))

    assert text == (
        f"statement,{statement.pk}\n"
        "party,Trader T\n"
        f"organisation_code,{trader_world.trader.code}\n"
        "month,2026-11\n"
        "scheme,protected_users\n"
        "budget_programme,29.02.00\n"
        "status,approved\n"
        f"prepared_at,{statement.prepared_at.isoformat(timespec='seconds')}\n"
        f"approved_at,{statement.approved_at.isoformat(timespec='seconds')}\n"
        "paid_at,\n"
        "payment_reference,\n"
        "lines_accepted,3\n"
        "lines_rejected,2\n"
        "claimed_eur,80.50\n"
        "accepted_eur,50.50\n"
        "rejected_eur,30.00\n"
        "admin_cost_eur,0.00\n"
        "total_eur,50.50\n"
        "\n"
        "submission,line_no,contract_no,sub_user_code,amount_eur,accepted,reason,message\n"
        f"{first},1,C-1,,20.00,yes,,\n"
        f"{first},2,C-2,32000000017,25.00,yes,,\n"
        f"{first},3,C-3,,30.00,no,above_balance,applied 30.00 above the balance 25.00\n"
        f"{first},4,C-4,,,no,invalid_amount,not an amount\n"
        f"{second},1,C-5,,5.50,yes,,\n"
    )


def test_the_local_governments_csv_lines(municipality_world, maker):
    statement = statement_prepare(
        organisation=municipality_world.municipality, month=NOV, scheme=Scheme.ENERGY_AID, actor=maker
    )
    fuel, heating = municipality_world.fuel.pk, municipality_world.heating.pk

    lines = "".join(statement_csv(statement)).split("\n\n", 1)[1]

    assert lines == (
        "submission,line_no,resource,object_code,address_code,amount_eur,accepted,reason,message\n"
        f"{fuel},1,decentralised_fuel,,100000001,100.00,yes,,\n"
        f"{fuel},2,decentralised_fuel,,100000002,80.00,no,not_eligible,\n"
        f"{fuel},3,decentralised_fuel,,100000003,45.25,yes,,\n"
        f"{heating},1,electricity_heating,,100000004,10.00,yes,,\n"
    )
    assert "admin_cost_eur,15.00\ntotal_eur,170.25\n" in "".join(statement_csv(statement))


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_defused(maker):
    trader = OrganisationFactory.create(kind="trader", name="=HYPERLINK(1)", protected_service=True)
    applied(submission(trader, "applied"), 1, "=cmd", "1.00", True)
    statement = statement_prepare(organisation=trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker)

    text = "".join(statement_csv(statement))

    assert "party,'=HYPERLINK(1)\n" in text
    assert ",1,'=cmd,,1.00,yes,,\n" in text


def test_the_pdf_carries_the_totals(trader_world, maker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )

    pdf = statement_pdf(statement, compress=False)

    assert pdf.startswith(b"%PDF")
    for text in (b"29.02.00", b"80.50", b"50.50", b"above_balance", b"C-5"):
        assert text in pdf, text
    assert statement_pdf(statement).startswith(b"%PDF")  # compressed, as served


def test_a_pdf_of_thousands_of_lines_spans_pages(maker):
    trader = OrganisationFactory.create(kind="trader", protected_service=True)
    sub = submission(trader, "applied")
    AppliedLine.objects.bulk_create(
        AppliedLine(
            submission=sub,
            trader=trader,
            month=NOV,
            line_no=n,
            contract_no=f"C-{n}",
            applied_eur=Decimal("1.00"),
            accepted=True,
        )
        for n in range(1, 2001)
    )
    statement = statement_prepare(organisation=trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker)

    pdf = statement_pdf(statement, compress=False)

    assert statement.total_eur == Decimal("2000.00")
    pages = len(re.findall(rb"/Type /Page\b(?!s)", pdf))
    assert pages > 20  # 2,000 rows at about 40 a landscape page, the header repeated on each
    assert pdf.count(b"submission") >= pages


def test_an_export_is_audited(trader_world, maker):
    statement = statement_prepare(
        organisation=trader_world.trader, month=NOV, scheme=Scheme.PROTECTED_USERS, actor=maker
    )

    export = statement_export(statement=statement, actor=maker, fmt="csv")

    assert export.filename == f"statement-{trader_world.trader.code}-2026-11-protected_users.csv"
    event = AuditEvent.objects.get(action="statement.export")
    assert (event.target_id, event.data["format"], event.data["lines"]) == (str(statement.pk), "csv", 5)
    with pytest.raises(ValueError, match="xlsx"):
        statement_export(statement=statement, actor=maker, fmt="xlsx")
