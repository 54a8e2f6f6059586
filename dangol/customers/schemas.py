"""Input and output shapes for customers, products and orders.

The same input models validate API bodies and import-file rows, so a row is
accepted or refused for the same reasons wherever it comes from. Inputs are
plain pydantic models (fast, validated in bulk); outputs are ninja Schemas.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from dangol.core.money import parse_amount
from dangol.customers.models import Channel, Gender, OrderStatus, Purpose

# --- field types -------------------------------------------------------------------


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _none_to_blank(value: Any) -> Any:
    return "" if value is None else _strip(value)


def _blank_to_none(value: Any) -> Any:
    value = _strip(value)
    return None if value == "" else value


def _check_email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("not a valid e-mail address") from None
    return value.lower()


def normalise_phone(value: str) -> str:
    """Return ``value`` in E.164 (+821012345678); raise ValueError if it is no phone number."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_GENDER_WORDS = {
    "f": Gender.FEMALE, "female": Gender.FEMALE, "woman": Gender.FEMALE, "여": Gender.FEMALE,
    "여성": Gender.FEMALE, "여자": Gender.FEMALE,
    "m": Gender.MALE, "male": Gender.MALE, "man": Gender.MALE, "남": Gender.MALE,
    "남성": Gender.MALE, "남자": Gender.MALE,
    "other": Gender.OTHER, "기타": Gender.OTHER, "x": Gender.OTHER,
    "": Gender.UNKNOWN, "unknown": Gender.UNKNOWN,
}


def _parse_gender(value: Any) -> str:
    key = _none_to_blank(value)
    if not isinstance(key, str) or key.lower() not in _GENDER_WORDS:
        raise ValueError("use female, male, other or leave empty")
    return _GENDER_WORDS[key.lower()].value


_DATE_SEPARATORS = str.maketrans({".": "-", "/": "-"})


