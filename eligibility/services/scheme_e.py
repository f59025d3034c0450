"""Scheme E, the energy-supply-cost aid, for one month: set-based SQL over the whole country.

Every rule here is DOMAIN.md's, section "Scheme E" (the 2023 Law on the State Aid for Energy
Supply Costs, Sections 3, 5 and 6). The reference date R is the month's first day; register
records are read as known at the run's ``knowledge_batch`` and valid on R (``known``), monthly
facts (income, benefits, housing costs) as known at that batch. Households are Scheme P's: the
persons alive on R with a declared address valid on R, temporary protection filling in
(``scheme_p.household_members``). The computation writes one ``EnergyAidDecision`` per household and,
for the resources switched on and counting in M, the ``EligibleObject`` rows (the DSOs', heat
suppliers' and traders' lists) and ``EligibleAddress`` rows (the local governments' lists). It
runs inside the caller's transaction; the same SQL runs on PostgreSQL and SQLite.

**Money and rounding.** Every amount is read as whole cents (``ROUND(amount * 100)``: exact,
the feeds carry at most two decimals), and sums are integer sums. The decision never divides:
with I the household's income and benefits over the 12 months in cents, n the members, H the
sum of the housing costs reported in m of those months, T the threshold and N the normative
amount in cents, and the share s = a/b as a reduced fraction (0.30 = 3/10),

* income test: income per member I / 12 / n <= T, decided as ``I <= T * 12 * n``;
* housing test: housing per member >= s * income per member, decided as
  ``H * 12 * b >= a * I * m`` when housing costs were reported (H / m / n >= s * I / 12 / n),
  and ``N * 12 * n * b >= a * I`` when none were (N >= s * I / 12 / n).

All terms are integers (numeric on PostgreSQL), so a boundary never depends on float arithmetic
(SQLite's division and its REAL column values never enter a comparison). The per-member figures
stored for display (``income_per_member_eur``, ``housing_per_member_eur``) are rounded half-up to
cents, in integers too: ``(2x + y) div 2y``. The exact sums are kept beside them.

Choices where DOMAIN leaves a detail open (rules of this system, version 1):

* the 12 months before M are the calendar months M-12 .. M-1; M itself and older months are
  not read; income with no record for a month counts as nothing for that month (a household
  with no income records at all has income 0 and passes the income test);
* housing per member averages the housing costs over the months *with a report* among those
  12: the sum of every report of the address in those months (several senders may report the
  same month; their reports add up) divided by the number of distinct months reported (a
  reported 0.00 is a report); the normative amount per member applies only when no month has
  a report;
* a household's reason is the first failed test in the order ``sanctioned_member`` (the law's
  exclusion, Section 3(3)), ``income_above_threshold``, ``housing_share_below``; the decision
  records the outcome of every test, so a household failing several sees all of them;
* a sanctions record of a member valid on R excludes the household; any member's record counts;
* decisions are written whenever the threshold, share and normative amount have a value on R,
  whatever is switched on (the household page shows them); with none of them and nothing
  switched on the month is before the scheme and nothing is written; with something switched on
  but a value missing the run fails (``parameter_missing``);
* a switch missing from the run's parameters is off; the four heating resources count only in
  October to April months;
* an object is eligible when it is a connection version known at the batch and valid on R whose
  address is an eligible household's address (the same address code: a building's object does
  not follow its flats); electricity objects are listed for ``electricity``, gas objects for
  ``gas_heating``, heat objects for ``district_heat``: the resources whose aid the energy supply
  merchants apply (the Law, Section 4(1)). Electricity for heating is the local government's
  (Section 4(2)): it is listed by address only, never as an object, so one household's heating
  electricity cannot be claimed both by its trader and by its local government;
* a local government's addresses are the eligible households' addresses whose address record,
  known at the batch and valid on R, lies in its municipality; one row per address and resource
  (``electricity_heating`` and ``decentralised_fuel``, the two it handles on submission).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from aldis.exceptions import ApplicationError
from aldis.months import add_months
from eligibility.models import ADDRESS_RESOURCES, EnergyAidReason, EnergyAidResource, MonthRun
from eligibility.services.scheme_p import Chunk, RunSql, household_members, known

HEATING_MONTHS = frozenset({10, 11, 12, 1, 2, 3, 4})
# Plain strings: an enum member hashes by its name, so it would not be found in a set of values.
HEATING_RESOURCES = frozenset({"electricity_heating", "gas_heating", "district_heat", "decentralised_fuel"})
# Which connections (traders.Connection.resource) each object resource lists.
OBJECT_SOURCES: dict[str, str] = {"electricity": "electricity", "gas_heating": "gas", "district_heat": "heat"}
DECISION_PARAMETERS = ("e_income_threshold_eur", "e_housing_share", "e_housing_normative_eur")
# scheme_p.household_members builds the p_ tables; the e_ tables are this module's.
TEMP_TABLES = (
    "p_alive",
    "p_member",
    "p_barred",
    "e_household",
    "e_money",
    "e_income",
    "e_housing",
    "e_sanction",
    "e_eligible",
)


@dataclass
class SchemeESummary:
    households: int = 0
    eligible_households: int = 0
    sanctioned_households: int = 0
    # The resources switched on and counting in M, in the order of ``EnergyAidResource``.
    resources: list[str] = field(default_factory=list)
    objects: dict[str, int] = field(default_factory=dict)
    addresses: dict[str, int] = field(default_factory=dict)


def income_window(month: date) -> tuple[date, date]:
    """The first days of the first and the last of the 12 months read for ``month``: M-12 .. M-1."""
    return add_months(month, -12), add_months(month, -1)


def switched_on(value: Any) -> bool:
    """A switch as a run records it: ``true``/``false`` (any case) or a JSON boolean."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ApplicationError(f"{value!r} is not a switch value (true or false)", code="parameter_invalid")
    return text == "true"


