"""Helpers for the journey tests: customers, orders and journeys made through the services."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dangol.accounts.actors import SYSTEM
from dangol.campaigns.journeys import save_journey
from dangol.customers.models import Customer, Order
from dangol.customers.schemas import ConsentIn, CustomerIn, OrderIn
from dangol.customers.services import upsert_customer
from dangol.customers.services.orders import upsert_order

SEOUL = ZoneInfo("Asia/Seoul")


def seoul(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SEOUL)


_numbers = iter(range(1, 10**6))


def customer(*, birthday: date | None = None, channels: tuple[str, ...] = ("email",),
             night: bool = False, language: str = "ko", name: str = "김단골",
             **extra: Any) -> Customer:
    n = next(_numbers)
    external_id = extra.pop("external_id", f"J{n:05d}")
    data = CustomerIn(
        external_id=external_id, name=name, email=extra.pop("email", f"j{n}@example.com"),
        phone=extra.pop("phone", f"+8210{30000000 + n:08d}"), birthday=birthday,
        language=language, region="서울",
        consents=[ConsentIn(channel=c, granted=True, night=night, source="test")
                  for c in channels], **extra)
    upsert_customer(actor=SYSTEM, data=data)
    return Customer.objects.get(external_id=external_id)


def order(who: Customer, at: datetime, amount: int = 39000, **extra: Any) -> Order:
    n = next(_numbers)
    placed, _created = upsert_order(actor=SYSTEM, data=OrderIn(
        external_id=f"JO{n:06d}", customer_id=who.external_id, ordered_at=at,
        total_amount=Decimal(amount), **extra))
    return placed


def journey(**values: Any) -> Any:
    base = {"name": "생일 축하", "trigger": "birthday", "days": 3, "channel": "email",
            "purpose": "ad", "subject_ko": "{{name}}님, 생일 축하드려요",
            "body_ko": "{{name}}님 생일 축하 쿠폰을 드려요.", "subject_en": "",
            "body_en": "", "holdout_percent": 0, "reentry_days": 300, "conversion_days": 7,
            "active": True}
    return save_journey(actor=SYSTEM, values=base | values)
