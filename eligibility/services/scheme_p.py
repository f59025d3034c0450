"""Scheme P, the protected-user service, for one month: set-based SQL over the whole country.

Every rule here is DOMAIN.md's, section "Scheme P"; the reference date R is the month's first
day, and every register record is read as known at the run's ``knowledge_batch`` and valid on R.
The computation builds a few temporary tables and writes the run's ``UnitDecision`` (every
candidate unit, granted or dropped, with its reason and the record it rests on) and
``HouseholdEntitlement`` rows (households with a granted unit, and the one contract their support
goes to). It runs inside the caller's transaction; the same SQL runs on PostgreSQL and SQLite.

Choices where DOMAIN leaves a detail open (rules of this system, version 1):

* alive on R: no death date, or a death date after R;
* a household member is alive on R and has a declared address valid on R (population register),
  or, failing that, a temporary-protection residence valid on R;
* a unit is granted through its qualifying persons who pass the exclusions (not a maintenance
  debtor on R, no refusal covering R); a disabled child's unit goes to the child's own household
  if a passing carer lives there, else to the passing carer with the lowest personal code;
* a group I person's unit goes to the household of their guardian (the lowest personal code
  among guardians with a household), else to their own; it is granted through the person or
  any guardian alive on R who passes (a guardian who is not alive on R is no qualifying person);
* a dropped unit records why: ``maintenance_debtor``, ``refused``, ``debtor_or_refused`` (the
  same person both), ``no_carer``, ``no_household``, or ``no_qualifying_person`` (its qualifying
  persons failed in different ways);
* attribution: rule 1 takes a chosen household contract held by a member, or the chooser's
  accepted sub-user contract; rule 2's qualifying persons are those of the household's granted
  units who are alive on R and pass, wherever they live; ties within a rule go to the earliest
  start, then the contract number compared byte by byte (whatever the database's collation),
  then the trader, then (rule 4) the sub-user with the lowest personal code.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection

from aldis.feeds.engine import Dialect
from eligibility.models import Category, MonthRun

RULE_CHOSEN, RULE_QUALIFYING_HOLDER, RULE_MEMBER_HOLDER, RULE_SUB_USER = 1, 2, 3, 4
# household_members' tables: Scheme E reads them too (``keep_members``).
MEMBER_TABLES = ("p_alive", "p_member", "p_barred")
TEMP_TABLES = (
    *MEMBER_TABLES,
    "p_links",
    "p_counted",
    "p_candidate",
    "p_group_i",
    "p_unit",
    "p_unit_reasons",
    "p_qualifying",
    "p_household",
    "p_contract",
    "p_choice",
)


@dataclass
class SchemePSummary:
    households: int = 0
    persons_without_address: int = 0
    entitled_households: int = 0
    unattributed_households: int = 0
    total_eur: Decimal = Decimal("0.00")
    units: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """One of ``count`` parts of a run that workers share: the households whose address id is
    ``index`` modulo ``count`` (a complete partition, balanced without knowing the country).
    Units that go to no household (dropped for having none) belong to chunk 0."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"chunk {self.index} of {self.count}")


def _years_before(day: date, years: int) -> date:
    # R is a month's first day, so the same day exists every year.
    return day.replace(year=day.year - years)