def _parse_date_text(value: Any) -> Any:
    """Accept 2024-03-01, 2024.03.01, 2024/03/01 and 20240301 as Korean files use them."""
    value = _blank_to_none(value)
    if isinstance(value, str):
        value = value.translate(_DATE_SEPARATORS).rstrip("-")
        if len(value) == 8 and value.isdigit():
            value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def _aware(value: datetime | None) -> datetime | None:
    """Read a time without an offset as the business's time zone (TIME_ZONE)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.get_default_timezone())
    return value


def _past_date(value: date | None) -> date | None:
    if value is not None and (value.year < 1900 or value > timezone.localdate()):
        raise ValueError("must be a date between 1900 and today")
    return value


Text = Annotated[str, BeforeValidator(_none_to_blank)]
ExternalId = Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=64)]
Email = Annotated[str, BeforeValidator(_none_to_blank), Field(max_length=254),
                  AfterValidator(_check_email)]
Phone = Annotated[str, BeforeValidator(_none_to_blank), AfterValidator(normalise_phone)]
GenderField = Annotated[str, BeforeValidator(_parse_gender)]
Birthday = Annotated[date | None, BeforeValidator(_parse_date_text), AfterValidator(_past_date)]
AwareDatetime = Annotated[datetime, BeforeValidator(_parse_date_text), AfterValidator(_aware)]
OptionalAwareDatetime = Annotated[
    datetime | None, BeforeValidator(_parse_date_text), AfterValidator(_aware)
]
Currency = Annotated[str, BeforeValidator(_none_to_blank), Field(pattern=r"^([A-Za-z]{3})?$")]


def _amount_text(value: Any) -> Any:
    value = _blank_to_none(value)
    return value.replace(",", "") if isinstance(value, str) else value


Amount = Annotated[Decimal, BeforeValidator(_amount_text), Field(ge=0, max_digits=14)]
OptionalAmount = Annotated[Decimal | None, BeforeValidator(_amount_text),
                           Field(ge=0, max_digits=14)]


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=10_000)


# --- customers -------------------------------------------------------------------


class ConsentIn(InputModel):
    channel: Channel
    purpose: Purpose = Purpose.AD
    granted: bool
    night: bool = False
    at: OptionalAwareDatetime = None
    source: Annotated[Text, Field(max_length=100)] = ""


class CustomerIn(InputModel):
    """A customer to create, or to update when ``external_id`` exists.

    Only the fields present in the input are changed on update.
    """

    external_id: ExternalId
    name: Annotated[Text, Field(max_length=100)] = ""
    email: Email = ""
    phone: Phone = ""
    birthday: Birthday = None
    gender: GenderField = ""
    region: Annotated[Text, Field(max_length=50)] = ""
    language: Annotated[Text, Field(pattern=r"^([a-z]{2}(-[A-Za-z]{2,4})?)?$")] = "ko"
    joined_at: OptionalAwareDatetime = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    consents: list[ConsentIn] = Field(default_factory=list)


# --- products --------------------------------------------------------------------------


class ProductIn(InputModel):
    external_id: ExternalId
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    category: Annotated[Text, Field(max_length=100)] = ""
    price: OptionalAmount = None
    currency: Currency = ""
    active: bool = True

    @model_validator(mode="after")
    def _price_in_currency(self) -> "ProductIn":
        self.currency = (self.currency or settings.DEFAULT_CURRENCY).upper()
        if self.price is not None:
            self.price = parse_amount(self.price, self.currency)
        return self


# --- orders -----------------------------------------------------------------------------


class OrderLineIn(InputModel):
    product_id: Annotated[Text, Field(max_length=64)] = ""
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    unit_price: Amount
    amount: OptionalAmount = None


class OrderIn(InputModel):
    """An order with its lines; ``total_amount`` defaults to the sum of the lines."""

    external_id: ExternalId
    customer_id: ExternalId
    ordered_at: AwareDatetime
    currency: Currency = ""
    status: OrderStatus = OrderStatus.PLACED
    channel: Annotated[Text, Field(max_length=32)] = ""
    store: Annotated[Text, Field(max_length=100)] = ""
    total_amount: OptionalAmount = None
    lines: list[OrderLineIn] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _amounts(self) -> "OrderIn":
        self.currency = (self.currency or settings.DEFAULT_CURRENCY).upper()
        for line in self.lines:
            line.unit_price = parse_amount(line.unit_price, self.currency)
            # A computed amount is exact already: a whole number times a valid price.
            line.amount = (line.unit_price * line.quantity if line.amount is None
                           else parse_amount(line.amount, self.currency))
        if self.total_amount is None:
            self.total_amount = sum((line.amount or Decimal(0) for line in self.lines),
                                    Decimal(0))
        self.total_amount = parse_amount(self.total_amount, self.currency)
        return self


# --- outputs ------------------------------------------------------------------------------


class ConsentOut(Schema):
    channel: str
    purpose: str
    granted: bool
    night: bool
    granted_at: datetime | None
    withdrawn_at: datetime | None
    source: str


class CustomerOut(Schema):
    id: int
    external_id: str
    name: str
    email: str
    phone: str
    birthday: date | None
    gender: str
    region: str
    language: str
    joined_at: datetime
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class CustomerDetailOut(CustomerOut):
    consents: list[ConsentOut]


class ProductOut(Schema):
    id: int
    external_id: str
    name: str
    category: str
    price: Decimal | None
    currency: str
    active: bool
    updated_at: datetime


class OrderLineOut(Schema):
    line_no: int
    product_id: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


class OrderOut(Schema):
    id: int
    external_id: str
    customer_id: str
    ordered_at: datetime
    currency: str
    status: str
    channel: str
    store: str
    total_amount: Decimal
    lines: list[OrderLineOut]


class UpsertOut(Schema):
    created: bool
    changed_fields: list[str]


class RowProblemOut(Schema):
    index: int
    errors: list[dict[str, str]]


class BulkOut(Schema):
    created: int
    updated: int
    rejected: list[RowProblemOut]
