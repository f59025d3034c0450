"""Recovery items: an amount a trader applied that a corrected month no longer owes (DOMAIN:
Corrections). Months are computed through the feeds with the Scheme P helpers; what traders
applied is written with the ORM; every amount is written out by hand."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from compensation.models import AppliedLine, RecoveryItem, RecoveryStatus, Submission, SubmissionKind
from compensation.services.recovery import recovery_item_update, recovery_items_compute
from eligibility.models import ContractLine, MonthRun, RunStatus
from eligibility.services.lines import contract_lines_compute
from households.models import Address, Person, PersonCode
from tests.compensation.statements.conftest import staff_user
from tests.eligibility.scheme_p.conftest import (
    FLAT_1,
    TRADER_A_ORG,
    code,
    resident,
    run_month_with,
)
from tests.organisations.factories import OrganisationFactory

JAN = date(2027, 1, 1)
FEB = date(2027, 2, 1)
PARENT = code(100)
CHILDREN = (code(200), code(201), code(202))
TENANT = code(300)


def family(registers) -> None:
    """A parent of three children at FLAT_1 holding C-1 at trader A: large family, 25.00 a month."""
    registers.population(
        resident(PARENT, date(1980, 3, 4)),
        resident(CHILDREN[0], date(2012, 5, 6)),
        resident(CHILDREN[1], date(2014, 7, 8)),
        resident(CHILDREN[2], date(2016, 9, 10)),
    )
    registers.relations(*((PARENT, child, "parent", date(2016, 9, 10)) for child in CHILDREN))
    registers.contracts(registers.trader_a, ("C-1", PARENT, FLAT_1, date(2020, 1, 1)))


def compute(month: date) -> MonthRun:
    """Scheme P, the lines and the recovery items of ``month``, as the run does them, then done."""
    return run_month_with(month, contract_lines_compute, recovery_items_compute)


def apply(
    registers, month: date, amount: str, contract_no: str = "C-1", sub_user_code: str = ""
) -> AppliedLine:
    """Trader A reports ``amount`` applied for ``month`` on ``contract_no``, accepted."""
    trader = registers.trader_a
    submission = Submission.objects.create(
        organisation=trader, kind=SubmissionKind.APPLIED, month=month, request_hash="0" * 64
    )
    return AppliedLine.objects.create(
        submission=submission,
        trader=trader,
        month=month,
        line_no=1,
        contract_no=contract_no,
        sub_user_code=sub_user_code,
        applied_eur=Decimal(amount),
        accepted=True,
    )


def items() -> list[tuple[str, str, int, Decimal, Decimal, Decimal]]:
    return [
        (i.contract_no, i.sub_user_code, i.year, i.credited_eur, i.applied_eur, i.amount_eur)
        for i in RecoveryItem.objects.order_by("id")
    ]


def test_a_month_corrected_to_nothing_after_it_was_applied_gives_an_item(registers):
    family(registers)
    compute(JAN)  # 25.00 credited
    apply(registers, JAN, "25.00")
    registers.debtors((PARENT, date(2026, 6, 1)))  # corrected: the parent is a maintenance debtor

    rerun = compute(JAN)  # January now 0.00

    assert items() == [("C-1", "", 2027, Decimal("0.00"), Decimal("25.00"), Decimal("25.00"))]
    item = RecoveryItem.objects.get()
    assert (item.run, item.trader.code, item.status) == (rerun, TRADER_A_ORG, RecoveryStatus.OPEN)


def test_running_again_with_the_same_data_creates_nothing(registers):
    family(registers)
    january = compute(JAN)
    apply(registers, JAN, "25.00")
    registers.debtors((PARENT, date(2026, 6, 1)))
    rerun = compute(JAN)

    assert recovery_items_compute(run=rerun).items == 0
    compute(JAN)  # a third version with the same data

    assert len(items()) == 1
    assert recovery_items_compute(run=january).items == 0  # the first run says nothing new either


def test_nothing_to_recover_while_applications_fit_the_years_credits(registers):
    family(registers)
    compute(JAN)
    apply(registers, JAN, "10.00")

    compute(FEB)  # 50.00 credited in the year, 10.00 applied

    assert items() == []


def test_a_partial_correction_recovers_only_what_no_longer_fits(registers):
    family(registers)
    compute(JAN)
    apply(registers, JAN, "25.00")
    compute(FEB)  # credited 25.00 + 25.00 = 50.00
    apply(registers, FEB, "20.00")  # applied 25.00 + 20.00 = 45.00
    registers.debtors((PARENT, date(2027, 2, 1)))  # from February on: February is 0.00

    compute(FEB)

    # credited now 25.00 (January only), applied 45.00: 20.00 back
    assert items() == [("C-1", "", 2027, Decimal("25.00"), Decimal("45.00"), Decimal("20.00"))]

    registers.debtors((PARENT, date(2027, 1, 1)))  # corrected again: from January

    compute(JAN)

    # credited now 0.00, applied 45.00, 20.00 already raised: 25.00 more
    assert items() == [
        ("C-1", "", 2027, Decimal("25.00"), Decimal("45.00"), Decimal("20.00")),
        ("C-1", "", 2027, Decimal("0.00"), Decimal("45.00"), Decimal("25.00")),
    ]


def test_the_previous_year_is_not_mixed_in(registers):
    family(registers)
    compute(date(2026, 12, 1))
    apply(registers, date(2026, 12, 1), "25.00")
    registers.debtors((PARENT, date(2027, 1, 1)))

    compute(JAN)  # 2027 credits nothing, but nothing was applied in 2027

    assert items() == []


def test_rejected_applications_and_other_recipients_do_not_count(registers):
    family(registers)
    compute(JAN)
    rejected = apply(registers, JAN, "25.00")
    AppliedLine.objects.filter(pk=rejected.pk).update(accepted=False, reason="above_balance")
    apply(registers, JAN, "25.00", contract_no="C-1", sub_user_code=TENANT)  # a sub-user: no line
    registers.debtors((PARENT, date(2026, 6, 1)))

    compute(JAN)

    # only the sub-user recipient (trader A, C-1, TENANT) applied without a credit
    assert items() == [("C-1", TENANT, 2027, Decimal("0.00"), Decimal("25.00"), Decimal("25.00"))]


@pytest.fixture
def item(registers) -> RecoveryItem:
    family(registers)
    compute(JAN)
    apply(registers, JAN, "25.00")
    registers.debtors((PARENT, date(2026, 6, 1)))
    compute(JAN)
    return RecoveryItem.objects.get()


def test_staff_move_an_item_with_a_note_audited(item, django_user_model):
    staff = staff_user(django_user_model, "staff")

    issued = recovery_item_update(
        item=item, status=RecoveryStatus.NOTICE_ISSUED, note="notice 12/2027", actor=staff
    )
    recovered = recovery_item_update(
        item=issued, status=RecoveryStatus.RECOVERED, note="paid back", actor=staff
    )

    assert recovered.status == RecoveryStatus.RECOVERED
    assert recovered.note.count("\n") == 1
    assert "open→notice_issued] notice 12/2027" in recovered.note
    events = AuditEvent.objects.filter(action="recovery.update").order_by("seq")
    assert [(e.data["from"], e.data["to"]) for e in events] == [
        ("open", "notice_issued"),
        ("notice_issued", "recovered"),
    ]
    assert "paid back" not in str([e.data for e in events])


def test_an_item_cannot_leave_a_final_status_nor_be_waived_without_a_reason(item, django_user_model):
    staff = staff_user(django_user_model, "staff")

    with pytest.raises(ValidationError) as no_reason:
        recovery_item_update(item=item, status=RecoveryStatus.WAIVED, note=" ", actor=staff)
    waived = recovery_item_update(
        item=item, status=RecoveryStatus.WAIVED, note="below the notice threshold", actor=staff
    )
    with pytest.raises(ValidationError) as final:
        recovery_item_update(item=waived, status=RecoveryStatus.OPEN, note="reopen", actor=staff)

    assert "note" in no_reason.value.message_dict
    assert "status" in final.value.message_dict


def test_the_admin_lists_items_and_changes_status_through_the_service(item, django_user_model):
    client = Client()
    client.force_login(staff_user(django_user_model, "staff"))
    url = reverse("admin:compensation_recoveryitem_change", args=[item.pk])

    listing = client.get(reverse("admin:compensation_recoveryitem_changelist"), {"status__exact": "open"})
    refused = client.post(url, {"status": "waived", "new_note": ""})
    saved = client.post(url, {"status": "notice_issued", "new_note": "sent"})

    assert listing.status_code == 200
    assert "25,00" in listing.content.decode()  # Latvian: a decimal comma
    assert "waiving an item needs the reason in the note" in refused.content.decode()
    assert saved.status_code == 302
    item.refresh_from_db()
    assert item.status == RecoveryStatus.NOTICE_ISSUED
    assert item.note.endswith("sent")
    assert AuditEvent.objects.filter(action="recovery.update").count() == 1


def test_opening_an_item_writes_exactly_one_audit_event_without_the_sub_users_code(item, django_user_model):
    RecoveryItem.objects.filter(pk=item.pk).update(sub_user_code=TENANT)
    user = staff_user(django_user_model, "staff")
    client = Client()
    client.force_login(user)
    before = AuditEvent.objects.count()

    response = client.get(reverse("admin:compensation_recoveryitem_change", args=[item.pk]))

    assert response.status_code == 200
    assert TENANT in response.content.decode()  # the page shows the code: hence the event
    assert AuditEvent.objects.count() == before + 1
    (event,) = AuditEvent.objects.filter(action="recovery.view")
    assert (event.target_type, event.target_id) == ("compensation.recoveryitem", str(item.pk))
    assert (event.actor_type, event.actor_id) == ("user", str(user.pk))
    assert event.data == {"trader_id": item.trader_id, "year": 2027}
    assert TENANT not in f"{event.data} {event.target_id}"


def test_the_item_list_is_not_audited(item, django_user_model):
    client = Client()
    client.force_login(staff_user(django_user_model, "staff"))

    assert client.get(reverse("admin:compensation_recoveryitem_changelist")).status_code == 200
    assert not AuditEvent.objects.filter(action="recovery.view").exists()


def test_auditors_cannot_see_recovery_items(item, django_user_model):
    from tests.households.admin.world import client_in

    auditor = client_in(django_user_model, "Bureau auditor", username="auditor")

    assert auditor.get(reverse("admin:compensation_recoveryitem_changelist")).status_code == 403
    assert auditor.get(reverse("admin:compensation_recoveryitem_change", args=[item.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="recovery.view").exists()


def test_a_sub_user_whose_code_changed_is_one_recipient(db):
    # January's line names the sub-user by the old code, February's by the new one; the trader
    # applied the year's 40.00 in February under the new code. One person, credited 40.00,
    # applied 40.00: nothing to recover (matched by code, the old code would look 20.00 unpaid
    # and the new one 20.00 over-applied).
    old, new = code(400), code(401)
    tenant = Person.objects.create(personal_code=new)
    PersonCode.objects.bulk_create([PersonCode(code=old, person=tenant), PersonCode(code=new, person=tenant)])
    trader = OrganisationFactory.create(kind="trader")
    address = Address.objects.create(code="200000099")
    runs = {}
    for month, sub_user_code in ((JAN, old), (FEB, new)):
        runs[month] = MonthRun.objects.create(
            month=month, version=1, status=RunStatus.DONE, knowledge_batch=1, requested_by="test"
        )
        ContractLine.objects.create(
            run=runs[month],
            trader=trader,
            contract_no="B-100",
            sub_user=tenant,
            sub_user_code=sub_user_code,
            address=address,
            amount_eur=Decimal("20.00"),
            balance_eur=Decimal("20.00"),
        )
    submission = Submission.objects.create(
        organisation=trader, kind=SubmissionKind.APPLIED, month=FEB, request_hash="0" * 64
    )
    AppliedLine.objects.create(
        submission=submission,
        trader=trader,
        month=FEB,
        line_no=1,
        contract_no="B-100",
        sub_user_code=new,
        sub_user=tenant,
        applied_eur=Decimal("40.00"),
        accepted=True,
    )

    assert recovery_items_compute(run=runs[FEB]).items == 0

    # February corrected to nothing: 20.00 credited, 40.00 applied, under the code last reported.
    ContractLine.objects.filter(run=runs[FEB]).delete()
    assert recovery_items_compute(run=runs[FEB]).items == 1
    assert items() == [("B-100", new, 2027, Decimal("20.00"), Decimal("40.00"), Decimal("20.00"))]
