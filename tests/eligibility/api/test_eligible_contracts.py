"""``GET /api/v1/months/{YYYY-MM}/eligible-contracts/``: trader A's three recipients of November
2026 (B-100's two sub-users at 20.00, C-1's holder at 25.00); every amount written out."""

import csv
import io
import os
import random
import uuid
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aldis.organisations.models import OrganisationKind
from audit.models import AuditEvent
from compensation.models import AppliedLine, Submission, SubmissionKind
from compensation.selectors import latest_accepted_applied_id
from eligibility.models import MonthRun
from tests.eligibility.api.conftest import (
    CHILD_1,
    NOV_2026,
    OCT_2026,
    OTHER_TENANT,
    TENANT,
    compute,
    family,
    token_client,
    url,
)

LARGE = [{"category": "large_family", "units": 1, "amount_eur": "25.00"}]
NEEDY = [{"category": "needy_low_income", "units": 1, "amount_eur": "20.00"}]


def row(contract_no, sub_user_code, amount, balance, categories, version=1):
    return {
        "contract_no": contract_no,
        "sub_user_code": sub_user_code,
        "amount_eur": amount,
        "balance_eur": balance,
        "categories": categories,
        "version": version,
    }


EXPECTED = [
    row("B-100", TENANT, "20.00", "20.00", NEEDY),
    row("B-100", OTHER_TENANT, "20.00", "20.00", NEEDY),
    row("C-1", "", "25.00", "25.00", LARGE),
]


@pytest.fixture
def world(registers):
    family(registers)
    compute(NOV_2026)
    return registers


@pytest.fixture
def trader(world):
    return token_client(world.trader_a)


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(content)))


def accepted_line(
    trader, month: date, contract_no: str, *, amount: str = "1.00", accepted: bool = True
) -> int:
    """An applied line of ``trader`` for ``month`` (its own submission); its id."""
    submission = Submission.objects.create(
        organisation=trader, kind=SubmissionKind.APPLIED, month=month, request_hash=f"{month}{contract_no}"
    )
    line = AppliedLine.objects.create(
        submission=submission,
        trader=trader,
        month=month,
        line_no=1,
        contract_no=contract_no,
        applied_eur=Decimal(amount),
        accepted=accepted,
    )
    return line.pk


def reads_the_list(queries: CaptureQueriesContext) -> bool:
    return any('FROM "eligibility_contractline"' in q["sql"] for q in queries.captured_queries)


def test_the_trader_gets_its_list_in_a_stable_order(trader):
    response = trader.get(url("eligible-contracts"))

    assert response.status_code == 200, response.content
    assert response.json() == {"next": None, "results": EXPECTED}
    assert response["X-Version"] == "1"


def test_pages_follow_the_cursor(trader):
    first = trader.get(url("eligible-contracts"), {"page_size": 2}).json()
    assert first["results"] == EXPECTED[:2]
    assert first["next"].startswith("http://testserver/api/v1/months/2026-11/eligible-contracts/?")

    second = trader.get(first["next"]).json()

    assert second == {"next": None, "results": EXPECTED[2:]}


def test_the_next_link_carries_no_personal_code(trader):
    # Page 1 ends on TENANT's row (B-100): a cursor is signed, not encrypted, so it must not
    # carry that row's sub_user_code (URLs reach access logs); it carries ids only.
    first = trader.get(url("eligible-contracts"), {"page_size": 1}).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]

    payload = signing.loads(cursor, salt="aldis.api.cursor.eligible_contracts")

    assert TENANT not in first["next"]
    assert TENANT not in repr(payload)
    assert set(payload) == {"r", "o", "i"}
    assert trader.get(first["next"]).json()["results"] == EXPECTED[1:2]


def test_a_rerun_while_paging_does_not_mix_versions(world, trader):
    first = trader.get(url("eligible-contracts"), {"page_size": 2}).json()
    world.disability((CHILD_1, "child", date(2020, 1, 1)))
    compute(NOV_2026)  # version 2: C-1 now 25.00 + 20.00

    second = trader.get(first["next"]).json()
    fresh = trader.get(url("eligible-contracts")).json()

    assert second["results"] == [row("C-1", "", "25.00", "25.00", LARGE, version=1)]
    both = [
        {"category": "disabled_child", "units": 1, "amount_eur": "20.00"},
        {"category": "large_family", "units": 1, "amount_eur": "25.00"},
    ]
    assert fresh["results"][2] == row("C-1", "", "45.00", "45.00", both, version=2)
    assert {r["version"] for r in fresh["results"]} == {2}


