from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from aldis.exceptions import ApplicationError
from compensation.services.statements import PREPARE_PERMISSION, statements_prepare_month
from eligibility.management.commands.run_month import parse_month


class Command(BaseCommand):
    help = (
        "Prepare or refresh the compensation statement of every party that reported for month "
        "YYYY-MM (a dry run unless --commit)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("month", help="the month, YYYY-MM")
        parser.add_argument("--commit", action="store_true", help="write the statements (default: a dry run)")
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help=f"with --commit: the staff user recorded as preparer, who must hold {PREPARE_PERMISSION} "
            "(another one must approve)",
        )

    def handle(self, *args: Any, month: str, commit: bool, username: str, **options: Any) -> None:
        first_day = parse_month(month)
        user = None
        if commit:
            if not username:
                raise CommandError("--commit needs --as USERNAME: the staff member preparing the statements")
            user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
            if user is None:
                raise CommandError(f"no active staff user {username!r}")
            # The permission the admin's "Prepare statements" page and action require.
            if not user.has_perm(PREPARE_PERMISSION):
                raise CommandError(
                    f"{username!r} may not prepare statements: it lacks the permission {PREPARE_PERMISSION}"
                )
        try:
            result = statements_prepare_month(month=first_day, actor=user, commit=commit)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        prefix = "" if commit else "dry run (nothing written; --commit to write): "
        self.stdout.write(
            f"{prefix}{first_day:%Y-%m}: {len(result.prepared)} new, {len(result.refreshed)} refreshed, "
            f"{len(result.closed)} approved or paid left alone; total {result.total_eur:.2f} EUR"
        )
