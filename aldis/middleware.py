"""Request ids, and the language a page speaks.

Request ids: every web request gets one, logs carry it and audit events record it.

An incoming ``X-Request-ID`` from a trusted proxy is kept if it looks like an id (so a trace can
cross systems); anything else is replaced. The id is returned in the response header.
"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

_request_id: ContextVar[str] = ContextVar("aldis_request_id", default="")
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    """The id of the web request being served, or ``""`` outside one."""
    return _request_id.get()


class RequestIdMiddleware:
    header = "HTTP_X_REQUEST_ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get(self.header, "")
        request_id = incoming if _ACCEPTABLE_ID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Latvian unless the person chose another language with the language form (its cookie).

    Django's ``LocaleMiddleware`` would follow the browser's ``Accept-Language``: a Latvian
    resident whose browser is set to English would get an English page they never asked for.
    DOMAIN and the household page's issue make Latvian the default; English is a choice.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
