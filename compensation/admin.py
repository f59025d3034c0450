"""Compensation in the admin: what parties reported (read-only), the statements and their
maker-checker steps, the monthly totals per party with a chart, and the recovery items.

Nothing here writes a model directly: statements change only through
``compensation.services.statements`` (prepare/refresh, approve, mark paid), recovery items
through ``recovery_item_update``, exports through ``compensation.exports.statement_export``;
each is audited there. A refusal (maker-checker, a closed statement) is shown as a message.
Opening a page that shows personal codes is audited too: a statement's lines
(``statement.view``), a submission (``submission.view``), a recovery item (``recovery.view``,
through ``audit.admin_views.AuditedViewAdmin``).
Lines can be many: pages show a keyset page of them and the full list is the CSV export.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from aldis.exceptions import ApplicationError
from aldis.money import eur
from audit.admin_views import AuditedViewAdmin
from audit.services import audit_record
from compensation.exports import statement_export
from compensation.models import (
    AppliedLine,
    ClaimLine,
    RecoveryItem,
    Scheme,
    Statement,
    StatementStatus,
    Submission,
    SubmissionKind,
)
from compensation.services.recovery import recovery_item_errors, recovery_item_update
from compensation.services.statements import (
    PREPARE_PERMISSION,
    statement_approve,
    statement_lines,
    statement_mark_paid,
    statement_prepare,
    statements_prepare_month,
)

LINES_PER_PAGE = 100
CHART_MONTHS = 12


def _refusal(exc: ApplicationError | DjangoValidationError) -> str:
    return exc.message if isinstance(exc, ApplicationError) else "; ".join(exc.messages)


def _month_of(text: str | None) -> date | None:
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


# --- An accessible, server-rendered SVG bar chart (no JavaScript, no CDN) --------------------

SERIES_COLOURS = {"accepted": "#417690", "admin_cost": "#79aec8", "rejected": "#ba2121"}
SERIES_LABELS = {"accepted": "accepted", "admin_cost": "administrative cost", "rejected": "rejected"}


def bar_chart_svg(
    *, chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, Sequence[tuple[str, Decimal]]]]
) -> SafeString:
    """Horizontal stacked bars, one per ``(label, [(series, value), ...])`` row, scaled to the
    largest row; ``<title>``/``<desc>`` name it for screen readers, and the table beside it on the
    page is the accessible alternative with every figure."""
    label_w, value_w, bar_w, row_h, top = 260, 110, 420, 24, 28
    width = label_w + bar_w + value_w
    height = top + row_h * max(len(rows), 1) + 8
    largest = max((sum((v for _, v in series), Decimal(0)) for _, series in rows), default=Decimal(0))
    parts: list[SafeString] = []
    x_legend = label_w
    for series, colour in SERIES_COLOURS.items():
        parts.append(
            format_html(
                '<rect x="{}" y="6" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="16" font-size="12">{}</text>',
                x_legend,
                colour,
                x_legend + 16,
                SERIES_LABELS[series],
            )
        )
        x_legend += 150
    for index, (label, series_values) in enumerate(rows):
        y = top + index * row_h
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>',
                label_w - 8,
                y + 15,
                label[:40],
            )
        )
        x = Decimal(label_w)
        total = Decimal(0)
        for series, value in series_values:
            if value <= 0 or largest <= 0:
                continue
            w = (Decimal(bar_w) * value / largest).quantize(Decimal("0.1"))
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} EUR</title></rect>',
                    x,
                    y + 3,
                    w,
                    row_h - 6,
                    SERIES_COLOURS[series],
                    SERIES_LABELS[series],
                    number_format(value, 2),
                )
            )
            x += w
            total += value
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12">{} EUR</text>', x + 6, y + 15, number_format(total, 2)
            )
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{}" height="{}" viewBox="0 0 {} {}" '
        'aria-labelledby="{}-title {}-desc"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        width,
        height,
        width,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        desc,
        mark_safe("".join(parts)),  # noqa: S308  (each part built by format_html above)
    )


# --- Statements ------------------------------------------------------------------------------


class MonthFilter(admin.SimpleListFilter):
    """The months that have statements, newest first (a date filter's "past 7 days" means
    nothing for monthly statements)."""

    title = "month"
    parameter_name = "month"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        months = Statement.objects.order_by("-month").values_list("month", flat=True).distinct()[:24]
        return [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in months]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        month = _month_of(self.value())
        return queryset.filter(month=month) if month else queryset


class PrepareMonthForm(forms.Form):
    month = forms.CharField(
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        help_text="YYYY-MM: a statement for every party that reported for that month and scheme",
    )

    def clean_month(self) -> date:
        month = _month_of(self.cleaned_data["month"].strip())
        if month is None:
            raise forms.ValidationError("not a month: write YYYY-MM")
        return month


class PaymentForm(forms.Form):
    payment_reference = forms.CharField(max_length=64, help_text="the treasury payment order's reference")


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    """Statements are read here; they are prepared ("Prepare statements for a month", or the
    "Prepare/refresh" action), approved and marked paid only through the services."""

    change_form_template = "admin/compensation/statement/change_form.html"
    change_list_template = "admin/compensation/statement/change_list.html"
    list_display = (
        "organisation",
        "month_display",
        "scheme",
        "status",
        "lines_accepted",
        "lines_rejected",
        "claimed_eur",
        "accepted_eur",
        "rejected_eur",
        "admin_cost_eur",
        "total_eur",
        "budget_programme",
    )
    list_filter = ("status", "scheme", MonthFilter)
    search_fields = ("organisation__name", "organisation__code")
    # The party's name on every row: one join instead of a query per row.
    list_select_related = ("organisation",)
    ordering = ("-month", "organisation__name", "scheme")
    actions = ["prepare_refresh", "approve", "mark_paid"]
    fieldsets = (
        (None, {"fields": ("organisation", "month", "scheme", "budget_programme", "status")}),
        (
            "Totals (EUR)",
            {
                "fields": (
                    "lines_accepted",
                    "lines_rejected",
                    "claimed_eur",
                    "accepted_eur",
                    "rejected_eur",
                    "admin_cost_eur",
                    "total_eur",
                    "submissions_through",
                )
            },
        ),
        (
            "Maker-checker",
            {
                "fields": (
                    "prepared_by",
                    "prepared_at",
                    "approved_by",
                    "approved_at",
                    "paid_by",
                    "paid_at",
                    "payment_reference",
                )
            },
        ),
    )

    @admin.display(description="month", ordering="month")
    def month_display(self, obj: Statement) -> str:
        return f"{obj.month:%Y-%m}"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Statement]:
        # The change page names the party and the three staff members: joined, not one query each.
        return (
            super()
            .get_queryset(request)
            .select_related("organisation", "prepared_by", "approved_by", "paid_by")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # prepared by the service ("Prepare statements for a month")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the figures are derived; the status moves only through the services

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_prepare_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PREPARE_PERMISSION)

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("compensation.approve_statement")

    def has_pay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("compensation.pay_statement")

    # Actions: each statement through its service, each refusal its own message.

    def _each(self, request: HttpRequest, queryset: QuerySet[Statement], verb: str, step: Any) -> None:
        done = 0
        for statement in queryset.order_by("pk"):
            try:
                step(statement)
            except (ApplicationError, DjangoValidationError) as exc:
                self.message_user(request, f"{statement}: not {verb}: {_refusal(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} statement(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Prepare/refresh the selected statements", permissions=["prepare"])
    def prepare_refresh(self, request: HttpRequest, queryset: QuerySet[Statement]) -> None:
        self._each(
            request,
            queryset,
            "refreshed",
            lambda s: statement_prepare(
                organisation=s.organisation, month=s.month, scheme=s.scheme, actor=request.user
            ),
        )

    @admin.action(description="Approve the selected statements", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Statement]) -> None:
        self._each(
            request, queryset, "approved", lambda s: statement_approve(statement=s, actor=request.user)
        )

    @admin.action(description="Mark the selected statements paid", permissions=["pay"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Statement]) -> HttpResponse | None:
        """An intermediate page asks the payment's reference, then marks each statement paid."""
        form = PaymentForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reference = form.cleaned_data["payment_reference"]
            self._each(
                request,
                queryset,
                "marked paid",
                lambda s: statement_mark_paid(statement=s, actor=request.user, payment_reference=reference),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Mark statements paid",
            "opts": self.opts,
            "statements": queryset.select_related("organisation"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/compensation/statement/mark_paid.html", context)

    # Extra pages.

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("totals/", wrap(self.totals_view), name="compensation_statement_totals"),
            path("prepare/", wrap(self.prepare_view), name="compensation_statement_prepare"),
            path(
                "<int:object_id>/export/<str:fmt>/",
                wrap(self.export_view),
                name="compensation_statement_export",
            ),
            path("<int:object_id>/step/", wrap(self.step_view), name="compensation_statement_step"),
            *super().get_urls(),
        ]

    def prepare_view(self, request: HttpRequest) -> HttpResponse:
        """ "Prepare statements for a month": every party that reported, through the service."""
        if not self.has_prepare_permission(request):
            raise PermissionDenied
        form = PrepareMonthForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            month = form.cleaned_data["month"]
            try:
                result = statements_prepare_month(month=month, actor=request.user)
            except (ApplicationError, DjangoValidationError) as exc:
                form.add_error("month", _refusal(exc))
            else:
                self.message_user(
                    request,
                    f"{month:%Y-%m}: {len(result.prepared)} prepared, {len(result.refreshed)} refreshed, "
                    f"{len(result.closed)} already approved or paid (left alone); "
                    f"total {result.total_eur:.2f} EUR.",
                    messages.SUCCESS,
                )
                url = reverse("admin:compensation_statement_changelist")
                return HttpResponseRedirect(f"{url}?month={month:%Y-%m}")
        context = {
            **self.admin_site.each_context(request),
            "title": "Prepare statements for a month",
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/compensation/statement/prepare.html", context)

    def step_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The buttons of a statement's page (POST): refresh, approve, or mark paid."""
        if request.method != "POST":
            raise Http404("POST only")
        statement = get_object_or_404(Statement.objects.select_related("organisation"), pk=object_id)
        step = request.POST.get("step")
        allowed = {
            "refresh": self.has_prepare_permission,
            "approve": self.has_approve_permission,
            "pay": self.has_pay_permission,
        }
        if step not in allowed:
            raise Http404("unknown step")
        if not allowed[step](request):
            raise PermissionDenied
        try:
            if step == "refresh":
                statement_prepare(
                    organisation=statement.organisation,
                    month=statement.month,
                    scheme=statement.scheme,
                    actor=request.user,
                )
                done = "refreshed"
            elif step == "approve":
                statement_approve(statement=statement, actor=request.user)
                done = "approved"
            else:
                statement_mark_paid(
                    statement=statement,
                    actor=request.user,
                    payment_reference=request.POST.get("payment_reference", ""),
                )
                done = "marked paid"
        except (ApplicationError, DjangoValidationError) as exc:
            self.message_user(request, f"Not done: {_refusal(exc)}", messages.ERROR)
        else:
            self.message_user(request, f"Statement {done}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:compensation_statement_change", args=[statement.pk]))

    def export_view(
        self, request: HttpRequest, object_id: int, fmt: str
    ) -> HttpResponse | StreamingHttpResponse:
        """The statement as CSV (streamed) or PDF; audited ``statement.export``."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if fmt not in ("csv", "pdf"):
            raise Http404("csv or pdf")
        statement = get_object_or_404(Statement.objects.select_related("organisation"), pk=object_id)
        export = statement_export(statement=statement, actor=request.user, fmt=fmt)
        response: HttpResponse | StreamingHttpResponse
        if isinstance(export.content, bytes):
            response = HttpResponse(export.content, content_type=export.content_type)
        else:
            response = StreamingHttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        statement = self.get_object(request, object_id)
        if statement is None or not self.has_view_permission(request, statement):
            return super().change_view(request, object_id, form_url, extra_context)
        which = request.GET.get("lines", "all")
        lines = statement_lines(statement=statement).order_by("id")
        if which == "accepted":
            lines = lines.filter(accepted=True)
        elif which == "rejected":
            lines = lines.filter(accepted=False)
        try:
            after = int(request.GET.get("after", "0"))
        except ValueError:
            after = 0
        page = list(lines.filter(id__gt=after)[: LINES_PER_PAGE + 1])
        more = len(page) > LINES_PER_PAGE
        page = page[:LINES_PER_PAGE]
        # The lines carry sub-users' personal codes: showing them is audited (ids only).
        audit_record(
            actor=request.user,
            action="statement.view",
            target=statement,
            data={"lines_shown": len(page), "after": after, "which": which},
        )
        context = {
            "statement_lines": page,
            "lines_which": which,
            "lines_next": page[-1].pk if more else None,
            "lines_after": after,
            "protected_users": statement.scheme == Scheme.PROTECTED_USERS,
            "can_prepare": self.has_prepare_permission(request)
            and statement.status == StatementStatus.PREPARED,
            "can_approve": self.has_approve_permission(request)
            and statement.status == StatementStatus.PREPARED,
            "can_pay": self.has_pay_permission(request) and statement.status == StatementStatus.APPROVED,
            "step_url": reverse("admin:compensation_statement_step", args=[statement.pk]),
            "csv_url": reverse("admin:compensation_statement_export", args=[statement.pk, "csv"]),
            "pdf_url": reverse("admin:compensation_statement_export", args=[statement.pk, "pdf"]),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "totals_url": reverse("admin:compensation_statement_totals"),
            "prepare_url": reverse("admin:compensation_statement_prepare")
            if self.has_prepare_permission(request)
            else None,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    # Monthly totals per party, with a chart.

    def totals_view(self, request: HttpRequest) -> HttpResponse:
        """The last 12 months' totals (all parties) and one month's totals per party, each as a
        table and an SVG chart. Two grouped queries."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        months = list(
            Statement.objects.order_by("-month")
            .values("month")
            .annotate(
                parties=Count("organisation", distinct=True),
                claimed=Sum("claimed_eur"),
                accepted=Sum("accepted_eur"),
                rejected=Sum("rejected_eur"),
                admin_cost=Sum("admin_cost_eur"),
                total=Sum("total_eur"),
            )[:CHART_MONTHS]
        )
        for row in months:
            for key in ("claimed", "accepted", "rejected", "admin_cost", "total"):
                row[key] = eur(row[key])
        selected: date | None = _month_of(request.GET.get("month")) or (
            months[0]["month"] if months else None
        )
        parties = (
            list(
                Statement.objects.filter(month=selected)
                .select_related("organisation")
                .order_by("-total_eur", "organisation__name", "scheme")
            )
            if selected
            else []
        )

        def series(accepted: Decimal, admin_cost: Decimal, rejected: Decimal) -> list[tuple[str, Decimal]]:
            return [("accepted", accepted), ("admin_cost", admin_cost), ("rejected", rejected)]

        months_chart = bar_chart_svg(
            chart_id="chart-months",
            title="Compensation per month, all parties (EUR)",
            desc="For each month: accepted, administrative cost and rejected amounts; "
            "the table below lists every figure.",
            rows=[
                (f"{r['month']:%Y-%m}", series(r["accepted"], r["admin_cost"], r["rejected"]))
                for r in reversed(months)
            ],
        )
        parties_chart = bar_chart_svg(
            chart_id="chart-parties",
            title=f"Compensation per party, {selected:%Y-%m} (EUR)" if selected else "No statements yet",
            desc="For each party and scheme: accepted, administrative cost and rejected amounts; "
            "the table below lists every figure.",
            rows=[
                (
                    f"{s.organisation.name} ({s.get_scheme_display().split(' (')[0]})",
                    series(s.accepted_eur, s.admin_cost_eur, s.rejected_eur),
                )
                for s in parties
            ],
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Monthly totals per party",
            "opts": self.opts,
            "months": months,
            "selected": selected,
            "parties": parties,
            "months_chart": months_chart,
            "parties_chart": parties_chart,
        }
        return TemplateResponse(request, "admin/compensation/statement/totals.html", context)


