"""Contracts, sub-users and connection objects in the admin: read-only lists, exact search."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from households.admin import CappedCountPaginator
from tests.feeds.conftest import CONTRACTS_HEADER
from tests.households.admin.world import (
    ANNA,
    BERTS,
    FLAT_1,
    HOUSE,
    KARLIS,
    MUNICIPALITY_ORG,
    hyphenated,
    org_code,
)
from tests.organisations.factories import OrganisationFactory
from traders.models import Connection, Contract, SubUser

pytestmark = pytest.mark.django_db

CONTRACTS = reverse("admin:traders_contract_changelist")


def page(record) -> str:
    return reverse(f"admin:traders_{record._meta.model_name}_change", args=[record.pk])


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.fixture
def sub_user(world, files) -> SubUser:
    files.apply(
        "sub_users",
        ("personal_code", "contract_no", "address_code", "applied_on", "valid_to"),
        [(KARLIS, "C-200", FLAT_1, "2024-01-01", None)],
        sender=world.trader,
    )
    return SubUser.objects.get()


def found(response) -> list[str]:
    return sorted(contract.contract_no for contract in response.context["cl"].result_list)


def test_staff_list_contracts_and_filter_them(world, staff):
    assert found(staff.get(CONTRACTS)) == ["C-100", "C-200"]
    assert found(staff.get(CONTRACTS, {"trader__id__exact": world.trader.pk, "current": "yes"})) == [
        "C-100",
        "C-200",
    ]
    assert found(staff.get(CONTRACTS, {"current": "no"})) == []


@pytest.mark.parametrize(("term", "expected"), [("C-100", ["C-100"]), ("C-1", []), ("c-100", [])])
def test_contracts_are_searched_by_exact_number(world, staff, term, expected):
    assert found(staff.get(CONTRACTS, {"q": term})) == expected


def test_the_list_names_a_holder_by_internal_id_not_by_code(world, staff):
    content = staff.get(CONTRACTS).content.decode()

    assert f"person {world.anna.pk}" in content
    assert ANNA not in content


def test_the_contract_page_is_read_only(world, staff):
    contract = Contract.objects.get(contract_no="C-100")
    url = reverse("admin:traders_contract_change", args=[contract.pk])

    response = staff.get(url)
    assert response.status_code == 200
    assert f"person {world.anna.pk}" in response.content.decode()
    assert staff.post(url, {"contract_no": "X"}).status_code == 403


def test_sub_user_and_connection_lists_open_for_staff_only(world, staff, operator):
    for name in ("subuser", "connection"):
        url = reverse(f"admin:traders_{name}_changelist")
        assert staff.get(url).status_code == 200
        assert operator.get(url).status_code == 403
    assert operator.get(CONTRACTS).status_code == 403


def test_a_large_list_is_counted_only_up_to_the_cap(world, staff, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 1)

    response = staff.get(CONTRACTS)

    assert response.context["cl"].paginator.capped
    assert "Counted up to 1; there are more." in response.content.decode()


def test_opening_a_persons_contract_writes_exactly_one_audit_event_without_code(world, staff):
    contract = Contract.objects.get(contract_no="C-100")
    before = AuditEvent.objects.count()

    assert staff.get(page(contract)).status_code == 200

    assert AuditEvent.objects.count() == before + 1
    (event,) = events("contract.view")
    assert (event.target_type, event.target_id) == ("traders.contract", str(contract.pk))
    assert event.actor_type == "user"
    assert event.data == {"person_id": world.anna.pk, "trader_id": world.trader.pk}
    assert ANNA not in f"{event.data} {event.target_id}"
    assert hyphenated(ANNA) not in f"{event.data} {event.target_id}"


def test_an_organisations_contract_is_not_audited(world, files, staff):
    files.apply(
        "contracts",
        CONTRACTS_HEADER,
        [
            ("C-100", ANNA, HOUSE, None, "household", "2024-01-15", None),
            ("C-200", BERTS, FLAT_1, None, "household", "2012-01-01", None),
            ("C-300", MUNICIPALITY_ORG, FLAT_1, None, "building", "2020-01-01", None),
        ],
        sender=world.trader,
    )
    contract = Contract.objects.get(contract_no="C-300")
    assert contract.holder_id is None

    assert staff.get(page(contract)).status_code == 200
    assert events("contract.view") == []


def test_opening_a_sub_users_page_writes_exactly_one_audit_event_without_code(world, sub_user, staff):
    before = AuditEvent.objects.count()

    response = staff.get(page(sub_user))

    assert response.status_code == 200
    assert f"person {world.karlis.pk}" in response.content.decode()
    assert AuditEvent.objects.count() == before + 1
    (event,) = events("sub_user.view")
    assert (event.target_type, event.target_id) == ("traders.subuser", str(sub_user.pk))
    assert event.data == {"person_id": world.karlis.pk, "trader_id": world.trader.pk}
    assert KARLIS not in f"{event.data} {event.target_id}"


def test_the_lists_are_not_audited(world, sub_user, staff):
    for name in ("contract", "subuser"):
        assert staff.get(reverse(f"admin:traders_{name}_changelist")).status_code == 200
    assert events("contract.view") == events("sub_user.view") == []


def test_refused_pages_write_no_audit_event(world, sub_user, operator, auditor):
    contract = Contract.objects.get(contract_no="C-100")
    for client in (operator, auditor):
        assert client.get(page(contract)).status_code == 403
        assert client.get(page(sub_user)).status_code == 403
    assert events("contract.view") == events("sub_user.view") == []


def test_a_connection_object_names_nobody_and_is_not_audited(world, files, staff):
    heat = OrganisationFactory.create(code=org_code(4000000301), kind="heat_supplier")
    files.apply(
        "connections",
        ("object_code", "resource", "address_code", "supplier_code", "valid_from", "valid_to"),
        [("HEAT-1", "heat", HOUSE, None, "2020-01-01", None)],
        sender=heat,
    )
    before = AuditEvent.objects.count()

    assert staff.get(page(Connection.objects.get())).status_code == 200
    assert AuditEvent.objects.count() == before