def test_the_balance_is_net_of_what_was_applied_in_the_year(world, trader):
    compute(OCT_2026)  # October's version: C-1 credited 25.00 in October too
    compute(NOV_2026)  # November again (version 2), so its balance counts October: 50.00
    submission = Submission.objects.create(
        organisation=world.trader_a, kind=SubmissionKind.APPLIED, month=OCT_2026, request_hash="x"
    )
    for month, amount, accepted in ((OCT_2026, "20.00", True), (OCT_2026, "5.00", False)):
        AppliedLine.objects.create(
            submission=submission,
            trader=world.trader_a,
            month=month,
            line_no=1,
            contract_no="C-1",
            applied_eur=Decimal(amount),
            accepted=accepted,
        )

    results = trader.get(url("eligible-contracts")).json()["results"]

    assert results[2] == row("C-1", "", "25.00", "30.00", LARGE, version=2)  # 50.00 - 20.00
    assert results[0]["balance_eur"] == "40.00"  # B-100 tenant: 20.00 + 20.00, nothing applied


def test_csv_streams_the_whole_list_and_agrees_with_json(trader):
    response = trader.get(url("eligible-contracts"), HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    rows = csv_rows(response)
    assert rows == [
        ["contract_no", "sub_user_code", "amount_eur", "balance_eur", "categories", "version"],
        ["B-100", TENANT, "20.00", "20.00", "needy_low_income:1", "1"],
        ["B-100", OTHER_TENANT, "20.00", "20.00", "needy_low_income:1", "1"],
        ["C-1", "", "25.00", "25.00", "large_family:1", "1"],
    ]
    as_json = trader.get(url("eligible-contracts"), {"page_size": 1000}).json()["results"]
    assert [r[:4] for r in rows[1:]] == [
        [r["contract_no"], r["sub_user_code"], r["amount_eur"], r["balance_eur"]] for r in as_json
    ]


def test_format_csv_in_the_query_works_too(trader):
    response = trader.get(url("eligible-contracts") + "?format=csv")

    assert response.status_code == 200
    assert len(csv_rows(response)) == 4


def test_etag_and_if_none_match(world, trader):
    first = trader.get(url("eligible-contracts"))
    etag = first["ETag"]

    again = trader.get(url("eligible-contracts"), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag

    accepted_line(world.trader_a, NOV_2026, "C-1", amount="5.00")
    changed = trader.get(url("eligible-contracts"), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["results"][2]["balance_eur"] == "20.00"


def test_a_polled_first_page_is_kept_but_every_pull_is_audited_and_balances_follow(world, trader):
    with CaptureQueriesContext(connection) as first:
        assert trader.get(url("eligible-contracts")).json()["results"] == EXPECTED
    with CaptureQueriesContext(connection) as again:
        assert trader.get(url("eligible-contracts")).json()["results"] == EXPECTED

    assert reads_the_list(first)
    assert not reads_the_list(again)  # the rendered page, kept under its ETag
    assert [e.data["rows"] for e in AuditEvent.objects.filter(action="list.pull")] == [3, 3]

    accepted_line(world.trader_a, NOV_2026, "C-1", amount="5.00")
    # The newest accepted applied line is part of the ETag, so the kept page is not the answer.
    c1 = trader.get(url("eligible-contracts")).json()["results"][2]
    assert c1["balance_eur"] == "20.00"  # 25.00 - 5.00


def test_a_kept_first_page_links_to_the_host_it_was_asked_through(trader):
    by_name = trader.get(url("eligible-contracts"), {"page_size": 2}, HTTP_HOST="localhost").json()
    by_address = trader.get(url("eligible-contracts"), {"page_size": 2}, HTTP_HOST="127.0.0.1").json()

    assert by_name["next"].startswith("http://localhost/api/v1/months/2026-11/eligible-contracts/?")
    assert by_address["next"].startswith("http://127.0.0.1/api/v1/months/2026-11/eligible-contracts/?")


def test_every_pull_is_audited_without_personal_data(world, trader):
    trader.get(url("eligible-contracts"), {"page_size": 2})
    b"".join(trader.get(url("eligible-contracts"), HTTP_ACCEPT="text/csv").streaming_content)

    events = list(AuditEvent.objects.filter(action="list.pull").order_by("seq"))
    run_id = events[0].data["run"]
    assert [e.data for e in events] == [
        {
            "list": "eligible_contracts",
            "month": "2026-11",
            "run": run_id,
            "version": 1,
            "rows": 2,
            "format": "json",
        },
        {
            "list": "eligible_contracts",
            "month": "2026-11",
            "run": run_id,
            "version": 1,
            "rows": 3,
            "format": "csv",
        },
    ]
    assert events[0].actor_type == "api_client"
    assert all(TENANT not in str(e.data) for e in events)


def test_another_trader_sees_nothing_of_it(world, api_as):
    other, _ = api_as(OrganisationKind.TRADER)

    response = other.get(url("eligible-contracts"))

    assert response.status_code == 200
    assert response.json() == {"next": None, "results": []}


def test_another_traders_cursor_is_refused(world, trader, api_as):
    first = trader.get(url("eligible-contracts"), {"page_size": 1}).json()
    other, _ = api_as(OrganisationKind.TRADER)

    response = other.get(first["next"])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("kind", ["municipality", "electricity_dso", "portal", "register"])
def test_other_kinds_are_refused(world, api_as, kind):
    client, _ = api_as(kind)

    response = client.get(url("eligible-contracts"))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_without_a_token_401(world, api):
    assert api.get(url("eligible-contracts")).status_code == 401


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "abcd-ef", "2026-11-01", "0000-01"])
def test_a_bad_month_is_400(trader, month):
    response = trader.get(url("eligible-contracts", month))

    assert response.status_code == 400
    body = response.json()["error"]
    assert (body["code"], list(body["details"])) == ("invalid", ["month"])


def test_a_month_not_computed_is_404(trader):
    response = trader.get(url("eligible-contracts", "2026-12"))

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "month_not_computed",
        "message": "Month 2026-12 has no computed version in force yet.",
        "details": {"month": "2026-12"},
    }


