"""The parties' month lists (INTERFACES §3): eligible contracts and adjustments (traders),
eligible objects (DSOs, heat suppliers, traders), eligible addresses (local governments).

Every list is scoped to the caller's organisation by its selector: another party's rows are
simply not there. JSON is keyset-paginated (``next``, ``results``; ``?page_size=`` up to 1000)
with a signed cursor that pins the version; ``Accept: text/csv`` (or ``?format=csv``) streams the
whole list of the version in force. The traders' lists also take ``?version=N``, any done version
of the month (a trader catching up on the versions it did not pull). Each answer carries a weak
``ETag`` (the version, and for eligible contracts what moves the balances: the trader's newest
accepted applied line, and the version in force of each earlier month of the year) and honours ``If-None-Match`` (304). Because the ETag names everything a page
depends on, a rendered first page is kept under it in the process (the ``pages`` cache,
``ALDIS_PAGE_CACHE_SECONDS``).

Each pull is audited once per request (``list.pull``: list, month, run, version, rows, format;
``version_asked`` when the caller named the version), before the rows are sent: a CSV's row count
comes from one ``COUNT`` of the same query, so the trail records what was offered even if the
client stops reading half-way.
"""

import hashlib
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from django.core.cache import caches
from django.db.models import CharField, Func, Model, QuerySet
from django.http import HttpResponse, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from aldis.api.csv import CsvListMixin, csv_response, raw_rows, wants_csv
from aldis.api.months import month_from_path, month_label, run_to_list, version_from_query
from aldis.api.pagination import KeysetPaginator, next_link, page_size_of
from aldis.api.permissions import caller_client, caller_organisation
from aldis.api.serializers import error_responses
from aldis.organisations.models import Organisation, OrganisationKind
from audit.services import audit_record
from compensation.selectors import contract_lines_with_available, latest_accepted_applied_id
from eligibility.api import serializers as out
from eligibility.models import MonthRun
from eligibility.selectors import (
    credited_runs_in_force,
    party_eligible_objects,
    territory_eligible_addresses,
    trader_adjustment_lines,
)

CENT = Decimal("0.01")


def _money(value: Any) -> str:
    """An amount with two decimals: a ``Decimal`` (PostgreSQL, or Django's converters), or the
    int/float SQLite's driver gives for a raw numeric value, read through its shortest ``str``
    (never formatted as a binary float) and quantised to the cent it stands for."""
    if isinstance(value, str):  # already written by the database (``MoneyText``)
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return f"{Decimal(str(value)).quantize(CENT):.2f}"


class MoneyText(Func):
    """An amount as text written by PostgreSQL (a two-decimal numeric prints as ``25.00``), which
    spares Python a Decimal per value in a 300,000-row CSV; elsewhere the value itself."""

    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS text)", **extra)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        extra.setdefault("template", "%(expressions)s")
        return super().as_sql(compiler, connection, **extra)


