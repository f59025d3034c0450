"""Forms of the person's pages. They parse input only; the services decide what is allowed."""

from datetime import date
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from households.models import ContestItem
from households.services.person_actions import CONTEST_TEXT_MAX
from households.texts import CONTEST_ITEMS

AUTOMATIC = "automatic"


class ContractChoiceForm(forms.Form):
    """One of the contracts the person may choose (``<trader_id>:<contract_no>``), or automatic."""

    contract = forms.ChoiceField(label=_("Contract for the support"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, allowed: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [
            (f"{c['trader_id']}:{c['contract_no']}", f"{c['trader']}, {c['contract_no']} ({c['address']})")
            for c in allowed
        ]
        choices.append((AUTOMATIC, str(_("Let ALDIS choose by the rules (no choice of my own)"))))
        cast(forms.ChoiceField, self.fields["contract"]).choices = choices

    def chosen(self) -> tuple[int, str] | None:
        """``(trader_id, contract_no)``, or None for automatic."""
        value = self.cleaned_data["contract"]
        if value == AUTOMATIC:
            return None
        trader_id, _sep, contract_no = value.partition(":")
        return int(trader_id), contract_no


class ContestForm(forms.Form):
    month = forms.ChoiceField(label=_("Month"))
    item = forms.ChoiceField(
        label=_("What is wrong"), choices=[(item, CONTEST_ITEMS[item]) for item in ContestItem.values]
    )
    text = forms.CharField(
        label=_("Describe the problem in your own words"),
        max_length=CONTEST_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text=_("Do not write other people's personal codes. At most 2000 characters."),
    )

    def __init__(self, *args: Any, months: list[date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["month"]).choices = [
            (m.strftime("%Y-%m"), m.strftime("%Y-%m")) for m in months
        ]

    def clean_month(self) -> date:
        return date.fromisoformat(f"{self.cleaned_data['month']}-01")


class DemoSignInForm(forms.Form):
    personal_code = forms.CharField(
        label=_("Personal code of a synthetic person"), max_length=12, help_text=_("For example 320000-00000")
    )
