"""``POST /api/v1/months/{YYYY-MM}/applied/``: trader A applies discounts for November 2026
against its three recipients (B-100's two sub-users, 20.00 each; C-1's holder, 25.00)."""

import json
from decimal import Decimal

import pytest

from aldis.organisations.models import OrganisationKind
from audit.models import AuditEvent
from compensation.api import bodies
from compensation.models import AppliedLine, Submission
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

    second = post(trader, [line("C-1", "", "5.00")]).json()

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
