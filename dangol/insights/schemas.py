"""Input and output shapes of the insights API."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema


class DashboardQuery(Schema):
    period: str = Field("30", description="7, 30 or 90 (last days, today included) or custom")
    since: date | None = Field(None, description="first day (with period=custom)")
    until: date | None = Field(None, description="last day, included (with period=custom)")
    survey_id: int | None = None
    channel: str = Field("", description="response channel: email, sms, kakao, link, qr ...")
    store: str = Field("", description="customers who ordered at this store")
    segment_id: int | None = Field(None, description="customers of this saved segment")
    grain: str = Field("", description="trend by week or month (default: by period length)")


class AlertRuleIn(Schema):
    """An alert rule. Thresholds are in the metric's unit: NPS points, CSAT/CES means,
    rates and shares in percent."""

    name: str
    metric: str = Field(..., description="nps, csat_mean, ces_mean, response_rate, "
                                         "theme_negative_share, negative_spike, emerging_theme")
    condition: str = Field("threshold", description="threshold or significant")
    threshold: float | None = None
    confidence: float = Field(0.95, description="for significant: 0.8 to 0.99")
    min_n: int = Field(30, description="fewer answers in the window and the rule stays silent")
    window_days: int = 7
    survey_id: int | None = None
    channel: str = ""
    theme: str = Field("", description="a theme key of the business taxonomy")
    emails: list[str] = Field(default_factory=list)
    slack_url: str = Field("", description="a Slack incoming-webhook URL")
    webhook_url: str = Field("", description="receives signed JSON (Standard Webhooks)")
    language: str = Field("ko", description="language of the messages: ko or en")
    active: bool = True


class AlertRulePatch(Schema):
    name: str | None = None
    metric: str | None = None
    condition: str | None = None
    threshold: float | None = None
    confidence: float | None = None
    min_n: int | None = None
    window_days: int | None = None
    survey_id: int | None = None
    channel: str | None = None
    theme: str | None = None
    emails: list[str] | None = None
    slack_url: str | None = None
    webhook_url: str | None = None
    language: str | None = None
    active: bool | None = None


class AlertRuleOut(Schema):
    id: int
    name: str
    active: bool
    metric: str
    condition: str
    threshold: float | None
    confidence: float
    min_n: int
    window_days: int
    survey_id: int | None
    channel: str
    theme: str
    emails: list[str]
    slack_url: str
    webhook_url: str
    language: str
    last_evaluated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AlertRuleSavedOut(AlertRuleOut):
    webhook_secret: str = Field(..., description="verify the webhook-signature header with it")


class AlertDeliveryOut(Schema):
    id: int
    kind: str
    target: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None


class AlertEventOut(Schema):
    id: int
    rule_id: int
    is_test: bool
    window_start: datetime
    window_end: datetime
    value: float | None
    baseline: float | None
    n: int
    baseline_n: int
    p_value: float | None
    detail: dict[str, Any]
    fired_at: datetime
    deliveries: list[AlertDeliveryOut]

    @staticmethod
    def resolve_deliveries(obj: Any) -> list[Any]:
        return list(obj.deliveries.all())


class AlertEventPage(Schema):
    items: list[AlertEventOut]
    next_cursor: str | None
