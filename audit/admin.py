"""The audit trail in the admin: read-only, and visible to Bureau auditors only.

Being a superuser is not enough: reading the trail is the auditors' role alone (DOMAIN: Audit).
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from aldis.organisations.roles import BUREAU_AUDITOR
from audit.models import AuditEvent, AuditVerification


def is_auditor(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user.groups.filter(name=BUREAU_AUDITOR).exists())


class AuditorsOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_auditor(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_auditor(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(AuditorsOnlyAdmin):
    list_display = (
        "seq",
        "occurred_at",
        "actor_type",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "request_id",
    )
    list_filter = ("action", "actor_type", "target_type")
    search_fields = ("=actor_id", "=target_id", "=request_id", "action")
    date_hierarchy = "occurred_at"
    # The trail grows without end: no full COUNT(*) for the paginator.
    show_full_result_count = False
    readonly_fields = [field.name for field in AuditEvent._meta.fields]


@admin.register(AuditVerification)
class AuditVerificationAdmin(AuditorsOnlyAdmin):
    list_display = ("started_at", "ok", "events_checked", "first_seq", "last_seq", "broken_seq", "problem")
    list_filter = ("ok",)
    readonly_fields = [field.name for field in AuditVerification._meta.fields]
