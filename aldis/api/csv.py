"""Whole lists as CSV (``Accept: text/csv`` or ``?format=csv``), streamed with flat memory.

``CsvRenderer`` exists for content negotiation only: a list view that negotiated it answers with
a ``StreamingHttpResponse`` over a server-side cursor (``QuerySet.iterator``), one encoded line
at a time, so memory does not grow with the list. ``CsvListMixin`` answers errors in JSON even
when CSV was asked for (the error shape of INTERFACES §3 is JSON).
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from aldis.api.renderers import ExactJSONRenderer

CSV_MEDIA_TYPE = "text/csv"


class CsvRenderer(BaseRenderer):
    media_type = CSV_MEDIA_TYPE
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        # Only empty bodies (304) reach here; lists stream, errors are switched to JSON.
        return b""


class _Line:
    """A file-like object for ``csv.writer`` that hands back the line it was given."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """``header`` then ``rows`` as RFC 4180 lines (CRLF), UTF-8, a chunk of lines at a time."""
    writer = csv.writer(_Line())
    yield writer.writerow(header).encode()
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow(row))
        if len(chunk) >= 500:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def csv_response(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    filename: str,
    headers: dict[str, str] | None = None,
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def raw_rows(queryset: QuerySet[Any, Any], *, chunk: int = 2000) -> Iterator[tuple[Any, ...]]:
    """The rows of ``queryset`` (a ``values_list``), read through the database's streaming cursor
    (a server-side cursor on PostgreSQL) without Django's per-value converters: values come as the
    driver gives them (the caller formats them). Memory stays at one chunk."""
    sql, params = queryset.query.sql_with_params()
    connection = connections[queryset.db]
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        # The planner's estimate for a whole list with per-row sub-queries is high enough to JIT
        # compile it, which costs more (0.4 s for 300,000 rows) than it saves on a plain scan.
        with connection.cursor() as setting:
            setting.execute("SET jit = off")
    try:
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(chunk):
                yield from rows
    finally:
        if postgresql:
            with connection.cursor() as setting:
                setting.execute("RESET jit")


def wants_csv(request: Request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return isinstance(renderer, CsvRenderer)


class CsvListMixin:
    """Offers JSON and CSV; an error is always rendered as JSON."""

    renderer_classes: Any = [ExactJSONRenderer, CsvRenderer]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(response, Response) and response.status_code >= 400 and wants_csv(request):
            request.accepted_renderer = ExactJSONRenderer()
            request.accepted_media_type = ExactJSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
