"""Helpers for the parameter tests: the seeded table written out by hand as a ``parameters``
file, files in ``tmp_path`` imported through ``feed_import``, and staff clients."""

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from aldis.feeds.models import FeedBatch
from aldis.organisations.roles import BUREAU_AUDITOR, BUREAU_STAFF, OPERATOR
from tests.feeds.conftest import csv_text, run_import
from tests.households.admin.world import client_in

HEADER = ("name", "valid_from", "value", "legal_ref")
AS_OF = date(2026, 11, 20)

SCHEME_P = "Cabinet Regulation No. 345 (protected-user service), as amended"
SCHEME_E = "Law on the State Aid for Energy Supply Costs (2023)"

# The table of INTERFACES §1, as the Bureau would send it (the seed has the same values and
# legal references, so importing this file changes nothing).
TABLE: list[tuple[str, str, str, str]] = [
    ("p_amount_needy_low_income", "2021-09-01", "5.00", SCHEME_P),
    ("p_amount_needy_low_income", "2021-11-01", "15.00", SCHEME_P),
    ("p_amount_needy_low_income", "2023-08-01", "20.00", SCHEME_P),
    ("p_amount_disabled_child", "2021-09-01", "5.00", SCHEME_P),
    ("p_amount_disabled_child", "2021-11-01", "15.00", SCHEME_P),
    ("p_amount_disabled_child", "2023-08-01", "20.00", SCHEME_P),
    ("p_amount_group_i_disability", "2021-09-01", "5.00", SCHEME_P),
    ("p_amount_group_i_disability", "2021-11-01", "15.00", SCHEME_P),
    ("p_amount_group_i_disability", "2023-08-01", "20.00", SCHEME_P),
    ("p_amount_large_family", "2021-09-01", "10.00", SCHEME_P),
    ("p_amount_large_family", "2021-11-01", "20.00", SCHEME_P),
    ("p_amount_large_family", "2023-08-01", "25.00", SCHEME_P),
    ("e_on_electricity", "2023-12-08", "false", SCHEME_E),
    ("e_on_electricity_heating", "2023-12-08", "false", SCHEME_E),
    ("e_on_gas_heating", "2023-12-08", "false", SCHEME_E),
    ("e_on_district_heat", "2023-12-08", "false", SCHEME_E),
    ("e_on_decentralised_fuel", "2023-12-08", "false", SCHEME_E),
    ("e_income_threshold_eur", "2024-09-01", "473.53", SCHEME_E),
    ("e_housing_share", "2024-09-01", "0.30", SCHEME_E),
    ("e_housing_normative_eur", "2024-09-01", "142.06", SCHEME_E),
    ("e_cap_electricity_eur", "2024-09-01", "8.00", SCHEME_E),
    ("e_cap_gas_heating_eur", "2024-09-01", "110.00", SCHEME_E),
    ("e_admin_cost_eur", "2023-12-08", "0.00", SCHEME_E),
]


@pytest.fixture
def import_parameters(db: None, tmp_path: Path) -> Callable[..., FeedBatch]:
    """``import_parameters(rows, as_of=...)``: write a parameters file and import it."""
    counter = iter(range(1, 10_000))

    def do(rows: Iterable[Sequence[Any]], as_of: date = AS_OF, header: Sequence[str] = HEADER) -> FeedBatch:
        path = tmp_path / f"parameters-{next(counter)}.csv"
        path.write_text(csv_text(header, rows), encoding="utf-8")
        return run_import("parameters", path, as_of=as_of)

    return do


@pytest.fixture
def staff(db: None, django_user_model: Any) -> Client:
    return client_in(django_user_model, BUREAU_STAFF, username="staff")


@pytest.fixture
def auditor(db: None, django_user_model: Any) -> Client:
    return client_in(django_user_model, BUREAU_AUDITOR, username="auditor")


@pytest.fixture
def operator(db: None, django_user_model: Any) -> Client:
    return client_in(django_user_model, OPERATOR, username="operator")
