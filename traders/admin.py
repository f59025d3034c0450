"""Contracts, sub-users and connection objects in the admin: read-only, as the parties sent them.

Each table holds every version (about a million current contracts and metering points, more
with history), so the lists never count the whole table, search only by an exact number or code,
and name a person by internal id only: holders' personal codes are on the (audited) person page.
A page that ties a person to a contract at an address is a read of personal data: opening a
contract held by a person writes ``contract.view``, a sub-user's ``sub_user.view`` (internal ids
only; ``audit.admin_views``). A connection object names no person and is not audited.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.safestring import SafeString

from aldis.organisations.models import OrganisationKind
from audit.admin_views import AuditedViewAdmin
from households.admin import (
    CAPPED_CHANGE_LIST,
    CappedCountPaginator,
    CurrentVersionFilter,
    ReadOnlyAdmin,
    person_link,
)
from traders.models import Connection, Contract, SubUser

VERSION_FIELDS = ("valid_from", "valid_to", "learned_in", "superseded_in")


class OrganisationOfKindFilter(admin.RelatedFieldListFilter):
    """The organisations of ``kinds`` only (a few dozen), not every party nor a DISTINCT scan."""

    kinds: tuple[str, ...] = ()

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        return field.get_choices(
            include_blank=False, ordering=("name",), limit_choices_to={"kind__in": self.kinds}
        )


class TraderFilter(OrganisationOfKindFilter):
    kinds = (OrganisationKind.TRADER,)


class OperatorFilter(OrganisationOfKindFilter):
    kinds = (OrganisationKind.ELECTRICITY_DSO, OrganisationKind.GAS_DSO, OrganisationKind.HEAT_SUPPLIER)


class LargeVersionedAdmin(ReadOnlyAdmin):
    """A read-only list over a versioned table of millions of rows."""

    # No exact COUNT(*) over the table on each page, neither filtered nor in total; no facet counts.
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    change_list_template = CAPPED_CHANGE_LIST
    # Newest versions first, straight off the primary key index.
    ordering = ("-id",)

    @admin.display(boolean=True, description="current")
    def is_current(self, record: Any) -> bool:
        return record.superseded_in_id is None


@admin.register(Contract)
class ContractAdmin(AuditedViewAdmin, LargeVersionedAdmin):
    view_action = "contract.view"
    list_display = (
        "contract_no",
        "trader",
        "kind",
        "address",
        "holder_display",
        "object_code",
        "valid_from",
        "valid_to",
        "is_current",
    )
    list_filter = (("trader", TraderFilter), "kind", CurrentVersionFilter)
    list_select_related = ("trader", "address")
    search_fields = ("contract_no__exact", "object_code__exact")
    search_help_text = "One exact contract number or metering point / object code."
    # Never rendered as widgets here (read-only), but no select of a million options if ever.
    raw_id_fields = ("holder", "address")
    fields = ("trader", "contract_no", "kind", "holder_display", "address", "object_code", *VERSION_FIELDS)
    readonly_fields = fields

    @admin.display(description="holder")
    def holder_display(self, contract: Contract) -> SafeString | str | None:
        # A person by internal id (their code is on their audited page); an organisation by its code.
        return person_link(contract.holder_id) or contract.holder_code

    def view_audit_data(
        self, request: HttpRequest, obj: Contract, context: dict[str, Any]
    ) -> dict[str, Any] | None:
        if obj.holder_id is None:
            return None  # an organisation's contract: no personal data on the page
        return {"person_id": obj.holder_id, "trader_id": obj.trader_id}


@admin.register(SubUser)
class SubUserAdmin(AuditedViewAdmin, LargeVersionedAdmin):
    view_action = "sub_user.view"
    list_display = (
        "contract_no",
        "trader",
        "person_display",
        "address",
        "valid_from",
        "valid_to",
        "is_current",
    )
    list_filter = (("trader", TraderFilter), CurrentVersionFilter)
    list_select_related = ("trader", "address")
    search_fields = ("contract_no__exact",)
    search_help_text = "One exact contract number."
    raw_id_fields = ("person", "address")
    fields = ("trader", "contract_no", "person_display", "address", *VERSION_FIELDS)
    readonly_fields = fields

    @admin.display(description="person")
    def person_display(self, sub_user: SubUser) -> SafeString | None:
        return person_link(sub_user.person_id)

    def view_audit_data(self, request: HttpRequest, obj: SubUser, context: dict[str, Any]) -> dict[str, Any]:
        return {"person_id": obj.person_id, "trader_id": obj.trader_id}


@admin.register(Connection)
class ConnectionAdmin(LargeVersionedAdmin):
    list_display = (
        "object_code",
        "resource",
        "operator",
        "supplier",
        "address",
        "valid_from",
        "valid_to",
        "is_current",
    )
    list_filter = (("operator", OperatorFilter), ("supplier", TraderFilter), "resource", CurrentVersionFilter)
    list_select_related = ("operator", "supplier", "address")
    search_fields = ("object_code__exact",)
    search_help_text = "One exact object code (EIC, gas market number or heat object id)."
    raw_id_fields = ("address",)
    fields = ("operator", "object_code", "resource", "supplier", "address", *VERSION_FIELDS)
    readonly_fields = fields
