from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from aldis.organisations.models import ApiClient


class ApiClientRateThrottle(SimpleRateThrottle):
    """Per API client request rate (``ALDIS_API_RATE``, e.g. ``600/minute``)."""

    scope = "api_client"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if isinstance(request.auth, ApiClient):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
