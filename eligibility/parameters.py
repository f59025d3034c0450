"""The catalogue of dated parameters (INTERFACES §1, "Parameters"): each name, its kind, what it
means and where DOMAIN.md uses it.

The catalogue is the contract of the ``parameters`` feed: a file must carry every name here (the
whole table is sent each time) and no other. A value is stored as sent (``true``/``false`` or a
decimal with a dot) and read back typed by ``parse``: money and shares as ``Decimal``, never
float; switches as ``bool``. The same rules are checked in SQL by the feed (``eligibility.feeds``)
and in Python by the admin's edit service, with the same messages.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from aldis.feeds import checks

SHARE_RANGE = "must be a share between 0 and 1, such as 0.30"


class Kind(Enum):
    MONEY = "money"  # EUR, at most two decimals
    SHARE = "share"  # a decimal between 0 and 1
    BOOL = "bool"  # true / false


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: Kind
    description: str
    domain_ref: str  # the section of DOMAIN.md that uses it


_P = "Scheme P: amounts"
_E_ON = "Scheme E: switched on"

CATALOGUE: tuple[Parameter, ...] = (
    Parameter(
        "p_amount_needy_low_income",
        Kind.MONEY,
        "EUR per month for a household with a needy or low-income member",
        _P,
    ),
    Parameter("p_amount_disabled_child", Kind.MONEY, "EUR per month per child with a disability", _P),
    Parameter(
        "p_amount_group_i_disability", Kind.MONEY, "EUR per month per adult with disability group I", _P
    ),
    Parameter("p_amount_large_family", Kind.MONEY, "EUR per month for a large family", _P),
    Parameter(
        "e_on_electricity", Kind.BOOL, "aid for the first 100 kWh of electricity is switched on", _E_ON
    ),
    Parameter(
        "e_on_electricity_heating",
        Kind.BOOL,
        "aid for electricity used for heating is switched on (counts October-April)",
        _E_ON,
    ),
    Parameter(
        "e_on_gas_heating",
        Kind.BOOL,
        "aid for gas used for heating is switched on (counts October-April)",
        _E_ON,
    ),
    Parameter(
        "e_on_district_heat", Kind.BOOL, "aid for district heat is switched on (counts October-April)", _E_ON
    ),
    Parameter(
        "e_on_decentralised_fuel",
        Kind.BOOL,
        "aid for decentralised fuel (pellets, briquettes, firewood) is switched on (counts October-April)",
        _E_ON,
    ),
    Parameter(
        "e_income_threshold_eur",
        Kind.MONEY,
        "highest income per member per month for energy-supply-cost aid",
        "Scheme E: Eligible",
    ),
    Parameter(
        "e_housing_share",
        Kind.SHARE,
        "minimum housing expenditure as a share of income, per member",
        "Scheme E: Eligible",
    ),
    Parameter(
        "e_housing_normative_eur",
        Kind.MONEY,
        "housing expenditure per member per month where none is reported",
        "Scheme E: Housing expenditure per member",
    ),
    Parameter(
        "e_cap_electricity_eur", Kind.MONEY, "electricity aid cap per object per month", "Scheme E: Aid caps"
    ),
    Parameter(
        "e_cap_gas_heating_eur", Kind.MONEY, "gas-for-heating aid per object per month", "Scheme E: Aid caps"
    ),
    Parameter(
        "e_admin_cost_eur",
        Kind.MONEY,
        "a local government's administrative cost per examined submission",
        "Scheme E: Compensation",
    ),
)

BY_NAME: dict[str, Parameter] = {p.name: p for p in CATALOGUE}
NAMES: tuple[str, ...] = tuple(BY_NAME)
CHOICES: list[tuple[str, str]] = [(p.name, p.name) for p in CATALOGUE]


def names_of(kind: Kind) -> tuple[str, ...]:
    return tuple(p.name for p in CATALOGUE if p.kind is kind)


def value_error(name: str, value: str) -> str | None:
    """Why ``value`` cannot be the value of parameter ``name``, or ``None`` when it can."""
    parameter = BY_NAME.get(name)
    if parameter is None:
        return f"unknown parameter {name!r}"
    if parameter.kind is Kind.BOOL:
        return checks.check_bool(value)
    if parameter.kind is Kind.MONEY:
        return checks.check_money(value)
    if error := checks.check_decimal(value):
        return error
    return None if Decimal(0) <= Decimal(value) <= Decimal(1) else SHARE_RANGE


def parse(name: str, value: str) -> Decimal | bool:
    """The typed value of a stored one (which the feed or the service has checked)."""
    if BY_NAME[name].kind is Kind.BOOL:
        return value == "true"
    return Decimal(value)
