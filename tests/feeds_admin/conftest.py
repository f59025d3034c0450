from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from aldis.organisations.roles import BUREAU_AUDITOR, BUREAU_STAFF, OPERATOR
from tests.households.admin.world import Files, World, build_world, client_in


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)


@pytest.fixture
def world(db: None, tmp_path: Path) -> World:
    return build_world(tmp_path / "world")


@pytest.fixture
def staff(db: None, django_user_model: Any) -> Client:
    return client_in(django_user_model, BUREAU_STAFF, username="staff")


@pytest.fixture
def auditor(db: None, django_user_model: Any) -> Client:
    return client_in(django_user_model, BUREAU_AUDITOR, username="auditor")


@pytest.fixture
def operator(db: None, django_user_model: Any) -> Client:
    return client_in(django_user_model, OPERATOR, username="operator")
