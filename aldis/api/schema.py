"""OpenAPI descriptions drf-spectacular cannot infer (imported by the organisations app's ready())."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class OrganisationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "aldis.api.authentication.OrganisationTokenAuthentication"
    name = "OrganisationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`: a token of your organisation's API client.",
        }
