"""``POST /api/v1/months/{YYYY-MM}/applied/``: trader A applies discounts for November 2026
against its three recipients (B-100's two sub-users, 20.00 each; C-1's holder, 25.00)."""

import json
from decimal import Decimal

import pytest

from aldis.exceptions import ApplicationError
from aldis.organisations.models import OrganisationKind
from audit.models import AuditEvent
from compensation.api import bodies
from compensation.models import AppliedLine, Scheme, Statement, Submission
from compensation.services.statements import statement_approve, statement_mark_paid, statement_prepare
from tests.compensation.statements.conftest import staff_user
from tests.eligibility.api.conftest import (
    NOV_2026,
    OCT_2026,
    OTHER_TENANT,
    TENANT,
    compute,
    family,
    token_client,
    url,
)

APPLIED = url("applied")


def hyphenated(code: str) -> str:
    return f"{code[:6]}-{code[6:]}"


@pytest.fixture
def world(registers):
    family(registers)
    compute(NOV_2026)
    return registers


@pytest.fixture
def trader(world):
    return token_client(world.trader_a)


def post(client, body, *, key: str = "", content_type: str = "application/json", path: str = APPLIED):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.generic("POST", path, data, content_type=content_type, **headers)


def line(contract_no, code, amount):
    return {"contract_no": contract_no, "sub_user_code": code, "applied_eur": amount}


def balances(client) -> list[str]:
    return [r["balance_eur"] for r in client.get(url("eligible-contracts")).json()["results"]]


def test_accepted_lines_are_stored_and_balances_follow(world, trader):
    response = post(trader, [line("C-1", "", "10.00"), line("B-100", TENANT, "20.00")])

    assert response.status_code == 201, response.content
    body = response.json()
    submission = Submission.objects.get()
    assert body == {
        "submission": submission.pk,
        "month": "2026-11",
        "version": 1,
        "accepted": [
            {
                "line": 1,
                "contract_no": "C-1",
                "sub_user_code": "",
                "applied_eur": "10.00",
                "balance_eur": "15.00",
            },
            {
                "line": 2,
                "contract_no": "B-100",
                "sub_user_code": TENANT,
                "applied_eur": "20.00",
                "balance_eur": "0.00",
            },
        ],
        "rejected": [],
        "totals": {"lines": 2, "accepted": 2, "rejected": 0, "accepted_eur": "30.00", "rejected_eur": "0.00"},
    }
    assert (submission.kind, submission.month, submission.lines_accepted, submission.accepted_eur) == (
        "applied",
        NOV_2026,
        2,
        Decimal("30.00"),
    )
    assert submission.response == body
    stored = list(
        AppliedLine.objects.order_by("line_no").values_list(
            "line_no", "contract_no", "sub_user_code", "applied_eur", "accepted"
        )
    )
    assert stored == [(1, "C-1", "", Decimal("10.00"), True), (2, "B-100", TENANT, Decimal("20.00"), True)]
    assert balances(trader) == ["0.00", "20.00", "15.00"]
    event = AuditEvent.objects.get(action="applied.submit")
    assert event.data == {
        "month": "2026-11",
        "run": submission.run_id,
        "version": 1,
        "lines": 2,
        "accepted": 2,
        "rejected": 0,
        "accepted_eur": "30.00",
        "rejected_eur": "0.00",
    }
    assert TENANT not in json.dumps(event.data)


