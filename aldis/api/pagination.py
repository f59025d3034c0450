"""Keyset (cursor) pagination for the month lists (STYLE rule 9: never OFFSET on big tables).

A page is the rows after the last key of the previous page, in a stable total order whose last
field is the primary key. The cursor is signed (``django.core.signing``, salted per list) and
carries the run it was issued for, the caller's organisation and the last row's primary key: the
run pins the version, so a trader paging through month M while it is re-run keeps reading the
version it started with; any cursor not issued by this server for this list and caller is a 400
``invalid_cursor``, never a 500 and never another party's page.

The cursor is signed, not encrypted: anyone who sees the URL can decode it, and URLs end up in
access logs. So it carries only internal ids, never the last row's ordering values (a sub-user's
personal code is one of them); the key to continue after is read back from that row.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.core import signing
from django.db.models import Model, Q, QuerySet
from rest_framework import status
from rest_framework.request import Request

from aldis.exceptions import ApplicationError

DEFAULT_PAGE_SIZE = 100
_DIGITS = re.compile(r"[0-9]{1,7}")
MAX_PAGE_SIZE = 1000

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Cursor:
    run: int
    last_id: int


def invalid_cursor(message: str = "The cursor is not valid for this list.") -> ApplicationError:
    return ApplicationError(
        message,
        code="invalid_cursor",
        details={"cursor": ["not a cursor this list issued; start again without one"]},
        status=status.HTTP_400_BAD_REQUEST,
    )


def invalid_page_size() -> ApplicationError:
    return ApplicationError(
        "The page size is not valid.",
        code="invalid",
        details={"page_size": [f"an integer from 1 to {MAX_PAGE_SIZE}"]},
        status=status.HTTP_400_BAD_REQUEST,
    )


def page_size_of(request: Request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise invalid_page_size()
    return int(raw)


def after(fields: Sequence[str], key: Sequence[Any]) -> Q:
    """Rows strictly after ``key`` in the ascending order of ``fields`` (a row comparison
    spelled out, which both PostgreSQL and SQLite plan on the list's index)."""
    condition = Q()
    for i in range(len(fields) - 1, -1, -1):
        step = Q(**{f"{fields[i]}__gt": key[i]})
        condition = step if i == len(fields) - 1 else step | (Q(**{fields[i]: key[i]}) & condition)
    return condition


class KeysetPaginator(Generic[M]):
    """Pages of ``queryset`` in the order ``fields`` (each ascending; the last one the primary key).

    ``salt`` names the list (a cursor of one list is refused by another); ``owner`` is the
    caller's organisation id, signed into the cursor.
    """

    def __init__(self, *, fields: Sequence[str], salt: str, owner: int) -> None:
        if not fields or fields[-1] not in ("id", "pk"):
            raise ValueError("the last ordering field of a keyset list must be its primary key")
        self.fields = tuple(fields)
        self.salt = f"aldis.api.cursor.{salt}"
        self.owner = owner

    def read_cursor(self, request: Request) -> Cursor | None:
        raw = request.query_params.get("cursor")
        if raw is None or raw == "":
            return None
        try:
            payload = signing.loads(raw, salt=self.salt)
        except (signing.BadSignature, ValueError, TypeError):
            raise invalid_cursor() from None
        if (
            not isinstance(payload, dict)
            or payload.get("o") != self.owner
            or not isinstance(payload.get("r"), int)
            or not isinstance(payload.get("i"), int)
        ):
            raise invalid_cursor()
        return Cursor(run=payload["r"], last_id=payload["i"])

    def make_cursor(self, *, run: int, last_id: int) -> str:
        return signing.dumps({"r": run, "o": self.owner, "i": last_id}, salt=self.salt, compress=True)

    def page(
        self, queryset: QuerySet[M, Any], *, cursor: Cursor | None, size: int, run: int
    ) -> tuple[list[Any], str | None]:
        """One page and the cursor of the next one (None on the last page)."""
        ordered = queryset.order_by(*self.fields)
        if cursor is not None:
            # The last row is looked up in the caller's own (scoped) list: a row that is not there
            # is not a cursor of this list.
            key = queryset.filter(pk=cursor.last_id).values_list(*self.fields).first()
            if key is None:
                raise invalid_cursor()
            ordered = ordered.filter(after(self.fields, key))
        rows: list[Any] = list(ordered[: size + 1])
        if len(rows) <= size:
            return rows, None
        rows = rows[:size]
        return rows, self.make_cursor(run=run, last_id=int(_attr(rows[-1], self.fields[-1])))


def _attr(row: Any, field: str) -> Any:
    if isinstance(row, dict):  # a ``values()`` row
        return row[field]
    value = row
    for part in field.split("__"):
        value = getattr(value, part)
    return value


def next_link(request: Request, cursor: str | None) -> str | None:
    """The absolute URL of the next page: this request's query with the new cursor."""
    if cursor is None:
        return None
    query = {k: v for k, v in request.query_params.items() if k != "cursor"}
    query["cursor"] = cursor
    return request.build_absolute_uri(request.path) + "?" + urlencode(query)