def _cents(name: str, value: Any) -> int:
    """A money parameter in whole cents (the catalogue allows at most two decimals)."""
    cents = Decimal(str(value)) * 100
    if cents != cents.to_integral_value() or cents < 0:
        raise ApplicationError(
            f"parameter {name} = {value!r} is not an amount in EUR with at most two decimals",
            code="parameter_invalid",
        )
    return int(cents)


def _share(value: Any) -> tuple[int, int]:
    """The share as a reduced fraction (numerator, denominator): 0.30 is (3, 10)."""
    share = Decimal(str(value))
    if not Decimal(0) <= share <= Decimal(1):
        raise ApplicationError(
            f"parameter e_housing_share = {value!r} is not a share", code="parameter_invalid"
        )
    return share.as_integer_ratio()


def resources_counting(*, month: date, parameters: dict[str, Any]) -> list[str]:
    """The resources switched on for ``month`` (its first day) and counting in it."""
    return [
        resource
        for resource in EnergyAidResource.values
        if switched_on(parameters.get(f"e_on_{resource}", False))
        and (resource not in HEATING_RESOURCES or month.month in HEATING_MONTHS)
    ]


def _learned(alias: str) -> str:
    """A monthly fact (no valid period of its own) as known at the run's batch."""
    return f"{alias}.learned_in_id <= %(k)s AND ({alias}.superseded_in_id IS NULL OR {alias}.superseded_in_id > %(k)s)"


def _temp(sql: RunSql, name: str, select: str) -> None:
    """A temporary table; ``Dialect.temp_table`` analyses it on PostgreSQL (autovacuum never
    sees temporary tables, and without statistics the planner misjudges the joins that follow)."""
    sql.temp(name, select)


