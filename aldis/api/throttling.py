import logging
import math
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

    Counted in fixed windows of the rate's period, one counter per client and window, raised
    with the cache's atomic ``incr``: concurrent requests of one client on several workers are
    each counted. (DRF's own history list is read, extended and written back, so two requests at
    once could both be let through as the last one allowed; and it rewrites up to 600
    timestamps on every request.) A client may send up to twice the rate across a window's edge,
    as with any fixed window.

    The throttle protects the service; it is not what guards the data. When Redis cannot be
    reached, a request is let through (and the outage logged) rather than answered 500.
    """

    scope = "api_client"
    num_requests: int  # set by DRF from the rate
    duration: int
    window_ends: float

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if isinstance(request.auth, ApiClient):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if self.rate is None or (key := self.get_cache_key(request, view)) is None:
            return True
        now = self.timer()
        window = math.floor(now / self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{key}_{window}"
        try:
            # ``add`` creates the window's counter only if it is not there yet; ``incr`` is atomic.
            self.cache.add(key, 0, timeout=self.duration + 1)
            count = self.cache.incr(key)
        except RedisError as error:
            logger.warning(
                "API throttle: the rate store cannot be reached (%s); the request goes through",
                type(error).__name__,
            )
            return True
        return count <= self.num_requests

    def wait(self) -> float:
        """Seconds until the client's window ends and its count starts again."""
        return float(max(math.ceil(self.window_ends - self.timer()), 1))
