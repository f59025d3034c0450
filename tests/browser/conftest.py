"""Browser tests: Debian's Chromium driven headless by Playwright against ``live_server``.

Playwright's own browser download does not work on these machines, so the launch fixture points
at the system Chromium (see /work/shared/spec/TESTING.md). Without it the tests are skipped with
the reason, except in CI (``CI`` set), where a missing browser is a failure. Screenshots go to
``var/screenshots/`` (``var/`` is git-ignored).

Playwright's sync API runs an event loop in the test's thread, which Django's ORM would take for
async code: ``DJANGO_ALLOW_ASYNC_UNSAFE`` lets the test and ``live_server`` use the ORM there.
The tests are transactional (``live_server`` serves from another thread); ``migrated_state``
starts each from the database as migrated (seeded parameters, roles) whatever ran before.
"""

import importlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections

from aldis.organisations.models import Organisation
from audit.services import Actor
from eligibility.models import MonthRun, RunStatus
from eligibility.services.runs import month_run_request
from tests.eligibility.scheme_p.conftest import FLAT_1, NOV_2026, Registers, code, resident

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/lib/chromium/chromium"  # the binary itself: /usr/bin/chromium is a wrapper script
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
ACTOR = Actor.system("browser-tests")

PARENT = code(100)  # parent of three children: a large family, 25.00 in November 2026
PARTNER = code(101)  # lives with them, holds the second contract
CHILDREN = (code(200), code(201), code(202))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"no Chromium at {CHROMIUM}: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the browser tests: {reason}", pytrace=False)
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session", autouse=True)
def _migrated_contents(django_db_setup: None) -> dict[str, str]:
    """The migrated database as pytest-django serialized it at set-up (the browser tests ask for
    ``django_db_serialized_rollback`` so that it does), read before Playwright starts."""
    return {
        connection.alias: connection._test_serialized_contents
        for connection in connections.all()
        if hasattr(connection, "_test_serialized_contents")
    }


@pytest.fixture(scope="session", autouse=True)
def _no_serialized_rollback_under_playwright(_migrated_contents: dict[str, str], playwright: Any) -> None:
    """Once Playwright's sync API runs, Django's context-local ``connections`` may hand the tests
    other connection objects than the ones set up, with or without the serialized contents.
    Django's own restore fails after an earlier transactional test's flush (post_migrate has made
    content types anew), so the tests restore the migrated state themselves (``migrated_state``)
    and Django's is switched off here, the same way whatever the order the tests run in."""
    for connection in connections.all():
        if hasattr(connection, "_test_serialized_contents"):
            del connection._test_serialized_contents


def _restore_migrated_state(contents: dict[str, str]) -> None:
    """Empty every table (past the audit trail's SQLite trigger, as tests/conftest.py does) without
    post_migrate, then load the database as migrated: seeded parameters, roles, content types."""
    triggers = importlib.import_module("audit.migrations.0002_append_only_triggers")
    for alias, contents_of_alias in contents.items():
        connection = connections[alias]
        sqlite = connection.vendor == "sqlite"
        if sqlite:
            with connection.cursor() as cursor:
                for statement in triggers.SQLITE_BACKWARD:
                    cursor.execute(statement)
        try:
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                database=alias,
                reset_sequences=False,
                inhibit_post_migrate=True,
            )
        finally:
            if sqlite:
                with connection.cursor() as cursor:
                    for statement in triggers.SQLITE_FORWARD:
                        cursor.execute(statement)
        connection.creation.deserialize_db_from_string(contents_of_alias)
        # Rows came back under their own ids: the next ids must come after them (PostgreSQL).
        reset = connection.ops.sequence_reset_sql(no_style(), django_apps.get_models())
        if reset:
            with connection.cursor() as cursor:
                for statement in reset:
                    cursor.execute(statement)


@pytest.fixture
def migrated_state(
    django_db_serialized_rollback: None, transactional_db: None, _migrated_contents: dict[str, str]
) -> None:
    """A transactional test's database as migrated, whatever transactional tests ran before."""
    if not _migrated_contents:
        pytest.fail("the test database was not serialized at set-up", pytrace=False)
    _restore_migrated_state(_migrated_contents)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A Latvian browser (the site's language; the tests switch to English with the language form)
    # and a fixed, screenshot-sized window.
    return {**browser_context_args, "locale": "lv-LV", "viewport": {"width": 1100, "height": 900}}


@pytest.fixture
def screenshot(page: Any, request: pytest.FixtureRequest) -> Any:
    """``screenshot("name")``: the whole page to var/screenshots/<test>-<n>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.originalname}-{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return take


@pytest.fixture
def demo_mode(settings: Any) -> None:
    """The demo sign-in (it needs DEBUG as well) over the live server's plain HTTP."""
    settings.DEBUG = True
    settings.ALDIS_DEMO_SIGN_IN = True
    # The live server speaks HTTP: secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@dataclass(frozen=True)
class World:
    trader: Organisation
    run: MonthRun


@pytest.fixture
def world(migrated_state: None, tmp_path: Path, demo_mode: None) -> World:
    """A parent, their partner and three children in flat 1; the parent holds contract A-1 and the
    partner A-2, both at trader A (which gives the discount); November 2026 computed by a real
    run (``month_run_request``, executed in-process when it commits)."""
    registers = Registers(tmp_path)
    registers.world()
    registers.population(
        resident(PARENT, date(1980, 3, 4)),
        resident(PARTNER, date(1981, 4, 5)),
        resident(CHILDREN[0], date(2012, 5, 6)),
        resident(CHILDREN[1], date(2014, 7, 8)),
        resident(CHILDREN[2], date(2016, 9, 10)),
    )
    registers.relations(*((PARENT, child, "parent", date(2016, 9, 10)) for child in CHILDREN))
    registers.contracts(
        registers.trader_a,
        ("A-1", PARENT, FLAT_1, date(2020, 1, 1)),
        ("A-2", PARTNER, FLAT_1, date(2021, 1, 1)),
    )
    run = month_run_request(month=NOV_2026, actor=ACTOR)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    return World(trader=registers.trader_a, run=run)