def scheme_e_compute(
    *, run: MonthRun, chunk: Chunk | None = None, members_ready: bool = False
) -> SchemeESummary:
    """Compute Scheme E for ``run``; write its household decisions and the parties' lists.

    ``members_ready``: Scheme P ran just before in this transaction and kept its
    ``household_members`` tables (``keep_members``): they are read, not built again.

    ``chunk``: only that chunk's households (the summary then covers what of the run is written
    so far; ``scheme_e_summary`` reads the whole run once every chunk is done).

    Reads the threshold, share, normative amount and switches from ``run.parameters`` (the values
    recorded when the run was requested, as text). Raises ``ApplicationError`` with code
    ``parameter_missing`` when a resource counts in M but a decision parameter has no value, and
    ``parameter_invalid`` for a value that does not parse. Runs in the caller's transaction (a
    savepoint of it); raises on database errors.
    """
    counting = resources_counting(month=run.month, parameters=run.parameters)
    missing = [name for name in DECISION_PARAMETERS if run.parameters.get(name) in (None, "")]
    if missing:
        if counting:
            raise ApplicationError(
                f"no value on {run.month.isoformat()} for parameter(s): {', '.join(missing)}",
                code="parameter_missing",
                details={"day": run.month.isoformat(), "missing": missing},
            )
        return SchemeESummary()  # before the scheme: nothing to decide, nothing to list

    sql = RunSql(run, chunk)
    share_num, share_den = _share(run.parameters["e_housing_share"])
    sql.params.update(
        {
            "w_from": income_window(run.month)[0],
            "threshold_cents": _cents("e_income_threshold_eur", run.parameters["e_income_threshold_eur"]),
            "normative_cents": _cents("e_housing_normative_eur", run.parameters["e_housing_normative_eur"]),
            "share_num": share_num,
            "share_den": share_den,
        }
    )
    with transaction.atomic():
        if not members_ready:
            household_members(sql)  # p_member is analysed by Dialect.temp_table
        if chunk is not None:  # every figure below starts from p_member's households
            sql(f"DELETE FROM p_member WHERE NOT ({sql.in_chunk('address_id')})")
        _decide(sql, _figures(sql))
        _objects(sql, counting)
        _addresses(sql, counting)
        summary = _summary(sql, counting)
        schema = "pg_temp" if sql.dialect.postgres else "temp"
        for table in TEMP_TABLES:
            sql(f"DROP TABLE IF EXISTS {schema}.{table}")
    return summary


