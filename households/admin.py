"""Persons and addresses in the admin: read-only, searched by exact code only, every opening audited.

The registers are the source of these records (the feed import writes them); nobody adds,
changes or deletes them here. A person is found only by one exact personal code (current or
previous, hyphen optional), never by a part of it and never by name, and the change list shows
nobody until a code is searched: the population is not browsable. Opening a person's page writes
``person.view``, a search ``person.search``, an address's page (it lists the residents)
``address.view``; the events carry internal ids and counts only.

``ReadOnlyAdmin``, ``CappedCountPaginator`` and ``CurrentVersionFilter`` are shared with the
traders' admin.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, cast

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from aldis.feeds.models import FeedBatch
from audit.services import audit_record
from households import selectors
from households.models import CURRENT, Address, AddressRecord, Person

SECTION_CAP = 200  # versions shown per register on a page; the total is always given
CAPPED_CHANGE_LIST = "admin/households/capped_change_list.html"


# --- shared with the traders' admin -----------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the feeds own: viewable with the view permission, never added, changed or deleted."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CappedCountPaginator(Paginator):
    """Counts at most ``cap`` rows (``SELECT COUNT(*) FROM (... LIMIT cap + 1)``).

    An exact COUNT(*) over a table of millions is a full scan on every page; nobody pages past
    the first hundred pages, they search or filter. ``capped`` says the count stopped early.
    """

    cap = 10_000
    capped = False

    @cached_property
    def count(self) -> int:
        queryset = cast(QuerySet[Any], self.object_list)  # the admin pages querysets only
        counted = queryset[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)


class CurrentVersionFilter(admin.SimpleListFilter):
    title = "version"
    parameter_name = "current"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Current"), ("no", "Superseded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(superseded_in__isnull=True)
        if self.value() == "no":
            return queryset.filter(superseded_in__isnull=False)
        return queryset


# --- record tables on a page ------------------------------------------------------------------

Cell = Callable[[Any], object]


@dataclass(frozen=True)
class Row:
    cells: list[object]
    superseded: bool


@dataclass(frozen=True)
class Section:
    """One table of a page: at most ``SECTION_CAP`` rows of ``total``."""

    key: str
    title: str
    columns: list[str]
    rows: list[Row]
    total: int

    @property
    def capped(self) -> bool:
        return self.total > len(self.rows)


def link(view: str, pk: Any, text: object) -> SafeString:
    return format_html('<a href="{}">{}</a>', reverse(f"admin:{view}", args=[pk]), text)


def person_link(person_id: int | None) -> SafeString | None:
    # The internal id, never the code or the name: those are on the (audited) person's page.
    return link("households_person_change", person_id, f"person {person_id}") if person_id else None


def address_link(address: Address | None) -> SafeString | None:
    return link("households_address_change", address.pk, address.code) if address else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def batch_label(batch: FeedBatch) -> SafeString:
    received = timezone.localtime(batch.received_at).strftime("%Y-%m-%d %H:%M")
    return format_html(
        "{}, as of {}, received {}",
        link("feeds_feedbatch_change", batch.pk, f"#{batch.pk} {batch.feed}"),
        batch.as_of.isoformat(),
        received,
    )


def version_label(record: Any) -> object:
    if record.superseded_in_id is None:
        return "current"
    return format_html("superseded by {}", batch_label(record.superseded_in))


VERSION_COLUMNS: list[tuple[str, Cell]] = [
    ("Valid from", lambda r: day(r.valid_from)),
    ("Valid to", lambda r: day(r.valid_to)),
    ("Brought by", lambda r: batch_label(r.learned_in)),
    ("Version", version_label),
]


def section(
    key: str,
    title: str,
    queryset: QuerySet[Any],
    columns: list[tuple[str, Cell]],
    *,
    versioned: bool = True,
) -> Section:
    """The first ``SECTION_CAP`` rows of ``queryset`` as a table; counted only if there are more."""
    columns = [*columns, *VERSION_COLUMNS] if versioned else columns
    records = list(queryset[: SECTION_CAP + 1])
    total = len(records) if len(records) <= SECTION_CAP else queryset.count()
    rows = [
        Row(
            cells=[cell(record) for _, cell in columns],
            superseded=versioned and record.superseded_in_id is not None,
        )
        for record in records[:SECTION_CAP]
    ]
    return Section(key=key, title=title, columns=[label for label, _ in columns], rows=rows, total=total)


def money(value: Any) -> str:
    return f"{value:.2f}"


PERSON_SECTIONS: list[tuple[str, str, list[tuple[str, Cell]]]] = [
    (
        "population",
        "Population register",
        [
            ("Given name", lambda r: r.given_name),
            ("Surname", lambda r: r.surname),
            ("Birth date", lambda r: day(r.birth_date)),
            ("Death date", lambda r: day(r.death_date)),
            ("Address", lambda r: address_link(r.address)),
            ("Declared from", lambda r: day(r.declared_from)),
            ("Previous code", lambda r: r.previous_code),
        ],
    ),
    (
        "temporary_protection",
        "Temporary protection",
        [
            ("Given name", lambda r: r.given_name),
            ("Surname", lambda r: r.surname),
            ("Birth date", lambda r: day(r.birth_date)),
            ("Indicated residence", lambda r: address_link(r.address)),
        ],
    ),
    (
        "relations_as_carer",
        "Relations: this person's dependants",
        [
            ("Relation", lambda r: r.get_relation_display()),
            ("Dependant", lambda r: person_link(r.dependant_id)),
        ],
    ),
    (
        "relations_as_dependant",
        "Relations: this person's parents, foster parents and guardians",
        [("Relation", lambda r: r.get_relation_display()), ("Of", lambda r: person_link(r.person_id))],
    ),
    ("disability", "Disability", [("Group", lambda r: r.get_group_display())]),
    (
        "social_status",
        "Social status",
        [("Status", lambda r: r.get_status_display()), ("Municipality", lambda r: r.municipality_code)],
    ),
    ("education", "Education", [("Level", lambda r: r.get_level_display())]),
    ("debtors", "Maintenance debtors' register", []),
    ("sanctions", "Sanctions list", []),
    (
        "income",
        "Income (State Revenue Service)",
        [("Month", lambda r: f"{r.month:%Y-%m}"), ("Amount EUR", lambda r: money(r.amount_eur))],
    ),
    (
        "benefits",
        "Benefits and pensions (social insurance)",
        [
            ("Month", lambda r: f"{r.month:%Y-%m}"),
            ("Kind", lambda r: r.get_kind_display()),
            ("Amount EUR", lambda r: money(r.amount_eur)),
        ],
    ),
    (
        "contracts",
        "Contracts held",
        [
            ("Trader", lambda r: r.trader.name),
            ("Contract", lambda r: link("traders_contract_change", r.pk, r.contract_no)),
            ("Kind", lambda r: r.get_kind_display()),
            ("Address", lambda r: address_link(r.address)),
            ("Object", lambda r: r.object_code),
        ],
    ),
    (
        "sub_users",
        "Sub-user applications",
        [
            ("Trader", lambda r: r.trader.name),
            ("Contract no.", lambda r: r.contract_no),
            ("Address", lambda r: address_link(r.address)),
        ],
    ),
]


def person_sections(person: Person) -> list[Section]:
    codes = section(
        "codes",
        "Personal codes this person has had",
        selectors.person_codes(person=person),
        [
            ("Code", lambda c: c.code),
            ("", lambda c: "current" if c.code == person.personal_code else "previous"),
        ],
        versioned=False,
    )
    records = selectors.person_register_records(person=person)
    return [codes] + [section(key, title, records[key], columns) for key, title, columns in PERSON_SECTIONS]


# --- persons ----------------------------------------------------------------------------------


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("personal_code", "id")
    # The box needs a search field to show; get_search_results replaces the lookup entirely.
    search_fields = ("codes__code__exact",)
    search_help_text = "One exact personal code, current or previous, with or without the hyphen."
    fields = ("id", "personal_code")
    readonly_fields = fields
    # The search term is a personal code: do not carry it on into the person's page URL.
    preserve_filters = False
    # At most one person matches a search: no counts worth running.
    show_full_result_count = False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # No filtering through the URL (``?personal_code__startswith=…`` would list the population).
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        if not search_term.strip():
            return queryset.none(), False  # nobody is listed until a code is searched
        return queryset & selectors.person_search(term=search_term), False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        # A TemplateResponse when the list was shown (not a redirect or an error page).
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and changelist.query.strip():
            audit_record(
                actor=request.user, action="person.search", data={"results": changelist.result_count}
            )
        return response

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Person | None = None,
    ) -> HttpResponse:
        # Reached only once the user may view ``obj``: read everything, record the reading, show it.
        if obj is not None:
            context["sections"] = person_sections(obj)
            context["explanations"] = month_explanation_links(person_id=obj.pk)
            audit_record(actor=request.user, action="person.view", target=obj, data={"person_id": obj.pk})
        return super().render_change_form(request, context, add, change, form_url, obj)


def month_explanation_links(*, person_id: int, months: int = 6) -> list[tuple[str, str]]:
    """Links to the eligibility "why" page for the latest months that have a run in force."""
    from eligibility.admin import why_url
    from eligibility.models import MonthRun, RunStatus

    recent = (
        MonthRun.objects.filter(status=RunStatus.DONE)
        .values_list("month", flat=True)
        .distinct()
        .order_by("-month")
    )
    return [(f"{month:%Y-%m}", why_url(person_id, month)) for month in recent[:months]]


# --- addresses --------------------------------------------------------------------------------


def address_sections(address: Address, on: date) -> list[Section]:
    return [
        section(
            "residents",
            f"Residents on {on.isoformat()} (population register, alive that day)",
            selectors.address_residents(address=address, on=on),
            [
                ("Person", lambda r: person_link(r.person_id)),
                ("Birth date", lambda r: day(r.birth_date)),
                ("Declared from", lambda r: day(r.declared_from)),
            ],
        ),
        section(
            "protected_residents",
            f"Temporary protection with residence here on {on.isoformat()}",
            selectors.address_protected_residents(address=address, on=on),
            [("Person", lambda r: person_link(r.person_id)), ("Birth date", lambda r: day(r.birth_date))],
        ),
        section(
            "records",
            "Address register",
            selectors.address_records(address=address),
            [
                ("Type", lambda r: r.get_type_display()),
                ("Parent", lambda r: address_link(r.parent)),
                ("Municipality", lambda r: r.municipality_code),
                ("Full address", lambda r: r.full_address),
            ],
        ),
        section(
            "children",
            "Addresses within (current)",
            selectors.address_children(address=address),
            [
                ("Address", lambda r: address_link(r.address)),
                ("Type", lambda r: r.get_type_display()),
                ("Full address", lambda r: r.full_address),
            ],
            versioned=False,
        ),
        section(
            "contracts",
            "Contracts here (current)",
            selectors.address_contracts(address=address),
            [
                ("Trader", lambda r: r.trader.name),
                ("Contract", lambda r: link("traders_contract_change", r.pk, r.contract_no)),
                ("Kind", lambda r: r.get_kind_display()),
                ("Holder", lambda r: person_link(r.holder_id) or r.holder_code),
                ("Object", lambda r: r.object_code),
                ("Valid from", lambda r: day(r.valid_from)),
                ("Valid to", lambda r: day(r.valid_to)),
            ],
            versioned=False,
        ),
        section(
            "connections",
            "Connection objects here (current)",
            selectors.address_connections(address=address),
            [
                ("Object", lambda r: link("traders_connection_change", r.pk, r.object_code)),
                ("Resource", lambda r: r.get_resource_display()),
                ("Operator", lambda r: r.operator.name),
                ("Supplier", lambda r: r.supplier.name if r.supplier else None),
                ("Valid from", lambda r: day(r.valid_from)),
                ("Valid to", lambda r: day(r.valid_to)),
            ],
            versioned=False,
        ),
    ]


def reference_date(request: HttpRequest) -> date:
    """``?on=YYYY-MM-DD`` if given and real, else the population register's newest date."""
    try:
        return date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return selectors.population_reference_date()


