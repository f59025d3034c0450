"""The register feeds about persons and addresses (INTERFACES §1), declared for the import engine."""

from aldis.feeds.engine import ImportContext, create_persons
from aldis.feeds.spec import Check, Column, FeedSpec, Reference, T
from households.models import Person

REGISTER = ("register",)
ADDRESS_EXISTS = Reference(
    "address_code",
    "EXISTS (SELECT 1 FROM households_address a WHERE a.code = n.address_code)",
    "unknown address code (not in the address register's feed)",
)
MUNICIPALITY_EXISTS = Reference(
    "municipality_code",
    "EXISTS (SELECT 1 FROM organisations_organisation o WHERE o.kind = 'municipality' "
    "AND o.municipality_code = n.municipality_code)",
    "unknown municipality code (no local government has it)",
)


def _person_feed(
    name: str,
    kind: str,
    model: str,
    columns: tuple[Column, ...],
    key: tuple[str, ...],
    target_key: tuple[str, ...],
    extra_mapping: dict[str, str] | None = None,
    sent_by: str = "a register",
    sender_kinds: tuple[str, ...] = REGISTER,
    references: tuple[Reference, ...] = (),
) -> FeedSpec:
    """A feed of records about one person each, keyed by personal code and more."""

    def mapping(ctx: ImportContext) -> dict[str, str]:
        values = {"person_id": ctx.person("personal_code")}
        for column in columns:
            if column.type is T.ADDRESS_CODE:
                values["address_id"] = ctx.address(column.name)
            else:
                values[column.name] = ctx.value(column.name)
        values.update(extra_mapping or {})
        return values

    return FeedSpec(
        name=name,
        kind=kind,
        columns=(Column("personal_code", T.PERSONAL_CODE, required=True), *columns),
        key=("personal_code", *key),
        model=model,
        mapping=mapping,
        target_key=target_key,
        sent_by=sent_by,
        sender_kinds=sender_kinds,
        person_columns=("personal_code",),
        references=references,
    )


VALID_FROM = Column("valid_from", T.DATE, required=True)
VALID_TO = Column("valid_to", T.DATE)


def _period_feed(name: str, model: str, extra: tuple[Column, ...], **kwargs: object) -> FeedSpec:
    key = tuple(c.name for c in extra if c.name in ("group", "status", "level"))
    return _person_feed(
        name,
        "snapshot",
        model,
        (*extra, VALID_FROM, VALID_TO),
        key=("valid_from", *key),
        target_key=("person_id", "valid_from", *key),
        **kwargs,  # type: ignore[arg-type]
    )


# --- addresses -------------------------------------------------------------------------------


def _addresses_before(ctx: ImportContext) -> None:
    ctx.execute(
        "INSERT INTO households_address (code) SELECT n.address_code FROM feed_norm n "
        "WHERE NOT EXISTS (SELECT 1 FROM households_address a WHERE a.code = n.address_code)"
    )


def _addresses_mapping(ctx: ImportContext) -> dict[str, str]:
    return {
        "address_id": ctx.address("address_code"),
        "type": ctx.value("type"),
        "parent_id": ctx.address("parent_code"),
        "municipality_code": ctx.value("municipality_code"),
        "full_address": ctx.value("full_address"),
    }


ADDRESSES = FeedSpec(
    name="addresses",
    kind="snapshot",
    columns=(
        Column("address_code", T.ADDRESS_CODE, required=True),
        Column("type", T.ENUM, required=True, choices=("building", "flat", "other")),
        Column("parent_code", T.ADDRESS_CODE),
        Column("municipality_code", T.MUNICIPALITY_CODE, required=True),
        Column("full_address", T.TEXT, required=True),
    ),
    key=("address_code",),
    model="households.AddressRecord",
    mapping=_addresses_mapping,
    target_key=("address_id",),
    sent_by="the address register",
    sender_kinds=REGISTER,
    checks=(
        Check(
            "parent_code",
            "CASE WHEN n.type = 'flat' AND n.parent_code IS NULL THEN 'a flat needs the code of its building' END",
        ),
        Check(
            "parent_code",
            "CASE WHEN n.parent_code = n.address_code THEN 'an address cannot be its own parent' END",
        ),
    ),
    references=(
        Reference(
            "parent_code",
            # IN over a union (a hashed subplan), not two EXISTS joined by OR (a nested loop).
            "n.parent_code IN (SELECT a.code FROM households_address a UNION ALL SELECT p.address_code FROM feed_norm p)",
            "unknown parent address code (neither in this file nor known before)",
        ),
        MUNICIPALITY_EXISTS,
    ),
    before_promote=_addresses_before,
)


# --- population ------------------------------------------------------------------------------


def _person_tables() -> list[tuple[str, str]]:
    """Every (table, column) that points at a person, found from the models themselves."""
    return [(rel.field.model._meta.db_table, rel.field.column) for rel in Person._meta.related_objects]


