"""A month re-run after a later month was computed moves the later month's balances (DOMAIN:
Balance, Corrections): November's list, the applied check and the household page credit the
version of October in force now, not the one November read when it was computed.

Trader A's recipients as in ``tests.eligibility.api.conftest``: C-1's holder (large family,
25.00 a month) and B-100's two sub-users (needy, 20.00 each). Amounts are written by hand."""

from datetime import date
from decimal import Decimal

import pytest

from aldis.feeds.models import FeedBatch
from compensation.selectors import contract_lines_with_available, credited_corrections
from eligibility.models import ContractLine, MonthRun, RunStatus
from eligibility.services.lines import adjustment_lines_compute, contract_lines_compute
from households.selectors import person_status, recipient_balance
from tests.compensation.api.test_applied import line, post
from tests.eligibility.api.conftest import (
    NOV_2026,
    OCT_2026,
    OTHER_TENANT,
    PARENT,
    TENANT,
    compute,
    family,
    token_client,
    url,
)
from tests.eligibility.scheme_p.conftest import person, run_month_with

LIST = url("eligible-contracts")


def listed(client) -> dict[tuple[str, str], str]:
    """November's list: (contract_no, sub_user_code) -> balance_eur."""
    response = client.get(LIST)
    assert response.status_code == 200, response.content
    return {(r["contract_no"], r["sub_user_code"]): r["balance_eur"] for r in response.json()["results"]}


def parent_in_debt_in_october(registers) -> None:
    """The parent is a maintenance debtor in October 2026 only: C-1 gets nothing for October."""
    registers.debtors((PARENT, date(2026, 10, 1), date(2026, 10, 31)))


def compute_as_known_before_the_relations(month: date) -> MonthRun:
    """``compute``, as known before the relations register came: no large family (and, known
    before the statuses and contracts too, no recipient at all)."""
    before = FeedBatch.objects.filter(feed="relations").earliest("pk").pk - 1
    return run_month_with(month, contract_lines_compute, adjustment_lines_compute, known_at=before)


@pytest.fixture
def trader(registers):
    family(registers)
    return token_client(registers.trader_a)


def test_a_rerun_that_takes_october_away_lowers_novembers_balance(registers, trader):
    # (a) October 25.00, November computed on it: 50.00.
    compute(OCT_2026)
    november = compute(NOV_2026)
    assert listed(trader)[("C-1", "")] == "50.00"

    parent_in_debt_in_october(registers)
    october = compute(OCT_2026)  # version 2: C-1 is no longer entitled in October
    assert not ContractLine.objects.filter(run=october, contract_no="C-1").exists()

    # Only November's 25.00 is credited now; the stored line still says what November read.
    assert ContractLine.objects.get(run=november, contract_no="C-1").balance_eur == Decimal("50.00")
    assert listed(trader) == {
        ("B-100", OTHER_TENANT): "40.00",
        ("B-100", TENANT): "40.00",
        ("C-1", ""): "25.00",
    }

    above = post(trader, [line("C-1", "", "50.00")]).json()
    assert [(r["reason"], r["message"]) for r in above["rejected"]] == [
        ("above_balance", "The amount is above the recipient's available balance of 25.00 EUR.")
    ]
    within = post(trader, [line("C-1", "", "25.00")]).json()
    assert [(a["applied_eur"], a["balance_eur"]) for a in within["accepted"]] == [("25.00", "0.00")]
    assert listed(trader)[("C-1", "")] == "0.00"


def test_a_rerun_that_gives_october_raises_novembers_balance(registers, trader):
    # (b) October computed as known before the relations came: 0.00 for C-1; November on it: 25.00.
    october = compute_as_known_before_the_relations(OCT_2026)
    assert not ContractLine.objects.filter(run=october).exists()
    compute(NOV_2026)
    assert listed(trader)[("C-1", "")] == "25.00"

    compute(OCT_2026)  # version 2, as known now: 25.00 for October (20.00 for each sub-user)

    assert listed(trader) == {
        ("B-100", OTHER_TENANT): "40.00",
        ("B-100", TENANT): "40.00",
        ("C-1", ""): "50.00",
    }
    accepted = post(trader, [line("C-1", "", "50.00")]).json()
    assert [(a["applied_eur"], a["balance_eur"]) for a in accepted["accepted"]] == [("50.00", "0.00")]
    assert accepted["rejected"] == []


