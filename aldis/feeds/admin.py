"""Feed batches in the admin: every file received, what it changed, and its bad rows. Read-only.

Batches are written by ``feed_import`` alone; the admin never adds, changes or deletes one.
The bad rows of a feed about persons show their values (codes, names, birth dates): opening such
a batch's page is a read of personal data, audited ``feed.view`` with counts only
(``audit.admin_views``). A batch without bad rows, or of a feed naming nobody, shows none.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from aldis.feeds.models import FeedBatch
from aldis.feeds.registry import feed_specs
from aldis.organisations.models import OrganisationKind
from audit.admin_views import AuditedViewAdmin

ERRORS_SHOWN = 1_000


class SenderKindFilter(admin.SimpleListFilter):
    title = "sender kind"
    parameter_name = "sender_kind"
    NONE = "none"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*OrganisationKind.choices, (self.NONE, "No sender (Bureau or operator)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FeedBatch]) -> QuerySet[FeedBatch]:
        if self.value() == self.NONE:
            return queryset.filter(sender__isnull=True)
        if self.value():
            return queryset.filter(sender__kind=self.value())
        return queryset


@admin.register(FeedBatch)
class FeedBatchAdmin(AuditedViewAdmin):
    view_action = "feed.view"
    list_display = (
        "id",
        "feed",
        "sender",
        "as_of",
        "status",
        "rows",
        "inserted",
        "changed",
        "ended",
        "unchanged",
        "error_count",
        "received_at",
    )
    list_filter = ("feed", "status", SenderKindFilter)
    list_select_related = ("sender",)
    date_hierarchy = "received_at"
    actions = None
    fieldsets = (
        (None, {"fields": ("feed", "sender", "as_of", "status", "repeat_of")}),
        (
            "File",
            {"fields": ("file_name", "file_sha256", "file_bytes", "actor", "received_at", "finished_at")},
        ),
        ("Counts", {"fields": ("rows", "inserted", "changed", "ended", "unchanged", "error_count")}),
        ("Bad rows", {"fields": ("errors_table",)}),
    )
    readonly_fields = (
        "feed",
        "sender",
        "as_of",
        "status",
        "repeat_of",
        "file_name",
        "file_sha256",
        "file_bytes",
        "actor",
        "received_at",
        "finished_at",
        "rows",
        "inserted",
        "changed",
        "ended",
        "unchanged",
        "error_count",
        "errors_table",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[FeedBatch]:
        # A rejected batch keeps up to 100,000 bad rows: load them only on its own page.
        return super().get_queryset(request).defer("errors")

    def view_audit_data(
        self, request: HttpRequest, obj: FeedBatch, context: dict[str, Any]
    ) -> dict[str, Any] | None:
        spec = feed_specs().get(obj.feed)
        errors = obj.errors or []  # loaded here, once, for the table too
        if not errors or (spec is not None and not spec.names_persons):
            return None
        return {"feed": obj.feed, "bad_rows_shown": min(len(errors), ERRORS_SHOWN)}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="bad rows")
    def errors_table(self, batch: FeedBatch) -> SafeString | str:
        errors: list[dict[str, Any]] = batch.errors or []
        if not errors:
            return "None."
        shown = errors[:ERRORS_SHOWN]
        total = max(batch.error_count, len(errors))
        note = (
            f"All {total} bad rows."
            if len(shown) == total
            else f"The first {len(shown)} of {total} bad rows (by line)."
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    error.get("line", ""),
                    error.get("column", ""),
                    error.get("value", ""),
                    error.get("reason", ""),
                )
                for error in shown
            ),
        )
        return format_html(
            '<p>{}</p><table class="feed-errors"><thead><tr><th scope="col">Line</th>'
            '<th scope="col">Column</th><th scope="col">Value</th><th scope="col">Reason</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            note,
            rows,
        )