def test_each_line_is_judged_alone(world, trader):
    response = post(
        trader,
        [
            line("C-1", "", "25.01"),  # above the 25.00 available
            line("C-1", "", "25.00"),  # named twice in the request
            line("X-9", "", "1.00"),  # not in the list
            line("B-100", hyphenated(TENANT), "19.99"),  # accepted; the hyphen is fine
            line("B-100", OTHER_TENANT, "1.234"),  # three decimals
            line("B-100", OTHER_TENANT, "-1.00"),  # negative
            line("B-100", "32000003000", "1.00"),  # wrong check digit
            {"contract_no": "", "applied_eur": "1.00"},  # no contract
            "not an object",
            line("B-100", OTHER_TENANT, 20),  # a JSON number is an amount too: accepted
        ],
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert [(a["line"], a["applied_eur"], a["balance_eur"]) for a in body["accepted"]] == [
        (4, "19.99", "0.01"),
        (10, "20.00", "0.00"),
    ]
    assert [(r["line"], r["reason"]) for r in body["rejected"]] == [
        (1, "above_balance"),
        (2, "duplicate"),
        (3, "not_in_list"),
        (5, "invalid"),
        (6, "invalid"),
        (7, "invalid"),
        (8, "invalid"),
        (9, "invalid"),
    ]
    assert body["rejected"][0] == {
        "line": 1,
        "contract_no": "C-1",
        "sub_user_code": "",
        "applied_eur": "25.01",
        "reason": "above_balance",
        "message": "The amount is above the recipient's available balance of 25.00 EUR.",
    }
    assert (
        body["rejected"][3]["message"]
        == "applied_eur must be a non-negative amount with at most two decimals."
    )
    assert body["rejected"][5]["message"] == "sub_user_code: personal code has a wrong check digit."
    assert body["totals"] == {
        "lines": 10,
        "accepted": 2,
        "rejected": 8,
        "accepted_eur": "39.99",
        "rejected_eur": "51.01",  # 25.01 + 25.00 + 1.00 (the parseable rejected amounts)
    }
    assert AppliedLine.objects.count() == 10
    assert AppliedLine.objects.filter(accepted=True).count() == 2


def test_a_recipient_already_applied_for_the_month_is_a_duplicate(world, trader):
    post(trader, [line("C-1", "", "5.00")])

    second = post(trader, [line("C-1", "", "4.00")]).json()  # another body: not a repeat

    assert second["rejected"][0]["reason"] == "duplicate"
    assert balances(trader)[2] == "20.00"


def test_what_was_applied_earlier_in_the_year_counts(world, trader):
    compute(OCT_2026)
    compute(NOV_2026)  # version 2: C-1 credited 25.00 + 25.00
    october = post(trader, [line("C-1", "", "20.00")], path=url("applied", "2026-10"))
    assert october.json()["accepted"][0]["balance_eur"] == "5.00"

    above = post(trader, [line("C-1", "", "30.01")]).json()
    within = post(trader, [line("C-1", "", "30.00")]).json()

    assert (
        above["rejected"][0]["message"]
        == "The amount is above the recipient's available balance of 30.00 EUR."
    )
    assert (within["version"], within["accepted"][0]["balance_eur"]) == (2, "0.00")


def test_a_late_report_for_an_earlier_month_cannot_spend_what_a_later_month_used(world, trader):
    compute(OCT_2026)
    compute(NOV_2026)  # version 2: C-1 credited 25.00 in October + 25.00 in November = 50.00
    november = post(trader, [line("C-1", "", "40.00")]).json()
    assert november["accepted"][0]["balance_eur"] == "10.00"

    # October's own view has 25.00 available, but November's list has only 50.00 - 40.00 = 10.00
    # left of the year's credit: October may take at most 10.00 (else 65.00 applied of 50.00).
    above = post(trader, [line("C-1", "", "10.01")], path=url("applied", "2026-10")).json()
    within = post(trader, [line("C-1", "", "10.00")], path=url("applied", "2026-10")).json()

    assert above["rejected"][0]["reason"] == "above_balance"
    assert (
        above["rejected"][0]["message"]
        == "The amount is above the recipient's available balance of 10.00 EUR."
    )
    assert within["accepted"][0]["balance_eur"] == "0.00"
    assert balances(trader)[2] == "0.00"  # November: 50.00 - 40.00 - 10.00


def test_a_balance_left_negative_still_takes_a_report_of_nothing(world, trader):
    compute(OCT_2026)
    compute(NOV_2026)  # version 2: C-1 credited 25.00 in October + 25.00 in November = 50.00
    # 60.00 applied for November, as if accepted before a downward re-run: 50.00 - 60.00 = -10.00.
    submission = Submission.objects.create(
        organisation=world.trader_a, kind="applied", month=NOV_2026, request_hash="x" * 64
    )
    AppliedLine.objects.create(
        submission=submission,
        trader=world.trader_a,
        month=NOV_2026,
        line_no=1,
        contract_no="C-1",
        applied_eur=Decimal("60.00"),
        accepted=True,
    )

    late = post(trader, [line("C-1", "", "0.00"), line("X-404", "", "0.00")], path=url("applied", "2026-10"))

    assert [a["applied_eur"] for a in late.json()["accepted"]] == ["0.00"]
    assert [r["reason"] for r in late.json()["rejected"]] == ["not_in_list"]


def test_a_csv_body_and_the_lines_object(world, trader):
    csv_body = f"applied_eur,contract_no,sub_user_code\r\n5.00,C-1,\r\n7.50,B-100,{TENANT}\r\n1,2\r\n"
    response = post(trader, csv_body, content_type="text/csv")

    assert response.status_code == 201, response.content
    assert [a["applied_eur"] for a in response.json()["accepted"]] == ["5.00", "7.50"]
    assert [(r["line"], r["reason"]) for r in response.json()["rejected"]] == [(3, "invalid")]

    wrapped = post(trader, {"lines": [line("B-100", OTHER_TENANT, "1.00")]})
    assert wrapped.status_code == 201
    assert wrapped.json()["accepted"][0]["balance_eur"] == "19.00"


def test_idempotency_key_replays_and_refuses_another_body(world, trader):
    body = [line("C-1", "", "10.00")]
    first = post(trader, body, key="req-1")
    again = post(trader, body, key="req-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Submission.objects.count() == 1
    assert AppliedLine.objects.count() == 1
    assert balances(trader)[2] == "15.00"

    other = post(trader, [line("C-1", "", "11.00")], key="req-1")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert AuditEvent.objects.filter(action="applied.submit.replay").count() == 1


def test_the_same_body_again_is_a_repeat_with_or_without_a_key(world, trader):
    """A trader's list sent twice (a client retry without a key) applies once; the second answer
    is the first one. Another month, or another body, is a request of its own."""
    body = [line("C-1", "", "10.00"), line("B-100", TENANT, "30.00")]  # B-100: 20.00 available
    first = post(trader, body)
    again = post(trader, body)
    with_a_new_key = post(trader, body, key="fresh-key")

    assert (first.status_code, again.status_code, with_a_new_key.status_code) == (201, 200, 200)
    assert again.json() == first.json() == with_a_new_key.json()
    assert again["Idempotent-Replayed"] == "true"
    assert [r["reason"] for r in again.json()["rejected"]] == ["above_balance"]
    assert Submission.objects.count() == 1
    assert AppliedLine.objects.count() == 2
    assert balances(trader)[2] == "15.00"  # C-1: 25.00 - 10.00, once
    replays = AuditEvent.objects.filter(action="applied.submit.replay").order_by("seq")
    assert [e.data["matched"] for e in replays] == ["request_body", "request_body"]

    # The rejected line alone is another body: judged again (still above the balance).
    alone = post(trader, [line("B-100", TENANT, "30.00")])
    assert (alone.status_code, alone.json()["rejected"][0]["reason"]) == (201, "above_balance")
    compute(OCT_2026)
    october = post(trader, body, path=url("applied", "2026-10"))
    assert october.status_code == 201
    assert Submission.objects.count() == 3


def _close(organisation, month, scheme, django_user_model, *, paid: bool):
    maker = staff_user(django_user_model, "maker")
    checker = staff_user(django_user_model, "checker")
    statement = statement_prepare(organisation=organisation, month=month, scheme=scheme, actor=maker)
    statement = statement_approve(statement=statement, actor=checker)
    if paid:
        statement = statement_mark_paid(statement=statement, actor=maker, payment_reference="VK-2026-0042")
    return statement


@pytest.mark.parametrize("paid", [False, True], ids=["approved", "paid"])
def test_a_month_whose_statement_is_approved_or_paid_takes_no_more(world, trader, django_user_model, paid):
    """November's statement of 10.00 is closed: 20.00 more for November could never be paid, so
    it is refused and nothing of it is stored; the first request re-sent is still its replay."""
    first = post(trader, [line("C-1", "", "10.00")])
    statement = _close(world.trader_a, NOV_2026, Scheme.PROTECTED_USERS, django_user_model, paid=paid)
    assert statement.total_eur == Decimal("10.00")
    status = "paid" if paid else "approved"

    late = post(trader, [line("B-100", TENANT, "20.00")], key="late-1")

    assert late.status_code == 409, late.content
    assert late.json() == {
        "error": {
            "code": "statement_closed",
            "message": f"The compensation statement for 2026-11 is already {status}: nothing more can "
            "be reported for this month. Please contact the Bureau.",
            "details": {"month": "2026-11", "scheme": "protected_users", "status": status},
        }
    }
    assert Submission.objects.count() == 1
    assert AppliedLine.objects.count() == 1
    assert AuditEvent.objects.filter(action="applied.submit").count() == 1
    assert balances(trader) == ["20.00", "20.00", "15.00"]  # B-100's two sub-users keep 20.00
    assert post(trader, [line("B-100", TENANT, "20.00")], key="late-1").status_code == 409  # key not taken
    statement.refresh_from_db()
    assert (statement.total_eur, statement.submissions_through) == (
        Decimal("10.00"),
        first.json()["submission"],
    )

    resent = post(trader, [line("C-1", "", "10.00")])
    assert (resent.status_code, resent.json()) == (200, first.json())


def test_a_prepared_statement_still_takes_lines_and_must_be_refreshed_before_approval(
    world, trader, django_user_model
):
    maker = staff_user(django_user_model, "maker")
    checker = staff_user(django_user_model, "checker")
    post(trader, [line("C-1", "", "10.00")])
    statement = statement_prepare(
        organisation=world.trader_a, month=NOV_2026, scheme=Scheme.PROTECTED_USERS, actor=maker
    )

    more = post(trader, [line("B-100", TENANT, "20.00")])

    assert more.status_code == 201, more.content
    with pytest.raises(ApplicationError) as stale:
        statement_approve(statement=statement, actor=checker)
    assert (stale.value.code, stale.value.details["submissions_after"]) == ("statement_stale", 1)
    assert Statement.objects.get().status == "prepared"
    refreshed = statement_prepare(
        organisation=world.trader_a, month=NOV_2026, scheme=Scheme.PROTECTED_USERS, actor=checker
    )
    assert (refreshed.pk, refreshed.total_eur) == (statement.pk, Decimal("30.00"))  # 10.00 + 20.00
    assert statement_approve(statement=refreshed, actor=maker).status == "approved"


def test_another_traders_recipients_are_simply_not_in_its_list(world, api_as):
    other, _ = api_as(OrganisationKind.TRADER)

    response = post(other, [line("C-1", "", "1.00")])

    assert response.status_code == 201
    assert response.json()["rejected"][0]["reason"] == "not_in_list"
    assert response.json()["rejected"][0]["message"] == (
        "The contract and sub-user are not in your list for this month."
    )


@pytest.mark.parametrize("kind", ["municipality", "electricity_dso", "portal"])
def test_other_kinds_are_refused(world, api_as, kind):
    client, _ = api_as(kind)

    assert post(client, [line("C-1", "", "1.00")]).status_code == 403
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"", "application/json", 400),
        (b"   ", "application/json", 400),
        (b"[", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b'{"a": 1}', "application/json", 400),
        (b"[]", "application/json", 400),
        (b"contract_no,applied_eur\r\nC-1,1.00\r\n", "text/csv", 400),
        (b"contract_no,sub_user_code,applied_eur\r\n", "text/csv", 400),
        (b"C-1,,1.00", "text/plain", 415),
    ],
)
def test_a_malformed_body_is_refused_whole(world, trader, body, content_type, status):
    response = post(trader, body, content_type=content_type)

    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] in {"invalid", "unsupported_media_type"}
    assert not Submission.objects.exists()


def test_too_large_is_413(world, trader, monkeypatch):
    monkeypatch.setattr(bodies, "MAX_BODY_BYTES", 50)

    response = post(trader, [line("C-1", "", "1.00"), line("C-1", "", "2.00")])

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_bad_month_and_month_not_computed(world, trader):
    assert post(trader, [line("C-1", "", "1.00")], path=url("applied", "2026-13")).status_code == 400
    response = post(trader, [line("C-1", "", "1.00")], path=url("applied", "2027-01"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "month_not_computed"
    assert not Submission.objects.exists()


def test_nul_and_control_characters_are_rejected_lines_not_server_errors(world, trader):
    # Found by schemathesis on PostgreSQL: text columns cannot hold NUL.
    response = post(
        trader, [line("C-\x001", "", "1.00"), line("C-1", "\x00", "1.00"), line("C-\t1", "", "1.00")]
    )

    assert response.status_code == 201, response.content
    assert [r["reason"] for r in response.json()["rejected"]] == ["invalid", "invalid", "invalid"]
    assert response.json()["rejected"][0]["contract_no"] == "C-\ufffd1"
    assert post(trader, [line("C-1", "", "1.00")], key="bad\x01key").status_code == 400
