"""``POST /api/v1/feeds/{feed}/?as_of=YYYY-MM-DD``: a register, trader or operator sends a feed file.

The same as ``manage.py import_feed`` (INTERFACES §1, §3), over HTTP: the body is the CSV file,
streamed to disk, then ``feed_import`` applies it all or nothing.
"""

from typing import IO, Any

from django.db import transaction
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aldis.api.exceptions import error_body
from aldis.api.permissions import caller_client, caller_organisation
from aldis.exceptions import ApplicationError
from aldis.feeds.api.parsers import (
    CsvStreamParser,
    OctetStreamParser,
    UploadStream,
    max_upload_bytes,
    spool_upload,
)
from aldis.feeds.api.serializers import ErrorSerializer, InvalidSerializer, IsoDateField, RejectedSerializer
from aldis.feeds.models import BatchStatus, FeedBatch
from aldis.feeds.registry import feed_specs
from aldis.feeds.services import feed_import, sender_refusal
from aldis.feeds.spec import FeedSpec
from aldis.organisations.models import Organisation

UPLOAD_FILE_NAME = "api-upload.csv"

# Feeds that someone may send over the API; ``organisations`` has no sender kinds (the Bureau
# sends it through the shell), so it is known (403) but not offered in the schema.
API_FEEDS = sorted(name for name, spec in feed_specs().items() if spec.sender_kinds)
SENDER_KINDS = sorted({kind for spec in feed_specs().values() for kind in spec.sender_kinds})


def _feeds_of(organisation: Organisation) -> list[str]:
    return sorted(name for name, spec in feed_specs().items() if not sender_refusal(spec, organisation))


