"""Alert rules on metric drops, the alerts they fired, and each alert's deliveries."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel


class Metric(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat_mean", _("CSAT mean")
    CES = "ces_mean", _("CES mean")
    RESPONSE_RATE = "response_rate", _("Response rate")
    THEME_NEGATIVE = "theme_negative_share", _("Negative share of a theme")
    NEGATIVE_SPIKE = "negative_spike", _("Negative spike in any theme")
    EMERGING_THEME = "emerging_theme", _("Theme mentioned much more often")


#: Metrics where a higher value is worse (the others get worse when they fall).
HIGHER_IS_WORSE = frozenset({Metric.THEME_NEGATIVE})
#: Metrics tested by textkit's spike and emerging-topic detectors over every theme.
DETECTOR_METRICS = frozenset({Metric.NEGATIVE_SPIKE, Metric.EMERGING_THEME})


class Condition(models.TextChoices):
    THRESHOLD = "threshold", _("Is worse than a threshold")
    SIGNIFICANT = "significant", _("Gets significantly worse than the previous window")


class AlertRule(TimeStampedModel):
    """When to tell whom that a metric got worse.

    Each evaluation looks at the last ``window_days`` whole days (business time
    zone) ending at the start of today, compared with the same number of days
    before (the baseline). Scope: one survey and/or one response channel.
    """

    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    condition = models.CharField(_("condition"), max_length=12, choices=Condition.choices,
                                 default=Condition.THRESHOLD)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    confidence = models.FloatField(_("confidence"), default=0.95)
    min_n = models.PositiveIntegerField(_("minimum number of answers"), default=30)
    window_days = models.PositiveSmallIntegerField(_("window (days)"), default=7)
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+", verbose_name=_("survey"))
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    theme = models.CharField(_("theme"), max_length=60, blank=True)
    emails = models.JSONField(_("e-mail addresses"), default=list, blank=True)
    slack_url = models.URLField(_("Slack incoming-webhook URL"), max_length=500, blank=True)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=100, blank=True)
    language = models.CharField(_("language of the messages"), max_length=8, default="ko")
    last_evaluated_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(confidence__gt=0.5) & Q(confidence__lt=1),
                                   name="alert_rule_confidence_range"),
            models.CheckConstraint(condition=Q(window_days__gte=1) & Q(window_days__lte=365),
                                   name="alert_rule_window_range"),
        ]

    def __str__(self) -> str:
        return self.name


class AlertEvent(models.Model):
    """One alert a rule fired for one window (or a test sent from the rule's page).

    The database refuses a second real alert of a rule for the same window, so
    an evaluation that runs twice (or on two workers) fires once.
    """

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    is_test = models.BooleanField(_("test"), default=False)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    value = models.FloatField(_("value"), null=True, blank=True)
    baseline = models.FloatField(_("previous window"), null=True, blank=True)
    n = models.PositiveIntegerField(_("answers"), default=0)
    baseline_n = models.PositiveIntegerField(_("answers in the previous window"), default=0)
    p_value = models.FloatField(_("p-value"), null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    payload = models.JSONField(default=dict)
    fired_at = models.DateTimeField(_("fired"), auto_now_add=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-fired_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "window_end"], condition=Q(is_test=False),
                                    name="alert_event_once_per_window"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.window_end:%Y-%m-%d}"


class Destination(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SLACK = "slack", _("Slack")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AlertDelivery(models.Model):
    """One alert sent (or to be sent) to one destination, with its retry state."""

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("destination"), max_length=8, choices=Destination.choices)
    target = models.CharField(_("address"), max_length=500)
    status = models.CharField(_("status"), max_length=8, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the next attempt is due; during an attempt, the end of its lease.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True,
                                                        blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="alert_delivery_due",
                         condition=Q(status="pending")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "kind", "target"],
                                    name="alert_delivery_once"),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="alert_delivery_pending_has_due_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.kind}:{self.target} ({self.status})"
