"""Project-level views: health, the public home page, and error pages that speak JSON under /api/."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from aldis.api.exceptions import error_body, json_not_found, json_server_error

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("health check: database unreachable")
        return False


def _broker_state() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        return True, "in-process (no broker configured)"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError:
        logger.exception("health check: broker unreachable")
        return False, "unreachable"
    return True, "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 otherwise. Says nothing else."""
    database_ok = _database_ok()
    broker_ok, broker = _broker_state()
    healthy = database_ok and broker_ok
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": "ok" if database_ok else "unreachable",
        "broker": broker,
    }
    return JsonResponse(body, status=200 if healthy else 503)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def api_unknown_path(request: HttpRequest) -> JsonResponse:
    """Any path under /api/ that names no endpoint: 404 in the error shape, also under DEBUG
    (whose 404 is a page of its own).

    Matched by a URL pattern (the last), so that Django's APPEND_SLASH never acts on an API path:
    it would redirect a path without its final slash to an HTML page, and under DEBUG answer a
    POST with a 500. Such a path is told what to add instead."""
    details = {}
    if not request.path.endswith("/"):
        try:
            with_slash = resolve(request.path + "/").func is not api_unknown_path
        except Resolver404:
            with_slash = False
        if with_slash:
            details = {"path": ["API paths end with a slash: add one"]}
    return JsonResponse(error_body("not_found", "No such resource.", details), status=404)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return json_not_found() if _is_api(request) else defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    return json_server_error() if _is_api(request) else defaults.server_error(request)
