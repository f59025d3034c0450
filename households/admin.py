"""Persons and addresses in the admin: read-only, searched by exact code only, every opening audited.

The registers are the source of these records (the feed import writes them); nobody adds,
changes or deletes them here. A person is found only by one exact personal code (current or
previous, hyphen optional), never by a part of it and never by name, and the change list shows
nobody until a code is searched: the population is not browsable. Opening a person's page writes
``person.view``, a search ``person.search``, an address's page (it lists the residents)
``address.view``; the events carry internal ids and counts only.

``ReadOnlyAdmin``, ``CappedCountPaginator`` and ``CurrentVersionFilter`` are shared with the
traders' admin.

The Bureau's side of the person's rights lives here too: the queue of contest cases (oldest open
case first; a case's page shows the person's words, is audited ``contest.view``, and carries the
review and decision forms that call ``contest_review``/``contest_decide``) and the counted-child
marks (added by exact personal codes, ended, never edited or deleted otherwise, through the
services in ``households.services.counted_child_marks``). Persons show as internal-id links.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db.models import Case, OuterRef, QuerySet, Subquery, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from aldis.admin_forms import plain_form_add_page
from aldis.exceptions import ApplicationError
from aldis.feeds.models import FeedBatch
from aldis.identifiers import normalise_personal_code
from audit.admin_views import AuditedViewAdmin
from audit.services import audit_record
from households import selectors
from households.models import (
    CURRENT,
    Address,
    AddressRecord,
    ContestCase,
    ContestStatus,
    CountedChildMark,
    Person,
)
from households.services.contest_decisions import (
    OPEN as CONTEST_OPEN,
)
from households.services.contest_decisions import (
    contest_decide,
    contest_referral_targets,
    contest_review,
)
from households.services.counted_child_marks import counted_child_mark_create, counted_child_mark_end

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
class PersonAdmin(AuditedViewAdmin, ReadOnlyAdmin):
    """Persons are never listed: staff search one exact personal code, current or previous, and
    a match opens that person's page.

    A personal code never travels in a URL, where the access log and the browser's history would
    keep it: the search box posts the code (``person/change_list.html``), and the match's page is
    addressed by the internal id. A code sent in the address (``?q=``) is not searched.
    """

    view_action = "person.view"
    list_display = ("personal_code", "id")
    fields = ("id", "personal_code")
    readonly_fields = fields
    preserve_filters = False
    show_full_result_count = False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # No filtering through the URL (``?personal_code__startswith=…`` would list the population).
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        return queryset.none(), False  # the list shows nobody; searches are posted (below)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if "q" in request.GET:
            messages.warning(
                request, "Search with the box on this page: a personal code is not taken from the address."
            )
            return HttpResponseRedirect(request.path)
        if request.method == "POST":
            return self._search(request)
        return super().changelist_view(request, extra_context)

    def _search(self, request: HttpRequest) -> HttpResponse:
        term = request.POST.get("q", "")
        if not term.strip():
            return HttpResponseRedirect(request.path)
        persons = list(selectors.person_search(term=term)[:2])
        audit_record(actor=request.user, action="person.search", data={"results": len(persons)})
        if len(persons) == 1:
            return HttpResponseRedirect(reverse("admin:households_person_change", args=[persons[0].pk]))
        messages.info(request, "No person has that personal code, current or previous.")
        return HttpResponseRedirect(request.path)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Person | None = None,
    ) -> HttpResponse:
        # Reached only once the user may view ``obj``: read everything, then (super) record the
        # reading and show it.
        if obj is not None:
            context["sections"] = person_sections(obj)
            context["explanations"] = month_explanation_links(person_id=obj.pk)
            context["bureau_links"] = bureau_links(request, person_id=obj.pk)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def view_audit_data(self, request: HttpRequest, obj: Person, context: dict[str, Any]) -> dict[str, Any]:
        return {"person_id": obj.pk}


def bureau_links(request: HttpRequest, *, person_id: int) -> list[tuple[str, str]]:
    """The person's contest cases and counted-child marks, for a user who may see them."""
    links = [
        ("households.view_contestcase", "Contest cases", "contestcase", "person"),
        ("households.view_countedchildmark", "Counted-child marks as the adult", "countedchildmark", "adult"),
        ("households.view_countedchildmark", "Counted-child marks as the child", "countedchildmark", "child"),
    ]
    return [
        (text, f"{reverse(f'admin:households_{model}_changelist')}?{field}__id__exact={person_id}")
        for permission, text, model, field in links
        if request.user.has_perm(permission)
    ]


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
class AddressAdmin(AuditedViewAdmin, ReadOnlyAdmin):
    view_action = "address.view"
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
            context.update(sections=address_sections(obj, on), reference_date=on)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def view_audit_data(self, request: HttpRequest, obj: Address, context: dict[str, Any]) -> dict[str, Any]:
        # It names who lives where: a read of personal data, recorded like a person's page.
        sections = context["sections"]
        residents = sum(s.total for s in sections if s.key in ("residents", "protected_residents"))
        return {"on": context["reference_date"], "residents": residents}


