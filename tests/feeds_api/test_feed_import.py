"""``POST /api/v1/feeds/{feed}/?as_of=``: a feed file over the API (INTERFACES §1, §3)."""

import os
from collections.abc import Callable
from datetime import date

import pytest
from django.http import HttpRequest
from rest_framework.test import APIClient

from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.identifiers import complete_org_code, complete_personal_code
from aldis.organisations.models import Organisation
from audit.models import AuditEvent
from households.models import AddressRecord, PopulationRecord
from tests.organisations.factories import OrganisationFactory
from traders.models import Contract

pytestmark = pytest.mark.django_db

AS_OF = "2026-11-01"
SUMMARY_KEYS = {"batch", "feed", "as_of", "status", "rows", "inserted", "changed", "ended", "unchanged"}
ApiAs = Callable[..., tuple[APIClient, Organisation]]


# --- helpers ---------------------------------------------------------------------------------


def received_batches():
    """Batches received from senders (not the parameters seeded by a migration)."""
    return FeedBatch.objects.exclude(actor="system:seed")


def url(feed: str, as_of: str | None = AS_OF) -> str:
    return f"/api/v1/feeds/{feed}/" + (f"?as_of={as_of}" if as_of is not None else "")


def csv_text(header: str, *rows: str) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def send(client: APIClient, feed: str, body: str | bytes, *, as_of: str | None = AS_OF, **kwargs):
    kwargs.setdefault("content_type", "text/csv")
    return client.post(url(feed, as_of), data=body, **kwargs)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def person_code(n: int) -> str:
    """A valid personal code of someone born 1 January 1990 (century digit 1)."""
    return complete_personal_code(f"010190{1000 + n}")


def org_code(n: int) -> str:
    for base in range(4100000000 + n * 10, 4100000000 + n * 10 + 10):
        code = complete_org_code(str(base))
        if code:
            return code
    raise AssertionError("no valid organisation code")


ADDRESSES_HEADER = "address_code,type,parent_code,municipality_code,full_address"
POPULATION_HEADER = (
    "personal_code,previous_code,given_name,surname,birth_date,death_date,address_code,declared_from"
)
CONTRACTS_HEADER = "contract_no,holder_code,address_code,object_code,kind,valid_from,valid_to"


@pytest.fixture
def municipality() -> Organisation:
    return OrganisationFactory.create(kind="municipality")


@pytest.fixture
def register(api_as: ApiAs) -> tuple[APIClient, Organisation]:
    # A register sends only the feeds Bureau staff listed for it.
    return api_as("register", sends_feeds=["addresses", "population", "income"])


def addresses_csv(municipality: Organisation) -> str:
    m = municipality.municipality_code
    return csv_text(
        ADDRESSES_HEADER,
        f'100000001,building,,{m},"Brīvības iela 1, Rīga"',
        f'100000002,flat,100000001,{m},"Brīvības iela 1 - 1, Rīga"',
        f'100000003,flat,100000001,{m},"Brīvības iela 1 - 2, Rīga"',
    )


def population_csv() -> str:
    return csv_text(
        POPULATION_HEADER,
        f"{person_code(1)},,Anna,Bērziņa,1990-01-01,,100000002,2020-05-01",
        f"{person_code(2)[:6]}-{person_code(2)[6:]},,Jānis,Kalniņš,1990-01-01,,100000003,2021-01-01",
    )


@pytest.fixture
def addresses(register, municipality) -> FeedBatch:
    client, _ = register
    response = send(client, "addresses", addresses_csv(municipality))
    assert response.status_code == 201, response.content
    return FeedBatch.objects.get(pk=response.json()["batch"])


def contracts_csv(*numbers: str) -> str:
    rows = [
        f"{no},{person_code(1)},100000002,,household,2024-01-01,"
        if i % 2 == 0
        else f"{no},{org_code(1)},100000001,,building,2024-01-01,2027-12-31"
        for i, no in enumerate(numbers)
    ]
    return csv_text(CONTRACTS_HEADER, *rows)


# --- happy paths -----------------------------------------------------------------------------


def test_codes_used_here_are_valid():
    from aldis.identifiers import normalise_org_code, normalise_personal_code

    assert normalise_personal_code(person_code(1)) == person_code(1)
    assert normalise_personal_code(person_code(2)) == person_code(2)
    assert normalise_org_code(org_code(1)) == org_code(1)


