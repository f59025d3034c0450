"""A Scheme E decision's exact sums and test outcomes move from its ``evidence`` document into
plain columns, and the document keeps only the sanctions records (renamed ``sanctions``; NULL
when there are none). The decisions already written are converted in place; their window (M-12
.. M-1) follows from their run's month, and the normative amount used from their run's
parameters, so neither is kept per row."""

from django.db import migrations, models

COLUMNS = {  # column: (document key, SQL type)
    "income_cents": ("income_cents", "bigint"),
    "benefits_cents": ("benefits_cents", "bigint"),
    "housing_cents": ("housing_cents", "bigint"),
    "housing_months": ("housing_months", "integer"),
    "sanctioned_members": ("sanctioned_members", "integer"),
}
TESTS = ("income_within_threshold", "housing_share_met")


def forward(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"

    def key(name: str) -> str:
        return f"(evidence->>'{name}')" if postgres else f"json_extract(evidence, '$.{name}')"

    sets = [
        f"{column} = COALESCE(CAST({key(name)} AS {kind}), 0)" for column, (name, kind) in COLUMNS.items()
    ]
    sets += [f"{test} = (COALESCE(CAST({key(test)} AS integer), 0) = 1)" for test in TESTS]
    if postgres:
        sanctions = "evidence->'sanctions'"
        sets.append(
            f"evidence = CASE WHEN jsonb_array_length(COALESCE({sanctions}, '[]')) > 0 THEN {sanctions} END"
        )
    else:
        sanctions = "json_extract(evidence, '$.sanctions')"
        sets.append(
            f"evidence = CASE WHEN json_array_length(COALESCE({sanctions}, '[]')) > 0 THEN {sanctions} END"
        )
    schema_editor.execute(f"UPDATE eligibility_energyaiddecision SET {', '.join(sets)}", params=None)  # noqa: S608 (no input)


def backward(apps, schema_editor):
    """The document again, as runs wrote it, from the columns and the run's month and parameters."""
    d = "eligibility_energyaiddecision"
    if schema_editor.connection.vendor == "postgresql":
        build, sanctions = "jsonb_build_object", f"COALESCE({d}.evidence, '[]'::jsonb)"
        window_from = "to_char(r.month - interval '12 months', 'YYYY-MM')"
        window_to = "to_char(r.month - interval '1 month', 'YYYY-MM')"
        normative = "CAST(ROUND(CAST(r.parameters->>'e_housing_normative_eur' AS numeric) * 100) AS bigint)"
    else:
        build, sanctions = "json_object", f"json(COALESCE({d}.evidence, '[]'))"
        window_from = "strftime('%Y-%m', r.month, '-12 months')"
        window_to = "strftime('%Y-%m', r.month, '-1 months')"
        normative = "CAST(ROUND(json_extract(r.parameters, '$.e_housing_normative_eur') * 100) AS integer)"
    document = (
        f"{build}('window_from', {window_from}, 'window_to', {window_to}, 'members', {d}.members, "
        f"'income_cents', {d}.income_cents, 'benefits_cents', {d}.benefits_cents, "
        f"'housing_cents', {d}.housing_cents, 'housing_months', {d}.housing_months, "
        f"'housing_normative_cents', CASE WHEN {d}.housing_months > 0 THEN NULL ELSE {normative} END, "
        f"'income_within_threshold', CASE WHEN {d}.income_within_threshold THEN 1 ELSE 0 END, "
        f"'housing_share_met', CASE WHEN {d}.housing_share_met THEN 1 ELSE 0 END, "
        f"'sanctioned_members', {d}.sanctioned_members, 'sanctions', {sanctions})"
    )
    schema_editor.execute(
        f"UPDATE {d} SET evidence = (SELECT {document} FROM eligibility_monthrun r WHERE r.id = {d}.run_id)",  # noqa: S608
        params=None,
    )


def _added(name: str, field: models.Field) -> migrations.AddField:
    return migrations.AddField(model_name="energyaiddecision", name=name, field=field, preserve_default=False)


class Migration(migrations.Migration):
    dependencies = [("eligibility", "0012_result_indexes_as_read")]

    operations = [
        _added(
            "income_cents",
            models.BigIntegerField(default=0, help_text="the members' income over the 12 months, in cents"),
        ),
        _added(
            "benefits_cents",
            models.BigIntegerField(default=0, help_text="the members' benefits over the 12 months, in cents"),
        ),
        _added(
            "housing_cents",
            models.BigIntegerField(
                default=0, help_text="the housing costs reported over the 12 months, in cents"
            ),
        ),
        _added(
            "housing_months",
            models.PositiveSmallIntegerField(
                default=0, help_text="months of the 12 with a housing cost report"
            ),
        ),
        _added("income_within_threshold", models.BooleanField(default=False)),
        _added("housing_share_met", models.BooleanField(default=False)),
        _added("sanctioned_members", models.PositiveIntegerField(default=0)),
        migrations.AlterField(
            model_name="energyaiddecision", name="evidence", field=models.JSONField(null=True, blank=True)
        ),
        migrations.RunPython(forward, backward, elidable=False),
        migrations.RenameField(model_name="energyaiddecision", old_name="evidence", new_name="sanctions"),
        migrations.AlterField(
            model_name="energyaiddecision",
            name="sanctions",
            field=models.JSONField(
                blank=True,
                help_text="the members' sanctions records valid on the reference date (NULL: none)",
                null=True,
            ),
        ),
    ]
