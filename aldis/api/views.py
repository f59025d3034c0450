from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aldis.api.permissions import caller_client
from aldis.organisations.models import OrganisationKind


class WhoAmIApi(APIView):
    """Which organisation this token belongs to: a connectivity check for integrators."""

    allowed_org_kinds = tuple(OrganisationKind.values)

    class OutputSerializer(serializers.Serializer):
        org_code = serializers.CharField()
        name = serializers.CharField()
        kind = serializers.ChoiceField(choices=OrganisationKind.choices)
        client = serializers.CharField()

    @extend_schema(responses={200: OutputSerializer}, operation_id="whoami")
    def get(self, request: Request) -> Response:
        client = caller_client(request)
        organisation = client.organisation
        data = {
            "org_code": organisation.code,
            "name": organisation.name,
            "kind": organisation.kind,
            "client": client.name,
        }
        return Response(self.OutputSerializer(data).data)