def test_a_register_imports_addresses_then_population(register, municipality):
    client, organisation = register

    response = send(client, "addresses", addresses_csv(municipality))
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == SUMMARY_KEYS
    assert body["feed"] == "addresses"
    assert body["as_of"] == AS_OF
    assert body["status"] == "applied"
    assert (body["rows"], body["inserted"], body["changed"], body["ended"], body["unchanged"]) == (
        3,
        3,
        0,
        0,
        0,
    )
    assert AddressRecord.objects.filter(superseded_in__isnull=True).count() == 3

    response = send(client, "population", population_csv())
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == SUMMARY_KEYS
    assert (body["feed"], body["status"], body["rows"], body["inserted"]) == ("population", "applied", 2, 2)
    people = PopulationRecord.objects.filter(superseded_in__isnull=True).select_related("person", "address")
    assert {(p.person.personal_code, p.address.code) for p in people} == {
        (person_code(1), "100000002"),
        (person_code(2), "100000003"),
    }

    batch = FeedBatch.objects.get(pk=body["batch"])
    assert batch.sender == organisation
    assert batch.as_of == date(2026, 11, 1)
    assert batch.file_name == "api-upload.csv"
    assert batch.actor.startswith("api_client:")
    event = AuditEvent.objects.get(action="feed.import", target_id=str(batch.pk))
    assert event.actor_type == "api_client"
    assert event.actor_id.startswith(organisation.code + "/")
    assert event.data["status"] == "applied"


def test_the_same_file_again_is_a_repeat(register, municipality):
    client, _ = register
    first = send(client, "addresses", addresses_csv(municipality))
    assert first.status_code == 201

    again = send(client, "addresses", addresses_csv(municipality))
    assert again.status_code == 201, again.content  # INTERFACES §3: 201 with the batch summary
    body = again.json()
    assert set(body) == SUMMARY_KEYS | {"repeat_of"}
    assert body["status"] == "repeat"
    assert body["repeat_of"] == first.json()["batch"]
    assert body["batch"] != first.json()["batch"]
    assert (body["inserted"], body["changed"], body["ended"]) == (0, 0, 0)
    assert AddressRecord.objects.count() == 3
    # Recorded and audited all the same.
    assert FeedBatch.objects.get(pk=body["batch"]).status == BatchStatus.REPEAT
    assert AuditEvent.objects.filter(action="feed.import", target_id=str(body["batch"])).exists()