def _population_identities(ctx: ImportContext) -> None:
    """Persons under their codes, following ``previous_code`` (DOMAIN: Identifiers).

    1. Both codes already belong to different persons: the previous one's records move over.
    2. Only the previous code is known: the new code joins that person.
    3. New persons for codes still unknown; previous codes not yet known join their person.
    4. Every person's current code becomes the one in the file.

    Only rows naming a previous code (about 0.5 % of a national file) take part: they are read
    into ``feed_prev`` once, so the steps join that small table rather than scanning the file.
    """
    ctx.temp(
        "feed_prev",
        "SELECT n.personal_code, n.previous_code FROM feed_norm n WHERE n.previous_code IS NOT NULL",
    )
    ctx.temp(
        "feed_merge",
        "SELECT DISTINCT old.person_id AS old_id, cur.person_id AS new_id FROM feed_prev n "
        "JOIN households_personcode old ON old.code = n.previous_code "
        "JOIN households_personcode cur ON cur.code = n.personal_code WHERE old.person_id <> cur.person_id",
    )
    if ctx.fetchall("SELECT COUNT(*) FROM feed_merge")[0][0]:
        for table, column in _person_tables():
            ctx.execute(
                f"UPDATE {table} SET {column} = (SELECT m.new_id FROM feed_merge m WHERE m.old_id = {table}.{column}) "
                f"WHERE {column} IN (SELECT old_id FROM feed_merge)"
            )
        ctx.execute("DELETE FROM households_person WHERE id IN (SELECT old_id FROM feed_merge)")
    ctx.execute(
        "INSERT INTO households_personcode (code, person_id) "
        "SELECT n.personal_code, MIN(old.person_id) FROM feed_prev n "
        "JOIN households_personcode old ON old.code = n.previous_code "
        "WHERE NOT EXISTS (SELECT 1 FROM households_personcode x WHERE x.code = n.personal_code) "
        "GROUP BY n.personal_code"
    )
    create_persons(ctx, "personal_code")
    ctx.execute(
        "INSERT INTO households_personcode (code, person_id) "
        "SELECT n.previous_code, MIN(cur.person_id) FROM feed_prev n "
        "JOIN households_personcode cur ON cur.code = n.personal_code "
        "WHERE NOT EXISTS (SELECT 1 FROM households_personcode x WHERE x.code = n.previous_code) "
        "GROUP BY n.previous_code"
    )
    ctx.execute(
        # Only a row naming a previous code can change whose code is current. (The code is looked
        # up in ``feed_prev`` too: in the file, without an index, it would be a scan per person.)
        "UPDATE households_person SET personal_code = ("
        "SELECT n.personal_code FROM feed_prev n JOIN households_personcode pc ON pc.code = n.personal_code "
        "WHERE pc.person_id = households_person.id) "
        "WHERE id IN (SELECT pc.person_id FROM feed_prev n JOIN households_personcode pc ON pc.code = n.personal_code "
        "JOIN households_person p ON p.id = pc.person_id WHERE p.personal_code <> n.personal_code)"
    )


POPULATION = FeedSpec(
    name="population",
    kind="snapshot",
    columns=(
        Column("personal_code", T.PERSONAL_CODE, required=True),
        Column("previous_code", T.PERSONAL_CODE),
        Column("given_name", T.TEXT, required=True, max_length=100),
        Column("surname", T.TEXT, required=True, max_length=100),
        Column("birth_date", T.DATE, required=True),
        Column("death_date", T.DATE),
        Column("address_code", T.ADDRESS_CODE),
        Column("declared_from", T.DATE),
    ),
    key=("personal_code",),
    model="households.PopulationRecord",
    mapping=lambda ctx: {
        "person_id": ctx.person("personal_code"),
        "given_name": ctx.value("given_name"),
        "surname": ctx.value("surname"),
        "birth_date": ctx.value("birth_date"),
        "death_date": ctx.value("death_date"),
        "address_id": ctx.address("address_code"),
        "declared_from": ctx.value("declared_from"),
        "previous_code": ctx.value("previous_code"),
        "valid_from": ctx.value("declared_from"),
    },
    target_key=("person_id",),
    sent_by="the population register",
    sender_kinds=REGISTER,
    checks=(
        Check(
            "death_date",
            # The cheap test first: death_date is mostly empty.
            "CASE WHEN n.death_date IS NULL THEN NULL WHEN aldis_chk_date(n.death_date) IS NULL "
            "AND aldis_chk_date(n.birth_date) IS NULL AND n.death_date < n.birth_date "
            "THEN 'is before birth_date' END",
        ),
        Check(
            "previous_code",
            "CASE WHEN n.previous_code = n.personal_code THEN 'is the same as personal_code' "
            "WHEN n.previous_code IN (SELECT m.personal_code FROM feed_norm m) "
            "THEN 'is the current personal code of another row' END",
        ),
        Check(
            "declared_from",
            "CASE WHEN n.declared_from IS NOT NULL AND n.address_code IS NULL "
            "THEN 'is given but address_code is empty' END",
        ),
    ),
    unique=(("previous_code",),),
    references=(ADDRESS_EXISTS,),
    split_history_on=("address_id",),
    before_promote=_population_identities,
)


