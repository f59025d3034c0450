"""The Bureau's organisations feed: versions in ``OrganisationRecord``, the current row in
``Organisation`` (which API tokens and every per-party feed point at)."""

from aldis.feeds.engine import ImportContext
from aldis.feeds.spec import Check, Column, FeedSpec, T


def _sync_organisations(ctx: ImportContext) -> None:
    """Before the versions: end the organisations missing from the file, bring the others up to
    date, add the new ones (so their versions have a row to point at)."""
    d = ctx.dialect
    protected = f"COALESCE({d.cast('n.protected_service', T.BOOL)}, {d.false})"
    ctx.execute(
        f"UPDATE organisations_organisation SET is_active = {d.false} "
        "WHERE code NOT IN (SELECT org_code FROM feed_norm)"
    )
    ctx.execute(
        f"UPDATE organisations_organisation SET name = n.name, kind = n.kind, "
        f"municipality_code = n.municipality_code, protected_service = {protected}, is_active = {d.true} "
        "FROM feed_norm n WHERE n.org_code = organisations_organisation.code"
    )
    ctx.execute(
        "INSERT INTO organisations_organisation "
        "(code, name, kind, municipality_code, protected_service, is_active, sends_feeds, created_at, updated_at) "
        f"SELECT n.org_code, n.name, n.kind, n.municipality_code, {protected}, {d.true}, '[]', {d.now}, {d.now} "
        "FROM feed_norm n WHERE NOT EXISTS (SELECT 1 FROM organisations_organisation o WHERE o.code = n.org_code)"
    )


ORGANISATIONS = FeedSpec(
    name="organisations",
    kind="snapshot",
    columns=(
        Column("org_code", T.ORG_CODE, required=True),
        Column("name", T.TEXT, required=True),
        Column(
            "kind",
            T.ENUM,
            required=True,
            choices=(
                "trader",
                "electricity_dso",
                "gas_dso",
                "heat_supplier",
                "municipality",
                "portal",
                "register",
            ),
        ),
        Column("municipality_code", T.MUNICIPALITY_CODE),
        Column("protected_service", T.BOOL),
    ),
    key=("org_code",),
    model="organisations.OrganisationRecord",
    mapping=lambda ctx: {
        "organisation_id": ctx.organisation("org_code"),
        "name": ctx.value("name"),
        "kind": ctx.value("kind"),
        "municipality_code": ctx.value("municipality_code"),
        "protected_service": f"COALESCE({ctx.value('protected_service')}, {ctx.dialect.false})",
        # Known since ever when first sent; a later change holds from the file's as_of (so a
        # trader that stops the service still took part in the months before).
        "valid_from": "CASE WHEN EXISTS (SELECT 1 FROM organisations_organisationrecord r "
        "WHERE r.organisation_id = org_org_code.id) THEN %(as_of)s END",
    },
    target_key=("organisation_id",),
    split_history_on=("name", "kind", "municipality_code", "protected_service"),
    derived=("valid_from",),
    sent_by="the Bureau",
    checks=(
        Check(
            "municipality_code",
            "CASE WHEN n.kind = 'municipality' AND n.municipality_code IS NULL "
            "THEN 'is required for a municipality' "
            "WHEN n.kind <> 'municipality' AND n.municipality_code IS NOT NULL "
            "THEN 'is only for municipalities' END",
        ),
        Check(
            "protected_service",
            "CASE WHEN n.protected_service = 'true' AND n.kind <> 'trader' "
            "THEN 'only traders give the protected-user service' END",
        ),
        Check(
            "municipality_code",
            "CASE WHEN n.municipality_code IS NOT NULL AND "
            "(SELECT COUNT(*) FROM feed_norm m WHERE m.municipality_code = n.municipality_code) > 1 "
            "THEN 'another row has the same municipality_code' END",
        ),
    ),
    before_promote=_sync_organisations,
)
