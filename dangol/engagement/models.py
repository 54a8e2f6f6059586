"""The messaging outbox: every message to a customer, on any channel, and its history."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS/LMS")
    KAKAO = "kakao", _("KakaoTalk")


class Purpose(models.TextChoices):
    """Korean law (정보통신망법 §50) treats advertising and transactional messages apart."""

    TRANSACTIONAL = "transactional", _("Transactional")
    AD = "ad", _("Advertising")


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    BLOCKED = "blocked", _("Blocked")


class BlockReason(models.TextChoices):
    """Why a message may not be sent. The value is a stable code callers can test."""

    NO_ADDRESS = "no_address", _("The customer has no address for this channel")
    NO_CONSENT = "no_consent", _("No recorded advertising opt-in for this channel")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("The customer withdrew advertising consent")
    NIGHT_TIME = "night_time", _("Advertising at night (21:00–08:00) needs night-time consent")
    AD_LABEL_MALFORMED = "ad_label_malformed", _(
        "An advertisement must start with exactly (광고)")
    SENDER_NOT_CONFIGURED = "sender_not_configured", _(
        "The sender's name, contact or opt-out number is not configured")


class Message(TimeStampedModel):
    """One message to one customer on one channel, from queueing to delivery."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="messages")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    language = models.CharField(_("language"), max_length=8, default="ko")
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    to_address = models.CharField(_("to"), max_length=254, blank=True)
    source = models.CharField(_("source"), max_length=64, blank=True, db_index=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, null=True, blank=True,
                                  unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    block_reason = models.CharField(_("block reason"), max_length=32, blank=True,
                                    choices=BlockReason.choices)
    error = models.TextField(_("error"), blank=True)
    provider = models.CharField(_("provider"), max_length=32, blank=True)
    provider_message_id = models.CharField(_("provider message ID"), max_length=128,
                                           blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due"),
            models.Index(fields=["provider", "provider_message_id"],
                         name="message_provider_id"),
            models.Index(fields=["customer", "created_at"], name="message_customer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="blocked") | ~Q(block_reason=""),
                name="message_blocked_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} → {self.to_address}"


class MessageEvent(models.Model):
    """A status change of a message: when, to what, and why."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=Status.choices)
    at = models.DateTimeField(default=timezone.now)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"
