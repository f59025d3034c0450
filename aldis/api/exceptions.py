"""One error shape for the whole API (INTERFACES §3): ``{"error": {"code", "message", "details"}}``.

DRF's own exceptions, Django's ``ValidationError``, ``Http404``/``PermissionDenied`` and ALDIS's
``ApplicationError`` all arrive here. Unexpected exceptions are not caught: they are bugs, logged
with the request id, and answered by ``server_error`` in the same shape.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from aldis.exceptions import ApplicationError
from aldis.middleware import current_request_id


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details if details is not None else {}}}


def _django_validation_details(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": exc.messages}


_MESSAGES = {
    "not_authenticated": "Authentication credentials were not provided.",
    "invalid": "The request is not valid.",
    "parse_error": "The request body could not be parsed.",
}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        return Response(
            error_body("invalid", "The request is not valid.", _django_validation_details(exc)),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    details: Any = {}
    if isinstance(exc, exceptions.ValidationError):
        code, message, details = "invalid", _MESSAGES["invalid"], exc.detail
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        message = str(exc.detail)
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            details = {"retry_after_seconds": int(wait)}
    response.data = error_body(code, message, details)
    return response


def json_not_found() -> JsonResponse:
    return JsonResponse(error_body("not_found", "No such resource."), status=404)


def json_server_error() -> JsonResponse:
    return JsonResponse(
        error_body(
            "server_error",
            "An unexpected error occurred; it has been logged.",
            {"request_id": current_request_id()},
        ),
        status=500,
    )
