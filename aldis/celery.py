"""The Celery application. Configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aldis.settings")

app = Celery("aldis")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work, declared here; django-celery-beat's database scheduler picks these entries up
# and staff can see (and pause) them in the admin.
app.conf.beat_schedule = {
    "audit-verify-nightly": {
        "task": "audit.tasks.audit_verify_task",
        "schedule": crontab(hour=2, minute=15),
    },
    # DOMAIN "Time": month M is computed on the 5th of M (the law's deadline is the 7th).
    "month-run-monthly": {
        "task": "eligibility.tasks.month_run_scheduled",
        "schedule": crontab(day_of_month=5, hour=3, minute=0),
    },
    # A run stuck queued or running past ALDIS_RUN_STALE_AFTER_MINUTES (its worker was killed,
    # its task lost) is marked failed, so that its month is open again.
    "month-run-stale": {
        "task": "eligibility.tasks.month_runs_fail_stale_task",
        "schedule": crontab(minute="*/10"),
    },
}
