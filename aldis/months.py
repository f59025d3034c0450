"""Calendar months, as the first day of each (a run's month, a retention cutoff, a window), and
dates as INTERFACES writes them."""

import argparse
import re
from datetime import date

# Exactly YYYY-MM-DD (INTERFACES §1): ``date.fromisoformat`` would also take 20261122 or 2026-W47-1.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def add_months(month: date, months: int) -> date:
    """The first day of the month ``months`` after (or before, if negative) ``month``'s month."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def iso_date_argument(text: str) -> date:
    """An operator command's date argument: a real date written exactly YYYY-MM-DD."""
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD")
