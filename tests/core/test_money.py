from decimal import Decimal

import pytest

from dangol.core.money import Money, format_amount, parse_amount


def test_krw_amounts_are_whole_won():
    assert parse_amount("39,000", "KRW") == Decimal("39000")
    assert parse_amount("39000.00", "KRW") == Decimal("39000")


def test_krw_refuses_fractions_instead_of_rounding():
    with pytest.raises(ValueError, match="KRW allows 0 decimal places"):
        parse_amount("1500.5", "KRW")


def test_usd_keeps_cents():
    assert parse_amount("12.5", "USD") == Decimal("12.50")
    with pytest.raises(ValueError):
        parse_amount("12.505", "USD")


@pytest.mark.parametrize("bad", ["abc", "-1", "NaN", "Infinity", ""])
def test_parse_amount_refuses_non_amounts(bad):
    with pytest.raises(ValueError):
        parse_amount(bad, "KRW")


def test_money_formats_with_its_currency():
    assert str(Money(Decimal("1234567"), "krw")) == "1,234,567 KRW"


@pytest.mark.parametrize(
    ("amount", "currency", "language", "shown"),
    [
        (Decimal(12000), "KRW", "ko", "12,000원"),
        (Decimal(12000), "krw", "en", "₩12,000"),
        (Decimal("12.5"), "USD", "en", "$12.50"),
        (Decimal("12.5"), "USD", "ko", "12.50달러"),
        (Decimal(1500), "JPY", "en", "¥1,500"),
        (Decimal("9.9"), "CHF", "en", "9.90 CHF"),
        (0, "KRW", "ko", "0원"),
    ],
)
def test_amounts_are_written_as_each_language_writes_them(amount, currency, language, shown):
    assert format_amount(amount, currency, language) == shown