def test_a_month_computed_for_the_first_time_after_a_later_one_is_credited(registers, trader):
    # (c) November computed while October had no version at all, then October for the first time.
    november = compute(NOV_2026)
    assert november.credited_runs == {}
    assert listed(trader)[("C-1", "")] == "25.00"

    compute(OCT_2026)

    assert listed(trader) == {
        ("B-100", OTHER_TENANT): "40.00",
        ("B-100", TENANT): "40.00",
        ("C-1", ""): "50.00",
    }
    assert post(trader, [line("C-1", "", "50.00")]).json()["rejected"] == []


def test_a_late_report_for_october_is_checked_against_novembers_corrected_balance(registers, trader):
    # The applied check of an earlier month reads the later months' lists too (``_later_available``).
    compute(OCT_2026)
    compute(NOV_2026)
    assert post(trader, [line("C-1", "", "40.00")]).json()["rejected"] == []  # November: 50.00 - 40.00

    registers.disability((PARENT, "1", date(2020, 1, 1)))  # October v2: 25.00 + 20.00 (group I)
    compute(OCT_2026)

    # November's list: 25.00 + 45.00 - 40.00 = 30.00; October's own view 45.00.
    assert listed(trader)[("C-1", "")] == "30.00"
    october = url("applied", "2026-10")
    assert (
        post(trader, [line("C-1", "", "30.01")], path=october).json()["rejected"][0]["reason"]
        == "above_balance"
    )
    assert post(trader, [line("C-1", "", "30.00")], path=october).json()["rejected"] == []


def test_the_etag_of_novembers_list_changes_when_october_is_rerun(registers, trader):
    # (d)
    compute(OCT_2026)
    compute(NOV_2026)
    first = trader.get(LIST)
    etag = first["ETag"]
    assert trader.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 304

    parent_in_debt_in_october(registers)
    compute(OCT_2026)

    again = trader.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert again["ETag"] != etag
    assert again.json()["results"][2]["balance_eur"] == "25.00"

    csv_before = trader.get(LIST, {"format": "csv"})
    compute(OCT_2026)  # version 3, the same amounts: another version in force, another ETag
    csv_after = trader.get(LIST, {"format": "csv"}, HTTP_IF_NONE_MATCH=csv_before["ETag"])
    assert csv_after.status_code == 200
    assert b"C-1,,25.00,25.00," in b"".join(csv_after.streaming_content)


def test_the_household_page_shows_the_corrected_balance(registers, trader):
    compute(OCT_2026)
    november = compute(NOV_2026)
    parent_in_debt_in_october(registers)
    compute(OCT_2026)

    months = {m["month"]: m for m in person_status(person=person(PARENT), today=date(2026, 11, 20))["months"]}
    assert (months[NOV_2026]["balance_eur"], months[NOV_2026]["balance_kind"]) == (
        Decimal("25.00"),
        "available",
    )
    assert months[OCT_2026]["balance_eur"] is None  # October v2 has no line for C-1
    assert recipient_balance(
        run=november, trader_id=registers.trader_a.pk, contract_no="C-1", sub_user_id=None
    ) == (Decimal("25.00"), "available")


def test_a_run_computed_before_credited_runs_existed_gets_no_correction(registers, trader):
    compute(OCT_2026)
    november = compute(NOV_2026)
    MonthRun.objects.filter(pk=november.pk).update(credited_runs=None)
    parent_in_debt_in_october(registers)
    compute(OCT_2026)

    assert listed(trader)[("C-1", "")] == "50.00"  # as before this rule: what November read


