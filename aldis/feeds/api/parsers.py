"""Feed files arrive as the raw request body; they are never read into memory whole.

A national population file is hundreds of megabytes, so ``CsvStreamParser`` does not parse
anything: it hands the view the request's body stream, and ``spool_upload`` copies that stream
to a temporary file in 1 MiB chunks, refusing it (413) once it passes the size limit. The import
engine then reads the file from disk (``COPY`` on PostgreSQL).
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.datastructures import MultiValueDict
from rest_framework.parsers import BaseParser, DataAndFiles

from aldis.exceptions import ApplicationError

CHUNK_BYTES = 1 << 20


class UploadStream:
    """The unread request body, as the parser leaves it in ``request.data``."""

    def __init__(self, stream: IO[Any]) -> None:
        self.stream = stream


class CsvStreamParser(BaseParser):
    """``text/csv``: the body, unparsed and unread (see the module docstring)."""

    media_type = "text/csv"

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> "DataAndFiles[UploadStream, MultiValueDict[str, Any]]":
        return DataAndFiles(UploadStream(stream), MultiValueDict())


class OctetStreamParser(CsvStreamParser):
    """``application/octet-stream``: accepted too, for clients that cannot label a CSV body."""

    media_type = "application/octet-stream"


def max_upload_bytes() -> int:
    """The largest feed file accepted over the API (``ALDIS_FEED_MAX_BYTES``), read per request."""
    return int(settings.ALDIS_FEED_MAX_BYTES)


def payload_too_large(limit: int) -> ApplicationError:
    return ApplicationError(
        f"The file is larger than the {limit} bytes the API accepts for a feed.",
        code="payload_too_large",
        details={"max_bytes": limit},
        status=413,
    )


@contextlib.contextmanager
def spool_upload(stream: IO[Any] | None, *, declared_bytes: int | None, limit: int) -> Iterator[Path]:
    """Copy ``stream`` to a temporary file and yield its path; the file is deleted on exit.

    ``stream`` None is an empty body (an empty file, which the import rejects with its reason).
    Raises ``ApplicationError`` (413) when the declared ``Content-Length`` or the bytes actually
    read exceed ``limit``; the declared length is checked first, so an oversized upload is
    refused before a byte of it is written to disk.
    """
    if declared_bytes is not None and declared_bytes > limit:
        raise payload_too_large(limit)
    handle, name = tempfile.mkstemp(prefix="aldis-feed-", suffix=".csv", dir=settings.FILE_UPLOAD_TEMP_DIR)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            written = 0
            while stream is not None and (chunk := stream.read(CHUNK_BYTES)):
                written += len(chunk)
                if written > limit:
                    raise payload_too_large(limit)
                out.write(chunk)
        yield path
    finally:
        path.unlink(missing_ok=True)
