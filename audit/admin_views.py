"""Audited admin pages: opening a record's page that shows personal data writes one audit event.

DOMAIN (Audit and retention): a personal record viewed by staff is audited. A ``ModelAdmin``
whose change (or view-only) page shows personal data takes ``AuditedViewAdmin`` first among its
bases, names the event in ``view_action`` (``<subject>.view``, like ``person.view``) and, if the
event should say more than its target, returns the details from ``view_audit_data`` (which may
read what the subclass's own ``render_change_form`` put in the page's context before calling
this one): internal ids and counts only, never a personal code or a name (``audit_record``).

The event is written in ``render_change_form``: the admin reaches it only once the user may see
the object (a refused or missing page writes nothing), inside the change view's transaction, and
for a form shown again with errors, which shows the record again. A page that shows no personal
data for this object (``view_audit_data`` returns ``None``) writes nothing.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from audit.services import audit_record


class AuditedViewAdmin(admin.ModelAdmin):
    """Records ``view_action`` by ``request.user`` on the object whenever its page is shown."""

    view_action: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.view_action:
            raise ImproperlyConfigured(f"{cls.__name__} audits its pages but names no view_action")

    def view_audit_data(
        self, request: HttpRequest, obj: Any, context: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The event's data for showing ``obj``; ``None`` if the page shows no personal data."""
        return {}

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and not add:
            data = self.view_audit_data(request, obj, context)
            if data is not None:
                audit_record(actor=request.user, action=self.view_action, target=obj, data=data)
        return super().render_change_form(request, context, add, change, form_url, obj)
