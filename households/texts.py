"""The person-facing words of the status page and the portal's status endpoint.

The staff texts of ``eligibility.selectors`` are precise but technical; a household reads these
instead: short sentences, no codes, and for every problem what to do about it. Each map goes from
the machine key that ``households.selectors.person_status`` returns to a lazily translated text
(English message ids, Latvian in ``locale/lv``; Latvian is the default language).
``status_texts`` resolves every key of one status structure in the active language.
"""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from eligibility.models import Category
from households.models import ContestItem, ContestStatus

CATEGORIES: dict[str, Promise] = {
    Category.NEEDY_LOW_INCOME: _("Needy or low-income household"),
    Category.LARGE_FAMILY: _("Large family (three or more children)"),
    Category.DISABLED_CHILD: _("Child with a disability"),
    Category.GROUP_I_DISABILITY: _("Person with disability group I"),
}

UNIT_REASONS: dict[str, Promise] = {
    "granted": _("You get this support because the register below shows it on the first day of the month."),
    "maintenance_debtor": _(
        "Not given: the person it depends on is on the register of maintenance debtors on the first "
        "day of the month."
    ),
    "refused": _("Not given: the person it depends on has refused the protected-user service."),
    "debtor_or_refused": _(
        "Not given: the person it depends on is a maintenance debtor and has refused the service."
    ),
    "no_carer": _("Not given: the register of relations shows no parent or guardian for the child."),
    "no_household": _(
        "Not given: the person has no declared address, so there is no household to give it to."
    ),
    "no_qualifying_person": _(
        "Not given: each person it could depend on is excluded (maintenance debt, refusal, or no address)."
    ),
}

ATTRIBUTION_RULES: dict[int, Promise] = {
    1: _("You or a member of your household chose this contract."),
    2: _("The contract is held by the person who qualifies for the support."),
    3: _("The contract is held by a member of your household."),
    4: _("You or a member of your household applied to the trader as a sub-user of this contract."),
}

UNATTRIBUTED_REASONS: dict[str, Promise] = {
    "trader_not_participating": _(
        "Your electricity trader does not give the protected-user discount, so the support cannot be "
        "paid out."
    ),
    "holder_not_eligible": _(
        "There is an electricity contract at your address, but it is held by someone who is not counted "
        "in your household, so the support cannot go to it."
    ),
    "no_contract": _("We found no electricity contract for your address, so the support cannot be paid out."),
}

# Exactly what to do for each unattributed reason.
UNATTRIBUTED_ACTIONS: dict[str, Promise] = {
    "trader_not_participating": _(
        "What to do: ask your trader to join the protected-user service, or move your electricity "
        "contract to a trader that gives it. Then the support is paid from the next month on."
    ),
    "holder_not_eligible": _(
        "What to do: ask the trader to put the contract in the name of a member of your household, or, "
        "if you rent, apply to the trader as a sub-user of the building's contract. Then choose that "
        "contract on this page."
    ),
    "no_contract": _(
        "What to do: if you pay for electricity through the building manager or the owner, apply to "
        "the electricity trader as a sub-user. If you have your own contract, check with the trader "
        "that it shows your declared address. Then choose the contract on this page."
    ),
}

ENERGY_AID_REASONS: dict[str, Promise] = {
    "eligible": _(
        "Your household can get energy-supply-cost aid: income per member is not above the threshold and "
        "housing costs are a large enough share of income."
    ),
    "income_above_threshold": _(
        "Your household cannot get energy-supply-cost aid: income per member is above the threshold."
    ),
    "housing_share_below": _(
        "Your household cannot get energy-supply-cost aid: housing costs are below the required share "
        "of income."
    ),
    "sanctioned_member": _(
        "Your household cannot get energy-supply-cost aid: a member of the household is under sanctions."
    ),
}

NO_HOUSEHOLD_REASONS: dict[str, Promise] = {
    "dead": _("The population register records a date of death."),
    "no_address": _(
        "The population register shows no declared address for you on the first day of the month. "
        "What to do: declare your place of residence (at your municipality or on latvija.lv)."
    ),
    "unknown": _(
        "The population register had no record of you on the first day of the month. What to do: "
        "contact the Office of Citizenship and Migration Affairs."
    ),
}

HOUSEHOLD_SOURCES: dict[str, Promise] = {
    "population": _("your declared address (population register)"),
    "temporary_protection": _("your residence under temporary protection"),
}

# The registers a decision rests on.
SOURCES: dict[str, Promise] = {
    "social_status": _("Municipal social service: needy or low-income status"),
    "disability": _("State Medical Commission: disability"),
    "counted_children": _("Population register: parents, children and guardians"),
    "income": _("State Revenue Service: income"),
    "benefits": _("State Social Insurance Agency: pensions and benefits"),
    "housing_costs": _("Housing costs reported by energy companies and building managers"),
    "housing_normative": _("Normative housing cost (nothing was reported for your address)"),
    "sanctions": _("Register of sanctions"),
}