class CategoriesCsv(Func):
    """A contract line's ``categories`` as the CSV column: ``category:units`` joined by ``;``,
    computed by the database (no JSON decoding per row in Python)."""

    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = (
            "COALESCE((SELECT string_agg((e.c ->> 'category') || ':' || (e.c ->> 'units'), ';' ORDER BY e.o) "
            "FROM jsonb_array_elements(%(expressions)s) WITH ORDINALITY AS e(c, o)), '')"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = (
            "COALESCE((SELECT group_concat(json_extract(e.value, '$.category') || ':' || "
            "json_extract(e.value, '$.units'), ';') FROM json_each(%(expressions)s) AS e), '')"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


MONTH_PARAMETER = OpenApiParameter(
    "month", str, OpenApiParameter.PATH, description="the month, written `YYYY-MM`", pattern=r"^\d{4}-\d{2}$"
)
LIST_PARAMETERS = [
    MONTH_PARAMETER,
    OpenApiParameter(
        "cursor",
        str,
        OpenApiParameter.QUERY,
        description="the `next` link's cursor; it pins the version the first page read",
    ),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, OpenApiParameter.QUERY, description="rows per page, 1 to 1000 (100)"
    ),
    OpenApiParameter(
        "format",
        str,
        OpenApiParameter.QUERY,
        enum=["json", "csv"],
        description="`csv`: the whole list as CSV (the same as `Accept: text/csv`)",
    ),
    OpenApiParameter(
        "If-None-Match", str, OpenApiParameter.HEADER, description="an `ETag` from an earlier answer (304)"
    ),
]
VERSION_PARAMETER = OpenApiParameter(
    "version",
    {"type": "integer", "minimum": 1},
    OpenApiParameter.QUERY,
    description=(
        "a version of the month that finished successfully, in force or since replaced (default: "
        "the version in force); **400** `invalid` when not a number, **404** `version_not_found` "
        "when the month has no such done version"
    ),
)


class MonthListApi(CsvListMixin, APIView):
    """One month list. Subclasses name the list, its order, and how a row is written.

    ``offers_versions``: the list takes ``?version=N`` (a done version of the month, in force or
    not); elsewhere the parameter is ignored like any other unknown one."""

    list_name: ClassVar[str]
    offers_versions: ClassVar[bool] = False
    order: ClassVar[Sequence[str]]
    json_values: ClassVar[Sequence[str]]  # the ``values()`` a JSON row is written from
    csv_header: ClassVar[Sequence[str]]
    csv_values: ClassVar[Sequence[str]]  # the ``values_list()`` a CSV row is written from

    def rows(self, *, run: MonthRun, organisation: Organisation) -> QuerySet[Any]:
        raise NotImplementedError

    def json_row(self, row: dict[str, Any], run: MonthRun) -> dict[str, Any]:
        raise NotImplementedError

    def csv_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset

    def csv_row(self, values: tuple[Any, ...], run: MonthRun) -> Sequence[Any]:
        """A row as the database driver gives it (see ``raw_rows``)."""
        raise NotImplementedError

    def etag_parts(self, *, run: MonthRun, organisation: Organisation) -> list[Any]:
        return [run.pk]

    def get(self, request: Request, month: str) -> HttpResponseBase:
        organisation = caller_organisation(request)
        the_month = month_from_path(month)
        csv_wanted = wants_csv(request)
        version = version_from_query(request) if self.offers_versions else None
        paginator: KeysetPaginator[Model] = KeysetPaginator(
            fields=self.order, salt=self.list_name, owner=organisation.pk
        )
        size = page_size_of(request)
        cursor = None if csv_wanted else paginator.read_cursor(request)
        run = run_to_list(the_month, pinned=cursor.run if cursor else None, version=version)
        asked = version is not None
        etag = self._etag(request, run=run, organisation=organisation, csv_wanted=csv_wanted)
        if etag in _if_none_match(request):
            self._audit(
                request, run=run, rows=0, csv_wanted=csv_wanted, not_modified=True, version_asked=asked
            )
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        if csv_wanted:
            queryset = self.rows(run=run, organisation=organisation)
            total = queryset.count()
            self._audit(request, run=run, rows=total, csv_wanted=True, version_asked=asked)
            values = raw_rows(self.csv_queryset(queryset).order_by(*self.order).values_list(*self.csv_values))
            return csv_response(
                self.csv_header,
                (self.csv_row(v, run) for v in values),
                filename=f"{self.list_name}-{month_label(the_month)}-v{run.version}.csv",
                headers={"ETag": etag, "X-Total-Count": str(total), "X-Version": str(run.version)},
            )
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        kept_query = (_KEPT_PAGE_QUERY | _VERSION_QUERY) if self.offers_versions else _KEPT_PAGE_QUERY
        page_key = _kept_page_key(request, etag, kept_query) if cursor is None else None
        kept = caches["pages"].get(page_key) if page_key else None
        if kept is None:
            page, next_cursor = paginator.page(
                self.rows(run=run, organisation=organisation).values(*self.order, *self.json_values),
                cursor=cursor,
                size=size,
                run=run.pk,
            )
            body = {"next": next_link(request, next_cursor), "results": [self.json_row(r, run) for r in page]}
            kept = (len(page), renderer.render(body, media_type, self.get_renderer_context()))
            if page_key:
                caches["pages"].set(page_key, kept)
        rows, content = kept
        self._audit(
            request, run=run, rows=rows, csv_wanted=False, paged=cursor is not None, version_asked=asked
        )
        return HttpResponse(
            content,
            content_type=renderer.media_type,
            headers={"ETag": etag, "X-Version": str(run.version)},
        )

    def _etag(self, request: Request, *, run: MonthRun, organisation: Organisation, csv_wanted: bool) -> str:
        query = sorted((k, v) for k, v in request.query_params.items() if k != "format")
        parts = [self.list_name, organisation.pk, *self.etag_parts(run=run, organisation=organisation)]
        parts += ["csv" if csv_wanted else "json", query]
        return 'W/"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'

    def _audit(
        self,
        request: Request,
        *,
        run: MonthRun,
        rows: int,
        csv_wanted: bool,
        paged: bool = False,
        not_modified: bool = False,
        version_asked: bool = False,
    ) -> None:
        data: dict[str, Any] = {
            "list": self.list_name,
            "month": month_label(run.month),
            "run": run.pk,
            "version": run.version,
            "rows": rows,
            "format": "csv" if csv_wanted else "json",
        }
        if paged:
            data["next_page"] = True
        if not_modified:
            data["not_modified"] = True
        if version_asked:  # ``?version=N``: the caller named the version (``version``) it pulled
            data["version_asked"] = True
        audit_record(actor=caller_client(request), action="list.pull", target=run, data=data)


_KEPT_PAGE_QUERY = frozenset({"page_size", "format"})
_VERSION_QUERY = frozenset({"version"})


def _kept_page_key(request: Request, etag: str, kept_query: frozenset[str]) -> str | None:
    """Where a first page is kept: what clients poll, rendered, under its ETag (which names
    everything its rows depend on, the run read and the query included), the URL it was asked
    with (its ``next`` link's) and the media type it was rendered in. None when pages are not
    kept, or the query holds anything but ``kept_query`` (the page size, format and, on a list
    that offers versions, the version, already checked to be a done one: parameters the list
    ignores would otherwise let a client fill the cache)."""
    if caches["pages"].default_timeout == 0 or not set(request.query_params) <= kept_query:
        return None
    asked = f"{etag} {request.build_absolute_uri()} {request.accepted_media_type}"
    return hashlib.sha256(asked.encode()).hexdigest()


def _if_none_match(request: Request) -> set[str]:
    header = request.headers.get("If-None-Match", "")
    return {part.strip() for part in header.split(",") if part.strip()}


def _list_schema(
    *,
    operation_id: str,
    summary: str,
    description: str,
    page: type[Serializer],
    row: type[Serializer],
    versions: bool = False,
) -> Callable[[Any], Any]:
    """The schema of a list's ``get``; ``versions`` as the view's ``offers_versions``."""
    return extend_schema(
        operation_id=operation_id,
        tags=["months"],
        summary=summary,
        description=description,
        parameters=[*LIST_PARAMETERS, VERSION_PARAMETER] if versions else LIST_PARAMETERS,
        responses={
            (200, "application/json"): OpenApiResponse(page, description="one page"),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description=f"the whole list as CSV, columns as in `{row.Meta.ref_name}`",  # type: ignore[attr-defined]
            ),
            304: OpenApiResponse(description="not modified since the `ETag` given in `If-None-Match`"),
            **error_responses(400, 401, 403, 404, 410, 429),
        },
    )


