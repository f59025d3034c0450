"""Calendar months, as the first day of each (a run's month, a retention cutoff, a window)."""

from datetime import date


def add_months(month: date, months: int) -> date:
    """The first day of the month ``months`` after (or before, if negative) ``month``'s month."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
