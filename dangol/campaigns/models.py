"""Campaigns: one message to the customers of a saved segment, with a holdout group.

A campaign is sent once. Its fan-out walks the segment's members in primary-key
order, chunk by chunk; each chunk is one transaction that writes a
:class:`Recipient` per customer (held out, capped, blocked or messaged) and moves
the campaign's cursor on, so a fan-out that stops half-way resumes where it
stopped, and the unique (campaign, customer) pair makes a second run add nothing.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS/LMS")
    KAKAO = "kakao", _("KakaoTalk")


class Purpose(models.TextChoices):
    AD = "ad", _("Advertising")
    INFORMATION = "information", _("Information")


class Campaign(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices,
                               default=Channel.EMAIL)
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices,
                               default=Purpose.AD)
    # A deleted segment leaves the campaign (and its results) with the name it had.
    segment = models.ForeignKey("segments.Segment", on_delete=models.SET_NULL, null=True,
                                related_name="campaigns", verbose_name=_("segment"))
    segment_name = models.CharField(_("segment"), max_length=100, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    brand = models.ForeignKey("surveys.BrandKit", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("brand kit"))
    holdout_percent = models.PositiveSmallIntegerField(_("holdout group (%)"), default=0)
    conversion_days = models.PositiveSmallIntegerField(_("conversion window (days)"),
                                                       default=7)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The last customer primary key the fan-out has handled, so a stopped fan-out resumes.
    cursor = models.BigIntegerField(default=0)
    # Seeds the random holdout draw: the same customer is drawn the same way on a re-run.
    seed = models.CharField(max_length=32)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "send_at"], name="campaign_due")]
        constraints = [
            models.CheckConstraint(condition=Q(holdout_percent__lte=90),
                                   name="campaign_holdout_at_most_90"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Recipient(models.Model):
    """What the campaign did for one customer of its segment."""

    class Outcome(models.TextChoices):
        MESSAGED = "messaged", _("Messaged")
        HELD_OUT = "held_out", _("Held out")
        CAPPED = "capped", _("Over the frequency cap")
        BLOCKED = "blocked", _("Blocked")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    block_reason = models.CharField(max_length=32, blank=True)
    message = models.ForeignKey("engagement.Message", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    at = models.DateTimeField()
    # The A/B version the customer was drawn for (none without a test, or held out).
    variant = models.ForeignKey("campaigns.Variant", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="recipients")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"],
                                    name="campaign_recipient_once"),
        ]
        indexes = [models.Index(fields=["customer", "at"], name="recipient_customer_at")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id} {self.outcome}"


class CampaignSettings(models.Model):
    """The business's campaign rules; one row (pk 1)."""

    cap_messages = models.PositiveSmallIntegerField(
        _("at most this many advertising messages"), null=True, blank=True,
        help_text=_("Per customer, over all channels. Empty: no cap."))
    cap_days = models.PositiveSmallIntegerField(_("per this many days"), default=7)

    class Meta:
        verbose_name = _("campaign settings")
        verbose_name_plural = _("campaign settings")

    def __str__(self) -> str:
        return "campaign settings"


# Journeys and A/B variants live in their own module; imported here so that Django
# finds their tables.
from dangol.campaigns.journey_models import (  # noqa: E402
    Journey,
    JourneyEntry,
    Trigger,
    Variant,
)

__all__ = ["Campaign", "CampaignSettings", "Channel", "Journey", "JourneyEntry", "Purpose",
           "Recipient", "Trigger", "Variant"]
