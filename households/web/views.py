"""The person's pages: sign-in, their status, and the actions on it (interfaces only).

The person always comes from the session (``households.auth.signed_in_person``): no URL or form
names a person, so nobody can look at or act for anyone else. Every page that shows personal
data is ``never_cache``; every action is a POST with CSRF that calls one service and redirects
back with a message (post/redirect/get), or shows the page again with the form's errors.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from aldis.exceptions import ApplicationError
from eligibility.models import EnergyAidDecision, HouseholdEntitlement, MonthRun, RunStatus, UnitDecision
from households.auth import person_by_code, person_sign_in, person_sign_out, signed_in_person
from households.models import CURRENT, Person, PopulationRecord
from households.selectors import next_run_month, person_allowed_contracts, runs_in_force_kept, valid_on
from households.services.person_actions import (
    contest_case_open,
    contract_choice_clear,
    contract_choice_set,
    person_actor,
    person_status_read,
    service_refusal_start,
    service_refusal_undo,
)
from households.texts import status_texts
from households.web.forms import ContestForm, ContractChoiceForm, DemoSignInForm

PersonView = Callable[[HttpRequest, Person], HttpResponse]


def person_required(view: PersonView) -> Callable[[HttpRequest], HttpResponse]:
    """Calls ``view(request, person)`` with the signed-in person; otherwise sends to sign-in."""

    def wrapped(request: HttpRequest) -> HttpResponse:
        person = signed_in_person(request)
        if person is None:
            return HttpResponseRedirect(reverse("status:sign-in"))
        return view(request, person)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _demo_enabled() -> bool:
    return bool(settings.ALDIS_DEMO_SIGN_IN and settings.DEBUG)


def _render_status(
    request: HttpRequest,
    person: Person,
    *,
    contract_form: ContractChoiceForm | None = None,
    contest_form: ContestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    data = person_status_read(person=person, actor=person_actor(person))
    shown = status_texts(data)
    months = [m["month"] for m in data["months"]]
    current_choice = data["contract_choice"]
    initial = (
        {
            "contract": next(
                (
                    f"{c['trader_id']}:{c['contract_no']}"
                    for c in data["allowed_contracts"]
                    if c["contract_no"] == current_choice["contract_no"]
                    and c["trader"] == current_choice["trader"]
                ),
                None,
            )
        }
        if current_choice
        else {"contract": "automatic"}
    )
    context: dict[str, Any] = {
        "status": shown,
        "latest": shown["months"][0] if shown["months"] else None,
        "earlier": shown["months"][1:],
        "contract_form": contract_form
        or ContractChoiceForm(allowed=data["allowed_contracts"], initial=initial),
        "contest_form": contest_form or ContestForm(months=months),
    }
    response = render(request, "households/status.html", context, status=status)
    return response


@never_cache
@require_http_methods(["GET"])
@person_required
def status_page(request: HttpRequest, person: Person) -> HttpResponse:
    """The signed-in person's status: this month first, earlier months folded, what to do."""
    return _render_status(request, person)


