"""``POST /api/v1/months/{YYYY-MM}/applied/`` (traders) and ``.../claims/`` (energy companies,
local governments): what a party applied or claims for a month, judged line by line.

Both answer 201 with the accepted and rejected lines; a retry with the same ``Idempotency-Key``
and body, or a body byte-for-byte identical to an earlier request's for the month, answers 200
with the stored answer (header ``Idempotent-Replayed: true``). Once the month's statement of the
scheme is approved or paid, a new request is 409 ``statement_closed``.
"""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aldis.api.months import month_from_path
from aldis.api.permissions import caller_client, caller_organisation
from aldis.api.serializers import error_responses
from aldis.feeds.api.parsers import CsvStreamParser
from aldis.organisations.models import OrganisationKind
from compensation.api import bodies
from compensation.api.serializers import (
    AppliedLineInputSerializer,
    AppliedOutputSerializer,
    ClaimOutputSerializer,
    EnergyCompanyClaimSerializer,
    MunicipalityClaimSerializer,
)
from compensation.services.applied import applied_submit
from compensation.services.claims import ENERGY_COMPANY_KINDS, ClaimLineInput, claim_submit
from compensation.services.submissions import SubmissionOutcome, body_hash

MONTH_PARAMETER = OpenApiParameter(
    "month", str, OpenApiParameter.PATH, description="the month, written `YYYY-MM`", pattern=r"^\d{4}-\d{2}$"
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="any unique text up to 255 characters; a retry with the same key and body is answered "
    "with the first answer (200) and changes nothing. A body byte-for-byte identical to an earlier "
    "request's for the month is answered the same way, with or without a key",
)
REPLAY_DESCRIPTION = (
    "a replay: the stored answer (header `Idempotent-Replayed: true`), for a retry with the same "
    "`Idempotency-Key` and body, or a body identical to an earlier request's for the month"
)
STATEMENT_CLOSED = (
    "`statement_closed`: the month's compensation statement of this scheme is already approved or "
    "paid, so nothing more can be reported for the month (contact the Bureau); nothing is stored"
)


def _answer(outcome: SubmissionOutcome) -> Response:
    if outcome.replayed:
        return Response(outcome.response, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})
    return Response(outcome.response, status=status.HTTP_201_CREATED)