def test_application_octet_stream_is_accepted(register, municipality):
    client, _ = register
    response = send(
        client, "addresses", addresses_csv(municipality).encode(), content_type="application/octet-stream"
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "applied"


def test_a_trader_posts_its_contracts(api_as, addresses):
    client, trader = api_as("trader")
    response = send(client, "contracts", contracts_csv("C-1", "C-2", "C-3"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == SUMMARY_KEYS
    assert (body["feed"], body["status"], body["rows"], body["inserted"]) == ("contracts", "applied", 3, 3)

    contracts = Contract.objects.filter(superseded_in__isnull=True)
    assert sorted(c.contract_no for c in contracts) == ["C-1", "C-2", "C-3"]
    assert {c.trader_id for c in contracts} == {trader.pk}


def test_another_trader_cannot_end_a_traders_contracts(api_as, addresses):
    client_a, trader_a = api_as("trader")
    client_b, trader_b = api_as("trader")
    assert send(client_a, "contracts", contracts_csv("C-1", "C-2")).status_code == 201

    # Trader B's empty snapshot says "B has no contracts": it must not touch A's.
    response = send(client_b, "contracts", csv_text(CONTRACTS_HEADER))
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == SUMMARY_KEYS
    assert (body["status"], body["rows"], body["inserted"], body["ended"]) == ("applied", 0, 0, 0)

    a_current = Contract.objects.filter(superseded_in__isnull=True, trader=trader_a)
    assert sorted(c.contract_no for c in a_current) == ["C-1", "C-2"]
    assert sorted(c.valid_to for c in a_current if c.valid_to) == [date(2027, 12, 31)]  # as sent
    assert not Contract.objects.filter(trader=trader_b).exists()


def test_a_trader_sending_a_same_numbered_contract_gets_its_own(api_as, addresses):
    client_a, trader_a = api_as("trader")
    client_b, trader_b = api_as("trader")
    assert send(client_a, "contracts", contracts_csv("C-1")).status_code == 201
    response = send(client_b, "contracts", contracts_csv("C-1"))
    assert response.status_code == 201, response.content
    assert response.json()["inserted"] == 1

    current = Contract.objects.filter(superseded_in__isnull=True, contract_no="C-1")
    assert sorted(c.trader_id for c in current) == sorted([trader_a.pk, trader_b.pk])


def test_a_traders_empty_snapshot_ends_its_own_contracts_only(api_as, addresses):
    client_a, trader_a = api_as("trader")
    client_b, trader_b = api_as("trader")
    assert send(client_a, "contracts", contracts_csv("C-1", "C-2")).status_code == 201
    assert send(client_b, "contracts", contracts_csv("C-1")).status_code == 201

    response = send(client_b, "contracts", csv_text(CONTRACTS_HEADER))
    assert response.status_code == 201, response.content
    assert (response.json()["rows"], response.json()["ended"]) == (0, 1)

    a_current = Contract.objects.filter(superseded_in__isnull=True, trader=trader_a)
    assert sorted(c.contract_no for c in a_current) == ["C-1", "C-2"]
    b_current = Contract.objects.get(superseded_in__isnull=True, trader=trader_b)
    assert b_current.valid_to == date(2026, 10, 31)  # ended the day before as_of


# --- refused -----------------------------------------------------------------------------------


def test_no_token_is_401(api):
    response = api.post(url("population"), data="x", content_type="text/csv")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token nosuch.secret")
    assert_error(api.post(url("population"), data="x", content_type="text/csv"), 401, "authentication_failed")


def test_a_trader_posting_population_is_403_and_nothing_is_recorded(api_as):
    client, _ = api_as("trader")
    error = assert_error(send(client, "population", population_csv()), 403, "permission_denied")
    assert "population" in error["message"]
    assert error["details"] == {}
    assert not received_batches().exists()
    assert not PopulationRecord.objects.exists()


def test_a_register_posting_contracts_is_403(register):
    client, _ = register
    error = assert_error(send(client, "contracts", contracts_csv("C-1")), 403, "permission_denied")
    assert "contracts" in error["message"]
    assert not received_batches().exists()


def test_the_organisations_feed_is_not_sent_over_the_api(register):
    client, _ = register
    body = csv_text("org_code,name,kind,municipality_code,protected_service")
    assert_error(send(client, "organisations", body), 403, "permission_denied")
    assert not received_batches().exists()


@pytest.mark.parametrize("kind", ["municipality", "portal"])
def test_a_kind_that_sends_no_feed_is_403(api_as, kind):
    client, _ = api_as(kind)
    assert_error(send(client, "population", population_csv()), 403, "permission_denied")
    assert_error(send(client, "no_such_feed", "x"), 403, "permission_denied")


def test_an_unknown_feed_is_404(api_as):
    client, _ = api_as("trader")
    error = assert_error(send(client, "no_such_feed", "x"), 404, "not_found")
    # It lists only what this caller may send (feed names are public in INTERFACES §1).
    assert error["details"] == {"your_feeds": ["contracts", "housing_costs", "sub_users"]}
    assert not received_batches().exists()


@pytest.mark.parametrize(
    ("as_of", "query"),
    [
        (None, ""),
        ("", "?as_of="),
        ("x", "?as_of=yesterday"),
        ("bad day", "?as_of=2026-02-30"),
        ("short", "?as_of=2026-1-5"),
        ("time", "?as_of=2026-11-01T00:00"),
    ],
)
def test_missing_or_bad_as_of_is_400(register, municipality, as_of, query):
    client, _ = register
    response = client.post(
        f"/api/v1/feeds/addresses/{query}", data=addresses_csv(municipality), content_type="text/csv"
    )
    error = assert_error(response, 400, "invalid")
    assert set(error["details"]) == {"as_of"}
    assert error["details"]["as_of"]
    assert not received_batches().exists()


def test_bad_rows_are_400_listing_every_one_and_nothing_is_applied(register, municipality):
    client, _ = register
    m = municipality.municipality_code
    body = csv_text(
        ADDRESSES_HEADER,
        f"100000001,building,,{m},Good street 1",  # line 2: good
        f"10000000X,building,,{m},Bad code",  # line 3: address_code
        f"100000003,castle,,{m},Bad type",  # line 4: type
        "100000004,building,,9999999,Unknown municipality",  # line 5: municipality
        f"100000001,building,,{m},Duplicate",  # line 6: duplicate key
        f"100000006,flat,,{m},Flat without a building",  # line 7: parent_code
    )
    response = send(client, "addresses", body)
    error = assert_error(response, 400, "feed_rejected")
    details = error["details"]
    assert set(details) == {"batch", "error_count", "errors"}
    assert details["error_count"] == 5
    assert "5 bad row" in error["message"]
    assert "nothing was applied" in error["message"]
    for row in details["errors"]:
        assert set(row) == {"line", "column", "value", "reason"}
        assert row["reason"]
    assert [(e["line"], e["column"]) for e in details["errors"]] == [
        (3, "address_code"),
        (4, "type"),
        (5, "municipality_code"),
        (6, "address_code"),
        (7, "parent_code"),
    ]
    assert details["errors"][0]["value"] == "10000000X"
    assert not AddressRecord.objects.exists()
    batch = FeedBatch.objects.get(pk=details["batch"])
    assert batch.status == BatchStatus.REJECTED
    assert AuditEvent.objects.filter(action="feed.import", target_id=str(batch.pk)).exists()


def test_a_wrong_header_is_rejected_with_400(register):
    client, _ = register
    error = assert_error(send(client, "addresses", "code,name\r\n1,2\r\n"), 400, "feed_rejected")
    assert all(row["line"] == 1 for row in error["details"]["errors"])


def test_an_empty_body_is_rejected_with_400(register):
    client, _ = register
    error = assert_error(send(client, "addresses", b""), 400, "feed_rejected")
    assert error["details"]["errors"][0]["line"] == 1


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data; boundary=x", "text/plain"]
)
def test_a_wrong_content_type_is_415(register, municipality, content_type):
    client, _ = register
    response = send(client, "addresses", addresses_csv(municipality), content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")
    assert_error(send(client, "addresses", b"", content_type=content_type), 415, "unsupported_media_type")
    assert not received_batches().exists()


def test_over_the_size_limit_is_413(register, municipality, settings):
    client, _ = register
    body = addresses_csv(municipality).encode()
    settings.ALDIS_FEED_MAX_BYTES = len(body) - 1
    error = assert_error(send(client, "addresses", body), 413, "payload_too_large")
    assert error["details"] == {"max_bytes": len(body) - 1}
    assert not received_batches().exists()

    settings.ALDIS_FEED_MAX_BYTES = len(body)
    assert send(client, "addresses", body).status_code == 201


def test_a_chunked_upload_without_content_length_is_411(register, municipality):
    client, _ = register
    response = send(
        client,
        "addresses",
        addresses_csv(municipality),
        CONTENT_LENGTH="",  # as a WSGI server passes a chunked request on
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert_error(response, 411, "length_required")
    assert not received_batches().exists()


def test_the_body_is_streamed_not_read_whole(register, municipality, settings, monkeypatch):
    """``request.body`` is never touched, so Django's in-memory body limit does not apply."""

    def no_body(request):
        raise AssertionError("request.body was read")

    monkeypatch.setattr(HttpRequest, "body", property(no_body))
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    client, _ = register
    response = send(client, "addresses", addresses_csv(municipality))
    assert response.status_code == 201, response.content


def test_the_view_opts_out_of_request_transactions():
    """``feed_import`` opens a durable transaction: it must not run inside ATOMIC_REQUESTS."""
    from aldis.feeds.api.views import FeedImportApi

    assert "default" in getattr(FeedImportApi.as_view(), "_non_atomic_requests", set())


def test_the_temporary_file_is_always_deleted(register, municipality, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    client, _ = register
    assert send(client, "addresses", addresses_csv(municipality)).status_code == 201
    assert send(client, "addresses", "address_code\r\nx\r\n").status_code == 400
    settings.ALDIS_FEED_MAX_BYTES = 5
    assert send(client, "addresses", addresses_csv(municipality)).status_code == 413
    assert os.listdir(tmp_path) == []


def test_a_register_whose_feeds_are_not_listed_yet_sends_any_register_feed(api_as, municipality):
    """As the organisations feed makes it: INTERFACES gives no way to name its feeds."""
    client, _ = api_as("register")

    assert send(client, "addresses", addresses_csv(municipality)).status_code == 201
    contracts = client.post("/api/v1/feeds/contracts/?as_of=2026-11-01", data=b"x", content_type="text/csv")
    assert contracts.status_code == 403  # a trader's feed all the same


def test_a_register_may_send_only_the_feeds_listed_for_it(api_as):
    client, _ = api_as("register", sends_feeds=["sanctions"])
    response = client.post("/api/v1/feeds/population/?as_of=2026-11-01", data=b"x", content_type="text/csv")
    assert response.status_code == 403
    assert "not listed as a sender of the population feed" in response.json()["error"]["message"]