@never_cache
@require_http_methods(["GET"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """How to sign in: the state portal (OIDC) when configured, the demo sign-in in demo mode."""
    if signed_in_person(request) is not None:
        return HttpResponseRedirect(reverse("status:page"))
    return render(
        request,
        "households/sign_in.html",
        {"oidc_enabled": settings.ALDIS_OIDC_ENABLED, "demo_enabled": _demo_enabled()},
    )


@never_cache
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    person_sign_out(request)
    messages.info(request, _("You have signed out."))
    return HttpResponseRedirect(reverse("home"))


def _demo_people() -> list[dict[str, Any]]:
    """A handful of synthetic persons with telling statuses in the newest run in force."""
    run = MonthRun.objects.filter(status=RunStatus.DONE).order_by("-month", "-version").first()
    if run is None:
        return []
    wanted: list[tuple[str, Any]] = [
        (
            _("Large family"),
            UnitDecision.objects.filter(run=run, granted=True, category="large_family").values("address_id"),
        ),
        (
            _("Support attributed to a contract"),
            HouseholdEntitlement.objects.filter(run=run, contract__isnull=False).values("address_id"),
        ),
        (
            _("Support not attributed (no suitable contract)"),
            HouseholdEntitlement.objects.filter(run=run, contract__isnull=True).values("address_id"),
        ),
        (
            _("Energy-aid eligible"),
            EnergyAidDecision.objects.filter(run=run, eligible=True).values("address_id"),
        ),
    ]
    people = []
    for label, addresses in wanted:
        address_id = addresses.order_by("address_id").values_list("address_id", flat=True).first()
        record = (
            PopulationRecord.objects.filter(CURRENT, valid_on(run.month), address_id=address_id)
            .select_related("person")
            .order_by("birth_date", "person_id")
            .first()
            if address_id
            else None
        )
        if record is not None:
            people.append({"label": label, "code": record.person.personal_code})
    entitled = HouseholdEntitlement.objects.filter(run=run).values("address_id")
    nothing = (
        PopulationRecord.objects.filter(CURRENT, valid_on(run.month), address__isnull=False)
        .filter(Q(death_date__isnull=True))
        .exclude(address_id__in=entitled)
        .select_related("person")
        .order_by("person_id")
        .first()
    )
    if nothing is not None:
        people.append({"label": _("Nothing: no support this month"), "code": nothing.person.personal_code})
    return people


@never_cache
@require_http_methods(["GET", "POST"])
def demo_sign_in(request: HttpRequest) -> HttpResponse:
    """DEMO ONLY (``ALDIS_DEMO_SIGN_IN`` and ``DEBUG``): sign in as a synthetic person by code."""
    if not _demo_enabled():
        raise Http404
    form = DemoSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = person_by_code(form.cleaned_data["personal_code"])
        if person is not None:
            person_sign_in(request, person, method="demo")
            return HttpResponseRedirect(reverse("status:page"))
        form.add_error("personal_code", _("No person with this personal code is known."))
    return render(
        request,
        "households/demo_sign_in.html",
        {"form": form, "people": _demo_people()},
        status=400 if form.errors else 200,
    )


@never_cache
@require_POST
@person_required
def choose_contract(request: HttpRequest, person: Person) -> HttpResponse:
    """The contract the support goes to from the next run on (or back to automatic)."""
    allowed = person_allowed_contracts(person=person, on=next_run_month())
    form = ContractChoiceForm(request.POST, allowed=allowed)
    if form.is_valid():
        chosen = form.chosen()
        try:
            if chosen is None:
                contract_choice_clear(person=person, actor=person_actor(person))
                messages.success(
                    request, _("Done: ALDIS will choose the contract by the rules from the next month.")
                )
            else:
                choice = contract_choice_set(
                    person=person, trader_id=chosen[0], contract_no=chosen[1], actor=person_actor(person)
                )
                messages.success(
                    request,
                    _("Done: the support goes to contract %(contract)s from %(month)s.")
                    % {"contract": choice.contract_no, "month": choice.valid_from.strftime("%Y-%m")},
                )
            return HttpResponseRedirect(reverse("status:page") + "#actions")
        except ValidationError as error:
            form.add_error(
                "contract", error.message_dict.get("contract", [_("This contract cannot be chosen.")])
            )
    return _render_status(request, person, contract_form=form, status=400)


@never_cache
@require_POST
@person_required
def refuse_service(request: HttpRequest, person: Person) -> HttpResponse:
    try:
        refusal = service_refusal_start(person=person, actor=person_actor(person))
        messages.success(
            request,
            _("Done: you have refused the protected-user service from %(month)s. You can undo this.")
            % {"month": refusal.valid_from.strftime("%Y-%m")},
        )
    except ApplicationError:
        messages.error(request, _("You have already refused the service."))
    return HttpResponseRedirect(reverse("status:page") + "#actions")


@never_cache
@require_POST
@person_required
def undo_refusal(request: HttpRequest, person: Person) -> HttpResponse:
    try:
        service_refusal_undo(person=person, actor=person_actor(person))
        messages.success(
            request, _("Done: you will get the protected-user service again from the next month.")
        )
    except ApplicationError:
        messages.error(request, _("You have not refused the service."))
    return HttpResponseRedirect(reverse("status:page") + "#actions")


@never_cache
@require_POST
@person_required
def contest_month(request: HttpRequest, person: Person) -> HttpResponse:
    """Contest one month's result: a case the Bureau decides with a written reason."""
    months = [run.month for run in runs_in_force_kept()]
    form = ContestForm(request.POST, months=months)
    if form.is_valid():
        try:
            case = contest_case_open(
                person=person,
                month=form.cleaned_data["month"],
                item=form.cleaned_data["item"],
                text=form.cleaned_data["text"],
                actor=person_actor(person),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _(
                    "Your contest no. %(number)s has been received. The Bureau will answer in writing on this page."
                )
                % {"number": case.pk},
            )
            return HttpResponseRedirect(reverse("status:page") + "#contests")
    return _render_status(request, person, contest_form=form, status=400)
