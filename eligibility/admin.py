"""Dated parameters in the admin: the current table, its history, and "add value"; and the
monthly runs: their list, progress and summary, and "Start a run for a month".

Nothing is changed or deleted here: a change is a new value from a date, written by
``parameter_value_set`` (a batch of its own, new versions, an audit event), so the history of
every value stays visible under "version: superseded". Bureau staff may add; the others may at
most view.
"""

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from aldis.admin_forms import plain_form_add_page
from aldis.exceptions import ApplicationError
from aldis.feeds.writes import refuse_while_importing
from audit.services import audit_record
from eligibility.models import MonthRun, ParameterValue, RunStatus
from eligibility.parameters import BY_NAME, value_error
from eligibility.selectors import month_run_units, person_month_explanation
from eligibility.services import parameter_value_set
from eligibility.services.runs import month_run_request
from households.models import Person

ADD_FIELDS = ("name", "valid_from", "value", "legal_ref")
VIEW_FIELDS = (*ADD_FIELDS, "valid_to", "learned_in", "superseded_in")


class VersionFilter(admin.SimpleListFilter):
    """Current versions unless asked otherwise: the table as it stands is what staff look for."""

    title = "version"
    parameter_name = "version"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("current", "Current"), ("superseded", "Superseded"), ("all", "All")]

    def choices(self, changelist: Any) -> Any:
        selected = self.value() or "current"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": selected == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        selected = self.value() or "current"
        if selected == "current":
            return queryset.filter(superseded_in__isnull=True)
        if selected == "superseded":
            return queryset.filter(superseded_in__isnull=False)
        return queryset


class ParameterValueForm(forms.ModelForm):
    class Meta:
        model = ParameterValue
        fields = ADD_FIELDS
        help_texts = {
            "valid_from": "the value holds from this day until the next value of the same name",
            "value": "true or false for a switch; EUR with at most two decimals (15.00); a share such as 0.30",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "valid_from" in self.fields:
            self.fields["valid_from"].required = True

    def clean(self) -> dict[str, Any]:
        # An edit takes the import lock (``parameter_value_set``): say so at once rather than
        # wait for a running import (the admin validates and saves in one transaction).
        refuse_while_importing("parameters")
        data = super().clean() or self.cleaned_data
        name, value = data.get("name"), (data.get("value") or "").strip()
        if name and value and (reason := value_error(name, value)):
            self.add_error("value", f"{value!r} {reason}")
        return data


@admin.register(ParameterValue)
class ParameterValueAdmin(admin.ModelAdmin):
    form = ParameterValueForm
    list_display = (
        "name",
        "valid_from",
        "valid_to",
        "value",
        "legal_ref",
        "learned_in",
        "superseded_in",
        "description",
    )
    list_filter = (VersionFilter, "name")
    search_fields = ("name",)
    # FeedBatch.__str__ of both batches on every row: one join each instead of a query per row.
    list_select_related = ("learned_in", "superseded_in")
    ordering = ("name", "valid_from", "id")
    actions = None

    @admin.display(description="description")
    def description(self, obj: ParameterValue) -> str:
        parameter = BY_NAME.get(obj.name)
        return f"{parameter.description} ({parameter.domain_ref})" if parameter else ""

    def get_fields(self, request: HttpRequest, obj: ParameterValue | None = None) -> Any:
        return ADD_FIELDS if obj is None else VIEW_FIELDS

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a change is a new value from a date ("add value"), never an edit

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ParameterValue, form: Any, change: bool) -> None:
        data = form.cleaned_data
        version = parameter_value_set(
            name=data["name"],
            valid_from=data["valid_from"],
            value=data["value"],
            legal_ref=data.get("legal_ref"),
            actor=request.user,
        )
        # The admin logs and redirects to the object it saved: point it at the service's version.
        obj.pk, obj.valid_to, obj.value = version.pk, version.valid_to, version.value
        obj.learned_in_id = version.learned_in_id


# --- The monthly runs ------------------------------------------------------------------------


class MonthRunStartForm(forms.Form):
    month = forms.CharField(
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        help_text="YYYY-MM: a new version of that month is computed from the data as known now",
    )

    def clean_month(self) -> date:
        text = self.cleaned_data["month"].strip()
        try:
            year, month = (int(part) for part in text.split("-"))
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(f"{text!r} is not a month: write YYYY-MM") from None


SUMMARY_FIELDS = (
    "households",
    "persons_without_address",
    "entitled_households",
    "unattributed_households",
    "total_eur",
    "units",
)


def why_url(person_id: int, month: date) -> str:
    """The explanation page of a person for a month: internal id and month only, never a code."""
    return reverse("admin:eligibility_monthrun_why", args=[person_id, f"{month:%Y-%m}"])


