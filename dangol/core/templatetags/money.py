"""``{% load money %}`` ``{{ amount|money:currency }}``: an amount in the page's language."""

from decimal import Decimal

from django import template
from django.utils.translation import get_language

from dangol.core.money import format_amount

register = template.Library()


@register.filter
def money(amount: Decimal | int | float | None, currency: str = "KRW") -> str:
    if amount is None or amount == "":
        return ""
    return format_amount(amount, currency or "KRW", get_language() or "ko")
