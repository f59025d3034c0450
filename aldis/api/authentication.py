"""``Authorization: Token <token>``: the token of one organisation's API client (INTERFACES §3)."""

from typing import cast

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from aldis.organisations.models import ApiClient

# Do not write ``last_used_at`` on every call: once a minute per client is enough to see use.
_LAST_USED_RESOLUTION_SECONDS = 60


class OrganisationTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[ApiClient, ApiClient] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be 'Token <token>'.")
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        try:
            client = cast(ApiClient, ApiClient.objects.get_from_key(key))
        except ApiClient.DoesNotExist:
            # One answer for unknown, revoked and malformed tokens: nothing to probe with.
            raise exceptions.AuthenticationFailed("The token is not valid or has been revoked.") from None
        if client.has_expired or not client.organisation.is_active:
            raise exceptions.AuthenticationFailed("The token is not valid or has been revoked.")
        now = timezone.now()
        if (
            client.last_used_at is None
            or (now - client.last_used_at).total_seconds() > _LAST_USED_RESOLUTION_SECONDS
        ):
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        return client, client

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a request without valid credentials.
        return self.keyword
