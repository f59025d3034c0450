"""The PostgreSQL field checks give exactly the answers of the Python ones (``aldis.feeds.checks``),
which call python-stdnum: the same file must be accepted or refused, with the same reason, on
both databases. Thousands of generated values per function, from a fixed seed."""

import random
import string
from collections.abc import Callable, Iterable
from datetime import date, timedelta

import pytest
from django.db import connection
from stdnum.eu import eic

from aldis.feeds import checks
from aldis.identifiers import complete_org_code, complete_personal_code
from tests.feeds.conftest import ON_POSTGRES

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="PostgreSQL only: on SQLite the SQL functions are the Python functions themselves",
    ),
]

SEED = 20240101
EIC_ALPHABET = string.digits + string.ascii_uppercase + "-"


def disagreements(function: str, python: Callable[[str | None], str | None], values: Iterable[str | None]):
    """Every value on which ``SELECT function(value)`` differs from ``python(value)``."""
    found = []
    with connection.cursor() as cursor:
        for value in values:
            cursor.execute(f"SELECT {function}(%s)", [value])
            in_sql = cursor.fetchone()[0]
            in_python = python(value)
            if in_sql != in_python:
                found.append((value, in_python, in_sql))
    return found


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def other_digit(rng: random.Random, digit: str) -> str:
    return rng.choice([d for d in string.digits if d != digit])


def spoil(rng: random.Random, value: str) -> str:
    """One character replaced by a letter, a symbol or a space."""
    i = rng.randrange(len(value))
    return value[:i] + rng.choice("aZx-. /Ā_") + value[i + 1 :]


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def wrong_lengths(rng: random.Random, count: int) -> list[str]:
    return [digits(rng, rng.choice([0, 1, 5, 9, 10, 12, 13, 16])) for _ in range(count)]


# --- personal codes ------------------------------------------------------------------------------


