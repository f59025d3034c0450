"""Concurrent applied requests of one trader are serialised (PostgreSQL: the organisation's row
lock), so two requests cannot both spend one balance, and a key sent twice at once applies once.
A trader's C-1 has 25.00 available in November 2026."""

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from audit.services import Actor
from compensation.models import AppliedLine, Submission
from compensation.services.applied import applied_submit
from compensation.services.submissions import body_hash
from eligibility.models import ContractLine, MonthRun, RunStatus
from households.models import Address
from tests.organisations.factories import OrganisationFactory

NOV_2026 = date(2026, 11, 1)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads released together; their results or exceptions, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def submit(trader: Any, amount: str, key: str = "") -> Callable[[], Any]:
    lines = [{"contract_no": "C-1", "sub_user_code": "", "applied_eur": amount}]
    return lambda: applied_submit(
        organisation=trader,
        month=NOV_2026,
        lines=lines,
        request_hash=body_hash(amount.encode()),
        idempotency_key=key,
        actor=Actor.system("test"),
    )


@pytest.fixture
def trader() -> Any:
    """A trader whose November 2026 list (a done version, written directly) holds C-1: 25.00."""
    trader = OrganisationFactory.create(kind="trader", protected_service=True)
    run = MonthRun.objects.create(
        month=NOV_2026, version=1, status=RunStatus.DONE, knowledge_batch=0, requested_by="test"
    )
    ContractLine.objects.create(
        run=run,
        trader=trader,
        contract_no="C-1",
        address=Address.objects.create(code="200000001"),
        amount_eur=Decimal("25.00"),
        balance_eur=Decimal("25.00"),
    )
    return trader


def test_two_requests_cannot_both_spend_the_balance(trader):
    outcomes = at_once(submit(trader, "25.00"), submit(trader, "24.00"))

    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    accepted = [o.response["accepted"] for o in outcomes]
    rejected = [o.response["rejected"] for o in outcomes]
    assert sorted(len(a) for a in accepted) == [0, 1]
    assert [r["reason"] for rs in rejected for r in rs] == ["duplicate"]
    assert AppliedLine.objects.filter(accepted=True).count() == 1


def test_the_same_key_sent_twice_at_once_applies_once(trader):
    outcomes = at_once(submit(trader, "10.00", key="k"), submit(trader, "10.00", key="k"))

    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert sorted(o.replayed for o in outcomes) == [False, True]
    assert outcomes[0].response == outcomes[1].response
    assert Submission.objects.count() == 1
    assert AppliedLine.objects.count() == 1
