"""Money: a Decimal amount and an ISO 4217 currency. KRW has no minor unit."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Minor units per ISO 4217 for the currencies Dangol's customers use most; any
# other currency defaults to two decimal places.
MINOR_UNITS = {"KRW": 0, "JPY": 0, "VND": 0, "USD": 2, "EUR": 2, "CNY": 2, "GBP": 2}


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency.upper(), 2)


def parse_amount(value: object, currency: str) -> Decimal:
    """Turn ``value`` into an exact amount in ``currency``.

    Raises ValueError when it is not a number, is negative, or has more decimal
    places than the currency allows (``1500.5`` KRW is refused, not rounded, so
    an import never silently changes an amount).
    """
    if isinstance(value, Decimal):
        amount = value
    else:
        if isinstance(value, float):
            value = repr(value)
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    if amount < 0:
        raise ValueError("must not be negative")
    places = minor_units(currency)
    exact = amount.quantize(_UNITS[places] if places in _UNITS else Decimal(1).scaleb(-places),
                            rounding=ROUND_HALF_UP)
    if exact != amount:
        raise ValueError(f"{currency} allows {places} decimal places")
    return exact


_UNITS = {0: Decimal(1), 2: Decimal("0.01"), 3: Decimal("0.001")}


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", parse_amount(self.amount, self.currency))
        object.__setattr__(self, "currency", self.currency.upper())

    def __str__(self) -> str:
        places = minor_units(self.currency)
        return f"{self.amount:,.{places}f} {self.currency}"


# How people write amounts of the common currencies: Korean puts 원/엔/달러 after
# the number, English a symbol before it. Other currencies show their code.
_KO_SUFFIX = {"KRW": "원", "JPY": "엔", "USD": "달러", "EUR": "유로", "CNY": "위안"}
_SYMBOL = {"KRW": "₩", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "CNY": "CN¥"}


def format_amount(amount: Decimal | int | float, currency: str, language: str = "ko") -> str:
    """``12,000원`` (Korean) or ``₩12,000`` (English) for 12000 KRW; ``$12.50`` for USD."""
    code = currency.upper()
    places = minor_units(code)
    number = f"{Decimal(str(amount)):,.{places}f}"
    if language.startswith("ko") and code in _KO_SUFFIX:
        return number + _KO_SUFFIX[code]
    if code in _SYMBOL:
        return _SYMBOL[code] + number
    return f"{number} {code}"