# --- What parties reported (read-only) -------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(AuditedViewAdmin, ReadOnlyAdmin):
    # The lines carry sub-users' personal codes: showing them is audited (ids only).
    view_action = "submission.view"
    list_display = (
        "pk",
        "organisation",
        "kind",
        "month_display",
        "resource",
        "received_at",
        "lines_accepted",
        "lines_rejected",
        "claimed_eur",
        "accepted_eur",
        "admin_cost_eur",
    )
    list_filter = ("kind", "resource")
    search_fields = ("organisation__name", "organisation__code")
    date_hierarchy = "month"
    # The party on every row: one join instead of a query per row.
    list_select_related = ("organisation",)
    fields = (
        "organisation",
        "client",
        "kind",
        "month",
        "run",
        "received_at",
        "idempotency_key",
        "resource",
        "vat_rate",
        "submissions_examined",
        "admin_cost_eur",
        "lines_accepted",
        "lines_rejected",
        "claimed_eur",
        "accepted_eur",
        "lines_table",
    )
    readonly_fields = fields

    @admin.display(description="month", ordering="month")
    def month_display(self, obj: Submission) -> str:
        return f"{obj.month:%Y-%m}"

    @admin.display(description=f"lines (the first {LINES_PER_PAGE}; all in the statement's CSV)")
    def lines_table(self, obj: Submission) -> SafeString:
        """A read-only table instead of an inline formset: a submission may carry thousands."""
        if obj.kind == SubmissionKind.APPLIED:
            applied = AppliedLine.objects.filter(submission=obj).order_by("line_no")[:LINES_PER_PAGE]
            rows = [
                (
                    a.line_no,
                    a.contract_no,
                    a.sub_user_code,
                    a.applied_eur,
                    "yes" if a.accepted else "no",
                    a.reason,
                )
                for a in applied
            ]
            head = ("line", "contract", "sub-user code", "applied EUR", "accepted", "reason")
        else:
            claims = ClaimLine.objects.filter(submission=obj).order_by("line_no")[:LINES_PER_PAGE]
            rows = [
                (
                    c.line_no,
                    c.object_code or c.address_code,
                    c.resource,
                    c.aid_eur,
                    "yes" if c.accepted else "no",
                    c.reason,
                )
                for c in claims
            ]
            head = ("line", "object / address", "resource", "aid EUR", "accepted", "reason")
        header = format_html_join("", "<th>{}</th>", ((h,) for h in head))
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (tuple("" if v is None else v for v in row) for row in rows),
        )
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", header, body)

    def view_audit_data(
        self, request: HttpRequest, obj: Submission, context: dict[str, Any]
    ) -> dict[str, Any]:
        return {"kind": obj.kind}


