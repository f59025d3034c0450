"""What each trader is told for month M: contract lines with balances, and a re-run's adjustments.

DOMAIN sections "Balance" and "Corrections"; INTERFACES §3 (``eligible-contracts``,
``adjustments``). Runs inside the caller's transaction, after Scheme P has written the run's
``UnitDecision`` and ``HouseholdEntitlement`` rows; the same SQL runs on PostgreSQL and SQLite.

A **recipient** is (trader, contract_no, sub_user): the contract holder's own household has no
sub-user. Every attributed household gives one ``ContractLine``.

Choices where DOMAIN leaves a detail open (rules of this system, version 1):

* a household that chose on the web page a contract it uses as a sub-user (attribution rule 1)
  is recorded by Scheme P without a sub-user; its line takes as sub-user the household member
  with the lowest personal code who chose that contract and holds an accepted sub-user
  application for it, so that two such households of one building contract stay two recipients;
* the sub-user's code is the person's personal code when the run is computed, kept on the line;
* the earlier months a run credits are fixed once, when it starts (``MonthRun.credited_runs``:
  the version of each month of the year before M in force then), and every chunk of a shared run
  reads that map: all its balances rest on the same versions. A month re-run (or computed for
  the first time) after that is not in M's stored balances; the lists correct them when they are
  read (``compensation.selectors``), so no stored line is ever rewritten;
* a re-run is compared with the month's previous in-force version (its newest done run); a
  previous version computed before contract lines existed has none, so every recipient of the
  re-run shows as new.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from aldis.money import eur
from eligibility.models import AdjustmentLine, ContractLine, MonthRun, RunStatus
from eligibility.selectors import credited_runs_in_force
from eligibility.services.scheme_p import Chunk, RunSql, dated, known

BATCH_SIZE = 5000

Recipient = tuple[int, str, int | None]  # trader id, contract number, sub-user person id


@dataclass
class ContractLinesSummary:
    lines: int = 0


def _lived_at(alias: str, person: str) -> str:
    """``person`` lives, on R as known at the batch, at the household ``{alias}.address_id``."""
    return (
        f"(EXISTS (SELECT 1 FROM households_populationrecord pr WHERE pr.person_id = {person} "
        f"AND pr.address_id = {alias}.address_id AND {known('pr')}) "
        f"OR EXISTS (SELECT 1 FROM households_temporaryprotection tp WHERE tp.person_id = {person} "
        f"AND tp.address_id = {alias}.address_id AND {known('tp')}))"
    )


def _grouped_rows(sql: RunSql) -> list[tuple[Any, ...]]:
    """One row per (attributed household, granted category): the recipient, the household's
    amount, the category's units and amount; ordered by household."""
    d = sql.dialect
    chosen_sub_user = (
        "(SELECT ch.person_id FROM households_contractchoice ch "
        "JOIN households_person cp ON cp.id = ch.person_id "
        "JOIN traders_subuser su ON su.person_id = ch.person_id AND su.trader_id = ch.trader_id "
        f"AND su.contract_no = ch.contract_no AND {known('su')} "
        f"WHERE ch.trader_id = c.trader_id AND ch.contract_no = c.contract_no AND {dated('ch')} "
        f"AND {_lived_at('e', 'ch.person_id')} ORDER BY cp.personal_code LIMIT 1)"
    )
    recipients = (
        "SELECT e.address_id, e.amount_eur, c.trader_id, c.contract_no, "
        f"CASE WHEN e.sub_user_id IS NOT NULL THEN e.sub_user_id WHEN e.attribution_rule = 1 "
        f"THEN {chosen_sub_user} END AS sub_user_id "
        "FROM eligibility_householdentitlement e JOIN traders_contract c ON c.id = e.contract_id "
        f"WHERE e.run_id = %(run)s AND {sql.in_chunk('e.address_id')}"
    )
    return sql.rows(
        "SELECT x.address_id, x.trader_id, x.contract_no, x.sub_user_id, p.personal_code, x.amount_eur, "
        "u.category, COUNT(*), SUM(u.amount_eur) "
        f"FROM ({recipients}) x LEFT JOIN households_person p ON p.id = x.sub_user_id "
        "JOIN eligibility_unitdecision u ON u.run_id = %(run)s AND u.address_id = x.address_id "
        f"AND u.granted = {d.true} "
        "GROUP BY x.address_id, x.trader_id, x.contract_no, x.sub_user_id, p.personal_code, x.amount_eur, "
        "u.category ORDER BY x.address_id, u.category"
    )


def _amounts(run_ids: list[int]) -> dict[Recipient, Decimal]:
    """Each recipient's total amount over the lines of ``run_ids``."""
    if not run_ids:
        return {}
    rows = (
        ContractLine.objects.filter(run_id__in=run_ids)
        .order_by()
        .values("trader_id", "contract_no", "sub_user_id")
        .annotate(total=Sum("amount_eur"))
    )
    return {(r["trader_id"], r["contract_no"], r["sub_user_id"]): eur(r["total"]) for r in rows}