@pytest.mark.parametrize("cursor", ["garbage", "eyJyIjoxfQ:abc:def", "a" * 300])
def test_a_forged_cursor_is_400(trader, cursor):
    response = trader.get(url("eligible-contracts"), {"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("size", ["0", "1001", "-1", "x"])
def test_a_bad_page_size_is_400(trader, size):
    response = trader.get(url("eligible-contracts"), {"page_size": size})

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["page_size"]


def test_errors_are_json_even_when_csv_was_asked(trader):
    response = trader.get(url("eligible-contracts", "2026-12"), HTTP_ACCEPT="text/csv")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "month_not_computed"


@pytest.mark.parametrize("size", ["\u00b2", "\uff11\uff10", "99999999999999999999"])
def test_odd_digits_in_the_page_size_are_400(trader, size):
    assert trader.get(url("eligible-contracts"), {"page_size": size}).status_code == 400


def test_fullwidth_digits_are_not_a_month(trader):
    assert trader.get(url("eligible-contracts", "\uff12\uff10\uff12\uff16-\uff11\uff11")).status_code == 400


def test_the_per_client_rate_applies(trader, monkeypatch):
    from django.core.cache import cache

    from aldis.api.throttling import ApiClientRateThrottle

    monkeypatch.setattr(ApiClientRateThrottle, "THROTTLE_RATES", {"api_client": "2/minute"})
    cache.clear()
    statuses = [trader.get(url("eligible-contracts")).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    error = trader.get(url("eligible-contracts")).json()["error"]
    assert error["code"] == "throttled"
    assert error["details"]["retry_after_seconds"] > 0


def test_the_newest_accepted_line_counts_january_to_the_month_only(world):
    a, b = world.trader_a, world.trader_b
    december = accepted_line(a, date(2025, 12, 1), "C-1")  # the year before
    march = accepted_line(a, date(2026, 3, 1), "C-1")
    october = accepted_line(a, OCT_2026, "C-1")
    accepted_line(a, OCT_2026, "B-100", accepted=False)  # rejected lines move no balance
    accepted_line(b, OCT_2026, "C-1")  # another trader's
    december_2026 = accepted_line(a, date(2026, 12, 1), "C-1")  # after November

    assert latest_accepted_applied_id(trader_id=a.pk, month=NOV_2026) == october
    assert latest_accepted_applied_id(trader_id=a.pk, month=date(2026, 9, 1)) == march
    assert latest_accepted_applied_id(trader_id=a.pk, month=date(2026, 2, 1)) == 0
    assert latest_accepted_applied_id(trader_id=a.pk, month=date(2025, 12, 1)) == december
    assert latest_accepted_applied_id(trader_id=a.pk, month=date(2026, 12, 1)) == december_2026


def test_a_kept_page_is_the_callers_alone(world, trader, api_as):
    assert trader.get(url("eligible-contracts")).json()["results"] == EXPECTED
    other, _ = api_as(OrganisationKind.TRADER)

    assert other.get(url("eligible-contracts")).json() == {"next": None, "results": []}


def test_pages_asked_with_other_parameters_or_a_cursor_are_not_kept(trader):
    def asked_reads_the_list(*args, **kwargs) -> bool:
        with CaptureQueriesContext(connection) as queries:
            assert trader.get(*args, **kwargs).status_code == 200
        return reads_the_list(queries)

    first = trader.get(url("eligible-contracts"), {"page_size": 2}).json()
    assert asked_reads_the_list(url("eligible-contracts"), {"page_size": 2, "anything": "x"})
    assert asked_reads_the_list(url("eligible-contracts"), {"page_size": 2, "anything": "x"})
    assert asked_reads_the_list(first["next"])
    assert asked_reads_the_list(first["next"])
    # The page size and format are part of a kept page's key: these two are one page, kept.
    assert asked_reads_the_list(url("eligible-contracts"), {"page_size": 3, "format": "json"})
    assert not asked_reads_the_list(url("eligible-contracts"), {"page_size": 3, "format": "json"})


def test_no_page_is_kept_when_the_setting_says_none(trader, settings):
    settings.CACHES = {
        **settings.CACHES,
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "none",
            "TIMEOUT": 0,
        },
    }
    trader.get(url("eligible-contracts"))
    with CaptureQueriesContext(connection) as again:
        assert trader.get(url("eligible-contracts")).json()["results"] == EXPECTED

    assert reads_the_list(again)


def test_a_month_past_retention_is_410_and_no_kept_page_or_etag_outlives_it(world, trader):
    first = trader.get(url("eligible-contracts"), {"page_size": 2})
    # The retention purge keeps a run's statistics first, then deletes its rows.
    MonthRun.objects.filter(month=NOV_2026).update(statistics={"kept": True})

    for response in (
        trader.get(url("eligible-contracts"), {"page_size": 2}),
        trader.get(url("eligible-contracts"), {"page_size": 2}, HTTP_IF_NONE_MATCH=first["ETag"]),
        trader.get(first.json()["next"]),
        trader.get(url("eligible-contracts"), HTTP_ACCEPT="text/csv"),
    ):
        assert response.status_code == 410
        assert response.json()["error"]["code"] == "month_purged"
        assert response.json()["error"]["details"] == {"month": "2026-11"}


def _redis_cache(location: str) -> dict[str, object]:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # this test's keys only: nothing to clear after
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (the PostgreSQL suite sets it)"
)
def test_the_rate_is_counted_in_redis_where_every_worker_sees_it(trader, settings, monkeypatch):
    from django.core.cache import caches

    from aldis.api.throttling import ApiClientRateThrottle

    settings.CACHES = {**settings.CACHES, "default": _redis_cache(os.environ["REDIS_URL"])}
    monkeypatch.setattr(ApiClientRateThrottle, "THROTTLE_RATES", {"api_client": "2/minute"})
    # Counted per minute: a fixed clock keeps the three requests in one (a minute of its own,
    # which no earlier run of this test left a count in).
    minute = 60.0 * random.randrange(10**6, 10**9)
    monkeypatch.setattr(ApiClientRateThrottle, "timer", lambda self: minute + 30)

    first = trader.get(url("eligible-contracts")).status_code
    caches.close_all()
    del caches[
        "default"
    ]  # the next request comes through a cache client of its own, as another worker's would
    later = [trader.get(url("eligible-contracts")).status_code for _ in range(2)]

    assert [first, *later] == [200, 200, 429]


def test_an_unreachable_redis_lets_requests_through(trader, settings, caplog):
    settings.CACHES = {**settings.CACHES, "default": _redis_cache("redis://127.0.0.1:1/0")}  # nothing listens

    assert trader.get(url("eligible-contracts")).status_code == 200
    assert "the rate store cannot be reached (ConnectionError)" in caplog.text


# --- ``?version=N``: an earlier done version's list ----------------------------------------------

DISABLED_AND_LARGE = [
    {"category": "disabled_child", "units": 1, "amount_eur": "20.00"},
    {"category": "large_family", "units": 1, "amount_eur": "25.00"},
]


@pytest.fixture
def rerun(world):
    world.disability((CHILD_1, "child", date(2020, 1, 1)))
    compute(NOV_2026)  # version 2: C-1 25.00 + 20.00, credited 45.00
    return world


def test_an_earlier_version_is_listed_by_number_and_pages_stay_in_it(rerun, trader):
    first = trader.get(url("eligible-contracts"), {"version": "1", "page_size": 2})

    assert first.status_code == 200, first.content
    assert first["X-Version"] == "1"
    assert first.json()["results"] == EXPECTED[:2]
    assert parse_qs(urlsplit(first.json()["next"]).query)["version"] == ["1"]
    second = trader.get(first.json()["next"]).json()
    assert second == {"next": None, "results": EXPECTED[2:]}
    in_force = trader.get(url("eligible-contracts")).json()["results"]
    assert in_force[2] == row("C-1", "", "45.00", "45.00", DISABLED_AND_LARGE, version=2)


def test_a_cursor_of_another_version_is_refused(rerun, trader):
    first = trader.get(url("eligible-contracts"), {"page_size": 2}).json()  # version 2
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]

    response = trader.get(url("eligible-contracts"), {"cursor": cursor, "version": "1"})

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_cursor",
        "message": "The cursor was issued for another version of the month.",
        "details": {"cursor": ["a cursor of version 2, not of version 1"]},
    }


