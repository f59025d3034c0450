from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from aldis.feeds import writes
from aldis.organisations.models import ApiClient, Organisation
from aldis.organisations.services import api_client_revoke
from audit.services import audit_record


class ApiClientInline(admin.TabularInline):
    model = ApiClient
    fields = ("name", "prefix", "created", "last_used_at", "revoked")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Tokens are created by operators (create_api_client), which shows the token once.
        return False


class OrganisationForm(forms.ModelForm):
    def clean(self) -> dict[str, Any] | None:
        # The admin validates and saves in one transaction (``aldis.feeds.writes``).
        writes.refuse_while_importing("organisations")
        return super().clean()


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ("name", "code", "kind", "municipality_code", "protected_service", "is_active")
    list_filter = ("kind", "protected_service", "is_active")
    search_fields = ("code", "name", "municipality_code")
    inlines = [ApiClientInline]

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        # The admin's change view is atomic: the change and its audit event commit together.
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="organisation.change" if change else "organisation.create",
            target=obj,
            data={"fields": sorted(form.changed_data)},
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Organisation | None = None) -> tuple[str, ...]:
        # The organisations feed is the source; staff may correct a name but not re-key a party.
        return ("code", "kind", "created_at", "updated_at") if obj else ("created_at", "updated_at")


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "prefix", "created", "last_used_at", "revoked")
    list_filter = ("revoked", "organisation__kind")
    search_fields = ("name", "prefix", "organisation__code", "organisation__name")
    list_select_related = ("organisation",)
    readonly_fields = ("organisation", "name", "prefix", "created", "last_used_at", "revoked", "expiry_date")
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Revoke the selected API clients (cannot be undone)", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        revoked = sum(
            api_client_revoke(client=client, actor=request.user)
            for client in queryset.select_related("organisation")
        )
        self.message_user(request, f"Revoked {revoked} API client(s).", messages.SUCCESS)
