"""Input and output shapes of the loyalty API."""

from datetime import datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from dangol.loyalty.models import Source


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class EarnIn(Schema):
    customer_id: str = Field(description="the customer's external ID")
    points: int
    source: Source = Source.MANUAL
    source_ref: str = Field("", max_length=100)
    reason: str = Field("", max_length=300)
    idempotency_key: str = Field(
        "",
        max_length=200,
        description="repeat a request with the same key to get the first result back; "
        "may also be sent as the Idempotency-Key header",
    )


class RedeemIn(Schema):
    customer_id: str
    points: int
    source: Source = Source.CHECKOUT
    source_ref: str = Field("", max_length=100)
    idempotency_key: str = Field("", max_length=200)


class AdjustIn(Schema):
    customer_id: str
    points: int = Field(description="positive to add, negative to take away")
    reason: str = Field(max_length=300)
    idempotency_key: str = Field("", max_length=200)


class ReverseIn(Schema):
    reason: str = Field("", max_length=300)
    idempotency_key: str = Field("", max_length=200)


class EntryOut(Schema):
    id: int
    kind: str
    source: str
    source_ref: str
    points: int
    debt_delta: int
    balance_after: int
    idempotency_key: str | None
    expires_at: datetime | None
    available_at: datetime | None
    reverses_id: int | None
    reason: str
    at: datetime


class EntryPage(Schema):
    items: list[EntryOut]
    next_cursor: str | None


class ExpiringOut(Schema):
    expires_at: datetime
    points: int


class BalanceOut(Schema):
    customer_id: str
    balance: int
    spendable: int
    pending: int
    debt: int
    lifetime_earned: int
    expiring: list[ExpiringOut]


class EventIn(Schema):
    name: str = Field(max_length=100)
    capacity: int
    points: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    coupon_campaign_id: int | None = Field(None, description="winners also get a coupon of it")


class EventOut(Schema):
    id: int
    name: str
    capacity: int
    claimed: int
    points: int
    starts_at: datetime | None
    ends_at: datetime | None
    coupon_campaign_id: int | None = None


class ClaimIn(Schema):
    customer_id: str


class ClaimOut(Schema):
    event_id: int
    customer_id: str
    position: int
    points: int
    created: bool


class CouponCheckIn(Schema):
    code: str = Field(max_length=40)
    customer_id: str | None = Field(None, description="needed for members-only coupons")
    order_amount: Decimal = Field(ge=0)
    currency: str = Field("KRW", max_length=3)


class CouponQuoteOut(Schema):
    code: str
    campaign: str
    discount: Decimal


class ReserveIn(CouponCheckIn):
    order_ref: str = Field("", max_length=100)
    idempotency_key: str = Field("", max_length=200)


class ReservationOut(Schema):
    id: int
    status: str
    discount: Decimal
    order_ref: str
    reserved_until: datetime


class ConfirmIn(Schema):
    order_ref: str = Field("", max_length=100)


class RewardOut(Schema):
    id: int
    name: str
    points_cost: int | None
    kind: str
    value: Decimal


class BuyRewardIn(Schema):
    customer_id: str
    idempotency_key: str = Field("", max_length=200)


class CouponOut(Schema):
    code: str
    campaign: str
    expires_at: datetime | None


class ReferralIn(Schema):
    referrer_id: str = Field(description="the external ID of the customer who referred")
    referred_id: str = Field(description="the external ID of the newcomer")


class ReferralOut(Schema):
    id: int
    rewarded: bool
