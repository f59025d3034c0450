"""Field checks shared by both databases, as SQL functions with the same names and answers.

Feed validation runs as SQL over a staging table, so that a national file is checked set-based.
Each check takes a *normalised* value (``aldis_norm``: spaces trimmed, empty = NULL; codes also
lose the optional hyphen, ``aldis_norm_code``) and returns ``NULL`` when the value is good, or the
reason it is not. On PostgreSQL they are SQL functions (migration 0002 installs ``POSTGRES_DDL``;
written as single expressions so the planner inlines them); on SQLite the Python functions below
are registered on every connection. python-stdnum is the reference for the check digits: the
Python side calls it, and a test holds the PostgreSQL side to the same answers.
"""

import re
from collections.abc import Callable
from datetime import date

from django.db.backends.signals import connection_created
from stdnum import exceptions as stdnum_exceptions
from stdnum.eu import eic
from stdnum.lv import pvn

PERSONAL_FORMAT = "must be 11 digits, written DDMMYY-NNNNN or 32NNNN-NNNNN"
PERSONAL_IS_ORG = "is an organisation code, not a personal code"
ORG_FORMAT = "must be 11 digits"
ORG_IS_PERSONAL = "is a personal code, not an organisation code"
BIRTH_DATE = "holds an impossible birth date"
CHECK_DIGIT = "has a wrong check digit"
ADDRESS_FORMAT = "must be a 9-digit address code"
MUNICIPALITY_FORMAT = "must be a municipality code of 1 to 10 digits"
DATE_FORMAT = "must be a date written YYYY-MM-DD"
DATE_IMPOSSIBLE = "is not a real date"
MONTH_FORMAT = "must be a month written YYYY-MM"
MONEY_FORMAT = "must be an amount with at most two decimals and a dot, such as 15.00"
DECIMAL_FORMAT = "must be a decimal number with a dot, such as 0.30"
BOOL_FORMAT = "must be true or false"
EIC_FORMAT = "must be a 16-character EIC (digits, capital letters and '-')"
EIC_CHECK = "has a wrong EIC check character"

_DIGITS11 = re.compile(r"^[0-9]{11}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MONTH = re.compile(r"^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])$")  # no year 0: no such date
_MONEY = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?$")
_DECIMAL = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$")
_ADDRESS = re.compile(r"^[0-9]{9}$")
_MUNICIPALITY = re.compile(r"^[0-9]{1,10}$")
_EIC = re.compile(r"^[0-9A-Z-]{16}$")