class EligibleContractsListApi(MonthListApi):
    list_name = "eligible_contracts"
    allowed_org_kinds = (OrganisationKind.TRADER,)
    offers_versions = True
    order = ("contract_no", "sub_user_code", "id")
    json_values = ("amount_eur", "available_eur", "categories")
    csv_header = ("contract_no", "sub_user_code", "amount_eur", "balance_eur", "categories", "version")
    csv_values = ("contract_no", "sub_user_code", "amount_text", "available_text", "categories_csv")
    _in_force: tuple[int, dict[str, int]] | None = None  # per request: a view instance is one request

    def rows(self, *, run: MonthRun, organisation: Organisation) -> QuerySet[Any]:
        return contract_lines_with_available(
            run=run, trader_id=organisation.pk, in_force=self._credited_in_force(run)
        )

    def etag_parts(self, *, run: MonthRun, organisation: Organisation) -> list[Any]:
        # The balances also move when an earlier month of the year gets a new version in force.
        return [
            run.pk,
            latest_accepted_applied_id(trader_id=organisation.pk, month=run.month),
            sorted(self._credited_in_force(run).items()),
        ]

    def _credited_in_force(self, run: MonthRun) -> dict[str, int]:
        """The earlier months' versions in force (``credited_runs_in_force``), read once per
        request: the ETag and the rows must agree."""
        if self._in_force is None or self._in_force[0] != run.pk:
            self._in_force = (run.pk, credited_runs_in_force(month=run.month))
        return self._in_force[1]

    def json_row(self, row: dict[str, Any], run: MonthRun) -> dict[str, Any]:
        return {
            "contract_no": row["contract_no"],
            "sub_user_code": row["sub_user_code"],
            "amount_eur": _money(row["amount_eur"]),
            "balance_eur": _money(row["available_eur"]),
            "categories": list(row["categories"] or []),
            "version": run.version,
        }

    def csv_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.annotate(
            categories_csv=CategoriesCsv("categories"),
            amount_text=MoneyText("amount_eur"),
            available_text=MoneyText("available_eur"),
        )

    def csv_row(self, values: tuple[Any, ...], run: MonthRun) -> Sequence[Any]:
        contract_no, sub_user_code, amount, available, categories = values
        return (contract_no, sub_user_code, _money(amount), _money(available), categories, run.version)

    @_list_schema(
        operation_id="month_eligible_contracts",
        summary="The month's protected-user list (traders)",
        description=(
            "One row per contract and recipient of the version of the month in force (or, with a "
            "cursor, of the version the first page read; with `version`, of that version): the "
            "month's amount, the available balance (credited in the year up to this month by that "
            "version less what you applied, accepted, for January to this month) and the granted "
            "categories. `Accept: text/csv` streams the whole list (categories as `category:units` "
            "joined by `;`). **404** `month_not_computed` when the month has no version yet."
        ),
        page=out.EligibleContractPageSerializer,
        row=out.EligibleContractSerializer,
        versions=True,
    )
    def get(self, request: Request, month: str) -> HttpResponseBase:
        return super().get(request, month)


