from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "aldis.organisations"
    label = "organisations"
    verbose_name = "Organisations and API clients"

    def ready(self) -> None:
        from aldis.api import schema  # noqa: F401 (registers the OpenAPI extensions)