def _month_of(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise Http404(f"{text!r} is not a month (YYYY-MM)") from None


@admin.register(MonthRun)
class MonthRunAdmin(admin.ModelAdmin):
    """Runs are read here and started with "Start a run for a month" (the add view), which calls
    ``month_run_request``; nothing is edited or deleted. Staff add; operators view."""

    list_display = (
        "month_display",
        "version",
        "status",
        "in_force",
        "progress",
        "households",
        "entitled_households",
        "unattributed_households",
        "total_eur",
        "requested_by",
        "requested_at",
        "started_at",
        "finished_at",
    )
    list_filter = ("status",)
    date_hierarchy = "month"
    ordering = ("-month", "-version")
    actions = None
    fieldsets = (
        (None, {"fields": ("month", "version", "status", "in_force", "error")}),
        ("Progress", {"fields": ("progress", "requested_by", "requested_at", "started_at", "finished_at")}),
        ("Summary", {"fields": SUMMARY_FIELDS}),
        ("What it read", {"fields": ("knowledge_batch", "parameters_table", "credited_runs")}),
    )
    readonly_fields = (
        "month",
        "version",
        "status",
        "in_force",
        "error",
        "progress",
        "requested_by",
        "requested_at",
        "started_at",
        "finished_at",
        *SUMMARY_FIELDS,
        "knowledge_batch",
        "parameters_table",
        "credited_runs",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[MonthRun]:
        # "In force?" on every row: one EXISTS in the list query instead of a query per row.
        newer_done = MonthRun.objects.filter(
            month=OuterRef("month"), status=RunStatus.DONE, version__gt=OuterRef("version")
        )
        return super().get_queryset(request).annotate(newer_done=Exists(newer_done))

    @admin.display(description="month", ordering="month")
    def month_display(self, obj: MonthRun) -> str:
        return f"{obj.month:%Y-%m}"

    @admin.display(description="in force?", boolean=True)
    def in_force(self, obj: MonthRun) -> bool:
        return obj.status == RunStatus.DONE and not getattr(obj, "newer_done", False)

    @admin.display(description="progress (chunks)")
    def progress(self, obj: MonthRun) -> str:
        return f"{obj.chunks_done}/{obj.chunks_total}"

    @admin.display(description="units granted")
    def units(self, obj: MonthRun) -> str:
        if obj.status != RunStatus.DONE:
            return "-"
        return ", ".join(f"{category}: {count}" for category, count in month_run_units(run=obj).items())

    @admin.display(description="parameters used")
    def parameters_table(self, obj: MonthRun) -> str:
        if not obj.parameters:
            return "-"
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", sorted((obj.parameters or {}).items()))
        return format_html("<table><tr><th>name</th><th>value</th></tr>{}</table>", rows)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a run is never edited; a correction is a new version

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """ "Start a run for a month": a month form that calls ``month_run_request``."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = MonthRunStartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run = month_run_request(month=form.cleaned_data["month"], actor=request.user)
            except (DjangoValidationError, ApplicationError) as exc:
                message = exc.message if isinstance(exc, ApplicationError) else "; ".join(exc.messages)
                form.add_error("month", message)
            else:
                run.refresh_from_db()  # run in-process (no broker), it has finished by now
                failed = run.status == RunStatus.FAILED
                self.message_user(
                    request,
                    f"Run {run.month:%Y-%m} version {run.version} requested: {run.get_status_display()}"
                    + (f": {run.error}" if failed and run.error else "")
                    + ".",
                    messages.ERROR if failed else messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:eligibility_monthrun_change", args=[run.pk]))
        return plain_form_add_page(
            self,
            request,
            form,
            title="Start a run for a month",
            form_url=form_url,
            extra_context=extra_context,
        )

    # --- "Why this amount, or nothing": one person, one month, the run in force ----------------

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "why/<int:person_id>/<str:month>/",
                self.admin_site.admin_view(self.why_view),
                name="eligibility_monthrun_why",
            )
        ]
        return urls + super().get_urls()

    def has_why_permission(self, request: HttpRequest) -> bool:
        """Bureau staff: the runs' view permission and the persons' (operators have only the first)."""
        return request.user.has_perm("eligibility.view_monthrun") and request.user.has_perm(
            "households.view_person"
        )

    def why_view(self, request: HttpRequest, person_id: int, month: str) -> HttpResponse:
        """Why ``person_id`` got this amount in ``month`` (YYYY-MM), or nothing; audited as
        ``person.explain`` (the month and the run's id only)."""
        if not self.has_why_permission(request):
            raise PermissionDenied
        person = get_object_or_404(Person, pk=person_id)
        explanation = person_month_explanation(person=person, month=_month_of(month))
        run = explanation["run"]
        audit_record(
            actor=request.user,
            action="person.explain",
            target=person,
            data={"month": f"{explanation['month']:%Y-%m}", "run_id": run.pk if run else None},
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Why this amount, or nothing: person {person.pk}, {explanation['month']:%Y-%m}",
            "opts": self.opts,
            "person": person,
            "person_url": reverse("admin:households_person_change", args=[person.pk]),
            **explanation,
        }
        return TemplateResponse(request, "admin/eligibility/why.html", context)