def _declared_length(request: Request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


# The import must not run inside a request-wide transaction (``feed_import`` opens a durable
# one); this keeps it so even if ``ATOMIC_REQUESTS`` is ever switched on.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class FeedImportApi(APIView):
    """Import one feed file sent by the caller's organisation, all or nothing.

    Checks, in order, each answered in the error shape without reading the body: the token
    (401); the caller's kind sends some feed (403); the feed exists (404); the caller's kind
    sends *this* feed (403); ``as_of`` is a real ``YYYY-MM-DD`` date (400); the body is
    ``text/csv`` or ``application/octet-stream`` (415); it has a ``Content-Length`` (411) within
    ``ALDIS_FEED_MAX_BYTES`` (413). Then the body is streamed to a temporary file (deleted afterwards, whatever happens)
    and ``feed_import`` runs with the caller's organisation as sender and its API client as actor.

    Answers:

    * **201** applied: the batch summary.
    * **201** repeat: the same bytes, feed, sender and ``as_of`` as the last applied batch. A new
      batch is recorded and audited, and its summary (``status`` ``repeat``, ``repeat_of``
      naming the batch that did the work) is the answer, as INTERFACES §3 gives one success
      answer, "201 with the batch summary", and re-sending is harmless (§1). An integration that
      retries after a lost answer gets that success.
    * **400** rejected: every bad row; nothing was applied (the rejected batch is kept).
    * A sender whose kind may not send the feed is **403**, decided here before anything is
      recorded: INTERFACES §3 says a token's kind decides what it may call ("their feeds
      only"), so it is a matter of permission, not of a malformed request. The service checks
      the same rule for the shell; any other ``ValidationError`` it raises is a **400**.
    """

    allowed_org_kinds = SENDER_KINDS
    parser_classes = [CsvStreamParser, OctetStreamParser]

    class InputSerializer(serializers.Serializer):
        as_of = IsoDateField(help_text="the date the file's content is true as of (`YYYY-MM-DD`)")

    class OutputSerializer(serializers.Serializer):
        batch = serializers.IntegerField(source="pk", help_text="the batch recorded for this file")
        feed = serializers.CharField()
        as_of = serializers.DateField()
        status = serializers.CharField(help_text="`applied`")
        rows = serializers.IntegerField(help_text="data rows in the file")
        inserted = serializers.IntegerField(help_text="new keys")
        changed = serializers.IntegerField(help_text="keys whose content changed (a new version)")
        ended = serializers.IntegerField(help_text="snapshot keys missing from the file, ended on `as_of`")
        unchanged = serializers.IntegerField()

        class Meta:
            ref_name = "FeedBatchApplied"

    class RepeatOutputSerializer(OutputSerializer):
        status = serializers.CharField(help_text="`repeat`")
        repeat_of = serializers.IntegerField(
            source="repeat_of_id", help_text="the applied batch this file repeats; nothing changed"
        )

        class Meta:
            ref_name = "FeedBatchRepeat"

    @extend_schema(
        operation_id="feed_import",
        tags=["feeds"],
        summary="Send a feed file",
        description=(
            "Sends one feed file of INTERFACES §1 as the request body (`text/csv`, UTF-8), known "
            "as of `as_of`. The file is applied all or nothing, as your organisation's: **201** "
            "with the batch summary, what it changed. Sending the same file again with the same "
            "`as_of` is harmless: **201** with `status` `repeat` and `repeat_of`, the batch that "
            "applied it; nothing changes. A file with bad rows is **400** `feed_rejected` listing every bad row "
            "(line, column, value, reason; the header is line 1) and nothing of it is applied. "
            "Each organisation kind sends its own feeds only (**403** otherwise); files over the "
            "size limit are **413**."
        ),
        parameters=[
            OpenApiParameter(
                "feed",
                str,
                OpenApiParameter.PATH,
                enum=API_FEEDS,
                description="the feed's name (INTERFACES §1); each organisation kind sends its own",
            ),
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATE,
                OpenApiParameter.QUERY,
                required=True,
                description="the date the file's content is true as of (`YYYY-MM-DD`)",
            ),
        ],
        request={"text/csv": OpenApiTypes.BINARY, "application/octet-stream": OpenApiTypes.BINARY},
        responses={
            201: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="FeedBatchSummary",
                    serializers=[OutputSerializer, RepeatOutputSerializer],
                    resource_type_field_name=None,
                ),
                description="`applied`: what it changed; `repeat`: the same file again, nothing changed",
            ),
            400: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="FeedImportBadRequest",
                    serializers=[RejectedSerializer, InvalidSerializer],
                    resource_type_field_name=None,
                ),
                description="`feed_rejected`: the file has bad rows, every one listed, nothing applied; "
                "`invalid`: `as_of` is missing or not a date",
            ),
            401: OpenApiResponse(ErrorSerializer, description="no token, or not a valid one"),
            403: OpenApiResponse(ErrorSerializer, description="the caller's kind does not send this feed"),
            404: OpenApiResponse(ErrorSerializer, description="no such feed"),
            411: OpenApiResponse(ErrorSerializer, description="no `Content-Length` (chunked uploads)"),
            413: OpenApiResponse(ErrorSerializer, description="the file is larger than the limit"),
            415: OpenApiResponse(ErrorSerializer, description="not `text/csv`"),
        },
    )
    def post(self, request: Request, feed: str) -> Response:
        organisation = caller_organisation(request)
        spec = self._spec(feed, organisation)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        with spool_upload(
            self._body(request), declared_bytes=_declared_length(request), limit=max_upload_bytes()
        ) as path:
            batch = feed_import(
                feed=spec.name,
                path=path,
                as_of=params.validated_data["as_of"],
                sender=organisation,
                actor=caller_client(request),
                file_name=UPLOAD_FILE_NAME,
            )
        return self._answer(batch)

    def _spec(self, feed: str, organisation: Organisation) -> FeedSpec:
        spec = feed_specs().get(feed)
        if spec is None:
            # Feed names are public (INTERFACES §1); the ones this caller may send help it most.
            raise ApplicationError(
                "There is no such feed.",
                code="not_found",
                details={"your_feeds": _feeds_of(organisation)},
                status=status.HTTP_404_NOT_FOUND,
            )
        refusal = sender_refusal(spec, organisation)
        if refusal:
            raise exceptions.PermissionDenied(f"You may not send the {spec.name} feed: {refusal}.")
        return spec

    def _body(self, request: Request) -> IO[Any] | None:
        """The body stream, or None for an empty body; 415 unless it is labelled as a CSV file.

        DRF does not consult the parsers for an empty body, so its type is checked here too.
        Django reads a body only up to its ``Content-Length``: a chunked upload without one
        would arrive empty, so it is refused (411) rather than rejected as an empty file.
        """
        data = request.data  # raises UnsupportedMediaType for a type no parser accepts
        if isinstance(data, UploadStream):
            return data.stream
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        if media_type not in {parser.media_type for parser in self.parser_classes}:
            raise exceptions.UnsupportedMediaType(media_type)
        if _declared_length(request) is None and request.META.get("HTTP_TRANSFER_ENCODING"):
            raise ApplicationError(
                "Send the file with a Content-Length header; chunked uploads are not accepted.",
                code="length_required",
                status=status.HTTP_411_LENGTH_REQUIRED,
            )
        return None

    def _answer(self, batch: FeedBatch) -> Response:
        if batch.status == BatchStatus.APPLIED:
            return Response(self.OutputSerializer(batch).data, status=status.HTTP_201_CREATED)
        if batch.status == BatchStatus.REPEAT:
            return Response(self.RepeatOutputSerializer(batch).data, status=status.HTTP_201_CREATED)
        if batch.status == BatchStatus.REJECTED:
            listed = len(batch.errors)
            message = (
                f"The {batch.feed} file was rejected: {batch.error_count} bad row(s); nothing was applied."
            )
            if listed < batch.error_count:
                message += f" The first {listed} are listed."
            details = {"batch": batch.pk, "error_count": batch.error_count, "errors": batch.errors}
            return Response(error_body("feed_rejected", message, details), status=status.HTTP_400_BAD_REQUEST)
        # feed_import raises on failure; any other status would be a bug in the service.
        raise RuntimeError(f"feed batch {batch.pk} ended as {batch.status}")