def _figures(sql: RunSql) -> str:
    """Per household: members, income and benefits, housing costs (in cents), sanctioned members;
    the tables they come from, and the SELECT that joins them (one row per household)."""
    postgres = sql.dialect.postgres
    cents = "CAST(ROUND({} * 100) AS bigint)"
    window = "{0}.month >= %(w_from)s AND {0}.month < %(r)s"
    _temp(
        sql,
        "e_household",
        "SELECT address_id, COUNT(*) AS members FROM p_member GROUP BY address_id",
    )
    # Income and benefits summed per person first, from the two tables alone, then per household
    # from that (much smaller, analysed) table: joining the monthly rows to the members directly
    # makes the planner probe the members' index once per monthly row (it cannot estimate how
    # many rows the "as known at the batch" filter keeps).
    # The planner cannot see through the UNION ALL how many persons there are (it assumes 200):
    # with the default memory the hash of 1.4 million national sums spilled (11.4 s against 8.4).
    with sql.memory("256MB"):
        _temp(
            sql,
            "e_money",
            "SELECT x.person_id, SUM(x.income) AS income_cents, SUM(x.benefit) AS benefit_cents FROM ("
            f"SELECT i.person_id, {cents.format('i.amount_eur')} AS income, CAST(0 AS bigint) AS benefit "
            f"FROM households_income i WHERE {_learned('i')} AND {window.format('i')} "
            f"UNION ALL SELECT b.person_id, CAST(0 AS bigint), {cents.format('b.amount_eur')} "
            f"FROM households_benefit b WHERE {_learned('b')} AND {window.format('b')}"
            ") x GROUP BY x.person_id",
        )
    _temp(
        sql,
        "e_income",
        "SELECT m.address_id, SUM(x.income_cents) AS income_cents, SUM(x.benefit_cents) AS benefit_cents "
        "FROM p_member m JOIN e_money x ON x.person_id = m.person_id GROUP BY m.address_id",
    )
    # Every address's housing costs; e_figures keeps the households' (a semi-join to the
    # households here is planned as a sort of every monthly row, on disk).
    _temp(
        sql,
        "e_housing",
        f"SELECT hc.address_id, SUM({cents.format('hc.amount_eur')}) AS housing_cents, COUNT(DISTINCT hc.month) AS housing_months "
        f"FROM households_housingcost hc WHERE {_learned('hc')} AND {window.format('hc')} GROUP BY hc.address_id",
    )
    build, agg = ("jsonb_build_object", "jsonb_agg") if postgres else ("json_object", "json_group_array")
    _temp(
        sql,
        "e_sanction",
        f"SELECT m.address_id, COUNT(DISTINCT m.person_id) AS sanctioned, {agg}({build}("
        "'source', 'sanctions', 'record', s.id, 'valid_from', s.valid_from, 'valid_to', s.valid_to"
        ")) AS records FROM p_member m JOIN households_sanction s ON s.person_id = m.person_id "
        f"WHERE {known('s')} GROUP BY m.address_id",
    )
    total = "(COALESCE(i.income_cents, 0) + COALESCE(i.benefit_cents, 0))"
    months = "COALESCE(hc.housing_months, 0)"
    # The two tests, division-free on integers (see the module's docstring).
    income_ok = f"CASE WHEN {total} <= %(threshold_cents)s * 12 * h.members THEN 1 ELSE 0 END"
    housing_ok = (
        f"CASE WHEN {months} > 0 THEN CASE WHEN hc.housing_cents * 12 * %(share_den)s "
        f">= %(share_num)s * {total} * {months} THEN 1 ELSE 0 END "
        f"WHEN %(normative_cents)s * 12 * h.members * %(share_den)s >= %(share_num)s * {total} "
        "THEN 1 ELSE 0 END"
    )
    # Read once, by the decisions' insert (``_decide``), not stored: a table of 0.8 million
    # rows written and read again for nothing.
    return (
        "SELECT h.address_id, h.members, COALESCE(i.income_cents, 0) AS income_cents, "
        f"COALESCE(i.benefit_cents, 0) AS benefit_cents, {total} AS total_cents, "
        f"COALESCE(hc.housing_cents, 0) AS housing_cents, {months} AS housing_months, "
        "COALESCE(s.sanctioned, 0) AS sanctioned, s.records AS sanctions, "
        f"{income_ok} AS income_ok, {housing_ok} AS housing_ok "
        "FROM e_household h LEFT JOIN e_income i ON i.address_id = h.address_id "
        "LEFT JOIN e_housing hc ON hc.address_id = h.address_id "
        "LEFT JOIN e_sanction s ON s.address_id = h.address_id"
    )


def _decide(sql: RunSql, figures: str) -> None:
    """One ``EnergyAidDecision`` per household: its exact sums, display figures and tests."""
    d = sql.dialect
    postgres = d.postgres

    def idiv(a: str, b: str) -> str:  # integer division of non-negative integers
        return f"div({a}, {b})" if postgres else f"(({a}) / ({b}))"

    # Rounded half-up to cents: x / y -> (2x + y) div 2y.
    income_pm = idiv("2 * f.total_cents + 12 * f.members", "24 * f.members")
    housing_pm = (
        "CASE WHEN f.housing_months > 0 THEN "
        + idiv("2 * f.housing_cents + f.housing_months * f.members", "2 * f.housing_months * f.members")
        + " ELSE %(normative_cents)s END"
    )
    reason = (
        f"CASE WHEN f.sanctioned > 0 THEN '{EnergyAidReason.SANCTIONED_MEMBER.value}' "
        f"WHEN f.income_ok = 0 THEN '{EnergyAidReason.INCOME_ABOVE_THRESHOLD.value}' "
        f"WHEN f.housing_ok = 0 THEN '{EnergyAidReason.HOUSING_SHARE_BELOW.value}' "
        f"ELSE '{EnergyAidReason.ELIGIBLE.value}' END"
    )

    eligible = "f.sanctioned = 0 AND f.income_ok = 1 AND f.housing_ok = 1"
    sql(
        "INSERT INTO eligibility_energyaiddecision (run_id, address_id, members, income_per_member_eur, "
        "housing_per_member_eur, housing_reported, income_cents, benefits_cents, housing_cents, "
        "housing_months, income_within_threshold, housing_share_met, sanctioned_members, eligible, "
        "reason, sanctions) "
        f"SELECT %(run)s, f.address_id, f.members, {income_pm} / 100.0, ({housing_pm}) / 100.0, "
        f"{d.boolean('f.housing_months > 0')}, f.income_cents, f.benefit_cents, f.housing_cents, "
        f"f.housing_months, {d.boolean('f.income_ok = 1')}, {d.boolean('f.housing_ok = 1')}, f.sanctioned, "
        f"{d.boolean(eligible)}, {reason}, {'f.sanctions' if postgres else 'json(f.sanctions)'} "
        # In address order: the indexes on (run, address) and on address are then filled in
        # order (a random order costs seconds).
        f"FROM ({figures}) f ORDER BY f.address_id"
    )
    _temp(
        sql,
        "e_eligible",
        "SELECT address_id FROM eligibility_energyaiddecision "
        f"WHERE run_id = %(run)s AND eligible = {d.true} AND {sql.in_chunk('address_id')}",
    )


