"""Signing a person in to their own status page, pluggably, without ever making them a user.

Design: a person is **not** a Django user. The session stores only the person's internal id under
``PERSON_SESSION_KEY`` (never the personal code), set by ``person_sign_in`` after the session key
is cycled (no fixation) and cleared by ``person_sign_out``. Django's auth middleware never sees
it, so a signed-in person is anonymous to ``/admin/`` and to every staff permission, and there
is no password, user row or group that could be given to them by mistake.

Two ways in:

* **OpenID Connect** against the state portal, through mozilla-django-oidc, enabled when the
  ``OIDC_*`` environment variables are set (``settings.ALDIS_OIDC_ENABLED``). The library does the
  authorisation-code flow, state, nonce and token verification; ``PersonOIDCBackend`` maps the
  verified claim ``settings.ALDIS_OIDC_PERSONAL_CODE_CLAIM`` to a ``Person`` (through every code
  the person has had) and ``PersonOIDCCallbackView`` signs that person in instead of logging a user
  in. An unknown or invalid code is refused with a polite message.
* **Demo sign-in** (``households.web.views.demo_sign_in``), only with ``ALDIS_DEMO_SIGN_IN`` and
  ``DEBUG`` both on.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from aldis.identifiers import normalise_personal_code
from audit.services import audit_record
from households.models import Person
from households.selectors import person_search
from households.services.person_actions import person_actor

logger = logging.getLogger(__name__)

PERSON_SESSION_KEY = "aldis_person_id"


def person_by_code(code: str) -> Person | None:
    """The person who has or had the personal code ``code`` (hyphen optional), or None if the
    code is not valid or nobody has it."""
    try:
        normalised = normalise_personal_code(str(code))
    except ValidationError:
        return None
    return person_search(term=normalised).first()


def person_sign_in(request: HttpRequest, person: Person, *, method: str) -> None:
    """Sign ``person`` in on this session (a new session key), audited ``person.sign_in``.

    The session ends ``ALDIS_PERSON_SESSION_SECONDS`` after sign-in (default 30 minutes, far
    shorter than staff sessions): people check their status on shared computers too.
    """
    request.session.cycle_key()
    request.session[PERSON_SESSION_KEY] = person.pk
    request.session.set_expiry(settings.ALDIS_PERSON_SESSION_SECONDS)
    with transaction.atomic():
        audit_record(
            actor=person_actor(person), action="person.sign_in", target=person, data={"method": method}
        )


def person_sign_out(request: HttpRequest) -> None:
    """Forget the signed-in person (the whole session), audited ``person.sign_out``."""
    person = signed_in_person(request)
    request.session.flush()
    if person is not None:
        with transaction.atomic():
            audit_record(actor=person_actor(person), action="person.sign_out", target=person)


def signed_in_person(request: HttpRequest) -> Person | None:
    """The person signed in on this session, or None. The id comes from the session only."""
    person_id = request.session.get(PERSON_SESSION_KEY)
    if type(person_id) is not int:  # not a bool (an int subclass), a text or anything else
        return None
    return Person.objects.filter(pk=person_id).first()


# --- OpenID Connect --------------------------------------------------------------------------


@dataclass
class PersonPrincipal:
    """What the OIDC backend hands the callback view: the person, shaped enough like a user for
    ``django.contrib.auth.authenticate`` and the library's checks. Never logged in as a user."""

    person: Person
    is_active: bool = True
    is_authenticated: bool = True


class PersonOIDCBackend(OIDCAuthenticationBackend):
    """Maps the verified personal-code claim to a ``Person``; creates nothing, no Django user."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Only the callback's call (nonce, code_verifier) is ours: never a username/password form.
        if set(kwargs) - {"nonce", "code_verifier"}:
            return None
        return super().authenticate(request, **kwargs)

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = dict(payload)
        if settings.OIDC_OP_USER_ENDPOINT:
            claims.update(self.get_userinfo(access_token, id_token, payload) or {})
        code = claims.get(settings.ALDIS_OIDC_PERSONAL_CODE_CLAIM)
        person = person_by_code(code) if isinstance(code, str) else None
        if person is None:
            # Nothing personal in the log: only that the claim did not map to a person.
            logger.info("OIDC sign-in refused: the personal-code claim names no known person")
            return None
        return PersonPrincipal(person)

    def get_user(self, user_id: Any) -> None:
        return None


class PersonOIDCRequestView(OIDCAuthenticationRequestView):
    """Starts the OIDC flow at the state portal (404 when OIDC is not configured)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not settings.ALDIS_OIDC_ENABLED:
            raise Http404
        super().__init__(*args, **kwargs)


class PersonOIDCCallbackView(OIDCAuthenticationCallbackView):
    """The state portal sends the person back here: sign the person in, or say politely why not."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.ALDIS_OIDC_ENABLED:
            raise Http404
        return super().get(request)

    def login_success(self) -> HttpResponse:
        principal = self.user
        if not isinstance(principal, PersonPrincipal):
            return self.login_failure()
        person_sign_in(self.request, principal.person, method="oidc")
        return HttpResponseRedirect(reverse("status:page"))

    def login_failure(self) -> HttpResponse:
        messages.error(
            self.request,
            _(
                "We could not find your data with the sign-in you used. If you live in Latvia and "
                "think this is wrong, please contact the Bureau."
            ),
        )
        return HttpResponseRedirect(reverse("status:sign-in"))