def old_format_code(day: date, rng: random.Random) -> str:
    century = str((day.year - 1800) // 100)
    return complete_personal_code(f"{day:%d%m}{day.year % 100:02d}{century}{digits(rng, 3)}")


def personal_code_values(rng: random.Random) -> list[str | None]:
    values: list[str | None] = [None]
    born = [random_day(rng, date(1800, 1, 1), date(2099, 12, 31)) for _ in range(400)]
    valid_old = [old_format_code(day, rng) for day in born]
    valid_new = [complete_personal_code("32" + digits(rng, 8)) for _ in range(300)]
    values += valid_old + valid_new
    values += [code[:10] + other_digit(rng, code[10]) for code in rng.sample(valid_old + valid_new, 300)]
    impossible = ["3002", "3102", "2902", "3104", "3106", "3109", "3111", "0001", "0113", "3200", "0000"]
    for _ in range(300):
        ddmm = rng.choice(impossible)
        year = rng.choice(["23", "00", "99", "01"])  # 29.02 is impossible in 1923, 1801, ...
        values.append(complete_personal_code(ddmm + year + rng.choice("0123456789") + digits(rng, 3)))
    values += [digits(rng, 11) for _ in range(400)]
    values += ["32" + digits(rng, 9) for _ in range(200)]
    values += [rng.choice("456789") + digits(rng, 10) for _ in range(100)]  # organisation-like
    values += wrong_lengths(rng, 100)
    values += [spoil(rng, code) for code in rng.sample(valid_old + valid_new, 200)]
    values += [f"{code[:6]}-{code[6:]}" for code in rng.sample(valid_old, 50)]  # not normalised
    return values


def test_personal_code_check_agrees_with_python():
    values = personal_code_values(random.Random(SEED))
    assert len(values) > 2000
    assert disagreements("aldis_chk_personal_code", checks.check_personal_code, values) == []


def test_party_code_check_agrees_with_python():
    rng = random.Random(SEED + 1)
    values = rng.sample(personal_code_values(rng), 1000) + rng.sample(org_code_values(rng), 1000)
    assert disagreements("aldis_chk_party_code", checks.check_party_code, values) == []


# --- organisation codes ----------------------------------------------------------------------------


def org_code_values(rng: random.Random) -> list[str | None]:
    values: list[str | None] = [None]
    valid: list[str] = []
    while len(valid) < 500:
        code = complete_org_code(rng.choice("456789") + digits(rng, 9))
        if code:
            valid.append(code)
    values += valid
    values += [code[:10] + other_digit(rng, code[10]) for code in rng.sample(valid, 400)]
    values += [digits(rng, 11) for _ in range(500)]
    values += [rng.choice("0123") + digits(rng, 10) for _ in range(200)]  # personal-code-like
    values += ["32" + digits(rng, 9) for _ in range(100)]
    values += wrong_lengths(rng, 150)
    values += [spoil(rng, code) for code in rng.sample(valid, 200)]
    return values


def test_org_code_check_agrees_with_python():
    values = org_code_values(random.Random(SEED + 2))
    assert len(values) > 2000
    assert disagreements("aldis_chk_org_code", checks.check_org_code, values) == []


# --- EIC -----------------------------------------------------------------------------------------


def eic_values(rng: random.Random) -> list[str | None]:
    values: list[str | None] = [None]
    stems = ["".join(rng.choice(EIC_ALPHABET) for _ in range(15)) for _ in range(600)]
    stems += ["11X" + "".join(rng.choice(string.digits + "ABCDEFGH") for _ in range(12)) for _ in range(300)]
    valid = [stem + eic.calc_check_digit(stem) for stem in stems]
    values += valid
    values += [
        code[:15] + rng.choice([c for c in EIC_ALPHABET if c != code[15]]) for code in rng.sample(valid, 500)
    ]
    values += [code.lower() for code in rng.sample(valid, 100)]
    values += [code[:15] for code in rng.sample(valid, 100)]  # 15 characters
    values += [code + rng.choice(EIC_ALPHABET) for code in rng.sample(valid, 100)]  # 17 characters
    values += [spoil(rng, code) for code in rng.sample(valid, 300)]
    values += ["".join(rng.choice(EIC_ALPHABET) for _ in range(16)) for _ in range(300)]
    values += [code[:15] + "-" for code in rng.sample(valid, 50)]  # a check character is never '-'
    return values


def test_eic_check_agrees_with_python():
    values = eic_values(random.Random(SEED + 3))
    assert len(values) > 2000
    assert disagreements("aldis_chk_eic", checks.check_eic, values) == []


# --- dates -----------------------------------------------------------------------------------------


def date_values(rng: random.Random) -> list[str | None]:
    values: list[str | None] = [None]
    values += [random_day(rng, date(1, 1, 1), date(9999, 12, 31)).isoformat() for _ in range(500)]
    values += [random_day(rng, date(1900, 1, 1), date(2100, 12, 31)).isoformat() for _ in range(300)]
    leap_days = ["1600-02-29", "2000-02-29", "2024-02-29", "0004-02-29", "0400-02-29"]
    not_leap = ["1900-02-29", "2100-02-29", "2023-02-29", "1800-02-29", "0100-02-29", "0001-02-29"]
    values += leap_days + not_leap
    for _ in range(600):
        year = f"{rng.randint(1, 9999):04d}"
        month = rng.choice([f"{m:02d}" for m in range(13)] + ["13", "19", "99"])
        day = rng.choice([f"{d:02d}" for d in range(33)] + ["99"])
        values.append(f"{year}-{month}-{day}")
    values += [f"{rng.randint(1, 9999):04d}-{digits(rng, 2)}-{digits(rng, 2)}" for _ in range(400)]
    shapes = ["{y}-{m}-{d}T00", "{y}/{m}/{d}", "{y}{m}{d}", "{d}.{m}.{y}", " {y}-{m}-{d}", "{y}-{m}-{d} "]
    for _ in range(200):
        when = random_day(rng, date(1900, 1, 1), date(2100, 12, 31))
        shape = rng.choice(shapes)
        values.append(shape.format(y=f"{when.year:04d}", m=f"{when.month:02d}", d=f"{when.day:02d}"))
    values += [f"{rng.randint(1, 9999)}-{rng.randint(1, 12)}-{rng.randint(1, 28)}" for _ in range(100)]
    values += [
        spoil(rng, random_day(rng, date(1900, 1, 1), date(2100, 1, 1)).isoformat()) for _ in range(200)
    ]
    return values


def test_date_check_agrees_with_python():
    values = date_values(random.Random(SEED + 4))
    assert len(values) > 2000
    assert disagreements("aldis_chk_date", checks.check_date, values) == []


# --- the other field checks and the normal forms ---------------------------------------------------


def test_month_money_address_and_municipality_checks_agree_with_python():
    rng = random.Random(SEED + 5)
    months = [f"{rng.randint(0, 9999):04d}-{rng.randint(0, 19):02d}" for _ in range(300)]
    months += ["2024-1", "2024-001", "202401", "2024-01-01", "2024-0a", "Ā024-01"]
    money = [f"{rng.randint(0, 10 ** rng.randint(1, 12))}" for _ in range(200)]
    money += [f"{rng.randint(0, 99999)}.{digits(rng, rng.randint(0, 4))}" for _ in range(300)]
    money += ["15,00", ".5", "5.", "-1.00", "1e5", "1.2.3", "12345678901", "1234567890.12", "01.10", " 1.00"]
    addresses = [digits(rng, rng.randint(0, 12)) for _ in range(300)] + [
        spoil(rng, digits(rng, 9)) for _ in range(100)
    ]
    municipalities = [digits(rng, rng.randint(0, 12)) for _ in range(300)] + ["0001000", "1-2", "12 3", "a"]
    cases = [
        ("aldis_chk_month", checks.check_month, months),
        ("aldis_chk_money", checks.check_money, money),
        ("aldis_chk_address_code", checks.check_address_code, addresses),
        ("aldis_chk_municipality_code", checks.check_municipality_code, municipalities),
        ("aldis_chk_bool", checks.check_bool, ["true", "false", "True", "1", "0", "yes", "", " true"]),
    ]
    for function, python, values in cases:
        assert disagreements(function, python, [None, *values]) == [], function


def test_normal_forms_agree_with_python():
    rng = random.Random(SEED + 6)
    codes = [complete_personal_code("32" + digits(rng, 8)) for _ in range(200)]
    values = [None, "", " ", "   ", "a b", " a ", "\ta\t"]
    values += [f"{c[:6]}-{c[6:]}" for c in codes]
    values += [f"{c[:5]}-{c[5:]}" for c in codes[:50]]  # hyphen in the wrong place
    values += [f"{c[:6]}--{c[6:]}" for c in codes[:50]]
    values += [f"{c[:6]}-{c[6:10]}" for c in codes[:50]]  # too short after the hyphen
    values += ["abcdef-12345", "010180-1234a", "010180-123456"]
    # Twelve characters with the hyphen seventh, but padded: trimmed first, so not hyphenated.
    values += [" 12345-12345", "12345-12345 ", " 010180-12347 ", "010180-12347 ", " 010180-12347"]
    for function, python in (("aldis_norm", checks.norm), ("aldis_norm_code", checks.norm_code)):
        assert disagreements(function, python, values) == [], function


# --- single values where the two sides have been seen to differ ------------------------------------


@pytest.mark.parametrize(
    ("function", "python", "value"),
    [
        pytest.param(
            "aldis_chk_date",
            checks.check_date,
            "0000-01-01",
            id="date-year-0000",
        ),
        pytest.param("aldis_chk_date", checks.check_date, "2024-01-01\n", id="date-trailing-newline"),
        pytest.param("aldis_chk_month", checks.check_month, "0000-01", id="month-year-0000"),
        pytest.param(
            "aldis_chk_personal_code", checks.check_personal_code, "32000012345\n", id="code-trailing-newline"
        ),
        pytest.param("aldis_chk_org_code", checks.check_org_code, "40000002016\n", id="org-trailing-newline"),
        pytest.param("aldis_chk_money", checks.check_money, "15.00\n", id="money-trailing-newline"),
        pytest.param("aldis_chk_eic", checks.check_eic, "22XWATTPLUS----G\n", id="eic-trailing-newline"),
        pytest.param(
            "aldis_chk_personal_code", checks.check_personal_code, "٠١٠١٨٠١٢٣٤٧", id="arabic-digits"
        ),
        pytest.param(
            "aldis_chk_eic",
            checks.check_eic,
            "0000000000000000",
            id="eic-all-zeros",
        ),
        pytest.param(
            "aldis_norm_code",
            checks.norm_code,
            " 010180-12347",
            id="norm-code-padded-hyphenated",
        ),
    ],
)
def test_edge_value_agrees_with_python(function, python, value):
    assert disagreements(function, python, [value]) == []
