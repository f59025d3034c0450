"""Views that exist only for the tests of the API's shared authentication, permissions and errors."""

from django.core.exceptions import ValidationError
from django.urls import include, path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aldis.api.permissions import caller_organisation
from aldis.exceptions import ApplicationError


class TradersOnlyApi(APIView):
    allowed_org_kinds = ("trader",)

    def get(self, request: Request) -> Response:
        return Response({"org": caller_organisation(request).code})


class NoKindsDeclaredApi(APIView):
    def get(self, request: Request) -> Response:
        return Response({"reached": True})


class ErrorsApi(APIView):
    allowed_org_kinds = ("trader",)

    class InputSerializer(serializers.Serializer):
        amount_eur = serializers.DecimalField(max_digits=9, decimal_places=2)

    def post(self, request: Request) -> Response:
        kind = request.query_params.get("raise")
        if kind == "django":
            raise ValidationError({"month": ["Month 2026-13 does not exist."]})
        if kind == "application":
            raise ApplicationError(
                "A run of 2026-11 is already in progress.",
                code="run_in_progress",
                details={"month": "2026-11"},
            )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"amount_eur": serializer.validated_data["amount_eur"]}, status=201)


urlpatterns = [
    path("t/traders/", TradersOnlyApi.as_view()),
    path("t/nobody/", NoKindsDeclaredApi.as_view()),
    path("t/errors/", ErrorsApi.as_view()),
    path("", include("aldis.urls")),
]