TEMPORARY_PROTECTION = _person_feed(
    "temporary_protection",
    "snapshot",
    "households.TemporaryProtection",
    (
        Column("given_name", T.TEXT, required=True, max_length=100),
        Column("surname", T.TEXT, required=True, max_length=100),
        Column("birth_date", T.DATE, required=True),
        Column("address_code", T.ADDRESS_CODE, required=True),
        VALID_FROM,
        VALID_TO,
    ),
    key=("valid_from",),
    target_key=("person_id", "valid_from"),
    sent_by="the population register",
    references=(ADDRESS_EXISTS,),
)
RELATIONS = FeedSpec(
    name="relations",
    kind="snapshot",
    columns=(
        Column("person_code", T.PERSONAL_CODE, required=True),
        Column("dependant_code", T.PERSONAL_CODE, required=True),
        Column("relation", T.ENUM, required=True, choices=("parent", "adoptive", "foster", "guardian")),
        VALID_FROM,
        VALID_TO,
    ),
    key=("person_code", "dependant_code", "relation", "valid_from"),
    model="households.Relation",
    mapping=lambda ctx: {
        "person_id": ctx.person("person_code"),
        "dependant_id": ctx.person("dependant_code"),
        "relation": ctx.value("relation"),
        "valid_from": ctx.value("valid_from"),
        "valid_to": ctx.value("valid_to"),
    },
    target_key=("person_id", "dependant_id", "relation", "valid_from"),
    sent_by="the population register",
    sender_kinds=REGISTER,
    person_columns=("person_code", "dependant_code"),
    checks=(
        Check(
            "dependant_code",
            "CASE WHEN n.dependant_code = n.person_code THEN 'is the same person as person_code' END",
        ),
    ),
)

DISABILITY = _period_feed(
    "disability",
    "households.Disability",
    (Column("group", T.ENUM, required=True, choices=("1", "2", "3", "child")),),
    sent_by="the disability system",
)
SOCIAL_STATUS = _period_feed(
    "social_status",
    "households.SocialStatus",
    (
        Column("status", T.ENUM, required=True, choices=("needy", "low_income")),
        Column("municipality_code", T.MUNICIPALITY_CODE, required=True),
    ),
    sent_by="municipal social services",
    references=(MUNICIPALITY_EXISTS,),
)
EDUCATION = _period_feed(
    "education",
    "households.Education",
    (Column("level", T.ENUM, required=True, choices=("general", "vocational", "higher")),),
    sent_by="the education register",
)
DEBTORS = _period_feed("debtors", "households.Debtor", (), sent_by="the maintenance guarantee fund")
SANCTIONS = _period_feed("sanctions", "households.Sanction", (), sent_by="the sanctions list")

MONTH = Column("month", T.MONTH, required=True)
AMOUNT = Column("amount_eur", T.MONEY, required=True)

INCOME = _person_feed(
    "income",
    "fact",
    "households.Income",
    (MONTH, AMOUNT),
    key=("month",),
    target_key=("person_id", "month"),
    sent_by="the State Revenue Service",
)
BENEFITS = _person_feed(
    "benefits",
    "fact",
    "households.Benefit",
    (MONTH, AMOUNT, Column("kind", T.ENUM, required=True, choices=("pension", "benefit"))),
    key=("month", "kind"),
    target_key=("person_id", "month", "kind"),
    sent_by="social insurance",
)
HOUSING_COSTS = FeedSpec(
    name="housing_costs",
    kind="fact",
    columns=(Column("address_code", T.ADDRESS_CODE, required=True), MONTH, AMOUNT),
    key=("address_code", "month"),
    model="households.HousingCost",
    mapping=lambda ctx: {
        "address_id": ctx.address("address_code"),
        "month": ctx.value("month"),
        "amount_eur": ctx.value("amount_eur"),
    },
    target_key=("sender_id", "address_id", "month"),
    sent_by="energy companies and building managers",
    sender_field="sender_id",
    sender_kinds=("trader", "electricity_dso", "gas_dso", "heat_supplier", "register"),
    references=(ADDRESS_EXISTS,),
)

FEEDS = (
    ADDRESSES,
    POPULATION,
    TEMPORARY_PROTECTION,
    RELATIONS,
    DISABILITY,
    SOCIAL_STATUS,
    EDUCATION,
    DEBTORS,
    SANCTIONS,
    INCOME,
    BENEFITS,
    HOUSING_COSTS,
)
