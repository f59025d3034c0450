"""Access decided by the caller's organisation kind.

Each API view names the kinds it serves in ``allowed_org_kinds``; a view that names none refuses
everyone (fail closed). Whether a row belongs to the caller is the selectors' business: they
filter by ``request.auth.organisation``, so another organisation's data is simply not found.
"""

from collections.abc import Collection
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from aldis.organisations.models import ApiClient, Organisation


class HasOrganisationKind(BasePermission):
    message = "Your organisation's kind may not call this endpoint."

    def has_permission(self, request: Request, view: Any) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return False
        allowed: Collection[str] = getattr(view, "allowed_org_kinds", ())
        return client.organisation.kind in allowed


def caller_client(request: Request) -> ApiClient:
    """The authenticated API client (guaranteed once ``HasOrganisationKind`` has passed)."""
    if not isinstance(request.auth, ApiClient):
        raise TypeError("caller_client() needs a request authenticated by an API token")
    return request.auth


def caller_organisation(request: Request) -> Organisation:
    """The organisation of the authenticated API client."""
    return caller_client(request).organisation
