"""The error bodies of the month endpoints for the OpenAPI schema (the exception handler builds
them; these serializers only describe them), and a helper that lists a view's error answers."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class _ApiErrorBody(serializers.Serializer):
    code = serializers.CharField(
        help_text="stable and machine-readable, e.g. `month_not_computed`, `invalid`, `invalid_cursor`"
    )
    message = serializers.CharField(help_text="for a person reading the integration's log")
    details = serializers.DictField(
        help_text='depends on the code; for `invalid`, the field at fault and what is wrong, e.g. `{"month": [...]}`'
    )

    class Meta:
        ref_name = "ApiErrorBody"


class ApiErrorSerializer(serializers.Serializer):
    """``{"error": {"code", "message", "details"}}``: every 4xx answer of the API (INTERFACES §3)."""

    error = _ApiErrorBody()

    class Meta:
        ref_name = "ApiError"


_DESCRIPTIONS = {
    400: "`invalid`: a parameter or the body is not valid (details name each one); `invalid_cursor`",
    401: "no token, or not a valid one",
    403: "the caller's organisation kind may not call this endpoint",
    404: "`month_not_computed`: the month has no version in force",
    410: "`month_purged`: the month's lists were deleted under the retention rule",
    409: "a domain rule refused the request",
    413: "`payload_too_large`: the body is larger than the limit",
    415: "the body's content type is not accepted",
    422: "`idempotency_key_reused`: the key was already used with another body or month",
    429: "too many requests from this API client; `details.retry_after_seconds`",
}


def error_responses(*statuses: int, **overrides: str) -> dict[int, Any]:
    """``{status: OpenApiResponse(ApiErrorSerializer)}`` for each status (descriptions overridable
    as ``e400="..."``)."""
    return {
        code: OpenApiResponse(ApiErrorSerializer, description=overrides.get(f"e{code}", _DESCRIPTIONS[code]))
        for code in statuses
    }
