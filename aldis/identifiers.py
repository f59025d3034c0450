"""Validation and normal forms of the identifiers of DOMAIN.md (personal, organisation, EIC codes).

Check digits are python-stdnum's: ``stdnum.lv.pvn`` for personal and organisation codes,
``stdnum.eu.eic`` for electricity metering points. Each ``normalise_*`` returns the compact form
ALDIS stores, or raises ``django.core.exceptions.ValidationError`` with a reason a register's
engineer can act on.
"""

from django.core.exceptions import ValidationError
from stdnum import exceptions as stdnum_exceptions
from stdnum.eu import eic
from stdnum.lv import pvn

ADDRESS_CODE_LENGTH = 9


def _digits(value: str, *, what: str, hyphen_at: int | None = None) -> str:
    text = value.strip()
    if hyphen_at is not None and len(text) == 12 and text[hyphen_at] == "-":
        text = text[:hyphen_at] + text[hyphen_at + 1 :]
    if len(text) != 11 or not text.isdigit():
        raise ValidationError(f"{what} must be 11 digits", code="format")
    return text


def _pvn_validate(text: str, *, what: str) -> None:
    try:
        pvn.validate(text)
    except stdnum_exceptions.InvalidChecksum:
        raise ValidationError(f"{what} has a wrong check digit", code="check_digit") from None
    except stdnum_exceptions.InvalidComponent:
        raise ValidationError(f"{what} holds an impossible birth date", code="birth_date") from None
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationError(f"{what} is not valid ({exc})", code="invalid") from None


def normalise_personal_code(value: str) -> str:
    """A personal code (``DDMMYY-NNNNN`` or ``32NNNN-NNNNN``, hyphen optional) as 11 digits."""
    text = _digits(value, what="personal code", hyphen_at=6)
    if text[0] > "3":
        raise ValidationError(
            "personal code must start with 0-3 (this looks like an organisation code)", code="format"
        )
    _pvn_validate(text, what="personal code")
    return text


def normalise_org_code(value: str) -> str:
    """An organisation registration number as 11 digits (a legal entity: first digit above 3)."""
    text = _digits(value, what="organisation code")
    if text[0] <= "3":
        raise ValidationError(
            "organisation code must start with 4-9 (this looks like a personal code)", code="format"
        )
    _pvn_validate(text, what="organisation code")
    return text


def normalise_party_code(value: str) -> str:
    """A personal code or an organisation code (a contract's holder may be either)."""
    text = value.strip().replace("-", "", 1) if len(value.strip()) == 12 else value.strip()
    return normalise_org_code(text) if text[:1] > "3" else normalise_personal_code(text)


def normalise_eic(value: str) -> str:
    """An electricity metering point's 16-character EIC, upper-case, check character verified."""
    try:
        return str(eic.validate(value.strip()))
    except stdnum_exceptions.InvalidChecksum:
        raise ValidationError("EIC has a wrong check character", code="check_digit") from None
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationError(f"EIC is not valid ({exc})", code="invalid") from None


def normalise_address_code(value: str) -> str:
    """A State Address Register code: exactly 9 digits."""
    text = value.strip()
    if len(text) != ADDRESS_CODE_LENGTH or not text.isdigit():
        raise ValidationError("address code must be 9 digits", code="format")
    return text


def complete_personal_code(first_ten: str) -> str:
    """Append the check digit to the first ten digits of a personal code."""
    return first_ten + pvn.calc_check_digit_pers(first_ten)


def complete_org_code(first_ten: str) -> str | None:
    """Append the check digit to ten digits of an organisation code; None where no digit fits."""
    for digit in "0123456789":
        if pvn.checksum(first_ten + digit) == 3:
            return first_ten + digit
    return None
