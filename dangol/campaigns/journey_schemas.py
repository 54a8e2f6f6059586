"""API shapes of journeys."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class JourneyIn(Schema):
    name: str
    trigger: str = Field(..., description="birthday, post_purchase, win_back or detractor")
    days: int = Field(0, description="birthday: days before it (0-60); post_purchase: days "
                                     "after the order (0-365); win_back: days without an "
                                     "order (used when p_alive_below is empty)")
    p_alive_below: float | None = Field(None, description="win_back: enter when the "
                                        "probability still active (nightly scores) is below")
    survey_id: int | None = Field(None, description="detractor: only this survey (empty: all)")
    nps_at_most: int = Field(6, description="detractor: an NPS answer at most this (0-6)")
    channel: str = Field("email", description="email, sms or kakao")
    purpose: str = Field("ad", description="ad or information; a coupon, points, a birthday "
                                           "or a win-back message is an ad")
    subject_ko: str = Field("", description="E-mail only; placeholders allowed")
    body_ko: str = Field(..., description="Placeholders: {{name}}, {{tier}}, {{points}}, "
                                          "{{region}}, {{customer_id}}, {{coupon}}, "
                                          "{{coupon_expires}}, {{reward_points}}")
    subject_en: str = ""
    body_en: str = Field("", description="For customers whose language is English; empty: "
                                         "everyone gets the Korean text")
    brand_id: int | None = None
    coupon_campaign_id: int | None = Field(None, description="Loyalty coupon campaign: each "
                                           "customer messaged gets a code")
    points: int | None = Field(None, description="Points given to each customer messaged")
    holdout_percent: int = Field(0, description="0-90: share held out at random")
    reentry_days: int = Field(30, description="A customer enters at most once per this many "
                                              "days (1-730)")
    conversion_days: int = Field(7, description="An order within this many days converts")
    active: bool = False


class JourneyOut(Schema):
    id: int
    name: str
    trigger: str
    days: int
    p_alive_below: float | None
    survey_id: int | None
    nps_at_most: int
    channel: str
    purpose: str
    subject_ko: str
    body_ko: str
    subject_en: str
    body_en: str
    brand_id: int | None
    coupon_campaign_id: int | None
    points: int | None
    holdout_percent: int
    reentry_days: int
    conversion_days: int
    active: bool
    last_scan_at: datetime | None
    last_scan_entered: int
    last_scan_held: int
    created_at: datetime
    updated_at: datetime


class JourneyDetailOut(JourneyOut):
    results: dict[str, Any]


class JourneyPage(Schema):
    items: list[JourneyOut]
    next_cursor: str | None


class EntryOut(Schema):
    id: int
    customer_id: str = Field(..., alias="customer.external_id")
    occasion: str
    outcome: str
    reason: str
    message_id: int | None
    message_status: str | None = Field(None, alias="message.status")
    coupon_code: str | None = Field(None, alias="coupon.code")
    points: int
    at: datetime


class EntryPage(Schema):
    items: list[EntryOut]
    next_cursor: str | None
