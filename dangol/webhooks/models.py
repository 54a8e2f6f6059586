"""Outgoing webhooks: where to send (Endpoint), what happened (Event), each send (Delivery).

Event and Delivery rows are the outbox: a producer writes them in its own
transaction, so an event is kept even while the receiver or the worker is down.
"""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dangol.core.models import TimeStampedModel


class Endpoint(TimeStampedModel):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The signing key in Standard Webhooks form (whsec_ + base64). It is kept in
    # clear because every delivery is signed with it.
    secret = models.CharField(_("signing secret"), max_length=120)
    event_types = models.JSONField(_("event types"), default=list,
                                   help_text=_('Event types to send; "*" for all.'))
    active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class Event(models.Model):
    uid = models.UUIDField(_("event ID"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=100)
    payload = models.JSONField(_("data"), encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        indexes = [
            models.Index(fields=["occurred_at"]),
            models.Index(fields=["type", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.uid}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Gave up")


class DeliveryKind(models.TextChoices):
    LIVE = "live", pgettext_lazy("webhook delivery", "Live")
    REPLAY = "replay", _("Replay")
    TEST = "test", _("Test")


class Delivery(TimeStampedModel):
    """One event sent (or to be sent) to one endpoint, with its retry state."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(_("kind"), max_length=8, choices=DeliveryKind.choices,
                            default=DeliveryKind.LIVE)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the next attempt is due; while an attempt is under way it holds the
    # end of that attempt's lease, so no other worker takes the same delivery.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True,
                                                        blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                         condition=Q(status="pending")),
            models.Index(fields=["endpoint", "-id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_has_due_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"
