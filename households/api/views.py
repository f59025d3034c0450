"""``POST /api/v1/status/``: the state portal asks for one signed-in person's status
(INTERFACES §3, DOMAIN: Rights of the person), the same content as the person's own page."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aldis.api.permissions import caller_client
from aldis.feeds.api.serializers import ErrorSerializer, InvalidSerializer
from aldis.organisations.models import OrganisationKind
from audit.services import audit_record
from households.api.serializers import StatusInputSerializer, StatusOutputSerializer
from households.selectors import person_search
from households.services.person_actions import person_status_read
from households.texts import status_texts_in


class PersonStatusApi(APIView):
    """One person's current status, looked up by personal code (any code they have had)."""

    allowed_org_kinds = (OrganisationKind.PORTAL,)

    @extend_schema(
        operation_id="person_status",
        tags=["status"],
        summary="One person's status, as on their web page",
        description=(
            "The state portal asks on behalf of the signed-in person only. `personal_code` with "
            "or without the hyphen; a code the person had before finds them too. The answer is "
            "what `/status/` shows: each month within retention (newest first) with categories, "
            "amounts, balance, the contract or why there is none and what to do, energy-aid "
            "eligibility with its figures, the registers and dates each reason rests on, and the "
            "day the month's data is erased; plus refusal, contract choice and contest cases. "
            "Texts in `language` (`lv` default, or `en`). Every lookup is audited (`status.lookup`)."
        ),
        request=StatusInputSerializer,
        responses={
            200: StatusOutputSerializer,
            400: OpenApiResponse(InvalidSerializer, description="not a valid personal code"),
            403: OpenApiResponse(ErrorSerializer, description="your organisation is not the state portal"),
            404: OpenApiResponse(ErrorSerializer, description="no person has or had this code"),
        },
    )
    def post(self, request: Request) -> Response:
        body = StatusInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        person = person_search(term=body.validated_data["personal_code"]).first()
        if person is None:
            # A lookup that finds nobody is a lookup too (DOMAIN: every status lookup audited).
            audit_record(actor=caller_client(request), action="status.lookup", data={"found": False})
            raise Http404
        status = person_status_read(person=person, actor=caller_client(request))
        language = body.validated_data["language"]
        data = {**status_texts_in(status, language), "language": language}
        return Response(StatusOutputSerializer(data).data)
