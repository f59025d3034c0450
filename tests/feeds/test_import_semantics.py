"""What an applied feed does to the versioned records (INTERFACES §1, DOMAIN Identifiers/Time):
snapshots end what is missing, facts add or replace by key, unchanged rows get no version, the
same file again is a repeat, codes follow the person, and history is kept on both time axes."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q

from aldis.feeds import engine
from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.identifiers import complete_personal_code
from aldis.organisations.models import Organisation, OrganisationRecord
from audit.models import AuditEvent
from households.models import (
    Address,
    AddressRecord,
    Disability,
    Income,
    Person,
    PersonCode,
    PopulationRecord,
)
from tests.feeds.conftest import (
    ADDRESS_HEADER,
    ADDRESS_ROWS,
    ANNA,
    BERTS,
    BUILDING,
    CILDA,
    CONNECTIONS_HEADER,
    CONTRACTS_HEADER,
    DAVIS,
    DISABILITY_HEADER,
    DSO_ORG,
    EDGARS,
    FLAT_1,
    FLAT_2,
    HOUSE,
    INCOME_HEADER,
    MUNICIPALITY_CODE,
    MUNICIPALITY_ORG,
    ORG_HEADER,
    ORG_ROWS,
    POPULATION_HEADER,
    REGISTER_ORG,
    SUB_USERS_HEADER,
    TRADER_A_ORG,
    TRADER_B_ORG,
    current,
    eic_code,
    hyphenated,
    org_code,
    run_import,
    versions,
)
from traders.models import Contract, SubUser

pytestmark = pytest.mark.django_db

FEB_1 = date(2024, 2, 1)
MAR_1 = date(2024, 3, 1)
FEB_29 = date(2024, 2, 29)  # the day before MAR_1 (2024 is a leap year)
APR_1 = date(2024, 4, 1)
MAY_1 = date(2024, 5, 1)
JUL_1 = date(2024, 7, 1)

# Anna's old-format code (born 1980-01-01) and the 32-code she changes it to.
OLD_CODE = ANNA
NEW_CODE = complete_personal_code("3250000001")

ANNA_AT_FLAT_1 = (ANNA, "", "Anna", "Bērziņa", "1980-01-01", "", FLAT_1, "2020-01-01")
BERTS_AT_FLAT_1 = (BERTS, "", "Berts", "Bērziņš", "1975-05-15", "", FLAT_1, "2021-06-01")
CILDA_AT_HOUSE = (CILDA, "", "Cilda", "Ozola", "2018-03-15", "", HOUSE, "2019-03-15")


def valid_on(version, day: date) -> bool:
    return (version.valid_from is None or version.valid_from <= day) and (
        version.valid_to is None or day <= version.valid_to
    )


def as_known_at(model, batch: FeedBatch, **filters):
    """The versions ALDIS believed after ``batch`` (models.py: the knowledge-time view)."""
    return list(
        model._default_manager.filter(learned_in_id__lte=batch.pk, **filters)
        .filter(Q(superseded_in__isnull=True) | Q(superseded_in_id__gt=batch.pk))
        .order_by("id")
    )


def assert_no_overlap(records) -> None:
    spans = sorted((r.valid_from or date.min, r.valid_to or date.max) for r in records)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end < start, f"current versions overlap: {spans}"


def applied(batch: FeedBatch) -> FeedBatch:
    assert batch.status == BatchStatus.APPLIED, batch.errors
    return batch


def counts(batch: FeedBatch) -> tuple[int, int, int, int, int]:
    return batch.rows, batch.inserted, batch.changed, batch.ended, batch.unchanged


# --- first import, repeats, unchanged rows ----------------------------------------------------


def test_first_import_creates_one_current_version_per_row_and_counts_them(world, import_rows):
    batch = applied(
        import_rows("population", POPULATION_HEADER, [ANNA_AT_FLAT_1, BERTS_AT_FLAT_1, CILDA_AT_HOUSE])
    )
    assert counts(batch) == (3, 3, 0, 0, 0)
    assert sorted(Person.objects.values_list("personal_code", flat=True)) == sorted([ANNA, BERTS, CILDA])
    anna = PopulationRecord.objects.get(person__personal_code=ANNA)
    assert (anna.given_name, anna.surname, anna.birth_date) == ("Anna", "Bērziņa", date(1980, 1, 1))
    assert anna.address.code == FLAT_1
    assert (anna.valid_from, anna.valid_to) == (date(2020, 1, 1), None)
    assert (anna.learned_in_id, anna.superseded_in_id) == (batch.pk, None)
    assert len(current(PopulationRecord)) == 3


def test_codes_new_to_aldis_in_any_person_column_become_one_person_each(world, import_rows):
    """Persons are created for codes the file names first (the population need not come
    first), once per code across columns and rows; an organisation holding a contract is none."""
    applied(import_rows("population", POPULATION_HEADER, [ANNA_AT_FLAT_1]))
    relations = [
        (DAVIS, EDGARS, "parent", "2015-01-01", ""),
        (hyphenated(CILDA), EDGARS, "parent", "2015-01-01", ""),
        (ANNA, CILDA, "guardian", "2016-01-01", ""),
    ]
    applied(
        import_rows(
            "relations", ("person_code", "dependant_code", "relation", "valid_from", "valid_to"), relations
        )
    )
    person = dict(PersonCode.objects.values_list("code", "person_id"))
    assert sorted(person) == sorted([ANNA, CILDA, DAVIS, EDGARS])
    assert Person.objects.count() == 4
    assert sorted(
        (r.person_id, r.dependant_id, r.relation) for r in current("households.Relation")
    ) == sorted(
        [
            (person[DAVIS], person[EDGARS], "parent"),
            (person[CILDA], person[EDGARS], "parent"),
            (person[ANNA], person[CILDA], "guardian"),
        ]
    )
    contracts = [
        ("A-1", BERTS, FLAT_1, "", "household", "2020-01-01", ""),
        ("A-2", DSO_ORG, BUILDING, "", "building", "2020-01-01", ""),
        ("A-3", ANNA, FLAT_2, "", "household", "2020-01-01", ""),
    ]
    applied(import_rows("contracts", CONTRACTS_HEADER, contracts, sender=world.trader_a))
    berts = PersonCode.objects.get(code=BERTS).person_id
    assert Person.objects.count() == 5
    holders = {c.contract_no: c.holder_id for c in current(Contract)}
    assert holders == {"A-1": berts, "A-2": None, "A-3": person[ANNA]}


def test_personal_code_written_with_hyphen_is_stored_compact(world, import_rows):
    applied(import_rows("population", POPULATION_HEADER, [(hyphenated(ANNA), *ANNA_AT_FLAT_1[1:])]))
    assert Person.objects.get().personal_code == ANNA
    assert PersonCode.objects.get().code == ANNA


def test_personal_code_padded_with_spaces_and_hyphenated_is_trimmed_and_stored_compact(world, import_rows):
    batch = import_rows("population", POPULATION_HEADER, [(f" {hyphenated(ANNA)} ", *ANNA_AT_FLAT_1[1:])])
    assert batch.status == BatchStatus.APPLIED, batch.errors
    assert Person.objects.get().personal_code == ANNA


def test_byte_order_mark_is_tolerated(world, write_bytes):
    data = ("\ufeff" + ",".join(POPULATION_HEADER) + "\n" + ",".join(ANNA_AT_FLAT_1) + "\n").encode()
    batch = applied(run_import("population", write_bytes(data)))
    assert counts(batch) == (1, 1, 0, 0, 0)


def test_same_file_again_is_a_repeat_that_changes_nothing(world, write_csv):
    path = write_csv(POPULATION_HEADER, [ANNA_AT_FLAT_1, BERTS_AT_FLAT_1])
    first = applied(run_import("population", path, as_of=FEB_1))
    before = len(versions(PopulationRecord)), Person.objects.count()
    again = run_import("population", path, as_of=FEB_1)
    assert again.status == BatchStatus.REPEAT
    assert again.repeat_of_id == first.pk
    assert (again.inserted, again.changed, again.ended) == (0, 0, 0)
    assert (len(versions(PopulationRecord)), Person.objects.count()) == before
    assert all(v.learned_in_id == first.pk for v in versions(PopulationRecord))
    event = AuditEvent.objects.get(action="feed.import", target_id=str(again.pk))
    assert event.data["status"] == "repeat"


def test_same_content_with_a_later_as_of_creates_no_versions(world, write_csv):
    rows = [ANNA_AT_FLAT_1, BERTS_AT_FLAT_1, CILDA_AT_HOUSE]
    applied(run_import("population", write_csv(POPULATION_HEADER, rows), as_of=FEB_1))
    later = applied(run_import("population", write_csv(POPULATION_HEADER, rows), as_of=MAR_1))
    assert counts(later) == (3, 0, 0, 0, 3)
    assert len(versions(PopulationRecord)) == 3


def test_unchanged_money_and_booleans_are_recognised_in_their_other_written_forms(world, write_csv):
    applied(run_import("income", write_csv(INCOME_HEADER, [(ANNA, "2024-01", "15.5")]), as_of=FEB_1))
    later = applied(run_import("income", write_csv(INCOME_HEADER, [(ANNA, "2024-01", "15.50")]), as_of=MAR_1))
    assert counts(later) == (1, 0, 0, 0, 1)
    orgs_again = applied(run_import("organisations", write_csv(ORG_HEADER, ORG_ROWS), as_of=FEB_1))
    assert counts(orgs_again) == (5, 0, 0, 0, 5)
    assert len(versions(OrganisationRecord)) == 5


# --- snapshots: what is missing ends ------------------------------------------------------------

EIC_1 = eic_code("11XLATVIJA00001")
EIC_2 = eic_code("11XLATVIJA00002")
SNAPSHOT_CASES = [
    pytest.param(
        "population",
        POPULATION_HEADER,
        None,
        ANNA_AT_FLAT_1,
        BERTS_AT_FLAT_1,
        PopulationRecord,
        {"person__personal_code": BERTS},
        id="population",
    ),
    pytest.param(
        "disability",
        DISABILITY_HEADER,
        None,
        (ANNA, "2", "2020-01-01", ""),
        (BERTS, "1", "2020-01-01", ""),
        Disability,
        {"person__personal_code": BERTS},
        id="disability",
    ),
    pytest.param(
        "debtors",
        ("personal_code", "valid_from", "valid_to"),
        None,
        (ANNA, "2022-01-01", ""),
        (BERTS, "2023-01-01", ""),
        "households.Debtor",
        {"person__personal_code": BERTS},
        id="debtors",
    ),
    pytest.param(
        "relations",
        ("person_code", "dependant_code", "relation", "valid_from", "valid_to"),
        None,
        (ANNA, DAVIS, "parent", "2010-01-01", ""),
        (ANNA, EDGARS, "guardian", "2019-01-01", ""),
        "households.Relation",
        {"dependant__personal_code": EDGARS},
        id="relations",
    ),
    pytest.param(
        "addresses",
        ADDRESS_HEADER,
        None,
        ADDRESS_ROWS[:3],
        ADDRESS_ROWS[3],
        AddressRecord,
        {"address__code": HOUSE},
        id="addresses",
    ),
    pytest.param(
        "contracts",
        CONTRACTS_HEADER,
        "trader_a",
        ("A-1", ANNA, FLAT_1, "", "household", "2020-01-01", ""),
        ("A-2", BERTS, FLAT_2, "", "household", "2021-01-01", ""),
        Contract,
        {"contract_no": "A-2"},
        id="contracts",
    ),
    pytest.param(
        "connections",
        CONNECTIONS_HEADER,
        "dso",
        (EIC_1, "electricity", FLAT_1, TRADER_A_ORG, "2020-01-01", ""),
        (EIC_2, "electricity", FLAT_2, TRADER_B_ORG, "2020-01-01", ""),
        "traders.Connection",
        {"object_code": EIC_2},
        id="connections",
    ),
]


@pytest.mark.parametrize(
    ("feed", "header", "sender", "kept", "dropped", "model", "dropped_key"), SNAPSHOT_CASES
)
def test_snapshot_record_missing_from_the_next_file_ends_the_day_before_as_of(
    world, import_rows, feed, header, sender, kept, dropped, model, dropped_key
):
    party = getattr(world, sender) if sender else None
    kept_rows = kept if isinstance(kept, list) else [kept]
    first = applied(import_rows(feed, header, [*kept_rows, dropped], as_of=FEB_1, sender=party))
    second = applied(import_rows(feed, header, kept_rows, as_of=MAR_1, sender=party))
    assert second.ended == 1
    assert (second.inserted, second.changed) == (0, 0)
    old, ended = versions(model, **dropped_key)
    assert old.superseded_in_id == second.pk
    assert (ended.learned_in_id, ended.superseded_in_id) == (second.pk, None)
    assert ended.valid_from == old.valid_from
    assert ended.valid_to == FEB_29
    assert valid_on(ended, FEB_29)
    assert not valid_on(ended, MAR_1)
    # What the file still has is untouched.
    kept_now = [v for v in current(model) if v.pk not in (old.pk, ended.pk)]
    assert len(kept_now) == len(kept_rows)
    assert all(v.learned_in_id in (first.pk, world.addresses_batch.pk) for v in kept_now)


def test_snapshot_record_starting_after_as_of_that_goes_missing_is_withdrawn_without_an_ended_copy(
    world, import_rows
):
    import_rows(
        "disability", DISABILITY_HEADER, [(ANNA, "2", "2020-01-01", ""), (BERTS, "1", "2024-06-01", "")]
    )
    second = applied(
        import_rows("disability", DISABILITY_HEADER, [(ANNA, "2", "2020-01-01", "")], as_of=MAR_1)
    )
    (only,) = versions(Disability, person__personal_code=BERTS)
    assert only.superseded_in_id == second.pk
    assert current(Disability, person__personal_code=BERTS) == []
    assert len(current(Disability, person__personal_code=ANNA)) == 1


def test_snapshot_record_that_had_already_ended_before_as_of_stays_as_it_was(world, import_rows):
    first = applied(
        import_rows(
            "disability",
            DISABILITY_HEADER,
            [(ANNA, "2", "2020-01-01", ""), (BERTS, "1", "2020-01-01", "2023-12-31")],
        )
    )
    second = applied(
        import_rows("disability", DISABILITY_HEADER, [(ANNA, "2", "2020-01-01", "")], as_of=MAR_1)
    )
    assert second.ended == 0
    (berts,) = versions(Disability, person__personal_code=BERTS)
    assert (berts.learned_in_id, berts.superseded_in_id, berts.valid_to) == (
        first.pk,
        None,
        date(2023, 12, 31),
    )


def test_changed_attribute_gives_a_new_version_and_supersedes_the_old(world, import_rows):
    first = applied(
        import_rows("disability", DISABILITY_HEADER, [(ANNA, "2", "2020-01-01", "")], as_of=FEB_1)
    )
    second = applied(
        import_rows("disability", DISABILITY_HEADER, [(ANNA, "2", "2020-01-01", "2024-12-31")], as_of=MAR_1)
    )
    assert counts(second) == (1, 0, 1, 0, 0)
    old, new = versions(Disability)
    assert (old.learned_in_id, old.superseded_in_id, old.valid_to) == (first.pk, second.pk, None)
    assert (new.learned_in_id, new.superseded_in_id, new.valid_to) == (second.pk, None, date(2024, 12, 31))
    assert new.person_id == old.person_id
    assert (new.group, new.valid_from) == ("2", date(2020, 1, 1))


def test_as_known_at_an_earlier_batch_still_shows_the_old_version(world, import_rows):
    first = applied(
        import_rows("disability", DISABILITY_HEADER, [(ANNA, "2", "2020-01-01", "")], as_of=FEB_1)
    )
    second = applied(
        import_rows("disability", DISABILITY_HEADER, [(ANNA, "2", "2020-01-01", "2024-12-31")], as_of=MAR_1)
    )
    (then,) = as_known_at(Disability, first)
    (now,) = as_known_at(Disability, second)
    assert then.valid_to is None
    assert now.valid_to == date(2024, 12, 31)
    assert then.pk != now.pk
    assert current(Disability) == [now]
    assert as_known_at(Disability, world.addresses_batch) == []  # before Anna's record was learned


# --- facts ---------------------------------------------------------------------------------------


def test_fact_feed_adds_and_replaces_by_key_and_never_ends_missing_keys(world, import_rows):
    first = applied(
        import_rows(
            "income", INCOME_HEADER, [(ANNA, "2024-01", "100.00"), (BERTS, "2024-01", "200.00")], as_of=FEB_1
        )
    )
    second = applied(
        import_rows(
            "income", INCOME_HEADER, [(ANNA, "2024-01", "150.00"), (ANNA, "2024-02", "120.00")], as_of=MAR_1
        )
    )
    assert counts(second) == (2, 1, 1, 0, 0)
    now = {(i.person.personal_code, i.month): i.amount_eur for i in current(Income)}
    assert now == {
        (ANNA, date(2024, 1, 1)): Decimal("150.00"),
        (ANNA, date(2024, 2, 1)): Decimal("120.00"),
        (BERTS, date(2024, 1, 1)): Decimal("200.00"),
    }
    (replaced,) = [i for i in versions(Income) if i.superseded_in_id is not None]
    assert (replaced.amount_eur, replaced.learned_in_id, replaced.superseded_in_id) == (
        Decimal("100.00"),
        first.pk,
        second.pk,
    )


def test_housing_costs_are_kept_per_sender_and_replaced_only_by_the_same_sender(world, import_rows):
    header = ("address_code", "month", "amount_eur")
    from households.models import HousingCost

    applied(import_rows("housing_costs", header, [(FLAT_1, "2024-01", "60.00")], sender=world.trader_a))
    applied(import_rows("housing_costs", header, [(FLAT_1, "2024-01", "25.50")], sender=world.dso))
    applied(import_rows("housing_costs", header, [(FLAT_1, "2024-01", "10.00")]))  # an operator's
    again = applied(
        import_rows("housing_costs", header, [(FLAT_1, "2024-01", "65.00")], sender=world.trader_a)
    )
    assert counts(again) == (1, 0, 1, 0, 0)
    now = {h.sender_id: h.amount_eur for h in current(HousingCost)}
    assert now == {
        world.trader_a.pk: Decimal("65.00"),
        world.dso.pk: Decimal("25.50"),
        None: Decimal("10.00"),
    }
    # The operator's file once more: unchanged, not a second current row.
    same = applied(import_rows("housing_costs", header, [(FLAT_1, "2024-01", "10.00")], as_of=MAR_1))
    assert counts(same) == (1, 0, 0, 0, 1)
    assert len(current(HousingCost)) == 3


# --- per-party snapshots -----------------------------------------------------------------------

A_CONTRACTS = [
    ("A-1", ANNA, FLAT_1, "", "household", "2020-01-01", ""),
    ("A-2", BERTS, FLAT_2, "", "household", "2021-01-01", ""),
]
B_CONTRACTS = [
    ("A-1", CILDA, HOUSE, "", "household", "2019-01-01", ""),  # the same number at another trader
    ("B-7", DSO_ORG, BUILDING, "", "building", "2018-01-01", ""),
]


def test_per_party_snapshot_is_scoped_to_its_sender(world, import_rows):
    applied(import_rows("contracts", CONTRACTS_HEADER, A_CONTRACTS, as_of=FEB_1, sender=world.trader_a))
    b_first = applied(
        import_rows("contracts", CONTRACTS_HEADER, B_CONTRACTS, as_of=FEB_1, sender=world.trader_b)
    )
    again = applied(
        import_rows("contracts", CONTRACTS_HEADER, A_CONTRACTS, as_of=MAR_1, sender=world.trader_a)
    )
    assert counts(again) == (2, 0, 0, 0, 2)
    b_now = current(Contract, trader=world.trader_b)
    assert sorted(c.contract_no for c in b_now) == ["A-1", "B-7"]
    assert all(c.learned_in_id == b_first.pk and c.valid_to is None for c in b_now)
    a_1 = {c.trader_id: c for c in current(Contract, contract_no="A-1")}
    assert a_1[world.trader_a.pk].holder.personal_code == ANNA
    assert a_1[world.trader_b.pk].holder.personal_code == CILDA
    (building,) = current(Contract, contract_no="B-7")
    assert (building.holder_code, building.holder_id) == (DSO_ORG, None)  # an organisation holds it


def test_per_party_snapshot_ends_the_senders_missing_contract_but_not_another_traders(world, import_rows):
    applied(import_rows("contracts", CONTRACTS_HEADER, A_CONTRACTS, as_of=FEB_1, sender=world.trader_a))
    applied(import_rows("contracts", CONTRACTS_HEADER, B_CONTRACTS, as_of=FEB_1, sender=world.trader_b))
    second = applied(
        import_rows("contracts", CONTRACTS_HEADER, A_CONTRACTS[:1], as_of=MAR_1, sender=world.trader_a)
    )
    assert second.ended == 1
    (a_2,) = current(Contract, trader=world.trader_a, contract_no="A-2")
    assert a_2.valid_to == FEB_29
    assert all(c.valid_to is None for c in current(Contract, trader=world.trader_b))
    assert len(current(Contract, trader=world.trader_b)) == 2


def test_sub_user_of_the_senders_own_contract_is_accepted(world, import_rows):
    contracts = [("A-9", DSO_ORG, BUILDING, "", "building", "2020-01-01", "")]
    applied(import_rows("contracts", CONTRACTS_HEADER, contracts, sender=world.trader_a))
    batch = applied(
        import_rows(
            "sub_users", SUB_USERS_HEADER, [(ANNA, "A-9", FLAT_1, "2023-06-01", "")], sender=world.trader_a
        )
    )
    assert counts(batch) == (1, 1, 0, 0, 0)
    (sub_user,) = current(SubUser)
    assert (sub_user.trader_id, sub_user.contract_no, sub_user.person.personal_code) == (
        world.trader_a.pk,
        "A-9",
        ANNA,
    )
    assert (sub_user.valid_from, sub_user.valid_to) == (date(2023, 6, 1), None)


def test_sub_user_of_another_traders_contract_is_rejected(world, import_rows):
    applied(import_rows("contracts", CONTRACTS_HEADER, B_CONTRACTS, sender=world.trader_b))
    batch = import_rows(
        "sub_users", SUB_USERS_HEADER, [(ANNA, "B-7", FLAT_1, "2023-06-01", "")], sender=world.trader_a
    )
    assert batch.status == BatchStatus.REJECTED
    assert [(e["line"], e["column"], e["value"]) for e in batch.errors] == [(2, "contract_no", "B-7")]
    assert current(SubUser) == []


# --- population: residence history ----------------------------------------------------------------


def test_population_move_keeps_the_old_residence_as_closed_history(world, import_rows):
    first = applied(import_rows("population", POPULATION_HEADER, [ANNA_AT_FLAT_1], as_of=FEB_1))
    moved = (ANNA, "", "Anna", "Bērziņa", "1980-01-01", "", FLAT_2, "2024-03-01")
    second = applied(import_rows("population", POPULATION_HEADER, [moved], as_of=APR_1))
    assert counts(second) == (1, 0, 1, 0, 0)
    history, live = sorted(current(PopulationRecord), key=lambda r: r.valid_from)
    assert (history.address.code, history.valid_from, history.valid_to) == (FLAT_1, date(2020, 1, 1), FEB_29)
    assert (live.address.code, live.valid_from, live.valid_to) == (FLAT_2, MAR_1, None)
    assert history.learned_in_id == live.learned_in_id == second.pk
    (original,) = [v for v in versions(PopulationRecord) if v.superseded_in_id is not None]
    assert (original.learned_in_id, original.superseded_in_id, original.address.code) == (
        first.pk,
        second.pk,
        FLAT_1,
    )
    assert_no_overlap(current(PopulationRecord))
    assert [r.address.code for r in current(PopulationRecord) if valid_on(r, FEB_29)] == [FLAT_1]
    assert [r.address.code for r in current(PopulationRecord) if valid_on(r, MAR_1)] == [FLAT_2]


def test_population_second_move_adds_history_without_overlap(world, import_rows):
    applied(import_rows("population", POPULATION_HEADER, [ANNA_AT_FLAT_1], as_of=FEB_1))
    to_flat_2 = (ANNA, "", "Anna", "Bērziņa", "1980-01-01", "", FLAT_2, "2024-03-01")
    applied(import_rows("population", POPULATION_HEADER, [to_flat_2], as_of=APR_1))
    to_house = (ANNA, "", "Anna", "Bērziņa", "1980-01-01", "", HOUSE, "2024-06-01")
    applied(import_rows("population", POPULATION_HEADER, [to_house], as_of=JUL_1))
    spans = sorted((r.valid_from, r.valid_to, r.address.code) for r in current(PopulationRecord))
    assert spans == [
        (date(2020, 1, 1), FEB_29, FLAT_1),
        (MAR_1, date(2024, 5, 31), FLAT_2),
        (date(2024, 6, 1), None, HOUSE),
    ]
    assert_no_overlap(current(PopulationRecord))


def test_population_backdated_move_cuts_the_earlier_residence_instead_of_erasing_it(world, import_rows):
    applied(import_rows("population", POPULATION_HEADER, [ANNA_AT_FLAT_1], as_of=FEB_1))
    to_flat_2 = (ANNA, "", "Anna", "Bērziņa", "1980-01-01", "", FLAT_2, "2024-03-01")
    applied(import_rows("population", POPULATION_HEADER, [to_flat_2], as_of=APR_1))
    corrected = (ANNA, "", "Anna", "Bērziņa", "1980-01-01", "", HOUSE, "2023-01-01")
    applied(import_rows("population", POPULATION_HEADER, [corrected], as_of=MAY_1))
    assert_no_overlap(current(PopulationRecord))
    spans = sorted((r.valid_from, r.valid_to, r.address.code) for r in current(PopulationRecord))
    assert spans == [(date(2020, 1, 1), date(2022, 12, 31), FLAT_1), (date(2023, 1, 1), None, HOUSE)]


def test_population_person_who_disappears_and_reappears(world, import_rows):
    applied(import_rows("population", POPULATION_HEADER, [ANNA_AT_FLAT_1, BERTS_AT_FLAT_1], as_of=FEB_1))
    gone = applied(import_rows("population", POPULATION_HEADER, [ANNA_AT_FLAT_1], as_of=MAR_1))
    assert gone.ended == 1
    (ended,) = current(PopulationRecord, person__personal_code=BERTS)
    assert (ended.valid_from, ended.valid_to) == (date(2021, 6, 1), FEB_29)
    back = applied(
        import_rows("population", POPULATION_HEADER, [ANNA_AT_FLAT_1, BERTS_AT_FLAT_1], as_of=MAY_1)
    )
    assert counts(back) == (2, 1, 0, 0, 1)
    (live,) = current(PopulationRecord, person__personal_code=BERTS)
    assert (live.valid_from, live.valid_to, live.learned_in_id) == (date(2021, 6, 1), None, back.pk)
    assert Person.objects.filter(personal_code=BERTS).count() == 1
    assert len(versions(PopulationRecord, person__personal_code=BERTS)) == 3
    assert_no_overlap(current(PopulationRecord, person__personal_code=BERTS))
    # As known while he was missing, he had left on 2024-02-29.
    (then,) = as_known_at(PopulationRecord, gone, person__personal_code=BERTS)
    assert then.valid_to == FEB_29


def test_population_current_versions_never_overlap_after_many_changes(world, import_rows):
    files = [
        (FEB_1, [ANNA_AT_FLAT_1, BERTS_AT_FLAT_1]),
        (MAR_1, [(ANNA, "", "Anna", "Bērziņa", "1980-01-01", "", HOUSE, "2024-02-15"), BERTS_AT_FLAT_1]),
        (APR_1, [(ANNA, "", "Anna", "Bērziņa", "1980-01-01", "", HOUSE, "2024-02-15")]),
        (MAY_1, [(ANNA, "", "Anna", "Kalniņa", "1980-01-01", "", FLAT_2, "2024-04-20"), BERTS_AT_FLAT_1]),
        (JUL_1, [(ANNA, "", "Anna", "Kalniņa", "1980-01-01", "", "", ""), BERTS_AT_FLAT_1]),
    ]
    for as_of, rows in files:
        applied(import_rows("population", POPULATION_HEADER, rows, as_of=as_of))
        in_file = {row[0] for row in rows}
        for person in Person.objects.all():
            records = current(PopulationRecord, person=person)
            assert_no_overlap(records)
            live = sum(1 for r in records if r.valid_to is None)
            assert live == (1 if person.personal_code in in_file else 0)


# --- personal code changes (previous_code) ------------------------------------------------------


def anna_renamed(address: str = FLAT_1) -> tuple[str, ...]:
    return (NEW_CODE, OLD_CODE, "Anna", "Bērziņa", "1980-01-01", "", address, "2020-01-01")


def assert_one_person_under_both_codes() -> Person:
    person = Person.objects.get()
    assert person.personal_code == NEW_CODE
    assert sorted(PersonCode.objects.filter(person=person).values_list("code", flat=True)) == sorted(
        [OLD_CODE, NEW_CODE]
    )
    return person


def test_previous_code_known_from_an_earlier_population_file_keeps_the_person(world, import_rows):
    applied(import_rows("population", POPULATION_HEADER, [ANNA_AT_FLAT_1], as_of=FEB_1))
    second = applied(import_rows("population", POPULATION_HEADER, [anna_renamed()], as_of=MAR_1))
    assert (second.inserted, second.changed, second.ended) == (0, 1, 0)
    person = assert_one_person_under_both_codes()
    (live,) = current(PopulationRecord)
    assert (live.person_id, live.previous_code, live.valid_to) == (person.pk, OLD_CODE, None)


def test_a_snapshot_naming_one_person_under_her_old_and_new_code_is_rejected_naming_the_lines(
    world, import_rows
):
    """Both codes are Anna's since the last file: two rows for one person. The file is rejected
    with the second line named (found when the writes meet the one-current-version constraint),
    not failed, and nothing changes."""
    applied(import_rows("population", POPULATION_HEADER, [anna_renamed()], as_of=FEB_1))
    before = current(PopulationRecord)
    rows = [
        (NEW_CODE, "", "Anna", "Bērziņa", "1980-01-01", "", HOUSE, "2020-01-01"),
        (OLD_CODE, "", "Anna", "Bērziņa", "1980-01-01", "", FLAT_1, "2020-01-01"),
    ]
    batch = import_rows("population", POPULATION_HEADER, rows, as_of=MAR_1)
    assert batch.status == BatchStatus.REJECTED
    assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [
        (3, "personal_code", "repeats the key (personal_code) of line 2"),
    ]
    assert current(PopulationRecord) == before


@pytest.mark.parametrize("large", [False, True], ids=["small-file", "large-file"])
def test_a_snapshot_naming_one_person_under_both_codes_is_rejected_when_one_row_is_unchanged(
    world, import_rows, monkeypatch, large
):
    """As above, but the row under her new code equals her current version: it would be left
    unwritten, so no constraint could find the repeat; it must be found before the writes (a
    small file among its persons with several codes, a large one among all its rows)."""
    if large:
        monkeypatch.setattr(engine, "LARGE_FILE_ROWS", 1)
    applied(import_rows("population", POPULATION_HEADER, [anna_renamed(), BERTS_AT_FLAT_1], as_of=FEB_1))
    unchanged = (NEW_CODE, "", *anna_renamed()[2:])
    applied(import_rows("population", POPULATION_HEADER, [unchanged, BERTS_AT_FLAT_1], as_of=FEB_29))
    before = current(PopulationRecord)
    moved = (OLD_CODE, "", "Anna", "Bērziņa", "1980-01-01", "", HOUSE, "2020-01-01")
    batch = import_rows("population", POPULATION_HEADER, [unchanged, BERTS_AT_FLAT_1, moved], as_of=MAR_1)
    assert batch.status == BatchStatus.REJECTED
    assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [
        (4, "personal_code", "repeats the key (personal_code) of line 2"),
    ]
    assert current(PopulationRecord) == before


def test_record_sent_under_old_code_before_the_change_follows_the_person(world, import_rows):
    disability = applied(import_rows("disability", DISABILITY_HEADER, [(OLD_CODE, "1", "2021-01-01", "")]))
    applied(import_rows("population", POPULATION_HEADER, [anna_renamed()], as_of=FEB_1))
    person = assert_one_person_under_both_codes()
    (record,) = current(Disability)
    assert (record.person_id, record.learned_in_id) == (person.pk, disability.pk)
    assert current(PopulationRecord)[0].person_id == person.pk


def test_record_sent_under_old_code_after_the_change_belongs_to_the_person(world, import_rows):
    applied(import_rows("population", POPULATION_HEADER, [anna_renamed()], as_of=FEB_1))
    applied(
        import_rows(
            "disability", DISABILITY_HEADER, [(hyphenated(OLD_CODE), "1", "2021-01-01", "")], as_of=FEB_1
        )
    )
    person = assert_one_person_under_both_codes()
    assert current(Disability)[0].person_id == person.pk
    # The same record sent under the new code is the same key: nothing changes.
    again = applied(
        import_rows("disability", DISABILITY_HEADER, [(NEW_CODE, "1", "2021-01-01", "")], as_of=MAR_1)
    )
    assert counts(again) == (1, 0, 0, 0, 1)


def test_two_persons_of_the_old_and_new_code_merge_onto_the_person_of_the_new_code(world, import_rows):
    applied(import_rows("disability", DISABILITY_HEADER, [(OLD_CODE, "1", "2021-01-01", "")]))
    applied(import_rows("income", INCOME_HEADER, [(NEW_CODE, "2024-01", "300.00")], as_of=FEB_1))
    old_person = Person.objects.get(personal_code=OLD_CODE)
    new_person = Person.objects.get(personal_code=NEW_CODE)
    assert old_person.pk != new_person.pk
    applied(import_rows("population", POPULATION_HEADER, [anna_renamed()], as_of=MAR_1))
    person = assert_one_person_under_both_codes()
    assert person.pk == new_person.pk
    assert not Person.objects.filter(pk=old_person.pk).exists()
    assert [d.person_id for d in versions(Disability)] == [person.pk]
    assert [i.person_id for i in versions(Income)] == [person.pk]
    assert [p.person_id for p in versions(PopulationRecord)] == [person.pk]
    for relation in Person._meta.related_objects:  # nothing points at the merged-away person
        model, field = relation.related_model, relation.field.name
        assert not model._default_manager.filter(**{f"{field}_id": old_person.pk}).exists(), model


# --- organisations ------------------------------------------------------------------------------


def test_organisations_feed_creates_the_organisations(world):
    by_code = {o.code: o for o in Organisation.objects.all()}
    assert set(by_code) == {MUNICIPALITY_ORG, REGISTER_ORG, TRADER_A_ORG, TRADER_B_ORG, DSO_ORG}
    municipality = by_code[MUNICIPALITY_ORG]
    assert (municipality.kind, municipality.municipality_code, municipality.is_active) == (
        "municipality",
        MUNICIPALITY_CODE,
        True,
    )
    assert (by_code[TRADER_A_ORG].kind, by_code[TRADER_A_ORG].protected_service) == ("trader", True)
    assert (by_code[TRADER_B_ORG].kind, by_code[TRADER_B_ORG].protected_service) == ("trader", False)
    assert (by_code[DSO_ORG].kind, by_code[DSO_ORG].municipality_code) == ("electricity_dso", None)
    records = current(OrganisationRecord)
    assert len(records) == 5
    assert all(r.learned_in_id == world.organisations_batch.pk for r in records)
    assert counts(world.organisations_batch) == (5, 5, 0, 0, 0)


def test_organisations_feed_changes_a_name_and_adds_a_new_organisation(world, import_rows):
    gas = org_code("4000000501")
    rows = [*ORG_ROWS[:3], (TRADER_B_ORG, "Trader B renamed", "trader", "", "true"), ORG_ROWS[4]]
    batch = applied(
        import_rows("organisations", ORG_HEADER, [*rows, (gas, "Gas DSO", "gas_dso", "", "")], as_of=FEB_1)
    )
    assert counts(batch) == (6, 1, 1, 0, 4)
    trader_b = Organisation.objects.get(code=TRADER_B_ORG)
    assert (trader_b.name, trader_b.protected_service) == ("Trader B renamed", True)
    assert Organisation.objects.get(code=gas).kind == "gas_dso"
    # The old name stays true until the day before the file's date; the new one holds from it.
    now = sorted(
        (r.name, r.valid_from, r.valid_to) for r in current(OrganisationRecord, organisation=trader_b)
    )
    assert now == [("Trader B", None, date(2024, 1, 31)), ("Trader B renamed", FEB_1, None)]


def test_organisation_missing_from_the_feed_becomes_inactive(world, import_rows):
    rows = [r for r in ORG_ROWS if r[0] != TRADER_B_ORG]
    batch = applied(import_rows("organisations", ORG_HEADER, rows, as_of=FEB_1))
    assert batch.ended == 1
    assert not Organisation.objects.get(code=TRADER_B_ORG).is_active
    assert Organisation.objects.filter(is_active=True).count() == 4
    (ended,) = current(OrganisationRecord, organisation__code=TRADER_B_ORG)
    assert ended.valid_to == date(2024, 1, 31)


def test_organisation_that_has_ended_may_not_send_its_feed(world, import_rows, write_csv):
    applied(
        import_rows("organisations", ORG_HEADER, [r for r in ORG_ROWS if r[0] != TRADER_B_ORG], as_of=FEB_1)
    )
    trader_b = Organisation.objects.get(code=TRADER_B_ORG)
    batches = FeedBatch.objects.count()
    with pytest.raises(ValidationError, match="has ended"):
        run_import("contracts", write_csv(CONTRACTS_HEADER, B_CONTRACTS), as_of=MAR_1, sender=trader_b)
    assert FeedBatch.objects.count() == batches
    assert current(Contract) == []


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (
            (org_code("9000000201"), "Bez koda", "municipality", "", ""),
            "municipality_code",
            "is required for a municipality",
        ),
        (
            (org_code("4000000601"), "Trader C", "trader", "0002000", ""),
            "municipality_code",
            "is only for municipalities",
        ),
        (
            (org_code("9000000301"), "Twin", "municipality", MUNICIPALITY_CODE, ""),
            "municipality_code",
            "another row has the same municipality_code",
        ),
        (
            (org_code("4000000701"), "Heat", "heat_supplier", "", "true"),
            "protected_service",
            "only traders give the protected-user service",
        ),
        (
            (org_code("4000000801"), "Odd", "bank", "", ""),
            "kind",
            "must be one of: trader, electricity_dso, gas_dso, heat_supplier, municipality, portal, register",
        ),
    ],
    ids=[
        "municipality-without-code",
        "code-for-a-trader",
        "code-twice",
        "protected-heat-supplier",
        "unknown-kind",
    ],
)
def test_organisations_feed_kind_and_municipality_rules(world, import_rows, row, column, reason):
    batch = import_rows("organisations", ORG_HEADER, [*ORG_ROWS, row], as_of=FEB_1)
    assert batch.status == BatchStatus.REJECTED
    bad_line = len(ORG_ROWS) + 2
    assert [e["reason"] for e in batch.errors if e["line"] == bad_line and e["column"] == column] == [reason]
    assert Organisation.objects.count() == 5


def test_addresses_feed_creates_addresses_with_parent_and_municipality(world):
    assert sorted(Address.objects.values_list("code", flat=True)) == sorted([BUILDING, FLAT_1, FLAT_2, HOUSE])
    flat = AddressRecord.objects.get(address__code=FLAT_1)
    assert (flat.type, flat.parent.code, flat.municipality_code) == ("flat", BUILDING, MUNICIPALITY_CODE)
    assert AddressRecord.objects.get(address__code=BUILDING).parent is None
