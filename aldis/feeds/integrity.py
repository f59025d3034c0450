"""Referential integrity of the bulk-loaded tables, checked set-based.

The versioned record tables reference batches, persons, addresses and organisations without
database foreign-key constraints (``db_constraint=False``): PostgreSQL checks those row by row
through triggers, which on a national import cost more than the import itself. The set-based
loader only ever writes ids it has just joined to, and this check proves it: one anti-join per
reference, run by the tests after every import scenario and available to operators.
"""

from django.apps import apps
from django.db import connection


def dangling_references() -> dict[str, int]:
    """``{"app_label.Model.field": rows pointing at nothing}`` for every unenforced reference."""
    problems: dict[str, int] = {}
    quote = connection.ops.quote_name
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not field.is_relation or getattr(field, "db_constraint", True):
                continue
            target = field.related_model._meta  # type: ignore[union-attr]
            sql = (
                f"SELECT COUNT(*) FROM {quote(model._meta.db_table)} t "  # noqa: S608 (identifiers from models)
                f"WHERE t.{quote(field.column)} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {quote(target.db_table)} r WHERE r.{quote(target.pk.column)} = t.{quote(field.column)})"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql)
                count = cursor.fetchone()[0]
            if count:
                problems[f"{model._meta.label}.{field.name}"] = count
    return problems