class RunSql:
    """Statements of one run: its parameters (run, reference date, knowledge batch, age cut-offs)
    bound to every statement; temp tables through the ``Dialect``. Shared by Scheme P, Scheme E
    and the contract lines."""

    def __init__(self, run: MonthRun, chunk: Chunk | None = None) -> None:
        self.dialect = Dialect(connection.vendor)
        self.chunk = chunk
        r = run.month
        self.params: dict[str, Any] = {
            "run": run.pk,
            "r": r,
            "k": run.knowledge_batch,
            "d18": _years_before(r, 18),
            "d24": _years_before(r, 24),
            "chunk_index": chunk.index if chunk else 0,
            "chunk_count": chunk.count if chunk else 1,
        }

    def in_chunk(self, column: str, *, unplaced: bool = False) -> str:
        """A condition: the household ``column`` (an address id) belongs to this run's chunk
        (always true for a whole run). ``unplaced``: a NULL address belongs to chunk 0."""
        if self.chunk is None:
            return "1 = 1"
        # %% is the modulo operator once the statement's parameters are bound.
        mine = f"{column} %% %(chunk_count)s = %(chunk_index)s"
        if unplaced and self.chunk.index == 0:
            return f"({column} IS NULL OR {mine})"
        return mine

    def __call__(self, sql: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return max(cursor.rowcount, 0)

    def one(self, sql: str) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return cursor.fetchone()[0]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return list(cursor.fetchall())

    def temp(self, name: str, select: str, index: tuple[str, ...] = ()) -> None:
        for statement in self.dialect.temp_table(name, select, index):
            self(statement)

    @contextmanager
    def memory(self, work_mem: str) -> Iterator[None]:
        """``work_mem`` for the statements inside (PostgreSQL; back to the default after): a hash
        aggregate over a million persons spills to disk at the default 4 MB. (A statement that
        fails aborts the transaction, and the setting goes with it.)"""
        if self.dialect.postgres:
            self(f"SET LOCAL work_mem = '{work_mem}'")
        yield
        if self.dialect.postgres:
            self("SET LOCAL work_mem TO DEFAULT")

    def evidence(self, source: str, alias: str) -> str:
        """One record as evidence: ``[{"source", "record", "valid_from", "valid_to"}]``."""
        build, array = (
            ("jsonb_build_object", "jsonb_build_array")
            if self.dialect.postgres
            else ("json_object", "json_array")
        )
        return (
            f"{array}({build}('source', '{source}', 'record', {alias}.id, "
            f"'valid_from', {alias}.valid_from, 'valid_to', {alias}.valid_to))"
        )


def known(alias: str) -> str:
    """The record as known at the run's batch and valid on the reference date."""
    return (
        f"{alias}.learned_in_id <= %(k)s AND ({alias}.superseded_in_id IS NULL OR {alias}.superseded_in_id > %(k)s) "
        f"AND ({alias}.valid_from IS NULL OR {alias}.valid_from <= %(r)s) "
        f"AND ({alias}.valid_to IS NULL OR {alias}.valid_to >= %(r)s)"
    )


def dated(alias: str) -> str:
    """A non-versioned dated row (a refusal, a choice, a staff mark) covering the reference date."""
    return f"{alias}.valid_from <= %(r)s AND ({alias}.valid_to IS NULL OR {alias}.valid_to >= %(r)s)"


def scheme_p_compute(
    *, run: MonthRun, chunk: Chunk | None = None, keep_members: bool = False
) -> SchemePSummary:
    """Compute Scheme P for ``run`` and write its decisions and entitlements.

    Reads the rates from ``run.parameters`` (the values the run recorded when it was requested).
    ``chunk``: write only the units and entitlements of that chunk's households (the inputs are
    still read for the whole country: a unit may go to a household other than its subject's);
    the summary's ``households`` and ``persons_without_address`` then count that chunk's part,
    and its table sums cover whatever of the run is written so far (``scheme_p_totals``).
    ``keep_members``: leave ``household_members``' tables for Scheme E, which runs next in the
    same transaction (they cost seconds to build for the country).
    Runs in the caller's transaction; raises on database errors (the caller marks the run failed).
    """
    sql = RunSql(run, chunk)
    rates = {category: Decimal(str(run.parameters[f"p_amount_{category}"])) for category in Category.values}
    household_members(sql)
    _counted_children(sql)
    _candidates(sql)
    _decide(sql, rates)
    _attribute(sql)
    if sql.dialect.postgres:
        # The run's rows are new in this transaction: let the planner of what reads them next
        # (Scheme E, the contract lines) know how many there are.
        sql("ANALYZE eligibility_unitdecision")
        sql("ANALYZE eligibility_householdentitlement")
    summary = _summary(sql)
    for table in TEMP_TABLES:
        if not (keep_members and table in MEMBER_TABLES):
            sql(f"DROP TABLE IF EXISTS {'pg_temp' if sql.dialect.postgres else 'temp'}.{table}")
    return summary


def household_members(sql: RunSql) -> None:
    """Who is alive on R, where they live, who is barred (debtor, refusal)."""
    # With the default 4 MB the planner groups the 1.9 million persons through the person index,
    # which costs as little as a hash only while the table happens to lie in person order (1.9 s
    # then; 5.7 s in the register's own order, by household): a hash in memory takes 2.5 s in any.
    with sql.memory("256MB"):
        sql.temp(
            "p_alive",
            "SELECT pr.person_id, MIN(pr.address_id) AS address_id, MIN(pr.birth_date) AS birth_date "
            f"FROM households_populationrecord pr WHERE {known('pr')} "
            "AND (pr.death_date IS NULL OR pr.death_date > %(r)s) GROUP BY pr.person_id",
            index=("person_id",),
        )
    # Temporary protection: a residence for those the population register does not place.
    sql(
        "INSERT INTO p_alive (person_id, address_id, birth_date) "
        "SELECT tp.person_id, MIN(tp.address_id), MIN(tp.birth_date) FROM households_temporaryprotection tp "
        f"WHERE {known('tp')} AND NOT EXISTS "
        "(SELECT 1 FROM p_alive a WHERE a.person_id = tp.person_id AND a.address_id IS NOT NULL) "
        "AND NOT EXISTS (SELECT 1 FROM households_populationrecord pr WHERE pr.person_id = tp.person_id "
        f"AND {known('pr')} AND pr.death_date IS NOT NULL AND pr.death_date <= %(r)s) "
        "GROUP BY tp.person_id"
    )
    sql(
        "DELETE FROM p_alive WHERE address_id IS NULL AND person_id IN "
        "(SELECT person_id FROM p_alive WHERE address_id IS NOT NULL)"
    )
    sql.temp(
        "p_member",
        "SELECT person_id, address_id, birth_date FROM p_alive WHERE address_id IS NOT NULL",
        index=("person_id", "address_id"),
    )
    # Only the barred: built from the two small registers, not by asking of every living person
    # whether either names them (national: 3.5 s for 1.9 million rows, most deleted again).
    sql.temp(
        "p_barred",
        "SELECT x.person_id, MAX(x.debtor) AS debtor, MAX(x.refused) AS refused FROM ("
        f"SELECT d.person_id, 1 AS debtor, 0 AS refused FROM households_debtor d WHERE {known('d')} "
        f"UNION ALL SELECT f.person_id, 0, 1 FROM households_servicerefusal f WHERE {dated('f')}"
        ") x WHERE x.person_id IN (SELECT person_id FROM p_alive) GROUP BY x.person_id",
        index=("person_id",),
    )


def _counted_children(sql: RunSql) -> None:
    """Counted children of each adult (DOMAIN: Counted child)."""
    sql.temp(
        "p_links",
        "SELECT rl.id, rl.person_id AS adult_id, rl.dependant_id AS child_id, rl.relation, "
        f"rl.valid_from, rl.valid_to FROM households_relation rl WHERE {known('rl')}",
        index=("child_id", "adult_id"),
    )
    sql.temp(
        "p_counted",
        # Any link to a child alive and under 18.
        "SELECT l.adult_id, l.child_id FROM p_links l JOIN p_alive c ON c.person_id = l.child_id "
        "WHERE c.birth_date > %(d18)s "
        # A natural or adopted child aged 18 to 23 in education on R.
        "UNION SELECT l.adult_id, l.child_id FROM p_links l JOIN p_alive c ON c.person_id = l.child_id "
        "WHERE l.relation IN ('parent', 'adoptive') AND c.birth_date <= %(d18)s AND c.birth_date > %(d24)s "
        f"AND EXISTS (SELECT 1 FROM households_education e WHERE e.person_id = c.person_id AND {known('e')}) "
        # Marked counted by Bureau staff for a period, with evidence.
        "UNION SELECT m.adult_id, m.child_id FROM households_countedchildmark m "
        f"JOIN p_alive c ON c.person_id = m.child_id WHERE {dated('m')}",
        index=("adult_id",),
    )


def _candidates(sql: RunSql) -> None:
    """Every candidate unit with its target household and its qualifying persons.

    ``p_candidate``: one row per (unit, qualifying person): category, subject (the child or the
    group I person; NULL for a household unit), the household it goes to, the qualifying person,
    and the record it rests on as evidence.
    """
    d = sql.dialect
    sql.temp(
        "p_candidate",
        # Needy or low-income: a member holds the status (once per household).
        "SELECT 'needy_low_income' AS category, CAST(NULL AS bigint) AS subject_id, m.address_id, "
        f"m.person_id AS qualifying_id, {sql.evidence('social_status', 's')} AS evidence "
        "FROM p_member m JOIN households_socialstatus s ON s.person_id = m.person_id "
        f"WHERE {known('s')}",
    )
    # Large family: a member is a parent, foster parent or guardian of 3 or more counted children.
    sql(
        "INSERT INTO p_candidate (category, subject_id, address_id, qualifying_id, evidence) "
        "SELECT 'large_family', NULL, m.address_id, m.person_id, "
        + (
            "jsonb_build_array(jsonb_build_object('source', 'counted_children', 'record', m.person_id, "
            "'children', c.n))"
            if d.postgres
            else "json_array(json_object('source', 'counted_children', 'record', m.person_id, 'children', c.n))"
        )
        + " FROM p_member m JOIN (SELECT adult_id, COUNT(DISTINCT child_id) AS n FROM p_counted "
        "GROUP BY adult_id HAVING COUNT(DISTINCT child_id) >= 3) c ON c.adult_id = m.person_id"
    )
    # A child under 18 with a disability: one unit per child, through each carer.
    sql(
        "INSERT INTO p_candidate (category, subject_id, address_id, qualifying_id, evidence) "
        "SELECT 'disabled_child', c.person_id, carer.address_id, l.adult_id, "
        f"{sql.evidence('disability', 'dis')} "
        "FROM p_alive c JOIN households_disability dis ON dis.person_id = c.person_id "
        "LEFT JOIN p_links l ON l.child_id = c.person_id "
        "LEFT JOIN p_member carer ON carer.person_id = l.adult_id "
        f"WHERE c.birth_date > %(d18)s AND {known('dis')}"
    )
    # An adult with disability group I: the unit goes to the household of their guardian (the
    # lowest personal code among guardians with a household), else to their own; it is granted
    # through the person or any guardian alive on R (a guardian who died, or whom no population or
    # temporary-protection record places among the living, is no qualifying person).
    sql.temp(
        "p_group_i",
        "SELECT a.person_id, dis.id, dis.valid_from, dis.valid_to, COALESCE(("
        "SELECT g.address_id FROM p_links l JOIN p_member g ON g.person_id = l.adult_id "
        "JOIN households_person gp ON gp.id = l.adult_id "
        "WHERE l.child_id = a.person_id AND l.relation = 'guardian' ORDER BY gp.personal_code LIMIT 1"
        "), a.address_id) AS address_id "
        "FROM p_alive a JOIN households_disability dis ON dis.person_id = a.person_id "
        f"WHERE a.birth_date <= %(d18)s AND dis.\"group\" = '1' AND {known('dis')}",
    )
    sql(
        "INSERT INTO p_candidate (category, subject_id, address_id, qualifying_id, evidence) "
        f"SELECT 'group_i_disability', gi.person_id, gi.address_id, gi.person_id, {sql.evidence('disability', 'gi')} "
        "FROM p_group_i gi UNION ALL "
        f"SELECT 'group_i_disability', gi.person_id, gi.address_id, l.adult_id, {sql.evidence('disability', 'gi')} "
        "FROM p_group_i gi JOIN p_links l ON l.child_id = gi.person_id AND l.relation = 'guardian' "
        "JOIN p_alive g ON g.person_id = l.adult_id"
    )


def _decide(sql: RunSql, rates: dict[str, Decimal]) -> None:
    """One decision per unit: granted through a passing qualifying person, or dropped and why."""
    d = sql.dialect
    # Each candidate row's standing: passes (1) or barred; and the household it would go to.
    sql.temp(
        "p_unit",
        "SELECT c.category, c.subject_id, c.address_id, c.qualifying_id, c.evidence, "
        "CASE WHEN c.qualifying_id IS NULL THEN 'no_carer' "
        "WHEN b.debtor = 1 AND b.refused = 1 THEN 'debtor_or_refused' "
        "WHEN b.debtor = 1 THEN 'maintenance_debtor' WHEN b.refused = 1 THEN 'refused' "
        "WHEN c.address_id IS NULL THEN 'no_household' ELSE 'granted' END AS standing, "
        "p.personal_code AS qualifying_code, s.address_id AS subject_address, "
        # The unit: the subject for per-person units, the household for household units.
        "COALESCE(c.subject_id, -c.address_id) AS unit_key "
        "FROM p_candidate c LEFT JOIN p_barred b ON b.person_id = c.qualifying_id "
        "LEFT JOIN households_person p ON p.id = c.qualifying_id "
        "LEFT JOIN p_alive s ON s.person_id = c.subject_id",
        index=("qualifying_id",),
    )
    # The unit's key: the household for household units, the subject for per-person units.
    # Among its rows the first passing one decides where it goes: for a disabled child a carer in
    # the child's own household first, then the lowest personal code; otherwise the lowest code.
    preference = (
        "CASE WHEN u.standing = 'granted' THEN 0 ELSE 1 END, "
        "CASE WHEN u.category = 'disabled_child' AND u.address_id = u.subject_address THEN 0 ELSE 1 END, "
        "u.qualifying_code"
    )
    sql.temp(
        "p_unit_reasons",
        "SELECT category, unit_key, COUNT(DISTINCT standing) AS kinds FROM p_unit GROUP BY category, unit_key",
    )
    amount = (
        "CASE x.category "
        + " ".join(f"WHEN '{category}' THEN {rate}" for category, rate in rates.items())
        + " END"
    )
    # A dropped unit: every qualifying person failed; name the failure if there was one kind.
    reason = (
        "CASE WHEN x.standing = 'granted' THEN 'granted' "
        "WHEN r.kinds = 1 THEN x.standing ELSE 'no_qualifying_person' END"
    )
    granted = d.boolean("x.standing = 'granted'")
    sql(
        "INSERT INTO eligibility_unitdecision (run_id, address_id, category, subject_id, granted, reason, "
        "amount_eur, evidence) "
        "SELECT %(run)s, x.address_id, x.category, x.subject_id, "
        f"{granted}, {reason}, "
        f"CASE WHEN x.standing = 'granted' THEN {amount} ELSE 0 END, x.evidence FROM ("
        "SELECT u.*, ROW_NUMBER() OVER (PARTITION BY u.category, u.unit_key ORDER BY "
        f"{preference}) AS pick FROM p_unit u) x "
        "JOIN p_unit_reasons r ON r.category = x.category AND r.unit_key = x.unit_key "
        f"WHERE x.pick = 1 AND {sql.in_chunk('x.address_id', unplaced=True)}"
    )


def _attribute(sql: RunSql) -> None:
    """Each entitled household's support goes to exactly one contract (DOMAIN: Attribution)."""
    d = sql.dialect
    sql.temp(
        "p_household",
        "SELECT u.address_id, SUM(u.amount_eur) AS amount_eur FROM eligibility_unitdecision u "
        f"WHERE u.run_id = %(run)s AND u.granted = {d.true} AND {sql.in_chunk('u.address_id')} "
        "GROUP BY u.address_id",
        index=("address_id",),
    )
    # Household electricity contracts valid on R at a trader giving the service on R.
    participating = (
        "EXISTS (SELECT 1 FROM organisations_organisationrecord o WHERE o.organisation_id = c.trader_id "
        f"AND o.protected_service = {d.true} AND {known('o')})"
    )
    # The passing qualifying persons of the units granted to each household, wherever they live:
    # every qualifying person of the unit alive on R who is neither a debtor nor refused (a
    # disabled child's parent elsewhere, or with no address, is one of the child's unit).
    sql.temp(
        "p_qualifying",
        "SELECT DISTINCT g.address_id, u.qualifying_id AS person_id FROM p_unit u "
        "JOIN eligibility_unitdecision g ON g.run_id = %(run)s AND g.category = u.category "
        f"AND COALESCE(g.subject_id, -g.address_id) = u.unit_key AND g.granted = {d.true} "
        "WHERE u.standing IN ('granted', 'no_household') "
        "AND EXISTS (SELECT 1 FROM p_alive a WHERE a.person_id = u.qualifying_id)",
        index=("address_id",),
    )
    sql.temp(
        "p_contract",
        "SELECT c.id, c.trader_id, c.contract_no, c.holder_id, c.address_id, c.kind, c.valid_from "
        f"FROM traders_contract c WHERE {known('c')} AND {participating}",
        index=("address_id", "contract_no"),
    )
    sql.temp(
        "p_choice",
        "SELECT m.address_id, c.id AS contract_id, c.valid_from, c.contract_no, c.trader_id "
        "FROM households_contractchoice ch JOIN p_member m ON m.person_id = ch.person_id "
        "JOIN p_contract c ON c.trader_id = ch.trader_id AND c.contract_no = ch.contract_no "
        f"WHERE {dated('ch')} AND ("
        # a household contract held by a member of the household, or the chooser's accepted
        # sub-user contract (a building's)
        "(c.kind = 'household' "
        "AND c.holder_id IN (SELECT mm.person_id FROM p_member mm WHERE mm.address_id = m.address_id)) "
        "OR EXISTS (SELECT 1 FROM traders_subuser su WHERE su.person_id = ch.person_id "
        f"AND su.trader_id = c.trader_id AND su.contract_no = c.contract_no AND {known('su')}))",
    )
    candidates = (
        f"SELECT ch.address_id, {RULE_CHOSEN} AS rule, ch.contract_id, CAST(NULL AS bigint) AS sub_user_id, "
        "CAST(NULL AS varchar(11)) AS sub_user_code, ch.valid_from, ch.contract_no, ch.trader_id FROM p_choice ch "
        # 2: at the address, held by a passing qualifying person of a unit granted to this household
        f"UNION ALL SELECT h.address_id, {RULE_QUALIFYING_HOLDER}, c.id, NULL, NULL, c.valid_from, c.contract_no, "
        "c.trader_id FROM p_household h JOIN p_contract c ON c.address_id = h.address_id "
        "AND c.kind = 'household' JOIN p_qualifying q ON q.address_id = h.address_id AND q.person_id = c.holder_id "
        # 3: at the address, held by any member who is not a maintenance debtor
        f"UNION ALL SELECT h.address_id, {RULE_MEMBER_HOLDER}, c.id, NULL, NULL, c.valid_from, c.contract_no, "
        "c.trader_id FROM p_household h JOIN p_contract c ON c.address_id = h.address_id "
        "AND c.kind = 'household' JOIN p_member m ON m.person_id = c.holder_id AND m.address_id = h.address_id "
        "WHERE NOT EXISTS (SELECT 1 FROM p_barred b WHERE b.person_id = m.person_id AND b.debtor = 1) "
        # 4: a member's accepted sub-user application naming a contract
        f"UNION ALL SELECT h.address_id, {RULE_SUB_USER}, c.id, su.person_id, sp.personal_code, c.valid_from, "
        "c.contract_no, c.trader_id FROM p_household h JOIN p_member m ON m.address_id = h.address_id "
        f"JOIN traders_subuser su ON su.person_id = m.person_id AND {known('su')} "
        "JOIN p_contract c ON c.trader_id = su.trader_id AND c.contract_no = su.contract_no "
        "JOIN households_person sp ON sp.id = su.person_id"
    )
    # Fewer-is-better ordering: the rule, then the earliest start, then the contract number (byte
    # by byte, whatever the database's collation), then the trader; among members who are
    # sub-users of the one contract, the lowest personal code (as the contract lines' rule 1).
    sql(
        "INSERT INTO eligibility_householdentitlement (run_id, address_id, members, amount_eur, contract_id, "
        "sub_user_id, attribution_rule, unattributed_reason) "
        "SELECT %(run)s, h.address_id, (SELECT COUNT(*) FROM p_member m WHERE m.address_id = h.address_id), "
        "h.amount_eur, best.contract_id, best.sub_user_id, best.rule, "
        "CASE WHEN best.contract_id IS NOT NULL THEN '' "
        f"WHEN EXISTS (SELECT 1 FROM traders_contract c WHERE c.address_id = h.address_id AND {known('c')} "
        f"AND NOT {participating}) THEN 'trader_not_participating' "
        "WHEN EXISTS (SELECT 1 FROM p_contract c WHERE c.address_id = h.address_id) THEN 'holder_not_eligible' "
        "ELSE 'no_contract' END "
        "FROM p_household h LEFT JOIN ("
        "SELECT * FROM (SELECT x.*, ROW_NUMBER() OVER (PARTITION BY x.address_id "
        f"ORDER BY x.rule, x.valid_from, {d.bytewise('x.contract_no')}, x.trader_id, x.sub_user_code) AS pick "
        f"FROM ({candidates}) x) y WHERE y.pick = 1) best ON best.address_id = h.address_id"
    )


def _summary(sql: RunSql) -> SchemePSummary:
    chunk = sql.chunk
    summary = scheme_p_totals(sql)
    summary.households = int(
        sql.one(f"SELECT COUNT(DISTINCT address_id) FROM p_member WHERE {sql.in_chunk('address_id')}")
    )
    summary.persons_without_address = (
        int(sql.one("SELECT COUNT(*) FROM p_alive WHERE address_id IS NULL"))
        if chunk is None or chunk.index == 0
        else 0
    )
    return summary


def scheme_p_totals(sql: RunSql) -> SchemePSummary:
    """The run's entitlements, units and amount, from its written rows (no temporary tables)."""
    d = sql.dialect
    summary = SchemePSummary(
        entitled_households=int(
            sql.one("SELECT COUNT(*) FROM eligibility_householdentitlement WHERE run_id = %(run)s")
        ),
        unattributed_households=int(
            sql.one(
                "SELECT COUNT(*) FROM eligibility_householdentitlement WHERE run_id = %(run)s "
                "AND contract_id IS NULL"
            )
        ),
        total_eur=Decimal(
            str(
                sql.one(
                    "SELECT COALESCE(SUM(amount_eur), 0) FROM eligibility_householdentitlement WHERE run_id = %(run)s"
                )
            )
        ).quantize(Decimal("0.01")),
    )
    summary.units = {
        category: int(count)
        for category, count in sql.rows(
            "SELECT category, COUNT(*) FROM eligibility_unitdecision "
            f"WHERE run_id = %(run)s AND granted = {d.true} GROUP BY category"
        )
    }
    return summary
