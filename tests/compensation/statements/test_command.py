"""``prepare_statements YYYY-MM [--commit --as USERNAME]``."""

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from compensation.models import Statement

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("prepare_statements", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_writes_nothing(trader_world, municipality_world):
    output = run("2026-11")

    # trader T 50.50, trader U 99.00, municipality M 170.25
    assert output == (
        "dry run (nothing written; --commit to write): 2026-11: 3 new, 0 refreshed, "
        "0 approved or paid left alone; total 319.75 EUR\n"
    )
    assert not Statement.objects.exists()


def test_commit_prepares_as_the_named_staff_member(trader_world, municipality_world, maker):
    output = run("2026-11", "--commit", "--as", "maker")

    assert output == "2026-11: 3 new, 0 refreshed, 0 approved or paid left alone; total 319.75 EUR\n"
    assert set(Statement.objects.values_list("prepared_by__username", flat=True)) == {"maker"}


def test_bad_input_is_refused(trader_world, maker):
    with pytest.raises(CommandError, match="not a month"):
        run("2026-13")
    with pytest.raises(CommandError, match="--as USERNAME"):
        run("2026-11", "--commit")
    with pytest.raises(CommandError, match="no active staff user 'nobody'"):
        run("2026-11", "--commit", "--as", "nobody")


def test_the_named_user_must_hold_the_permission_to_prepare(trader_world, django_user_model):
    """A staff member without ``compensation.prepare_statement`` (the permission of the admin's
    "Prepare statements" page) cannot be recorded as preparer; nothing is prepared."""
    clerk = django_user_model.objects.create_user(username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="approve_statement"))

    with pytest.raises(
        CommandError,
        match=r"'clerk' may not prepare statements: it lacks the permission compensation\.prepare_statement$",
    ):
        run("2026-11", "--commit", "--as", "clerk")

    assert not Statement.objects.exists()
    clerk.user_permissions.add(Permission.objects.get(codename="prepare_statement"))
    assert run("2026-11", "--commit", "--as", "clerk").startswith("2026-11: 2 new")