class AppliedSubmitApi(APIView):
    """A trader reports the discounts it applied for the month (Scheme P)."""

    allowed_org_kinds = (OrganisationKind.TRADER,)
    # Only for the schema and DRF's content negotiation: the view reads the raw body itself.
    parser_classes = [JSONParser, CsvStreamParser]

    @extend_schema(
        operation_id="month_applied_submit",
        tags=["months"],
        summary="Report the discounts applied (traders)",
        description=(
            'A JSON list of `{contract_no, sub_user_code, applied_eur}` (or `{"lines": [...]}`), or '
            "`text/csv` with the header `contract_no,sub_user_code,applied_eur`. Each line is judged "
            "alone against the version of the month in force: `invalid` (format), `not_in_list`, "
            "`duplicate` (already accepted for the recipient and month, or named twice), "
            "`above_balance` (above the available balance). **201** with the accepted lines (and "
            "each recipient's balance after) and the rejected ones with their reasons. A malformed "
            "body as a whole is **400**, too large **413**, another type **415**. A body identical "
            "to an earlier request's for the month is a repeat: **200** with that request's answer, "
            "nothing applied again. Once the month's statement is approved or paid, **409** "
            "`statement_closed` (nothing stored)."
        ),
        parameters=[MONTH_PARAMETER, IDEMPOTENCY_PARAMETER],
        request={
            "application/json": AppliedLineInputSerializer(many=True),
            "text/csv": OpenApiTypes.STR,
        },
        responses={
            201: OpenApiResponse(AppliedOutputSerializer, description="judged and stored"),
            200: OpenApiResponse(AppliedOutputSerializer, description=REPLAY_DESCRIPTION),
            **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429, e409=STATEMENT_CLOSED),
        },
        examples=[
            OpenApiExample(
                "Two lines",
                value=[
                    {"contract_no": "C-1", "sub_user_code": "", "applied_eur": "25.00"},
                    {"contract_no": "B-100", "sub_user_code": "320000000-0", "applied_eur": "20.00"},
                ],
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, month: str) -> Response:
        organisation = caller_organisation(request)
        the_month = month_from_path(month)
        body = bodies.read_body(request, accepted=(bodies.JSON_TYPE, bodies.CSV_TYPE))
        lines = bodies.applied_lines(body, bodies.media_type(request))
        client = caller_client(request)
        outcome = applied_submit(
            organisation=organisation,
            month=the_month,
            lines=lines,
            request_hash=body_hash(body),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            actor=client,
            client_id=client.pk,
        )
        return _answer(outcome)


class ClaimSubmitApi(APIView):
    """An energy company or a local government claims energy-aid compensation (Scheme E)."""

    allowed_org_kinds = (*ENERGY_COMPANY_KINDS, OrganisationKind.MUNICIPALITY)
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="month_claim_submit",
        tags=["months"],
        summary="Claim energy-aid compensation (energy companies, local governments)",
        description=(
            "An energy company (a trader for the objects it supplies, a heat supplier for its "
            "heat objects; not a distribution system operator, which applies no aid) claims one "
            "resource: `{resource, vat_rate, total_eur, lines: [{object_code, aid_eur}]}`; a local government `{resource, submissions_examined, "
            "total_eur, lines: [{address_code, aid_eur}]}` (each examined submission earns the "
            "administrative cost `e_admin_cost_eur`). The resource must be switched on in the "
            "month and `total_eur` the sum of the lines (**400** otherwise). Each line is judged: "
            "`not_eligible`, `duplicate`, `above_cap` (only `electricity` and `gas_heating` have a "
            "cap ALDIS can check; for the others `cap_checked` is false). A body identical to an "
            "earlier claim's for the month is a repeat: **200** with that claim's answer, nothing "
            "stored (its administrative cost is not counted twice). Once the month's statement is "
            "approved or paid, **409** `statement_closed` (nothing stored)."
        ),
        parameters=[MONTH_PARAMETER, IDEMPOTENCY_PARAMETER],
        request=PolymorphicProxySerializer(
            component_name="Claim",
            serializers=[EnergyCompanyClaimSerializer, MunicipalityClaimSerializer],
            resource_type_field_name=None,
        ),
        responses={
            201: OpenApiResponse(ClaimOutputSerializer, description="judged and stored"),
            200: OpenApiResponse(ClaimOutputSerializer, description=REPLAY_DESCRIPTION),
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                413,
                415,
                422,
                429,
                e409="`parameter_missing`: the version in force recorded no cap or administrative "
                f"cost; {STATEMENT_CLOSED}",
            ),
        },
    )
    def post(self, request: Request, month: str) -> Response:
        organisation = caller_organisation(request)
        the_month = month_from_path(month)
        body = bodies.read_body(request, accepted=(bodies.JSON_TYPE,))
        data: Any = bodies.parse_json(body)
        municipality = organisation.kind == OrganisationKind.MUNICIPALITY
        serializer = (MunicipalityClaimSerializer if municipality else EnergyCompanyClaimSerializer)(
            data=data
        )
        serializer.is_valid(raise_exception=True)
        valid = serializer.validated_data
        code_field = "address_code" if municipality else "object_code"
        client = caller_client(request)
        outcome = claim_submit(
            organisation=organisation,
            month=the_month,
            resource=valid["resource"],
            total_eur=valid["total_eur"],
            lines=[
                ClaimLineInput(code=line[code_field].strip(), aid_eur=line["aid_eur"])
                for line in valid["lines"]
            ],
            vat_rate=valid.get("vat_rate"),
            submissions_examined=valid.get("submissions_examined"),
            request_hash=body_hash(body),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            actor=client,
            client_id=client.pk,
        )
        return _answer(outcome)
