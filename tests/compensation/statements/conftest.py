"""Statement tests: parties' submissions and lines written with the ORM (the API that receives
them is tested on its own), staff users, and two ready worlds whose figures the tests write out
by hand.

``trader_world``: trader T for 2026-11, submission 1 with lines C-1 20.00 accepted, C-2 (a
sub-user) 25.00 accepted, C-3 30.00 rejected ``above_balance``, C-4 without an amount rejected
``invalid_amount``; submission 2 with C-5 5.50 accepted. Noise that must not count: trader T's
October line and another trader's November line.

``municipality_world``: municipality M for 2026-11, a decentralised-fuel claim (admin cost
12.00) with A1 100.00 accepted, A2 80.00 rejected ``not_eligible``, A3 45.25 accepted; an
electricity-for-heating claim (admin cost 3.00) with A4 10.00 accepted.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group

from aldis.organisations.models import Organisation, OrganisationKind
from aldis.organisations.roles import BUREAU_AUDITOR, BUREAU_STAFF, OPERATOR
from compensation.models import AppliedLine, ClaimLine, Submission, SubmissionKind
from tests.households.admin.world import client_in
from tests.organisations.factories import OrganisationFactory

NOV = date(2026, 11, 1)
OCT = date(2026, 10, 1)
SUB_USER_CODE = "32000000017"


def submission(organisation: Organisation, kind: str, month: date = NOV, **fields: Any) -> Submission:
    return Submission.objects.create(
        organisation=organisation, kind=kind, month=month, request_hash="0" * 64, **fields
    )


def applied(
    sub: Submission,
    line_no: int,
    contract_no: str,
    amount: str | None,
    accepted: bool,
    reason: str = "",
    sub_user_code: str = "",
    message: str = "",
) -> AppliedLine:
    return AppliedLine.objects.create(
        submission=sub,
        trader=sub.organisation,
        month=sub.month,
        line_no=line_no,
        contract_no=contract_no,
        sub_user_code=sub_user_code,
        applied_eur=Decimal(amount) if amount is not None else None,
        accepted=accepted,
        reason=reason,
        message=message,
    )


def claim(
    sub: Submission,
    line_no: int,
    address_code: str,
    amount: str | None,
    accepted: bool,
    reason: str = "",
    object_code: str = "",
) -> ClaimLine:
    return ClaimLine.objects.create(
        submission=sub,
        organisation=sub.organisation,
        month=sub.month,
        resource=sub.resource,
        line_no=line_no,
        object_code=object_code,
        address_code=address_code,
        aid_eur=Decimal(amount) if amount is not None else None,
        accepted=accepted,
        reason=reason,
    )


@dataclass
class TraderWorld:
    trader: Organisation
    first: Submission
    second: Submission


@pytest.fixture
def trader_world(db: None) -> TraderWorld:
    trader = OrganisationFactory.create(kind=OrganisationKind.TRADER, name="Trader T", protected_service=True)
    first = submission(trader, SubmissionKind.APPLIED)
    applied(first, 1, "C-1", "20.00", True)
    applied(first, 2, "C-2", "25.00", True, sub_user_code=SUB_USER_CODE)
    applied(first, 3, "C-3", "30.00", False, "above_balance", message="applied 30.00 above the balance 25.00")
    applied(first, 4, "C-4", None, False, "invalid_amount", message="not an amount")
    second = submission(trader, SubmissionKind.APPLIED)
    applied(second, 1, "C-5", "5.50", True)
    # Noise: the same trader's October, another trader's November.
    applied(submission(trader, SubmissionKind.APPLIED, month=OCT), 1, "C-1", "20.00", True)
    other = OrganisationFactory.create(kind=OrganisationKind.TRADER, name="Trader U", protected_service=True)
    applied(submission(other, SubmissionKind.APPLIED), 1, "U-1", "99.00", True)
    return TraderWorld(trader, first, second)


@dataclass
class MunicipalityWorld:
    municipality: Organisation
    fuel: Submission
    heating: Submission


@pytest.fixture
def municipality_world(db: None) -> MunicipalityWorld:
    municipality = OrganisationFactory.create(kind=OrganisationKind.MUNICIPALITY, name="Novads M")
    fuel = submission(
        municipality,
        SubmissionKind.CLAIM,
        resource="decentralised_fuel",
        vat_rate=Decimal("21.00"),
        submissions_examined=4,
        admin_cost_eur=Decimal("12.00"),
    )
    claim(fuel, 1, "100000001", "100.00", True)
    claim(fuel, 2, "100000002", "80.00", False, "not_eligible")
    claim(fuel, 3, "100000003", "45.25", True)
    heating = submission(
        municipality,
        SubmissionKind.CLAIM,
        resource="electricity_heating",
        vat_rate=Decimal("21.00"),
        submissions_examined=1,
        admin_cost_eur=Decimal("3.00"),
    )
    claim(heating, 1, "100000004", "10.00", True)
    return MunicipalityWorld(municipality, fuel, heating)


def staff_user(django_user_model: Any, username: str) -> Any:
    user = django_user_model.objects.create_user(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=BUREAU_STAFF))
    return user


@pytest.fixture
def maker(db: None, django_user_model: Any) -> Any:
    return staff_user(django_user_model, "maker")


@pytest.fixture
def checker(db: None, django_user_model: Any) -> Any:
    return staff_user(django_user_model, "checker")


@pytest.fixture
def auditor_client(db: None, django_user_model: Any) -> Any:
    return client_in(django_user_model, BUREAU_AUDITOR, username="auditor")


@pytest.fixture
def operator_client(db: None, django_user_model: Any) -> Any:
    return client_in(django_user_model, OPERATOR, username="operator")
