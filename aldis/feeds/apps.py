from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "aldis.feeds"
    label = "feeds"
    verbose_name = "Register feeds"

    def ready(self) -> None:
        from aldis.feeds import checks

        checks.register_sqlite_functions()