def norm(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip(" ")
    return text or None


def norm_code(value: str | None) -> str | None:
    """A personal code may be written with a hyphen after the sixth character: drop it."""
    text = norm(value)
    if text is not None and len(text) == 12 and text[6] == "-":
        return text[:6] + text[7:]
    return text


def _valid_ymd(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def check_personal_code(code: str | None) -> str | None:
    if code is None:
        return None
    if not _DIGITS11.fullmatch(code):
        return PERSONAL_FORMAT
    if code[0] > "3":
        return PERSONAL_IS_ORG
    try:
        pvn.validate(code)
    except stdnum_exceptions.InvalidComponent:
        return BIRTH_DATE
    except stdnum_exceptions.ValidationError:
        return CHECK_DIGIT
    return None


def check_org_code(code: str | None) -> str | None:
    if code is None:
        return None
    if not _DIGITS11.fullmatch(code):
        return ORG_FORMAT
    if code[0] <= "3":
        return ORG_IS_PERSONAL
    return None if pvn.is_valid(code) else CHECK_DIGIT


def check_party_code(code: str | None) -> str | None:
    """A personal code or an organisation code (a contract's holder may be either)."""
    if code is None:
        return None
    if not _DIGITS11.fullmatch(code):
        return PERSONAL_FORMAT
    return check_org_code(code) if code[0] > "3" else check_personal_code(code)


def check_date(value: str | None) -> str | None:
    if value is None:
        return None
    if not _DATE.fullmatch(value):
        return DATE_FORMAT
    return None if _valid_ymd(int(value[:4]), int(value[5:7]), int(value[8:])) else DATE_IMPOSSIBLE


def _pattern_check(pattern: re.Pattern[str], reason: str) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        return None if value is None or pattern.fullmatch(value) else reason

    return check


check_month = _pattern_check(_MONTH, MONTH_FORMAT)
check_money = _pattern_check(_MONEY, MONEY_FORMAT)
check_decimal = _pattern_check(_DECIMAL, DECIMAL_FORMAT)
check_address_code = _pattern_check(_ADDRESS, ADDRESS_FORMAT)
check_municipality_code = _pattern_check(_MUNICIPALITY, MUNICIPALITY_FORMAT)


def check_bool(value: str | None) -> str | None:
    return None if value is None or value in ("true", "false") else BOOL_FORMAT


def check_eic(value: str | None) -> str | None:
    if value is None:
        return None
    if not _EIC.fullmatch(value) or value.endswith("-"):
        return EIC_FORMAT
    return None if eic.is_valid(value) else EIC_CHECK


SQLITE_FUNCTIONS: dict[str, Callable[[str | None], str | None]] = {
    "aldis_norm": norm,
    "aldis_norm_code": norm_code,
    "aldis_chk_personal_code": check_personal_code,
    "aldis_chk_org_code": check_org_code,
    "aldis_chk_party_code": check_party_code,
    "aldis_chk_date": check_date,
    "aldis_chk_month": check_month,
    "aldis_chk_money": check_money,
    "aldis_chk_decimal": check_decimal,
    "aldis_chk_address_code": check_address_code,
    "aldis_chk_municipality_code": check_municipality_code,
    "aldis_chk_bool": check_bool,
    "aldis_chk_eic": check_eic,
}


def _on_connection(sender: object, connection: object, **kwargs: object) -> None:
    if getattr(connection, "vendor", "") != "sqlite":
        return
    raw = connection.connection  # type: ignore[attr-defined]
    for name, function in SQLITE_FUNCTIONS.items():
        raw.create_function(name, 1, function, deterministic=True)


def register_sqlite_functions() -> None:
    connection_created.connect(_on_connection, dispatch_uid="aldis.feeds.checks")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _digit(position: int) -> str:
    return f"(ascii(substr(c, {position}, 1)) - 48)"


def _all_digits(expr: str, length: str) -> str:
    """True when ``expr`` has ``length`` characters, all digits (no regex: see module doc)."""
    return f"(length({expr}) {length} AND btrim({expr}, '0123456789') = '')"


def _weighted(weights: tuple[int, ...]) -> str:
    return " + ".join(f"{w} * {_digit(i + 1)}" for i, w in enumerate(weights))


_PERSONAL_WEIGHTS = (10, 5, 8, 4, 2, 1, 6, 3, 7, 9)
_ORG_WEIGHTS = (9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1)
_EIC_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"


def _eic_sum() -> str:
    return " + ".join(f"{16 - i} * (strpos('{_EIC_ALPHABET}', substr(c, {i + 1}, 1)) - 1)" for i in range(15))


_SPACED_OR_EMPTY = "v = '' OR v LIKE ' %' OR v LIKE '% '"


def _postgres_functions() -> str:
    lit = _sql_literal
    personal_old_date = (
        "aldis_valid_ymd(1800 + 100 * substr(c, 7, 1)::int + substr(c, 5, 2)::int, "
        "substr(c, 3, 2)::int, substr(c, 1, 2)::int)"
    )
    functions = {
        "aldis_valid_ymd(y int, m int, d int) RETURNS boolean": (
            # Arithmetic only: make_date() and intervals cost a microsecond a row.
            "SELECT y BETWEEN 1 AND 9999 AND m BETWEEN 1 AND 12 AND d BETWEEN 1 AND CASE WHEN m = 2 THEN "
            "CASE WHEN y % 4 = 0 AND (y % 100 <> 0 OR y % 400 = 0) THEN 29 ELSE 28 END "
            "WHEN m IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
        ),
        # A value with no space at either end and not empty is returned as it is: tested first, as
        # nearly every value is one, that costs a quarter of trimming and comparing each.
        "aldis_norm(v text) RETURNS text": (
            f"SELECT CASE WHEN {_SPACED_OR_EMPTY} THEN NULLIF(btrim(v, ' '), '') ELSE v END"
        ),
        "aldis_norm_code(v text) RETURNS text": (
            f"SELECT CASE WHEN {_SPACED_OR_EMPTY} THEN (CASE WHEN length(btrim(v, ' ')) = 12 "
            "AND substr(btrim(v, ' '), 7, 1) = '-' THEN left(btrim(v, ' '), 6) || right(btrim(v, ' '), 5) "
            "ELSE NULLIF(btrim(v, ' '), '') END) "
            "WHEN v LIKE '______-_____' THEN left(v, 6) || right(v, 5) ELSE v END"
        ),
        "aldis_chk_personal_code(c text) RETURNS text": (
            f"SELECT CASE WHEN c IS NULL THEN NULL "
            f"WHEN NOT {_all_digits('c', '= 11')} THEN {lit(PERSONAL_FORMAT)} "
            f"WHEN left(c, 1) > '3' THEN {lit(PERSONAL_IS_ORG)} "
            f"WHEN left(c, 2) <> '32' AND NOT {personal_old_date} THEN {lit(BIRTH_DATE)} "
            f"WHEN (1 + {_weighted(_PERSONAL_WEIGHTS)}) % 11 % 10 <> {_digit(11)} THEN {lit(CHECK_DIGIT)} END"
        ),
        "aldis_chk_org_code(c text) RETURNS text": (
            f"SELECT CASE WHEN c IS NULL THEN NULL "
            f"WHEN NOT {_all_digits('c', '= 11')} THEN {lit(ORG_FORMAT)} "
            f"WHEN left(c, 1) <= '3' THEN {lit(ORG_IS_PERSONAL)} "
            f"WHEN ({_weighted(_ORG_WEIGHTS)}) % 11 <> 3 THEN {lit(CHECK_DIGIT)} END"
        ),
        "aldis_chk_party_code(c text) RETURNS text": (
            f"SELECT CASE WHEN c IS NULL THEN NULL "
            f"WHEN NOT {_all_digits('c', '= 11')} THEN {lit(PERSONAL_FORMAT)} "
            f"WHEN left(c, 1) > '3' THEN aldis_chk_org_code(c) ELSE aldis_chk_personal_code(c) END"
        ),
        "aldis_chk_date(c text) RETURNS text": (
            f"SELECT CASE WHEN c IS NULL THEN NULL "
            f"WHEN NOT (length(c) = 10 AND substr(c, 5, 1) = '-' AND substr(c, 8, 1) = '-' "
            f"AND btrim(replace(c, '-', ''), '0123456789') = '' AND length(replace(c, '-', '')) = 8) "
            f"THEN {lit(DATE_FORMAT)} "
            f"WHEN NOT aldis_valid_ymd(substr(c, 1, 4)::int, substr(c, 6, 2)::int, substr(c, 9, 2)::int) "
            f"THEN {lit(DATE_IMPOSSIBLE)} END"
        ),
        "aldis_chk_month(c text) RETURNS text": (
            f"SELECT CASE WHEN c IS NULL OR (length(c) = 7 AND substr(c, 5, 1) = '-' "
            f"AND {_all_digits('left(c, 4)', '= 4')} AND left(c, 4) <> '0000' AND substr(c, 6, 2) IN "
            f"('01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12')) "
            f"THEN NULL ELSE {lit(MONTH_FORMAT)} END"
        ),
        "aldis_chk_money(c text) RETURNS text": (
            # digits, then optionally a dot and one or two digits; at most ten digits before it
            f"SELECT CASE WHEN c IS NULL OR ("
            f"btrim(c, '0123456789.') = '' AND left(c, 1) <> '.' AND length(c) - length(replace(c, '.', '')) <= 1 "
            f"AND (strpos(c, '.') = 0 AND length(c) <= 10 "
            f"OR strpos(c, '.') BETWEEN 2 AND 11 AND length(c) - strpos(c, '.') BETWEEN 1 AND 2)) "
            f"THEN NULL ELSE {lit(MONEY_FORMAT)} END"
        ),
        "aldis_chk_decimal(c text) RETURNS text": _pg_pattern(_DECIMAL, DECIMAL_FORMAT),
        "aldis_chk_address_code(c text) RETURNS text": (
            f"SELECT CASE WHEN c IS NULL OR {_all_digits('c', '= 9')} THEN NULL ELSE {lit(ADDRESS_FORMAT)} END"
        ),
        "aldis_chk_municipality_code(c text) RETURNS text": (
            f"SELECT CASE WHEN c IS NULL OR {_all_digits('c', 'BETWEEN 1 AND 10')} "
            f"THEN NULL ELSE {lit(MUNICIPALITY_FORMAT)} END"
        ),
        "aldis_chk_bool(c text) RETURNS text": (
            f"SELECT CASE WHEN c IS NULL OR c IN ('true', 'false') THEN NULL ELSE {lit(BOOL_FORMAT)} END"
        ),
        "aldis_chk_eic(c text) RETURNS text": (
            f"SELECT CASE WHEN c IS NULL THEN NULL "
            f"WHEN c !~ '^[0-9A-Z-]{{16}}$' OR right(c, 1) = '-' THEN {lit(EIC_FORMAT)} "
            # PostgreSQL's % keeps the sign of the dividend; Python's (and stdnum's) does not.
            f"WHEN substr('{_EIC_ALPHABET}', 37 - ((({_eic_sum()}) - 1) % 37 + 37) % 37, 1) <> right(c, 1) "
            f"THEN {lit(EIC_CHECK)} END"
        ),
    }
    return "\n".join(
        f"CREATE OR REPLACE FUNCTION {signature} LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ {body} $fn$;"
        for signature, body in functions.items()
    )


def _pg_pattern(pattern: re.Pattern[str], reason: str) -> str:
    return f"SELECT CASE WHEN c IS NULL OR c ~ {_sql_literal(pattern.pattern)} THEN NULL ELSE {_sql_literal(reason)} END"


POSTGRES_DDL = _postgres_functions()
POSTGRES_DROP = "\n".join(
    f"DROP FUNCTION IF EXISTS {name}({'int, int, int' if name == 'aldis_valid_ymd' else 'text'});"
    for name in ["aldis_valid_ymd", *SQLITE_FUNCTIONS]
)
