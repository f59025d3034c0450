import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from aldis.organisations.models import ApiClient

if TYPE_CHECKING:  # DRF imports the throttle while rest_framework.views is still loading
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class ApiClientRateThrottle(SimpleRateThrottle):
    """Per API client request rate (``ALDIS_API_RATE``, e.g. ``600/minute``), counted in the
    default cache: Redis in the production shape, so every worker counts the same client.

    The throttle protects the service; it is not what guards the data. When Redis cannot be
    reached, a request is let through (and the outage logged) rather than answered 500.
    """

    scope = "api_client"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if isinstance(request.auth, ApiClient):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request: Request, view: "APIView") -> bool:
        try:
            return super().allow_request(request, view)
        except RedisError as error:
            logger.warning(
                "API throttle: the rate store cannot be reached (%s); the request goes through",
                type(error).__name__,
            )
            return True
