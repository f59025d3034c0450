"""Money read back from the database: always ``Decimal`` in cents (DOMAIN: money is exact)."""

from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


def eur(value: Any) -> Decimal:
    """A sum or amount from the database as a Decimal in cents; NULL (an empty sum) is 0.00.

    SQLite hands back a REAL for ``SUM`` over a decimal column; going through ``str`` keeps the
    digits it printed, which for sums of two-decimal amounts are the exact cents."""
    return Decimal(str(value or 0)).quantize(CENT)


def from_cents(cents: int) -> Decimal:
    """A whole number of cents (the exact sums a run keeps) as euros."""
    return (Decimal(cents) / 100).quantize(CENT)
