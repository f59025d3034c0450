from django.apps import AppConfig
from django.db.models.signals import post_migrate


class FeedsConfig(AppConfig):
    name = "aldis.feeds"
    label = "feeds"
    verbose_name = "Register feeds"

    def ready(self) -> None:
        from aldis.feeds import checks

        checks.register_sqlite_functions()

        from aldis.feeds import writes

        post_migrate.connect(writes.install, dispatch_uid="aldis.feeds.writes.install")