class AdjustmentsListApi(MonthListApi):
    list_name = "adjustments"
    allowed_org_kinds = (OrganisationKind.TRADER,)
    offers_versions = True
    order = ("contract_no", "sub_user_code", "id")
    json_values = ("previous_amount_eur", "amount_eur", "delta_eur", "previous_run__version")
    csv_header = (
        "contract_no",
        "sub_user_code",
        "previous_amount_eur",
        "amount_eur",
        "delta_eur",
        "version",
        "previous_version",
    )
    csv_values = (
        "contract_no",
        "sub_user_code",
        "previous_amount_eur",
        "amount_eur",
        "delta_eur",
        "previous_run__version",
    )

    def rows(self, *, run: MonthRun, organisation: Organisation) -> QuerySet[Any]:
        return trader_adjustment_lines(run=run, trader_id=organisation.pk)

    def json_row(self, row: dict[str, Any], run: MonthRun) -> dict[str, Any]:
        return {
            "contract_no": row["contract_no"],
            "sub_user_code": row["sub_user_code"],
            "previous_amount_eur": _money(row["previous_amount_eur"]),
            "amount_eur": _money(row["amount_eur"]),
            "delta_eur": _money(row["delta_eur"]),
            "version": run.version,
            "previous_version": row["previous_run__version"],
        }

    def csv_row(self, values: tuple[Any, ...], run: MonthRun) -> Sequence[Any]:
        contract_no, code, previous, amount, delta, previous_version = values
        return (
            contract_no,
            code,
            _money(previous),
            _money(amount),
            _money(delta),
            run.version,
            previous_version,
        )

    @_list_schema(
        operation_id="month_adjustments",
        summary="Corrections of the month against its previous version (traders)",
        description=(
            "When month M is re-run, one row per recipient whose amount changed against the version "
            "it replaced: `delta_eur` = `amount_eur` - `previous_amount_eur` (signed; a recipient who "
            "is gone has `amount_eur` 0.00, a new one `previous_amount_eur` 0.00). The version in "
            "force's rows by default; `version=N` gives version N's rows (against the version it "
            "replaced, `previous_version`), so that a client that missed a version can apply each "
            "one's corrections in turn. Empty for a month's first version."
        ),
        page=out.AdjustmentPageSerializer,
        row=out.AdjustmentSerializer,
        versions=True,
    )
    def get(self, request: Request, month: str) -> HttpResponseBase:
        return super().get(request, month)


