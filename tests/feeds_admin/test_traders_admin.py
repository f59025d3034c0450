"""Contracts, sub-users and connection objects in the admin: read-only lists, exact search."""

import pytest
from django.urls import reverse

from households.admin import CappedCountPaginator
from tests.households.admin.world import ANNA
from traders.models import Contract

pytestmark = pytest.mark.django_db

CONTRACTS = reverse("admin:traders_contract_changelist")


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
