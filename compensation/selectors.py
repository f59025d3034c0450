"""Reads of what the parties reported: applied discounts (Scheme P) and energy-aid claims (Scheme E).

**Available balance** (DOMAIN "Balance"; the rule of this system, version 1). A recipient is
(trader, contract_no, sub-user); the holder's own household has no sub-user. For month M of year
Y, a recipient's *available* balance in the list of a run R of M is::

    available = ContractLine.balance_eur (R's line: what was credited in Y up to and including
                M, as of R's start: R's amount plus the recipient's amounts in the runs of
                R.credited_runs, the version of each earlier month of Y in force then)
              + correction (for each earlier month K of Y whose version in force now is not the
                one R read, re-run or computed for the first time since: the recipient's amount
                in K's run in force now less its amount in the run R read, 0 where there is none)
              - Σ applied_eur of the recipient's ACCEPTED AppliedLines for the months January..M of Y

so ``balance_eur + correction`` is what is credited now: the version in force of every earlier
month, and R's own amount. Applied lines of later months do not count (M's list is M's view);
the balance lapses on 31 December, so nothing of year Y-1 counts. An applied line is the
recipient's when it has the same trader and contract number and either the same sub-user code
(``""`` for the holder) or, for a sub-user, the same person (the code may have changed since).
``available`` may be negative when a re-run lowered what was credited below what had already been
applied: the recovery items' business; the applied check then refuses any further amount but zero.
A run computed before ``credited_runs`` existed (NULL) gets no correction.

Both are correlated sub-queries inside the list's own query (no per-row query). The applied one
matches the month with ``IN`` (January..M), so each row is a few seeks on the unique index of
accepted lines (trader, month, contract_no, sub_user_code). The correction is there only when a
month differs (the common case, nothing re-run since, adds nothing to the query): one signed sum
over the contract lines of the runs that differ, run ``IN`` (a few ids), with the recipient as
``balance_eur`` keys it (trader, contract_no, sub-user, a NULL sub-user matching only NULL): a
seek per run on the lines' partial unique indexes (run, trader, contract_no[, sub_user]).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Case, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from compensation.models import AppliedLine, ClaimLine, Submission
from eligibility.models import ContractLine, MonthRun
from eligibility.selectors import credited_runs_in_force

MONEY: "DecimalField[Decimal, Decimal]" = DecimalField(max_digits=12, decimal_places=2)


def months_of_year_to(month: date) -> list[date]:
    """January .. ``month`` of its year, each as its first day."""
    return [date(month.year, m, 1) for m in range(1, month.month + 1)]


def applied_in_year_expression(*, month: date) -> Coalesce:
    """Σ accepted applied EUR of the outer ``ContractLine``'s recipient for January..``month``."""
    applied = (
        AppliedLine.objects.filter(
            Q(sub_user_code=OuterRef("sub_user_code")) | Q(sub_user_id=OuterRef("sub_user_id")),
            trader_id=OuterRef("trader_id"),
            month__in=months_of_year_to(month),
            accepted=True,
            contract_no=OuterRef("contract_no"),
        )
        .order_by()
        .values("trader_id")
        .annotate(total=Sum("applied_eur"))
        .values("total")
    )
    return Coalesce(Subquery(applied, output_field=MONEY), Value(Decimal("0.00")), output_field=MONEY)


def credited_corrections(
    *, run: MonthRun, in_force: dict[str, int] | None = None
) -> tuple[list[int], list[int]]:
    """The earlier months of the year whose version in force differs from the one ``run``'s
    balances read: ``(runs in force now, runs read)`` of those months (either may lack a month:
    one computed for the first time since, or one that has no done version any more). Both empty
    when nothing differs or ``run`` has no ``credited_runs`` (computed before it existed).

    ``in_force``: ``credited_runs_in_force(month=run.month)`` when the caller has read it already
    (the list reads it once for its ETag); otherwise read here, one small query (none in January).
    """
    read: dict[str, int] | None = run.credited_runs
    if read is None:
        return [], []
    now = credited_runs_in_force(month=run.month) if in_force is None else in_force
    months = sorted(month for month in set(read) | set(now) if read.get(month) != now.get(month))
    return (
        [now[month] for month in months if month in now],
        [int(read[month]) for month in months if month in read],
    )


