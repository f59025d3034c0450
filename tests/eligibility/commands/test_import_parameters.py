"""Operators import the parameters table with ``import_feed parameters FILE --as-of DATE``."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from eligibility.selectors import parameters_on
from tests.eligibility.conftest import HEADER, TABLE
from tests.feeds.conftest import csv_text

pytestmark = pytest.mark.django_db


def import_feed(path, *args):
    out = StringIO()
    call_command(
        "import_feed", "parameters", str(path), "--as-of", "2026-11-20", *args, stdout=out, stderr=out
    )
    return out.getvalue()


def test_an_operator_imports_a_new_rate(tmp_path):
    path = tmp_path / "parameters.csv"
    path.write_text(
        csv_text(HEADER, [*TABLE, ("e_on_electricity", "2026-12-01", "true", "")]), encoding="utf-8"
    )

    output = import_feed(path)

    assert "24 rows, 1 new, 1 changed, 0 ended, 22 unchanged" in output
    assert parameters_on(day=date(2026, 12, 1))["e_on_electricity"] is True
    assert parameters_on(day=date(2026, 11, 30))["e_housing_share"] == Decimal("0.30")


def test_a_bad_file_prints_every_bad_row_and_fails(tmp_path):
    path = tmp_path / "parameters.csv"
    path.write_text(
        csv_text(HEADER, [*TABLE, ("e_housing_share", "2027-01-01", "1.5", "")]), encoding="utf-8"
    )

    with pytest.raises(CommandError, match="rejected, 1 bad row"):
        import_feed(path)
