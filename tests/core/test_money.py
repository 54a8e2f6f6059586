from decimal import Decimal

import pytest

from dangol.core.money import Money, parse_amount


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
