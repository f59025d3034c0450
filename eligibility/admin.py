"""Dated parameters in the admin: the current table, its history, and "add value".

Nothing is changed or deleted here: a change is a new value from a date, written by
``parameter_value_set`` (a batch of its own, new versions, an audit event), so the history of
every value stays visible under "version: superseded". Bureau staff may add; the others may at
most view.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from eligibility.models import ParameterValue
from eligibility.parameters import BY_NAME, value_error
from eligibility.services import parameter_value_set

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
