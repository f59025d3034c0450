"""Request bodies of the submission endpoints, read whole but bounded.

The raw bytes are needed anyway (their SHA-256 identifies a retried request), so the views read
the body themselves, up to ``MAX_BODY_BYTES`` (413 beyond), instead of DRF's parsers; JSON
numbers are read as ``Decimal`` (never float), CSV through the csv module.
"""

import csv
import io
import json
from decimal import Decimal
from typing import Any

from rest_framework import status
from rest_framework.request import Request

from aldis.exceptions import ApplicationError

MAX_BODY_BYTES = 32 * 1024 * 1024
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"
APPLIED_CSV_HEADER = ("contract_no", "sub_user_code", "applied_eur")


def bad_body(message: str) -> ApplicationError:
    return ApplicationError(
        "The request body is not valid.",
        code="invalid",
        details={"body": [message]},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _too_large() -> ApplicationError:
    return ApplicationError(
        f"The body is larger than the {MAX_BODY_BYTES} bytes accepted; send it in parts.",
        code="payload_too_large",
        details={"max_bytes": MAX_BODY_BYTES},
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def media_type(request: Request) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


def read_body(request: Request, *, accepted: tuple[str, ...]) -> bytes:
    """The body's bytes: 415 unless its type is one of ``accepted``, 413 over the limit, 400 empty."""
    kind = media_type(request)
    if kind not in accepted:
        raise ApplicationError(
            f"Send the body as {' or '.join(accepted)}.",
            code="unsupported_media_type",
            details={"content_type": kind, "accepted": list(accepted)},
            status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise _too_large()
    body = request._request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    if not body.strip():
        raise bad_body("the body is empty")
    return body


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise bad_body(f"not valid JSON ({str(exc)[:120]})") from None


def applied_lines(body: bytes, kind: str) -> list[Any]:
    """The applied lines of a JSON body (a list, or ``{"lines": [...]}``) or of a CSV body
    (header ``contract_no,sub_user_code,applied_eur`` in any order). Items are returned as sent;
    the service judges each one."""
    if kind == JSON_TYPE:
        data = parse_json(body)
        if isinstance(data, dict) and set(data) == {"lines"}:
            data = data["lines"]
        if not isinstance(data, list):
            raise bad_body('a JSON list of lines, or {"lines": [...]}')
        return data
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_body("the CSV file is not UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        if sorted(h.strip() for h in header) != sorted(APPLIED_CSV_HEADER):
            raise bad_body(f"the CSV header must be {','.join(APPLIED_CSV_HEADER)}")
        names = [h.strip() for h in header]
        lines: list[Any] = []
        for row in reader:
            if not row or row == [""]:
                continue
            if len(row) != len(names):
                lines.append(None)  # a malformed row: a rejected line
                continue
            lines.append(dict(zip(names, row, strict=True)))
    except csv.Error as exc:
        raise bad_body(f"not a valid CSV file ({exc})") from None
    return lines
