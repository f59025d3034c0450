"""The page's forms: each a POST with CSRF that calls one service, redirects back with a
message, or shows the page again with the form's errors; nobody can act for another person."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from aldis.organisations.models import Organisation
from audit.models import AuditEvent
from households.models import ContestCase, ContractChoice, ServiceRefusal
from tests.eligibility.scheme_p.conftest import FLAT_1, FLAT_2, TRADER_A_ORG, person
from tests.households.web.world import CHILD_1, DEC_2026, PARENT, TENANT, signed_in, texts

pytestmark = pytest.mark.django_db


def trader_a() -> int:
    return Organisation.objects.get(code=TRADER_A_ORG).pk


@pytest.mark.parametrize("name", ["status:contract", "status:refuse", "status:refuse-undo", "status:contest"])
def test_every_action_needs_a_signed_in_person(client, world, name):
    response = client.post(reverse(name), {"contract": f"{trader_a()}:C-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("status:sign-in")
    assert (
        not AuditEvent.objects.exclude(action__in=["feed.import", "feed.apply"])
        .filter(actor_type="person")
        .exists()
    )


@pytest.mark.parametrize("name", ["status:contract", "status:refuse", "status:refuse-undo", "status:contest"])
def test_actions_are_post_only(client, world, name):
    assert signed_in(client, PARENT).get(reverse(name)).status_code == 405


def test_actions_need_the_csrf_token(world):
    client = signed_in(Client(enforce_csrf_checks=True), PARENT)
    assert client.post(reverse("status:refuse")).status_code == 403
    assert not ServiceRefusal.objects.exists()


def test_choose_a_contract(client, world):
    response = signed_in(client, PARENT).post(reverse("status:contract"), {"contract": f"{trader_a()}:C-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("status:page") + "#actions"
    choice = ContractChoice.objects.get()
    assert (choice.person, choice.contract_no, choice.valid_from) == (person(PARENT), "C-1", DEC_2026)
    page = texts(client.get(reverse("status:page")))
    assert "Izdarīts: no 2026-12 atbalstu piešķirs līgumam C-1." in page
    assert 'id="current-choice"' in page


def test_a_contract_of_another_household_cannot_be_chosen(client, world, registers):
    registers.contracts(
        registers.trader_a,
        ("C-1", PARENT, FLAT_1, date(2020, 1, 1)),
        ("C-2", TENANT, FLAT_2, date(2020, 1, 1)),
    )
    client.cookies["django_language"] = "en"
    response = signed_in(client, PARENT).post(reverse("status:contract"), {"contract": f"{trader_a()}:C-2"})
    assert response.status_code == 400
    assert "Select a valid choice." in texts(response)
    assert not ContractChoice.objects.exists()


def test_a_made_up_contract_value_is_refused_politely(client, world):
    response = signed_in(client, PARENT).post(reverse("status:contract"), {"contract": "not-a-contract"})
    assert response.status_code == 400
    assert not ContractChoice.objects.exists()


def test_back_to_automatic(client, world):
    signed_in(client, CHILD_1).post(reverse("status:contract"), {"contract": f"{trader_a()}:C-1"})
    response = client.post(reverse("status:contract"), {"contract": "automatic"})
    assert response.status_code == 302
    assert ContractChoice.objects.get().valid_to == date(2026, 11, 30)


def test_refuse_and_undo(client, world):
    client.cookies["django_language"] = "en"
    signed_in(client, PARENT)
    response = client.post(reverse("status:refuse"))
    assert response.status_code == 302
    refusal = ServiceRefusal.objects.get()
    assert (refusal.person, refusal.valid_from, refusal.valid_to) == (person(PARENT), DEC_2026, None)
    page = texts(client.get(reverse("status:page")))
    assert "Done: you have refused the protected-user service from 2026-12. You can undo this." in page
    assert 'id="undo-refusal"' in page
    # Refusing again says so, and changes nothing.
    client.post(reverse("status:refuse"))
    assert "You have already refused the service." in texts(client.get(reverse("status:page")))
    assert ServiceRefusal.objects.count() == 1
    client.post(reverse("status:refuse-undo"))
    refusal.refresh_from_db()
    assert refusal.valid_to == date(2026, 11, 30)
    page = texts(client.get(reverse("status:page")))
    assert "Done: you will get the protected-user service again from the next month." in page
    assert 'id="refuse-service"' in page
    client.post(reverse("status:refuse-undo"))
    assert "You have not refused the service." in texts(client.get(reverse("status:page")))


def test_contest_and_follow_the_case(client, world):
    client.cookies["django_language"] = "en"
    signed_in(client, TENANT)
    response = client.post(
        reverse("status:contest"),
        {"month": "2026-11", "item": "contract", "text": "I pay through the manager."},
    )
    assert response.status_code == 302
    case = ContestCase.objects.get()
    assert (case.person, case.month, case.item, case.run_id) == (
        person(TENANT),
        date(2026, 11, 1),
        "contract",
        world.pk,
    )
    page = texts(client.get(reverse("status:page")))
    assert f"Your contest no. {case.pk} has been received." in page
    assert "I pay through the manager." in page
    assert "Received: the Bureau will look at it" in page
    case.status, case.decision_reason = "upheld", "The month is recomputed."
    case.save()
    page = texts(client.get(reverse("status:page")))
    assert "Decided: you were right" in page
    assert "The month is recomputed." in page


def test_another_persons_case_is_not_shown(client, world):
    ContestCase.objects.create(
        person=person(PARENT), month=date(2026, 11, 1), item="other", text="Parent's words"
    )
    page = texts(signed_in(client, TENANT).get(reverse("status:page")))
    assert "Parent&#x27;s words" not in page
    assert "Parent's words" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"month": "2026-11", "item": "contract", "text": ""}, "This field is required."),
        ({"month": "2026-10", "item": "contract", "text": "x"}, "Select a valid choice."),
        ({"month": "2026-11", "item": "bogus", "text": "x"}, "Select a valid choice."),
        (
            {"month": "2026-11", "item": "other", "text": "x" * 2001},
            "Ensure this value has at most 2000 characters",
        ),
    ],
)
def test_a_bad_contest_shows_the_errors(client, world, data, message):
    client.cookies["django_language"] = "en"
    response = signed_in(client, PARENT).post(reverse("status:contest"), data)
    assert response.status_code == 400
    assert message in texts(response)
    assert not ContestCase.objects.exists()


def test_the_person_comes_from_the_session_not_the_form(client, world):
    signed_in(client, TENANT).post(
        reverse("status:contest"),
        {
            "month": "2026-11",
            "item": "other",
            "text": "x",
            "person": person(PARENT).pk,
            "person_id": person(PARENT).pk,
        },
    )
    assert ContestCase.objects.get().person == person(TENANT)


def test_a_refused_action_page_is_never_cached(client, world):
    # The page shown again with the form's errors holds the same personal data as /status/.
    response = signed_in(client, PARENT).post(reverse("status:contest"), {"month": "2026-11"})
    assert response.status_code == 400
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_register_a_data_error_went_to_is_named_in_the_persons_language(client, world):
    ContestCase.objects.create(
        person=person(PARENT),
        month=date(2026, 11, 1),
        item="household",
        text="My son moved out.",
        status="rejected",
        decision_reason="The register still shows him at your address.",
        referred_to="the population register",
    )
    page = texts(signed_in(client, PARENT).get(reverse("status:page")))
    assert "Datu kļūda nodota: Iedzīvotāju reģistrs." in page
    client.cookies["django_language"] = "en"
    page = texts(client.get(reverse("status:page")))
    assert "The data error was passed on to: the population register." in page


def test_every_register_a_case_can_be_referred_to_has_words_for_the_person():
    from households.services.contest_decisions import contest_referral_targets
    from households.texts import REFERRAL_TARGETS

    assert set(contest_referral_targets()) == set(REFERRAL_TARGETS)