def test_no_correction_subquery_when_no_earlier_month_changed(registers, trader):
    # (f) The common case costs the list nothing: the query is what it was.
    october = compute(OCT_2026)
    november = compute(NOV_2026)
    assert november.credited_runs == {"2026-10": october.pk}
    trader_id = registers.trader_a.pk

    unchanged = contract_lines_with_available(run=november, trader_id=trader_id)
    assert credited_corrections(run=november) == ([], [])
    assert set(unchanged.query.annotations) == {"applied_eur", "available_eur"}
    assert str(unchanged.query).count('FROM "eligibility_contractline"') == 1

    parent_in_debt_in_october(registers)
    rerun = compute(OCT_2026)

    corrected = contract_lines_with_available(run=november, trader_id=trader_id)
    assert credited_corrections(run=november) == ([rerun.pk], [october.pk])
    assert set(corrected.query.annotations) == {"applied_eur", "correction_eur", "available_eur"}
    # As the list reads it (only the columns it writes): the correction's two sub-queries on
    # contract lines (the holder's and a sub-user's, of which each row runs one).
    columns = ("contract_no", "sub_user_code", "available_eur")
    assert str(unchanged.values(*columns).query).count('FROM "eligibility_contractline"') == 1
    assert str(corrected.values(*columns).query).count('FROM "eligibility_contractline"') == 3
    assert {
        (row.contract_no, row.sub_user_code): (row.correction_eur, row.available_eur) for row in corrected
    } == {
        ("B-100", OTHER_TENANT): (Decimal("0.00"), Decimal("40.00")),
        ("B-100", TENANT): (Decimal("0.00"), Decimal("40.00")),
        ("C-1", ""): (Decimal("-25.00"), Decimal("25.00")),
    }


def test_a_january_run_reads_no_earlier_month(registers, django_assert_num_queries):
    family(registers)
    january = MonthRun(month=date(2027, 1, 1), version=1, status=RunStatus.DONE, credited_runs={})
    with django_assert_num_queries(0):
        assert credited_corrections(run=january) == ([], [])


# --- The correction's recipient: trader, contract and sub-user, a NULL sub-user only NULL ----------


def _run(month: date, version: int = 1, credited: dict[str, int] | None = None) -> MonthRun:
    return MonthRun.objects.create(
        month=month,
        version=version,
        status=RunStatus.DONE,
        knowledge_batch=0,
        requested_by="test",
        credited_runs=credited,
    )


def _line(run: MonthRun, trader: int, contract_no: str, sub_user: int | None, amount: str) -> None:
    ContractLine.objects.create(
        run=run,
        trader_id=trader,
        contract_no=contract_no,
        sub_user_id=sub_user,
        sub_user_code=f"{sub_user:011d}" if sub_user else "",
        address_id=1,
        amount_eur=Decimal(amount),
        balance_eur=Decimal(amount),
    )


@pytest.mark.django_db
def test_the_correction_matches_the_recipient_exactly():
    # Hand-made lines (no registers): trader 1's contract K-1 has a holder line and two sub-users
    # (persons 7 and 8); trader 2 has a K-1 of its own.
    september = _run(date(2026, 9, 1))
    october_read = _run(OCT_2026)
    november = _run(NOV_2026, credited={"2026-09": september.pk, "2026-10": october_read.pk})
    october_now = _run(OCT_2026, version=2)
    for run in (september, october_read):
        _line(run, 1, "K-1", None, "10.00")
        _line(run, 1, "K-1", 7, "20.00")
        _line(run, 1, "K-1", 8, "5.00")
        _line(run, 2, "K-1", None, "40.00")
    _line(october_now, 1, "K-1", None, "13.00")  # +3.00
    _line(october_now, 1, "K-1", 7, "15.00")  # -5.00; person 8 is gone: -5.00
    _line(october_now, 1, "K-1", 9, "1.00")  # new: no line in November, nothing to show
    _line(october_now, 2, "K-1", None, "41.00")  # another trader's: +1.00 there only
    for trader, sub_user in ((1, None), (1, 7), (1, 8), (2, None)):
        _line(november, trader, "K-1", sub_user, "100.00")  # the stored balances: 100.00

    rows = {
        (trader, row.sub_user_id): (row.correction_eur, row.available_eur)
        for trader in (1, 2)
        for row in contract_lines_with_available(run=november, trader_id=trader)
    }

    assert rows == {
        (1, None): (Decimal("3.00"), Decimal("103.00")),
        (1, 7): (Decimal("-5.00"), Decimal("95.00")),
        (1, 8): (Decimal("-5.00"), Decimal("95.00")),
        (2, None): (Decimal("1.00"), Decimal("101.00")),
    }
