"""Organisations and their API clients: created and revoked only here, each change audited."""

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction

from aldis.identifiers import normalise_org_code
from aldis.organisations.models import ApiClient, Organisation
from audit.services import audit_record


def _audit_target(client: ApiClient) -> tuple[str, str]:
    # The primary key embeds the key's hash; the public prefix identifies the client enough.
    return "organisations.apiclient", client.prefix


def api_client_create(*, org_code: str, name: str, actor: Any) -> tuple[ApiClient, str]:
    """Create an API client for the organisation ``org_code``; return it and its token.

    The token is returned once and never stored (only its hash is). Raises ``ValidationError``
    for an unknown, ended or malformed organisation code or an empty name.
    """
    code = normalise_org_code(org_code)
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["A name is required."]})
    max_length = ApiClient._meta.get_field("name").max_length or 50
    if len(name) > max_length:
        raise ValidationError({"name": [f"At most {max_length} characters."]})
    organisation = Organisation.objects.filter(code=code, is_active=True).first()
    if organisation is None:
        raise ValidationError({"org_code": [f"No active organisation has the code {code}."]})
    with transaction.atomic():
        created, token = ApiClient.objects.create_key(organisation=organisation, name=name)
        client = cast(ApiClient, created)
        audit_record(
            actor=actor,
            action="api_client.create",
            target=_audit_target(client),
            data={"organisation": organisation.code, "name": name, "prefix": client.prefix},
        )
    return client, token


def api_client_revoke(*, client: ApiClient, actor: Any) -> bool:
    """Revoke ``client`` (cannot be undone). Returns False if it was already revoked."""
    with transaction.atomic():
        updated = ApiClient.objects.filter(pk=client.pk, revoked=False).update(revoked=True)
        if updated:
            audit_record(
                actor=actor,
                action="api_client.revoke",
                target=_audit_target(client),
                data={"organisation": client.organisation.code, "prefix": client.prefix},
            )
    return bool(updated)
