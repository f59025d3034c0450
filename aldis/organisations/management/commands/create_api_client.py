from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from aldis.organisations.services import api_client_create
from audit.services import Actor


class Command(BaseCommand):
    help = "Create an API token for an organisation and print it once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("org_code", help="the organisation's 11-digit registration number")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. 'billing system'")

    def handle(self, *args: Any, org_code: str, name: str, **options: Any) -> None:
        try:
            client, token = api_client_create(org_code=org_code, name=name, actor=Actor.operator())
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(
            f"Created API client '{client.name}' ({client.prefix}) for {client.organisation}. "
            "The token is shown once; store it now:"
        )
        self.stdout.write(token)
