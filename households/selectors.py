"""Reads of persons, addresses and their register records (the admin's pages, and later others).

Each selector returns a queryset with what its rows show already joined (``select_related``),
ordered newest first, and never sliced: the caller caps what it shows. A personal code is only
ever matched exactly (an index lookup), never by a part of it: nobody can list the population by
a prefix. Auditing the read is the caller's job (it knows who reads, and why).
"""

from datetime import date
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from aldis.feeds.models import BatchStatus, FeedBatch
from households.models import (
    CURRENT,
    Address,
    AddressRecord,
    Benefit,
    Debtor,
    Disability,
    Education,
    Income,
    Person,
    PersonCode,
    PopulationRecord,
    Relation,
    Sanction,
    SocialStatus,
    TemporaryProtection,
)
from traders.models import Connection, Contract, SubUser

# The batches a version points at are shown by feed, date and status; their error lists (up to
# 100,000 rows each) are never needed next to a record.
_BATCHES = ("learned_in", "superseded_in")
_BATCH_ERRORS = ("learned_in__errors", "superseded_in__errors")
_NEWEST_PERIOD = (F("valid_from").desc(nulls_last=True), "-learned_in_id", "-id")
_NEWEST_MONTH = ("-month", "-learned_in_id", "-id")


def valid_on(on: date) -> Q:
    """Versions whose valid time (inclusive dates, null = open) contains ``on``."""
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=on)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )


def _versions(
    queryset: QuerySet[Any], *related: str, order: tuple[Any, ...] = _NEWEST_PERIOD
) -> QuerySet[Any]:
    return queryset.select_related(*_BATCHES, *related).defer(*_BATCH_ERRORS).order_by(*order)


def normalise_search_code(term: str) -> str | None:
    """A search term as the 11 digits a personal code is stored as, or None if it cannot be one.

    The hyphen of ``DDMMYY-NNNNN`` is optional; anything shorter, longer or not digits is no
    code at all (there is no partial match to fall back on).
    """
    text = term.strip()
    if len(text) == 12 and text[6] == "-":
        text = text[:6] + text[7:]
    return text if len(text) == 11 and text.isdigit() else None


def person_search(*, term: str) -> QuerySet[Person]:
    """The person who has (or had) exactly this personal code: at most one, usually none."""
    code = normalise_search_code(term)
    if code is None:
        return Person.objects.none()
    # PersonCode.code is unique: a subquery on its index, no join that could repeat a person.
    return Person.objects.filter(pk__in=PersonCode.objects.filter(code=code).values("person_id"))


def person_codes(*, person: Person) -> QuerySet[PersonCode]:
    """Every personal code the person has had (the current one among them)."""
    return PersonCode.objects.filter(person=person).order_by("-id")


def person_register_records(*, person: Person) -> dict[str, QuerySet[Any]]:
    """Every version of every register record about ``person``, one queryset per register.

    Keys, in the order a page shows them: ``population``, ``temporary_protection``,
    ``relations_as_carer`` (the person is the parent/guardian), ``relations_as_dependant``,
    ``disability``, ``social_status``, ``education``, ``debtors``, ``sanctions``, ``income``,
    ``benefits``, ``contracts`` (held), ``sub_users`` (their applications). Current and
    superseded versions alike, newest first, with the batches that brought and replaced them.
    """
    return {
        "population": _versions(PopulationRecord.objects.filter(person=person), "address"),
        "temporary_protection": _versions(TemporaryProtection.objects.filter(person=person), "address"),
        "relations_as_carer": _versions(Relation.objects.filter(person=person), "dependant"),
        "relations_as_dependant": _versions(Relation.objects.filter(dependant=person), "person"),
        "disability": _versions(Disability.objects.filter(person=person)),
        "social_status": _versions(SocialStatus.objects.filter(person=person)),
        "education": _versions(Education.objects.filter(person=person)),
        "debtors": _versions(Debtor.objects.filter(person=person)),
        "sanctions": _versions(Sanction.objects.filter(person=person)),
        "income": _versions(Income.objects.filter(person=person), order=_NEWEST_MONTH),
        "benefits": _versions(Benefit.objects.filter(person=person), order=_NEWEST_MONTH),
        "contracts": _versions(Contract.objects.filter(holder=person), "trader", "address"),
        "sub_users": _versions(SubUser.objects.filter(person=person), "trader", "address"),
    }


def population_reference_date() -> date:
    """The date residents are shown for by default: the newest ``as_of`` of an applied
    population batch (what ALDIS knows the register to say), or today if none was applied."""
    newest = (
        FeedBatch.objects.filter(feed="population", status=BatchStatus.APPLIED)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    return newest or timezone.localdate()


def address_records(*, address: Address) -> QuerySet[AddressRecord]:
    """Every version of the address register's entry for ``address``, newest first."""
    return _versions(AddressRecord.objects.filter(address=address), "parent")


def address_residents(*, address: Address, on: date) -> QuerySet[PopulationRecord]:
    """Persons declared at ``address`` on ``on`` (as known now) and alive that day: their current
    population versions valid on ``on``, oldest birth first."""
    return (
        PopulationRecord.objects.filter(CURRENT, valid_on(on), address=address)
        .filter(Q(death_date__isnull=True) | Q(death_date__gte=on))
        .select_related("person", *_BATCHES)
        .defer(*_BATCH_ERRORS)
        .order_by("birth_date", "person_id")
    )


def address_protected_residents(*, address: Address, on: date) -> QuerySet[TemporaryProtection]:
    """Persons with temporary protection whose indicated residence on ``on`` is ``address``."""
    return (
        TemporaryProtection.objects.filter(CURRENT, valid_on(on), address=address)
        .select_related("person", *_BATCHES)
        .defer(*_BATCH_ERRORS)
        .order_by("birth_date", "person_id")
    )


def address_children(*, address: Address) -> QuerySet[AddressRecord]:
    """The addresses (flats) whose current entry names ``address`` as their parent."""
    return (
        AddressRecord.objects.filter(CURRENT, parent=address)
        .select_related("address")
        .order_by("address__code")
    )


def address_contracts(*, address: Address) -> QuerySet[Contract]:
    """The current versions of contracts at ``address``."""
    return Contract.objects.filter(CURRENT, address=address).select_related("trader").order_by("contract_no")


def address_connections(*, address: Address) -> QuerySet[Connection]:
    """The current versions of connection objects at ``address``."""
    return (
        Connection.objects.filter(CURRENT, address=address)
        .select_related("operator", "supplier")
        .order_by("resource", "object_code")
    )
