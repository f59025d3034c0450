"""Template filters of the person's pages (registered as the ``person_status`` library)."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def eur(value: Any) -> str:
    """An amount as the language writes it: ``35,00 EUR`` in Latvian, ``35.00 EUR`` in English."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"{amount:,.2f}"  # 1,234.50
    if (get_language() or "lv").startswith("lv"):
        text = text.replace(",", "\u00a0").replace(".", ",")  # 1 234,50
    return f"{text} EUR"


@register.filter
def percent(value: Any) -> str:
    """A share (``0.30``) as a percentage (``30 %``)."""
    if value is None or value == "":
        return ""
    return f"{(Decimal(str(value)) * 100).normalize():f}\u00a0%"
