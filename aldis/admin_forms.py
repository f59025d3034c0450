"""The admin's add page around a plain form (not a ModelForm) whose submit calls a service."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.http import HttpRequest, HttpResponse


def plain_form_add_page(
    model_admin: "admin.ModelAdmin[Any]",
    request: HttpRequest,
    form: forms.Form,
    *,
    title: str,
    form_url: str = "",
    extra_context: dict[str, Any] | None = None,
) -> HttpResponse:
    """Render ``form`` on ``model_admin``'s add page, every field in one fieldset."""
    fieldsets = [(None, {"fields": list(form.fields)})]
    # The admin's form helpers take any form; the stubs ask for a ModelForm, which this is not.
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "adminform": helpers.AdminForm(form, fieldsets, {}, model_admin=model_admin),  # type: ignore[arg-type]
        "object_id": None,
        "original": None,
        "is_popup": False,
        "to_field": None,
        "media": model_admin.media + form.media,
        "inline_admin_formsets": [],
        "errors": helpers.AdminErrorList(form, []),  # type: ignore[arg-type]
        "preserved_filters": model_admin.get_preserved_filters(request),
        "show_save_and_add_another": False,
        "show_save_and_continue": False,
        **(extra_context or {}),
    }
    return model_admin.render_change_form(request, context, add=True, form_url=form_url)