# --- Recovery items --------------------------------------------------------------------------


class RecoveryItemForm(forms.ModelForm):
    new_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="appended to the notes with the date and the status change (the reason, to waive)",
    )

    class Meta:
        model = RecoveryItem
        fields = ("status",)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if self.instance.pk and "status" in data:
            for name, errors in recovery_item_errors(
                item=self.instance, status=data["status"], note=data.get("new_note", "")
            ).items():
                self.add_error("status" if name == "status" else "new_note", errors)
        return data


@admin.register(RecoveryItem)
class RecoveryItemAdmin(AuditedViewAdmin):
    """Staff follow each item up (payment notice, recovered, waived with a reason) through
    ``recovery_item_update``; the figures never change here. An item's page shows the sub-user's
    personal code: opening it is audited ``recovery.view`` (ids only)."""

    view_action = "recovery.view"
    form = RecoveryItemForm
    list_display = (
        "pk",
        "trader",
        "contract_no",
        "year",
        "credited_eur",
        "applied_eur",
        "amount_eur",
        "status",
        "run",
        "created_at",
    )
    list_filter = ("status", "year")
    search_fields = ("contract_no", "trader__name", "trader__code")
    # The trader and the run on every row: joined instead of two queries per row.
    list_select_related = ("trader", "run")
    actions = None
    fields = (
        "run",
        "trader",
        "contract_no",
        "sub_user_code",
        "year",
        "credited_eur",
        "applied_eur",
        "amount_eur",
        "created_at",
        "note",
        "status",
        "new_note",
    )
    readonly_fields = (
        "run",
        "trader",
        "contract_no",
        "sub_user_code",
        "year",
        "credited_eur",
        "applied_eur",
        "amount_eur",
        "created_at",
        "note",
    )

    def view_audit_data(
        self, request: HttpRequest, obj: RecoveryItem, context: dict[str, Any]
    ) -> dict[str, Any]:
        return {"trader_id": obj.trader_id, "year": obj.year}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # found by the monthly run

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: RecoveryItem, form: Any, change: bool) -> None:
        updated = recovery_item_update(
            item=obj,
            status=form.cleaned_data["status"],
            note=form.cleaned_data.get("new_note", ""),
            actor=request.user,
        )
        obj.status, obj.note = updated.status, updated.note

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> Any:
        # The admin log gets the status only; the note's text stays on the item.
        return [{"changed": {"fields": ["status"]}}]