CONTEST_ITEMS: dict[str, Promise] = {
    ContestItem.PROTECTED_USER: _("The protected-user support (amount or categories)"),
    ContestItem.CONTRACT: _("The contract the support goes to"),
    ContestItem.ENERGY_AID: _("Energy-supply-cost aid"),
    ContestItem.HOUSEHOLD: _("Who is counted in my household"),
    ContestItem.OTHER: _("Something else"),
}

CONTEST_STATUSES: dict[str, Promise] = {
    ContestStatus.RECEIVED: _("Received: the Bureau will look at it"),
    ContestStatus.IN_REVIEW: _("In review at the Bureau"),
    ContestStatus.UPHELD: _("Decided: you were right"),
    ContestStatus.REJECTED: _("Decided: not changed"),
}

# Where the Bureau referred a data error (``contest_referral_targets``, the feeds' senders).
REFERRAL_TARGETS: dict[str, Promise] = {
    "a grid operator or heat supplier": _("a grid operator or heat supplier"),
    "a trader": _("a trader"),
    "energy companies and building managers": _("energy companies and building managers"),
    "municipal social services": _("municipal social services"),
    "social insurance": _("social insurance"),
    "the Bureau": _("the Bureau"),
    "the State Revenue Service": _("the State Revenue Service"),
    "the address register": _("the address register"),
    "the disability system": _("the disability system"),
    "the education register": _("the education register"),
    "the maintenance guarantee fund": _("the maintenance guarantee fund"),
    "the population register": _("the population register"),
    "the sanctions list": _("the sanctions list"),
}

ERASURE_RULE = _(
    "Data about a month is erased 24 months after the end of that month. Aggregate statistics "
    "without personal data are kept."
)


def _text(texts: dict[Any, Promise], key: Any) -> str:
    found = texts.get(key)
    return str(found) if found is not None else str(key)


def _sources(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**item, "text": _text(SOURCES, item["source"])} for item in items]


def status_texts(status: dict[str, Any]) -> dict[str, Any]:
    """``status`` (from ``person_status``) with a ``text`` next to every key, in the active language.

    Returns a new structure; ``status`` itself is not changed.
    """
    months = []
    for month in status["months"]:
        m = dict(month)
        m["categories"] = [
            {
                **c,
                "text": _text(CATEGORIES, c["category"]),
                "reason_text": _text(UNIT_REASONS, c["reason"]),
                "sources": _sources(c["sources"]),
            }
            for c in month["categories"]
        ]
        m["not_granted"] = [
            {
                **c,
                "text": _text(CATEGORIES, c["category"]),
                "reason_text": _text(UNIT_REASONS, c["reason"]),
                "sources": _sources(c["sources"]),
            }
            for c in month["not_granted"]
        ]
        if month["household"]:
            m["household"] = {
                **month["household"],
                "source_text": _text(HOUSEHOLD_SOURCES, month["household"]["source"]),
            }
        if month["no_household"]:
            m["no_household"] = {
                **month["no_household"],
                "text": _text(NO_HOUSEHOLD_REASONS, month["no_household"]["reason"]),
            }
        if month["contract"]:
            m["contract"] = {
                **month["contract"],
                "rule_text": _text(ATTRIBUTION_RULES, month["contract"]["rule"]),
            }
        if month["unattributed"]:
            reason = month["unattributed"]["reason"]
            m["unattributed"] = {
                **month["unattributed"],
                "text": _text(UNATTRIBUTED_REASONS, reason),
                "what_to_do": _text(UNATTRIBUTED_ACTIONS, reason),
            }
        if month["energy_aid"]:
            m["energy_aid"] = {
                **month["energy_aid"],
                "text": _text(ENERGY_AID_REASONS, month["energy_aid"]["reason"]),
                "sources": _sources(month["energy_aid"]["sources"]),
            }
        months.append(m)
    contests = [
        {
            **c,
            "item_text": _text(CONTEST_ITEMS, c["item"]),
            "status_text": _text(CONTEST_STATUSES, c["status"]),
            "referred_to_text": _text(REFERRAL_TARGETS, c["referred_to"]) if c["referred_to"] else "",
        }
        for c in status["contests"]
    ]
    return {**status, "months": months, "contests": contests, "erasure_rule_text": str(ERASURE_RULE)}


def status_texts_in(status: dict[str, Any], language: str) -> dict[str, Any]:
    """``status_texts`` in ``language`` (``lv`` or ``en``), whatever the active language."""
    with override(language):
        return status_texts(status)