# --- contest cases (DOMAIN: Rights of the person) ---------------------------------------------


class ContestMonthFilter(admin.SimpleListFilter):
    """The months contested (a short list: cases are kept as long as personal data)."""

    title = "month"
    parameter_name = "month"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        months = ContestCase.objects.dates("month", "month", order="DESC")
        return [(f"{month:%Y-%m}", f"{month:%Y-%m}") for month in months]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        try:
            year, month = (int(part) for part in str(self.value()).split("-"))
            return queryset.filter(month=date(year, month, 1))
        except ValueError:
            return queryset.none()


class ContestDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[
            ("upheld", "Uphold: the month is computed again from the data as known now"),
            ("rejected", "Reject"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Written reason",
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text="shown to the person: say what was checked and what follows from it",
    )
    referred_to = forms.ChoiceField(
        label="Data error referred to",
        required=False,
        help_text="the register a data error was reported to, if any",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = [(target, target) for target in contest_referral_targets()]
        self.fields["referred_to"].choices = [("", "not referred"), *targets]  # type: ignore[attr-defined]


def _service_error(exc: ApplicationError | DjangoValidationError) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    return "; ".join(exc.messages)


@admin.register(ContestCase)
class ContestCaseAdmin(AuditedViewAdmin):
    """The queue of contests, oldest open case first; a case's page, the person's words beside
    the decision form. Staff review and decide through ``contest_review``/``contest_decide``
    (the change permission); nothing here edits the person's text, and nothing is deleted."""

    view_action = "contest.view"  # the page shows the person's own words

    list_display = ("case", "received", "month_display", "item", "status", "days_open", "person_display")
    list_filter = ("status", "item", ContestMonthFilter)
    actions = None
    change_form_template = "admin/households/contestcase/change_form.html"
    fieldsets = (
        (
            "What the person contests",
            {"fields": ("person_display", "month_display", "item", "text", "seen_version", "received")},
        ),
        (
            "Decision",
            {
                "fields": (
                    "status",
                    "days_open",
                    "decision_reason",
                    "referred_to",
                    "decided_by",
                    "decided_at",
                    "rerun_display",
                )
            },
        ),
    )
    readonly_fields = (
        "person_display",
        "month_display",
        "item",
        "text",
        "seen_version",
        "received",
        "status",
        "days_open",
        "decision_reason",
        "referred_to",
        "decided_by",
        "decided_at",
        "rerun_display",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContestCase]:
        # The decider's name and the two runs on the case page: joins instead of a query each.
        return super().get_queryset(request).select_related("decided_by", "run", "rerun")

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Open cases first (received and in review alike), oldest first: the queue's order.
        open_first = Case(When(status__in=CONTEST_OPEN, then=Value(0)), default=Value(1))
        return [open_first.asc(), "created_at", "id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the person opens a case, from their status page

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the page is read-only: review and decide go through their own views

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("households.change_contestcase")

    @admin.display(description="case", ordering="id")
    def case(self, obj: ContestCase) -> str:
        return f"case {obj.pk}"

    @admin.display(description="received", ordering="created_at")
    def received(self, obj: ContestCase) -> str:
        return timezone.localtime(obj.created_at).strftime("%Y-%m-%d")

    @admin.display(description="month", ordering="month")
    def month_display(self, obj: ContestCase) -> str:
        return f"{obj.month:%Y-%m}"

    @admin.display(description="days open")
    def days_open(self, obj: ContestCase) -> int:
        # Until the decision, or until now for an open case (a display, never a rule).
        return ((obj.decided_at or timezone.now()) - obj.created_at).days

    @admin.display(description="person")
    def person_display(self, obj: ContestCase) -> SafeString | None:
        return person_link(obj.person_id)

    @admin.display(description="version the person saw")
    def seen_version(self, obj: ContestCase) -> SafeString | str:
        if obj.run is None:
            return "none (no run of the month was in force)"
        return link("eligibility_monthrun_change", obj.run.pk, f"version {obj.run.version}")

    @admin.display(description="re-run")
    def rerun_display(self, obj: ContestCase) -> SafeString | str:
        if obj.rerun is None:
            return "-"
        return link("eligibility_monthrun_change", obj.rerun.pk, f"version {obj.rerun.version}")

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="households_contestcase_review",
            ),
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="households_contestcase_decide",
            ),
        ]
        return urls + super().get_urls()

    def _case(self, request: HttpRequest, object_id: str) -> ContestCase:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        case = self.get_object(request, object_id)
        if case is None:
            raise Http404("no such contest case")
        return case

    def _case_url(self, case: ContestCase) -> str:
        return reverse("admin:households_contestcase_change", args=[case.pk])

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST: take a received case into review (``contest_review``); back to the case."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case = self._case(request, object_id)
        try:
            contest_review(case=case, actor=request.user)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"Case {case.pk} is in review.", messages.SUCCESS)
        return HttpResponseRedirect(self._case_url(case))

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The decision form (also on the case's page): ``contest_decide``, then back to the case.
        A refusal (no reason, a run of the month in progress, decided already) shows the form
        again with the reason; nothing is decided then."""
        case = self._case(request, object_id)
        form = ContestDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                decided = contest_decide(
                    case=case,
                    upheld=data["outcome"] == "upheld",
                    reason=data["reason"],
                    referred_to=data["referred_to"],
                    actor=request.user,
                )
            except (ApplicationError, DjangoValidationError) as exc:
                form.add_error(None, _service_error(exc))
            else:
                message = f"Case {decided.pk}: {decided.get_status_display().lower()}."
                if decided.rerun is not None:
                    decided.rerun.refresh_from_db()  # run in-process (no broker), it has finished by now
                    message += (
                        f" Month {decided.month:%Y-%m} version {decided.rerun.version} requested:"
                        f" {decided.rerun.status}."
                    )
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(self._case_url(decided))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Decide contest case {case.pk}",
            "opts": self.opts,
            "case": case,
            "case_url": self._case_url(case),
            "decision_form": form,
            "decide_url": reverse("admin:households_contestcase_decide", args=[case.pk]),
        }
        return TemplateResponse(request, "admin/households/contestcase/decide.html", context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: ContestCase | None = None,
    ) -> HttpResponse:
        if obj is not None:
            from eligibility.admin import why_url

            can_decide = self.has_decide_permission(request) and obj.status in CONTEST_OPEN
            context.update(
                case=obj,
                why_url=why_url(obj.person_id, obj.month),
                person_url=reverse("admin:households_person_change", args=[obj.person_id]),
                can_review=can_decide and obj.status == ContestStatus.RECEIVED,
                can_decide=can_decide,
                decision_form=ContestDecisionForm() if can_decide else None,
                review_url=reverse("admin:households_contestcase_review", args=[obj.pk]),
                decide_url=reverse("admin:households_contestcase_decide", args=[obj.pk]),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def view_audit_data(
        self, request: HttpRequest, obj: ContestCase, context: dict[str, Any]
    ) -> dict[str, Any]:
        return {"case_id": obj.pk, "person_id": obj.person_id, "month": f"{obj.month:%Y-%m}"}


# --- counted-child marks (DOMAIN: Counted child) ----------------------------------------------


class OpenMarkFilter(admin.SimpleListFilter):
    title = "period"
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Open (no last day)"), ("no", "Ended")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(valid_to__isnull=True)
        if self.value() == "no":
            return queryset.filter(valid_to__isnull=False)
        return queryset


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CountedChildMarkAddForm(forms.Form):
    """Adult and child by exact personal code (current or previous; check digit verified):
    never a list of persons to pick from."""

    adult_code = forms.CharField(label="Adult's personal code", max_length=12, help_text="DDMMYY-NNNNN")
    child_code = forms.CharField(label="Child's personal code", max_length=12, help_text="DDMMYY-NNNNN")
    valid_from = forms.DateField(label="First day", widget=_date_input())
    valid_to = forms.DateField(
        label="Last day", required=False, widget=_date_input(), help_text="empty: until the mark is ended"
    )
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="what the Bureau saw, e.g. a foreign university's certificate of studies",
    )

    def _person(self, field: str) -> Person:
        try:
            code = normalise_personal_code(self.cleaned_data[field])
        except DjangoValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        person = selectors.person_search(term=code).first()
        if person is None:
            raise forms.ValidationError("no person is known under this code")
        return person

    def clean_adult_code(self) -> Person:
        return self._person("adult_code")

    def clean_child_code(self) -> Person:
        return self._person("child_code")


class CountedChildMarkEndForm(forms.Form):
    valid_to = forms.DateField(label="Last day", widget=_date_input(), help_text="the last day it counts")


# Where a service's field errors show on the add form.
MARK_ERROR_FIELDS = {"adult": "adult_code", "child": "child_code"}


@admin.register(CountedChildMark)
class CountedChildMarkAdmin(AuditedViewAdmin):
    """Staff add a mark (``counted_child_mark_create``) and end one (``counted_child_mark_end``);
    a mark is never edited otherwise nor deleted. Persons show as internal-id links."""

    view_action = "counted_child.view"

    list_display = (
        "mark",
        "adult_display",
        "child_display",
        "valid_from",
        "valid_to",
        "marked_by",
        "created_at",
    )
    list_filter = (OpenMarkFilter,)
    ordering = ("-created_at", "-id")
    actions = None
    change_form_template = "admin/households/countedchildmark/change_form.html"
    fields = (
        "adult_display",
        "child_display",
        "valid_from",
        "valid_to",
        "evidence",
        "marked_by",
        "created_at",
    )
    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the page is read-only: ending a mark has its own view

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_end_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("households.change_countedchildmark")

    @admin.display(description="mark", ordering="id")
    def mark(self, obj: CountedChildMark) -> str:
        return f"mark {obj.pk}"

    @admin.display(description="adult")
    def adult_display(self, obj: CountedChildMark) -> SafeString | None:
        return person_link(obj.adult_id)

    @admin.display(description="child")
    def child_display(self, obj: CountedChildMark) -> SafeString | None:
        return person_link(obj.child_id)

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "<path:object_id>/end/",
                self.admin_site.admin_view(self.end_view),
                name="households_countedchildmark_end",
            )
        ]
        return urls + super().get_urls()

    def _mark_url(self, mark: CountedChildMark) -> str:
        return reverse("admin:households_countedchildmark_change", args=[mark.pk])

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """ "Add counted-child mark": codes, period and evidence, through the service."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CountedChildMarkAddForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                mark = counted_child_mark_create(
                    adult=data["adult_code"],
                    child=data["child_code"],
                    valid_from=data["valid_from"],
                    valid_to=data["valid_to"],
                    evidence=data["evidence"],
                    actor=request.user,
                )
            except DjangoValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(MARK_ERROR_FIELDS.get(field, field), errors)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Mark {mark.pk} added.", messages.SUCCESS)
                return HttpResponseRedirect(self._mark_url(mark))
        return plain_form_add_page(
            self,
            request,
            form,
            title="Add counted-child mark",
            form_url=form_url,
            extra_context=extra_context,
        )

    def end_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """End a mark (``counted_child_mark_end``): its last day; then back to the mark."""
        if not self.has_end_permission(request):
            raise PermissionDenied
        mark = self.get_object(request, object_id)
        if mark is None:
            raise Http404("no such mark")
        form = CountedChildMarkEndForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                counted_child_mark_end(mark=mark, valid_to=form.cleaned_data["valid_to"], actor=request.user)
            except (ApplicationError, DjangoValidationError) as exc:
                form.add_error(None, _service_error(exc))
            else:
                self.message_user(request, f"Mark {mark.pk} ended.", messages.SUCCESS)
                return HttpResponseRedirect(self._mark_url(mark))
        context = {
            **self.admin_site.each_context(request),
            "title": f"End counted-child mark {mark.pk}",
            "opts": self.opts,
            "mark": mark,
            "mark_url": self._mark_url(mark),
            "end_form": form,
            "end_url": reverse("admin:households_countedchildmark_end", args=[mark.pk]),
        }
        return TemplateResponse(request, "admin/households/countedchildmark/end.html", context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: CountedChildMark | None = None,
    ) -> HttpResponse:
        if obj is not None:
            can_end = self.has_end_permission(request) and obj.valid_to is None
            context.update(
                can_end=can_end,
                end_form=CountedChildMarkEndForm() if can_end else None,
                end_url=reverse("admin:households_countedchildmark_end", args=[obj.pk]),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def view_audit_data(
        self, request: HttpRequest, obj: CountedChildMark, context: dict[str, Any]
    ) -> dict[str, Any]:
        # The evidence may say things about the child: a read of personal data, recorded.
        return {"mark_id": obj.pk, "adult_id": obj.adult_id, "child_id": obj.child_id}