def _objects(sql: RunSql, counting: list[str]) -> None:
    """The eligible connection objects of each resource that counts in M."""
    for resource, source in OBJECT_SOURCES.items():
        if resource not in counting:
            continue
        sql(
            "INSERT INTO eligibility_eligibleobject (run_id, connection_id, resource, operator_id, supplier_id, "
            f"address_id) SELECT %(run)s, c.id, '{resource}', c.operator_id, c.supplier_id, c.address_id "
            "FROM traders_connection c JOIN e_eligible e ON e.address_id = c.address_id "
            f"WHERE c.resource = '{source}' AND {known('c')}"
        )


def _addresses(sql: RunSql, counting: list[str]) -> None:
    """The eligible addresses, with their municipality, for the resources local governments handle."""
    for resource in ADDRESS_RESOURCES:
        if resource not in counting:
            continue
        sql(
            "INSERT INTO eligibility_eligibleaddress (run_id, address_id, municipality_code, resource) "
            f"SELECT %(run)s, e.address_id, MIN(ar.municipality_code), '{resource}' FROM e_eligible e "
            f"JOIN households_addressrecord ar ON ar.address_id = e.address_id AND {known('ar')} "
            "GROUP BY e.address_id"
        )


def scheme_e_summary(*, run: MonthRun) -> SchemeESummary:
    """The run's Scheme E figures, from its written rows."""
    return _summary(RunSql(run), resources_counting(month=run.month, parameters=run.parameters))


def _summary(sql: RunSql, counting: list[str]) -> SchemeESummary:
    d = sql.dialect
    households, eligible, sanctioned = sql.rows(
        "SELECT COUNT(*), "
        f"COALESCE(SUM(CASE WHEN eligible = {d.true} THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN reason = '{EnergyAidReason.SANCTIONED_MEMBER.value}' THEN 1 ELSE 0 END), 0) "
        "FROM eligibility_energyaiddecision WHERE run_id = %(run)s"
    )[0]
    objects = dict(
        sql.rows(
            "SELECT resource, COUNT(*) FROM eligibility_eligibleobject WHERE run_id = %(run)s GROUP BY resource"
        )
    )
    addresses = dict(
        sql.rows(
            "SELECT resource, COUNT(*) FROM eligibility_eligibleaddress WHERE run_id = %(run)s GROUP BY resource"
        )
    )
    return SchemeESummary(
        households=int(households),
        eligible_households=int(eligible),
        sanctioned_households=int(sanctioned),
        resources=list(counting),
        objects={
            resource: int(objects.get(resource, 0)) for resource in OBJECT_SOURCES if resource in counting
        },
        addresses={
            resource: int(addresses.get(resource, 0))
            for resource in ADDRESS_RESOURCES
            if resource in counting
        },
    )