def test_csv_of_an_earlier_version(rerun, trader):
    response = trader.get(url("eligible-contracts"), {"version": "1"}, HTTP_ACCEPT="text/csv")

    assert response["X-Version"] == "1"
    assert csv_rows(response)[3] == ["C-1", "", "25.00", "25.00", "large_family:1", "1"]


def test_kept_pages_of_a_version_and_of_the_version_in_force_are_never_each_others(rerun, trader):
    def asked(**query) -> tuple[list, bool]:
        with CaptureQueriesContext(connection) as queries:
            response = trader.get(url("eligible-contracts"), query)
        assert response.status_code == 200
        return response.json()["results"], reads_the_list(queries)

    in_force, read = asked()
    assert (in_force[2]["amount_eur"], read) == ("45.00", True)
    assert asked(version="1") == (EXPECTED, True)  # not version 2's kept page
    assert asked() == (in_force, False)  # kept
    assert asked(version="1") == (EXPECTED, False)  # kept, under version 1's own key
    assert asked(version="2") == (in_force, True)  # the version in force, named: a key of its own

    accepted_line(rerun.trader_a, NOV_2026, "C-1", amount="5.00")
    # The balances move in every version's list: no kept page of either is the answer.
    c1_v1, read = asked(version="1")
    assert (c1_v1[2]["balance_eur"], read) == ("20.00", True)  # 25.00 - 5.00
    assert asked()[0][2]["balance_eur"] == "40.00"  # 45.00 - 5.00


def test_versions_are_not_offered_on_the_energy_aid_lists(world, trader):
    # Ignored there like any other parameter those lists do not know.
    response = trader.get(url("eligible-objects"), {"version": "x"})

    assert response.status_code == 200
