"""Concurrent applied requests of one trader are serialised (PostgreSQL: the organisation's row
lock), so two requests cannot both spend one balance, and a key sent twice at once applies once.
A submission and the approval of its month's statement are serialised too (the statement's row
lock), so no accepted line is left off an approved statement. A trader's C-1 has 25.00 and C-2
10.00 available in November 2026."""

import threading
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from aldis.exceptions import ApplicationError
from audit.services import Actor
from compensation.models import AppliedLine, Scheme, Statement, StatementStatus, Submission
from compensation.services import applied as applied_service
from compensation.services import statements as statements_service
from compensation.services.applied import applied_submit
from compensation.services.statements import statement_approve, statement_prepare
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


def submit(trader: Any, amount: str, key: str = "", contract_no: str = "C-1") -> Callable[[], Any]:
    lines = [{"contract_no": contract_no, "sub_user_code": "", "applied_eur": amount}]
    return lambda: applied_submit(
        organisation=trader,
        month=NOV_2026,
        lines=lines,
        request_hash=body_hash(f"{contract_no} {amount}".encode()),
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
    for contract_no, code, amount in (("C-1", "200000001", "25.00"), ("C-2", "200000002", "10.00")):
        ContractLine.objects.create(
            run=run,
            trader=trader,
            contract_no=contract_no,
            address=Address.objects.create(code=code),
            amount_eur=Decimal(amount),
            balance_eur=Decimal(amount),
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


@pytest.fixture
def prepared(trader: Any, django_user_model: Any) -> tuple[Statement, Any]:
    """C-1 10.00 accepted and November's statement of 10.00 prepared by the maker; the checker."""
    maker = django_user_model.objects.create_user(username="maker", is_staff=True)
    checker = django_user_model.objects.create_user(username="checker", is_staff=True)
    submit(trader, "10.00")()
    statement = statement_prepare(
        organisation=trader, month=NOV_2026, scheme=Scheme.PROTECTED_USERS, actor=maker
    )
    assert statement.total_eur == Decimal("10.00")
    return statement, checker


def holding(module: Any, name: str, monkeypatch: Any, held: threading.Event) -> None:
    """Make ``module.name`` signal ``held`` and keep its transaction open 0.5 s longer."""
    original = getattr(module, name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        held.set()
        time.sleep(0.5)
        return result

    monkeypatch.setattr(module, name, slow)


def test_a_submission_during_an_approval_waits_and_is_refused(trader, prepared, monkeypatch):
    """The approval holds the statement's row until it commits; C-2's 5.00 then finds the month
    closed (read before the approval commits, it would be accepted and never paid)."""
    statement, checker = prepared
    held = threading.Event()
    holding(statements_service, "audit_record", monkeypatch, held)

    def late() -> Any:
        assert held.wait(5)
        return submit(trader, "5.00", contract_no="C-2")()

    approved, refused = at_once(lambda: statement_approve(statement=statement, actor=checker), late)

    assert isinstance(approved, Statement), approved
    assert isinstance(refused, ApplicationError), refused
    assert refused.code == "statement_closed"
    assert Submission.objects.count() == 1
    assert list(AppliedLine.objects.values_list("contract_no", "accepted")) == [("C-1", True)]
    statement.refresh_from_db()
    assert (statement.status, statement.total_eur) == (StatementStatus.APPROVED, Decimal("10.00"))


def test_an_approval_during_a_submission_waits_and_finds_the_statement_stale(trader, prepared, monkeypatch):
    """The submission holds the statement's row until it commits; the approval then sees C-2's
    5.00 that its statement of 10.00 does not count, and refuses (approved, 5.00 would be lost)."""
    statement, checker = prepared
    held = threading.Event()
    holding(applied_service, "_store", monkeypatch, held)

    def approve() -> Any:
        assert held.wait(5)
        return statement_approve(statement=statement, actor=checker)

    accepted, refused = at_once(submit(trader, "5.00", contract_no="C-2"), approve)

    assert not isinstance(accepted, Exception), accepted
    assert accepted.response["totals"]["accepted_eur"] == "5.00"
    assert isinstance(refused, ApplicationError), refused
    assert refused.code == "statement_stale"
    statement.refresh_from_db()
    assert statement.status == StatementStatus.PREPARED