def credited_runs_fix(run: MonthRun) -> dict[str, int]:
    """The earlier runs ``run``'s balances credit (``MonthRun.credited_runs``, ``YYYY-MM`` to run
    id): the map stored on the run, which the start of a run stores before any chunk computes
    (``runs._start``). A run without one (computed outside ``runs``) gets the versions in force
    now, stored once: a conditional update, so that of two callers the second reads the first's
    map. In the caller's transaction."""
    credited = run.credited_runs
    if credited is None:
        MonthRun.objects.filter(pk=run.pk, credited_runs__isnull=True).update(
            credited_runs=credited_runs_in_force(month=run.month)
        )
        stored = MonthRun.objects.values_list("credited_runs", flat=True).get(pk=run.pk)
        credited = run.credited_runs = stored or {}  # stored by this call or by another one
    return {month: int(pk) for month, pk in credited.items()}


def contract_lines_compute(*, run: MonthRun, chunk: Chunk | None = None) -> ContractLinesSummary:
    """Write ``run``'s contract lines (the caller then writes the adjustments once the whole run
    is written: ``adjustment_lines_compute``).

    ``ContractLine``: one per attributed household (``HouseholdEntitlement`` with a contract; of
    ``chunk``'s households only, when given), its recipient, the household's amount and its
    granted units per category, from one grouped query. ``balance_eur`` is what had been
    credited to the recipient when the run started: the sum of its amounts in the runs of
    ``run.credited_runs`` (the in-force run of each month of the same calendar year before M, as
    it was then; ``credited_runs_fix``), plus this run's amount; January starts from zero (the
    balance lapses on 31 December). Amounts that traders report as applied are not part of this
    figure: they are recorded separately, and the available balance then becomes this credited
    sum, corrected for the earlier months whose version in force has changed since, minus what
    was applied (``compensation.selectors``).

    Runs in the caller's transaction; writes with ``bulk_create`` (no per-row queries).
    """
    sql = RunSql(run, chunk)
    credited = _amounts(list(credited_runs_fix(run).values()))

    lines: list[ContractLine] = []
    for row in _grouped_rows(sql):
        address_id, trader_id, contract_no, sub_user_id, sub_user_code, amount, category, units, total = row
        if not lines or lines[-1].address_id != address_id:
            amount = eur(amount)
            key: Recipient = (trader_id, contract_no, sub_user_id)
            lines.append(
                ContractLine(
                    run=run,
                    trader_id=trader_id,
                    contract_no=contract_no,
                    sub_user_id=sub_user_id,
                    sub_user_code=(sub_user_code or "") if sub_user_id is not None else "",
                    address_id=address_id,
                    amount_eur=amount,
                    balance_eur=credited.get(key, Decimal("0.00")) + amount,
                    categories=[],
                )
            )
        lines[-1].categories.append(
            {"category": category, "units": int(units), "amount_eur": str(eur(total))}
        )
    ContractLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)
    return ContractLinesSummary(lines=len(lines))


def adjustment_lines_compute(*, run: MonthRun) -> int:
    """Write ``run``'s adjustment lines, once all its contract lines are written; return how many.

    When an earlier done version of M exists (the version in force until this run), one signed
    line per recipient whose total amount differs between that version and this run, including
    recipients present in only one of them. Runs in the caller's transaction.
    """
    previous = (
        MonthRun.objects.filter(month=run.month, status=RunStatus.DONE, version__lt=run.version)
        .order_by("-version")
        .first()
    )
    if previous is None:
        return 0

    before = _amounts([previous.pk])
    now = _amounts([run.pk])
    codes: dict[Recipient, str] = {}
    # The code each recipient was published under: this run's, else the previous version's.
    for source in (run, previous):
        for trader_id, contract_no, sub_user_id, code in (
            ContractLine.objects.filter(run=source, sub_user__isnull=False)
            .values_list("trader_id", "contract_no", "sub_user_id", "sub_user_code")
            .iterator()
        ):
            codes.setdefault((trader_id, contract_no, sub_user_id), code)
    zero = Decimal("0.00")
    adjustments = [
        AdjustmentLine(
            run=run,
            previous_run=previous,
            trader_id=key[0],
            contract_no=key[1],
            sub_user_id=key[2],
            sub_user_code=codes.get(key, ""),
            previous_amount_eur=before.get(key, zero),
            amount_eur=now.get(key, zero),
            delta_eur=now.get(key, zero) - before.get(key, zero),
        )
        for key in sorted(set(before) | set(now), key=lambda k: (k[0], k[1], k[2] or 0))
        if now.get(key, zero) != before.get(key, zero)
    ]
    AdjustmentLine.objects.bulk_create(adjustments, batch_size=BATCH_SIZE)
    return len(adjustments)
