"""The person's /status/ page: sign-in required, one's own data only, each kind of status in
plain words, lv by default and en on request, audited, with a pinned number of queries."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from households.models import ServiceRefusal
from tests.eligibility.scheme_p.conftest import person
from tests.households.web.world import CHILD_1, HOMELESS, LONER, PARENT, TENANT, compute, signed_in, texts

pytestmark = pytest.mark.django_db

STATUS = "/status/"


def en(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def test_the_page_needs_a_signed_in_person(client):
    response = client.get(STATUS)
    assert response.status_code == 302
    assert response["Location"] == reverse("status:sign-in")


def test_the_sign_in_page_offers_nothing_when_neither_oidc_nor_demo_is_on(client, settings):
    settings.ALDIS_OIDC_ENABLED = False
    settings.ALDIS_DEMO_SIGN_IN = False
    page = texts(client.get(reverse("status:sign-in")))
    assert 'id="sign-in-unavailable"' in page
    assert 'id="oidc-sign-in"' not in page
    assert 'id="demo-sign-in"' not in page


def test_large_family_attributed_in_latvian_by_default(client, world):
    page = texts(signed_in(client, PARENT).get(STATUS))
    assert '<html lang="lv">' in page
    assert "25,00 EUR" in page  # the month's amount, and the large-family category
    assert "Brīvības iela 1 - 1, Rīga" in page
    assert "C-1" in page
    assert "Trader A" in page
    assert "Daudzbērnu ģimene" in page
    # The balance: credited this year so far (2026-11 is the only month computed).
    assert 'class="balance"' in page
    assert "<strong>25,00 EUR</strong>" in page
    # The data source and its date.
    assert "Iedzīvotāju reģistrs" in page
    assert "Jūsu statuss" in page


def test_the_browsers_language_does_not_choose_english_the_person_does(client, world):
    signed_in(client, PARENT)

    asked_by_browser = texts(client.get(STATUS, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    chosen = texts(en(client).get(STATUS, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))

    assert '<html lang="lv">' in asked_by_browser
    assert "Jūsu statuss" in asked_by_browser
    assert '<html lang="en">' in chosen


def test_large_family_in_english(client, world):
    page = texts(en(signed_in(client, PARENT)).get(STATUS))
    assert '<html lang="en">' in page
    assert "25.00 EUR" in page
    assert "Large family (three or more children)" in page
    assert "The discount is given on contract C-1 with Trader A." in page
    assert "The contract is held by the person who qualifies for the support." in page
    assert "3 children counted" in page
    assert "Balance you can still use this year:" in page
    # Energy aid with its figures.
    assert "Your household can get energy-supply-cost aid" in page
    assert "300.00 EUR" in page
    assert "150.00 EUR" in page
    assert "473.53 EUR" in page
    assert "30\u00a0%" in page
    # Erasure: November 2026 is erased 24 months after its end.
    assert "will be erased on Dec. 1, 2028" in page or "will be erased on December 1, 2028" in page


def test_unattributed_says_exactly_what_to_do(client, world):
    page = texts(en(signed_in(client, TENANT)).get(STATUS))
    assert "20.00 EUR" in page
    assert "Needy or low-income household" in page
    assert "The support is not being paid out." in page
    assert "We found no electricity contract for your address" in page
    assert "What to do: if you pay for electricity through the building manager" in page
    assert "Municipal social service: needy or low-income status" in page


def test_no_household_is_explained(client, world):
    page = texts(en(signed_in(client, HOMELESS)).get(STATUS))
    assert "we found no household for you" in page
    assert "declare your place of residence" in page
    assert "EUR" not in page.split('id="actions"')[0].split("<h1>")[1]


def test_nothing_this_month(client, world):
    page = texts(en(signed_in(client, LONER)).get(STATUS))
    assert "Your household gets no protected-user discount for this month." in page
    assert "Lauku māja 1, Rīga" in page


def test_refusal_in_force_is_shown_with_undo(client, world):
    ServiceRefusal.objects.create(person=person(PARENT), valid_from=date(2026, 12, 1))
    page = texts(en(signed_in(client, PARENT)).get(STATUS))
    assert 'id="refusal-notice"' in page
    assert "You have refused the protected-user service from December 2026" in page
    assert 'id="undo-refusal"' in page
    assert 'id="refuse-service"' not in page


def test_a_child_of_the_household_sees_the_household_not_another(client, world):
    page = texts(en(signed_in(client, CHILD_1)).get(STATUS))
    assert "Brīvības iela 1 - 1, Rīga" in page
    assert "Brīvības iela 1 - 2, Rīga" not in page


def test_a_person_sees_only_themself(client, world):
    page = texts(en(signed_in(client, TENANT)).get(STATUS))
    assert "Brīvības iela 1 - 1, Rīga" not in page
    assert "C-1" not in page
    # Nothing in the query string chooses the person.
    page = texts(client.get(STATUS, {"person": person(PARENT).pk, "personal_code": PARENT}))
    assert "C-1" not in page
    assert "Brīvības iela 1 - 1, Rīga" not in page


def test_no_personal_code_in_any_link_or_the_page(client, world):
    page = texts(signed_in(client, PARENT).get(STATUS))
    assert PARENT not in page


def test_a_signed_in_person_cannot_open_the_admin(client, world):
    response = signed_in(client, PARENT).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_reading_the_page_is_audited_with_internal_ids_only(client, world):
    parent = person(PARENT)
    signed_in(client, PARENT).get(STATUS)
    event = AuditEvent.objects.filter(action="status.view").get()
    assert (event.actor_type, event.actor_id) == ("person", str(parent.pk))
    assert (event.target_type, event.target_id) == ("households.person", str(parent.pk))
    assert event.data == {"months": ["2026-11"]}
    assert PARENT not in str(event.data)


def test_earlier_months_are_folded_and_the_newest_first(client, world):
    compute(date(2026, 10, 1))
    page = texts(en(signed_in(client, PARENT)).get(STATUS))
    assert page.index('id="month-2026-11"') < page.index("<details")
    assert page.index("<details") < page.index('id="month-2026-10"')


def test_the_query_count_is_pinned(client, world, django_assert_max_num_queries):
    """25 queries for one month (26 on PostgreSQL: the audit chain's advisory lock), and six more
    for each further month kept: the household, its decisions, entitlement, energy aid,
    address and contract line."""
    signed_in(client, PARENT)
    with django_assert_max_num_queries(26):
        assert client.get(STATUS).status_code == 200
    compute(date(2026, 10, 1))
    with django_assert_max_num_queries(32):
        assert client.get(STATUS).status_code == 200


def test_the_sign_out_forgets_the_person(client, world):
    signed_in(client, PARENT)
    response = client.post(reverse("status:sign-out"))
    assert response.status_code == 302
    assert client.get(STATUS).status_code == 302
    assert AuditEvent.objects.filter(action="person.sign_out").count() == 1


def test_the_language_switch_works_without_javascript(client, world):
    signed_in(client, PARENT)
    response = client.post("/i18n/setlang/", {"language": "en", "next": STATUS})
    assert response.status_code == 302
    assert response["Location"] == STATUS
    page = texts(client.get(STATUS))
    assert '<html lang="en">' in page
    assert "Your status" in page
    client.post("/i18n/setlang/", {"language": "lv", "next": STATUS})
    assert "Jūsu statuss" in texts(client.get(STATUS))


def test_every_form_control_has_a_label(client, world):
    import re

    page = texts(signed_in(client, PARENT).get(STATUS))
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
    assert ids  # radios, selects, the textarea and the language select
    for control in ids:
        assert f'for="{control}"' in page, control


def test_the_public_home_page(client):
    page = texts(client.get("/"))
    assert '<html lang="lv">' in page
    assert "Kas saņem atbalstu" in page
    assert 'href="/status/"' in page
    assert 'id="help"' in page
    client.cookies["django_language"] = "en"
    page = texts(client.get("/"))
    assert "Who gets support" in page
    assert "How to get help" in page