def credited_correction_expression(*, now_runs: list[int], read_runs: list[int]) -> Coalesce:
    """The outer ``ContractLine``'s recipient's Σ amount in ``now_runs`` less Σ amount in
    ``read_runs`` (0.00 without lines): a signed sum over both lists in one ``run IN``, which are
    disjoint (a run is of one month, and each month's two runs differ).

    The recipient as ``balance_eur`` keys it (trader, contract_no, sub-user; the holder's line,
    without a sub-user, matches only the holder's lines). A ``CASE`` on the outer line picks one
    of two sub-queries, and only that one runs: each an index seek per run, the holder's on the
    partial unique index of holders, a sub-user's on that of sub-users, however many sub-users
    a building contract has."""
    signed = Case(
        When(run_id__in=now_runs, then=F("amount_eur")),
        default=Value(Decimal("0.00")) - F("amount_eur"),
        output_field=MONEY,
    )

    def total(recipient: Q) -> Subquery:
        lines = (
            ContractLine.objects.filter(
                recipient,
                run_id__in=[*now_runs, *read_runs],
                trader_id=OuterRef("trader_id"),
                contract_no=OuterRef("contract_no"),
            )
            .order_by()
            .values("trader_id")
            .annotate(total=Sum(signed))
            .values("total")
        )
        return Subquery(lines, output_field=MONEY)

    either = Case(
        When(sub_user_id__isnull=True, then=total(Q(sub_user_id__isnull=True))),
        default=total(Q(sub_user_id=OuterRef("sub_user_id"))),
        output_field=MONEY,
    )
    return Coalesce(either, Value(Decimal("0.00")), output_field=MONEY)


def contract_lines_with_available(
    *, run: MonthRun, trader_id: int, in_force: dict[str, int] | None = None
) -> QuerySet[ContractLine]:
    """The trader's contract lines of ``run``, each annotated ``applied_eur`` (accepted in the
    year up to the run's month) and ``available_eur`` (see the module docstring); and, only when
    an earlier month's version in force differs from the one the run read, ``correction_eur``.
    ``in_force``: as ``credited_corrections``."""
    lines = ContractLine.objects.filter(run=run, trader_id=trader_id).annotate(
        applied_eur=applied_in_year_expression(month=run.month)
    )
    now_runs, read_runs = credited_corrections(run=run, in_force=in_force)
    if not now_runs and not read_runs:
        return lines.annotate(available_eur=F("balance_eur") - F("applied_eur"))
    return lines.annotate(
        correction_eur=credited_correction_expression(now_runs=now_runs, read_runs=read_runs)
    ).annotate(available_eur=F("balance_eur") + F("correction_eur") - F("applied_eur"))


def latest_accepted_applied_id(*, trader_id: int, month: date) -> int:
    """The newest accepted applied line of the trader for January..``month`` (0 if none): what
    changes a list's available balances, so it goes into the list's ETag."""
    # This runs on every list request, through a plain cursor (the ORM would take three times as
    # long to compose the statement as the database takes to answer it). On PostgreSQL, the newest
    # line of each month is one descent of the index ``appliedline_accepted_newest``; a maximum
    # over the year's range would be planned as a backward walk of every trader's newest lines,
    # or a read of every line of this trader's year.
    months = months_of_year_to(month)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT MAX(x.newest) FROM unnest(%s::date[]) AS m(month) CROSS JOIN LATERAL ("
                "SELECT MAX(a.id) AS newest FROM compensation_appliedline a "
                "WHERE a.trader_id = %s AND a.month = m.month AND a.accepted) AS x",
                [months, trader_id],
            )
        else:
            cursor.execute(
                "SELECT MAX(id) FROM compensation_appliedline "
                "WHERE trader_id = %s AND month >= %s AND month <= %s AND accepted",
                [trader_id, months[0], months[-1]],
            )
        (newest,) = cursor.fetchone()
    return int(newest or 0)


def accepted_applied_recipients(
    *, trader_id: int, month: date, contract_nos: Iterable[str]
) -> set[tuple[str, str | int]]:
    """Recipients of the given contracts that already have an accepted line for ``month``: each
    as ``(contract_no, sub_user_code)`` and, for sub-users, ``(contract_no, person id)`` too."""
    found: set[tuple[str, str | int]] = set()
    for chunk in _chunks(sorted(set(contract_nos))):
        rows = AppliedLine.objects.filter(
            trader_id=trader_id, month=month, accepted=True, contract_no__in=chunk
        ).values_list("contract_no", "sub_user_code", "sub_user_id")
        for contract_no, code, person in rows:
            found.add((contract_no, code))
            if person is not None:
                found.add((contract_no, person))
    return found


def accepted_claim_keys(*, organisation_id: int, month: date, resource: str) -> set[tuple[str, str]]:
    """``(object_code, address_code)`` already accepted for the party, month and resource."""
    return set(
        ClaimLine.objects.filter(
            organisation_id=organisation_id, month=month, resource=resource, accepted=True
        ).values_list("object_code", "address_code")
    )


def submission_by_key(*, organisation_id: int, kind: str, key: str) -> Submission | None:
    """The party's submission sent with Idempotency-Key ``key`` (None if none)."""
    if not key:
        return None
    return Submission.objects.filter(organisation_id=organisation_id, kind=kind, idempotency_key=key).first()


def submission_by_request(
    *, organisation_id: int, kind: str, month: date, request_hash: str
) -> Submission | None:
    """The party's earliest submission of this kind for ``month`` whose body had the SHA-256
    ``request_hash`` (None if none): the one a byte-for-byte identical request repeats."""
    if not request_hash:
        return None
    return (
        Submission.objects.filter(
            organisation_id=organisation_id, kind=kind, month=month, request_hash=request_hash
        )
        .order_by("id")
        .first()
    )


CHUNK = 500


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