class EligibleObjectsListApi(MonthListApi):
    list_name = "eligible_objects"
    allowed_org_kinds = (
        OrganisationKind.ELECTRICITY_DSO,
        OrganisationKind.GAS_DSO,
        OrganisationKind.HEAT_SUPPLIER,
        OrganisationKind.TRADER,
    )
    order = ("id",)
    json_values = ("connection__object_code", "resource", "address__code")
    csv_header = ("object_code", "resource", "address_code", "version")
    csv_values = ("connection__object_code", "resource", "address__code")

    def rows(self, *, run: MonthRun, organisation: Organisation) -> QuerySet[Any]:
        return party_eligible_objects(
            run=run, organisation_id=organisation.pk, as_supplier=organisation.kind == OrganisationKind.TRADER
        )

    def json_row(self, row: dict[str, Any], run: MonthRun) -> dict[str, Any]:
        return {
            "object_code": row["connection__object_code"],
            "resource": row["resource"],
            "address_code": row["address__code"],
            "version": run.version,
        }

    def csv_row(self, values: tuple[Any, ...], run: MonthRun) -> Sequence[Any]:
        return (*values, run.version)

    @_list_schema(
        operation_id="month_eligible_objects",
        summary="Energy-aid eligible objects (DSOs, heat suppliers, traders)",
        description=(
            "The connection objects eligible for energy-supply-cost aid in the month, per resource "
            "switched on: to a DSO or heat supplier the objects it operates, to a trader the objects "
            "it supplies."
        ),
        page=out.EligibleObjectPageSerializer,
        row=out.EligibleObjectSerializer,
    )
    def get(self, request: Request, month: str) -> HttpResponseBase:
        return super().get(request, month)


class EligibleAddressesListApi(MonthListApi):
    list_name = "eligible_addresses"
    allowed_org_kinds = (OrganisationKind.MUNICIPALITY,)
    order = ("id",)
    json_values = ("address__code", "resource", "full_address")
    csv_header = ("address_code", "resource", "full_address", "version")
    csv_values = ("address__code", "resource", "full_address")

    def rows(self, *, run: MonthRun, organisation: Organisation) -> QuerySet[Any]:
        return territory_eligible_addresses(run=run, municipality_code=organisation.municipality_code or "")

    def etag_parts(self, *, run: MonthRun, organisation: Organisation) -> list[Any]:
        return [run.pk, organisation.municipality_code]  # the territory decides the rows

    def json_row(self, row: dict[str, Any], run: MonthRun) -> dict[str, Any]:
        return {
            "address_code": row["address__code"],
            "resource": row["resource"],
            "full_address": row["full_address"] or "",
            "version": run.version,
        }

    def csv_row(self, values: tuple[Any, ...], run: MonthRun) -> Sequence[Any]:
        code, resource, full_address = values
        return (code, resource, full_address or "", run.version)

    @_list_schema(
        operation_id="month_eligible_addresses",
        summary="Energy-aid eligible addresses in your territory (local governments)",
        description=(
            "The addresses of eligible households in your municipality, for the resources a local "
            "government handles on submission (electricity for heating, decentralised fuel) in months "
            "when they count."
        ),
        page=out.EligibleAddressPageSerializer,
        row=out.EligibleAddressSerializer,
    )
    def get(self, request: Request, month: str) -> HttpResponseBase:
        return super().get(request, month)
