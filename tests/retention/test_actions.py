"""Rule 3: the person's own actions and the Bureau's marks."""

from datetime import date

import pytest
from django.utils import timezone

from households.models import ContestCase, ContractChoice, CountedChildMark, Person, ServiceRefusal
from tests.organisations.factories import OrganisationFactory
from tests.retention.conftest import DAY_BEFORE_C, OCT_2024, C, at, code, person, purge, staff

pytestmark = pytest.mark.django_db


def test_refusals_choices_and_marks_that_ended_before_the_cutoff_go():
    trader = OrganisationFactory.create(kind="trader")
    adult, child = person(code(1)), person(code(2))
    for valid_to in (DAY_BEFORE_C, C, None):
        ServiceRefusal.objects.create(person=adult, valid_from=date(2022, 1, 1), valid_to=valid_to)
        ContractChoice.objects.create(
            person=adult, trader=trader, contract_no="C-9", valid_from=date(2022, 1, 1), valid_to=valid_to
        )
        CountedChildMark.objects.create(
            adult=adult,
            child=child,
            valid_from=date(2022, 9, 1),
            valid_to=valid_to,
            evidence="certificate of studies abroad",
            marked_by="staff",
        )

    result = purge(commit=True)

    assert (
        result.tables["households.ServiceRefusal"],
        result.tables["households.ContractChoice"],
        result.tables["households.CountedChildMark"],
    ) == (1, 1, 1)
    for model in (ServiceRefusal, ContractChoice, CountedChildMark):
        assert sorted(model.objects.values_list("valid_to", flat=True), key=str) == [C, None], model
    assert Person.objects.count() == 2  # both still named by a kept mark


def test_contests_decided_before_the_cutoff_go_and_open_ones_stay_whatever_their_age():
    clerk = staff("clerk")
    someone = person(code(3))

    def contest(*, status: str, decided_at=None) -> ContestCase:
        case = ContestCase.objects.create(
            person=someone,
            month=OCT_2024,
            item="protected_user",
            text="my amount is wrong",
            status=status,
            decision_reason="checked the registers" if decided_at else "",
            decided_by=clerk if decided_at else None,
            decided_at=decided_at,
        )
        ContestCase.objects.filter(pk=case.pk).update(created_at=at(2022, 1, 5))
        return case

    decided_before = contest(status="rejected", decided_at=at(2024, 10, 31, 23, 59))
    decided_on_c = contest(status="upheld", decided_at=at(2024, 11, 1, 0, 0))
    still_open = contest(status="in_review")

    result = purge(commit=True)

    assert result.tables["households.ContestCase"] == 1
    assert set(ContestCase.objects.values_list("pk", flat=True)) == {decided_on_c.pk, still_open.pk}
    assert not ContestCase.objects.filter(pk=decided_before.pk).exists()
    assert ContestCase.objects.get(pk=still_open.pk).created_at < timezone.now()