@admin.register(Address)
class AddressAdmin(ReadOnlyAdmin):
    list_display = ("code", "full_address", "id")
    # An exact lookup on the unique index ("=code" would be iexact: UPPER(code), a full scan).
    search_fields = ("code__exact",)
    search_help_text = "One exact 9-digit address code."
    fields = ("code",)
    readonly_fields = fields
    # About a million addresses: no exact COUNT(*) per page, no facet counts.
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    change_list_template = CAPPED_CHANGE_LIST

    def get_queryset(self, request: HttpRequest) -> QuerySet[Address]:
        current = AddressRecord.objects.filter(CURRENT, address=OuterRef("pk"))
        # Evaluated only for the rows of the page (after LIMIT); counts leave it out.
        return (
            super().get_queryset(request).annotate(full_address=Subquery(current.values("full_address")[:1]))
        )

    @admin.display(description="full address (current)")
    def full_address(self, address: Any) -> str | None:
        return address.full_address

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Address | None = None,
    ) -> HttpResponse:
        if obj is not None:
            on = reference_date(request)
            sections = address_sections(obj, on)
            context.update(sections=sections, reference_date=on)
            # It names who lives where: a read of personal data, recorded like a person's page.
            residents = sum(s.total for s in sections if s.key in ("residents", "protected_residents"))
            audit_record(
                actor=request.user, action="address.view", target=obj, data={"on": on, "residents": residents}
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
