"""What a feed file holds and where it goes: declared once per feed, read by the import engine.

A ``FeedSpec`` names the columns of INTERFACES §1 with their types, the key of a row, the table
its versions go to and how each column maps onto that table. The engine turns these
declarations into the staging, validation and promotion SQL; a feed needs no code of its own
unless it has a rule no declaration expresses (``before_promote``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aldis.feeds.engine import ImportContext


class T(Enum):
    """Column types: the check function each is validated with, and how it is normalised."""

    TEXT = ("text", "", "aldis_norm")
    PERSONAL_CODE = ("personal_code", "aldis_chk_personal_code", "aldis_norm_code")
    ORG_CODE = ("org_code", "aldis_chk_org_code", "aldis_norm")
    PARTY_CODE = ("party_code", "aldis_chk_party_code", "aldis_norm_code")
    ADDRESS_CODE = ("address_code", "aldis_chk_address_code", "aldis_norm")
    MUNICIPALITY_CODE = ("municipality_code", "aldis_chk_municipality_code", "aldis_norm")
    DATE = ("date", "aldis_chk_date", "aldis_norm")
    MONTH = ("month", "aldis_chk_month", "aldis_norm")
    MONEY = ("money", "aldis_chk_money", "aldis_norm")
    DECIMAL = ("decimal", "aldis_chk_decimal", "aldis_norm")
    BOOL = ("bool", "aldis_chk_bool", "aldis_norm")
    ENUM = ("enum", "", "aldis_norm")

    @property
    def check_function(self) -> str:
        return self.value[1]

    @property
    def norm_function(self) -> str:
        return self.value[2]


@dataclass(frozen=True)
class Column:
    name: str
    type: T
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 255


@dataclass(frozen=True)
class Check:
    """A row rule over several columns: ``reason_sql`` (over the normalised staging row ``n``)
    is NULL when the row is good; the error is reported against ``column``."""

    column: str
    reason_sql: str


@dataclass(frozen=True)
class Reference:
    """A column whose value must exist: ``exists_sql`` is a boolean SQL expression over the
    normalised staging row ``n`` (and the named parameters of the import)."""

    column: str
    exists_sql: str
    reason: str


@dataclass(frozen=True)
class FeedSpec:
    name: str
    kind: str  # "snapshot" or "fact"
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # CSV columns identifying a row within the file
    # Further column sets that must not repeat within a file (rows where they are empty aside).
    model: str  # "app_label.ModelName" of the versioned table
    # Target column -> SQL expression over the normalised staging row ``n`` (typed by the engine).
    mapping: Callable[["ImportContext"], dict[str, str]]
    # Target columns forming the key of a version (with the sender column for per-party feeds).
    target_key: tuple[str, ...]
    sent_by: str  # who sends it, in words (shown in errors)
    sender_kinds: tuple[str, ...] = ()  # organisation kinds that may send it over the API
    # The target column holding the sender: a per-party snapshot ends only the sender's own records
    # (and needs a sender); a fact feed keys its facts by sender (one may be absent: an operator).
    sender_field: str | None = None
    person_columns: tuple[str, ...] = ()  # personal-code columns whose persons are created if new
    unique: tuple[tuple[str, ...], ...] = ()
    checks: tuple[Check, ...] = ()
    references: tuple[Reference, ...] = ()
    # A change of these keeps the previous version as closed history (population: the residence;
    # organisations: every attribute), so current versions tell each date's truth.
    split_history_on: tuple[str, ...] = ()
    # Target columns the import derives (not sent): written on new versions, never a change.
    derived: tuple[str, ...] = ()
    before_promote: Callable[["ImportContext"], None] | None = None
    # Other versioned tables ("app_label.ModelName") its checks or mapping read: a write to one
    # of them means an identical file sent again must be read again (``aldis.feeds.writes``).
    reads: tuple[str, ...] = ()
    # Whether an identical file sent again may be applied unread when nothing it depends on has
    # been written since (``aldis.feeds.writes``); off where a rule kept in code, which a release
    # may change, rather than in the database could reject it.
    unread_repeat: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def per_party(self) -> bool:
        return self.sender_field is not None and self.kind == "snapshot"

    @property
    def names_persons(self) -> bool:
        """Whether its rows are about persons (a personal or party code column): their values,
        bad rows included, are personal data."""
        return any(c.type in (T.PERSONAL_CODE, T.PARTY_CODE) for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)
