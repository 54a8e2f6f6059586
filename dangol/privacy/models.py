"""Requests of customers about their personal data (PIPA §35-37, GDPR Art. 15-21)."""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel

# PIPA Enforcement Decree §41④: a reply within 10 days of the request.
REPLY_DAYS = 10


class Kind(models.TextChoices):
    ACCESS = "access", _("Access / export")
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")
    SUSPENSION = "suspension", _("Suspension of processing")
    WITHDRAWAL = "withdrawal", _("Withdrawal of consent")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS)


def due_date(received_at: datetime) -> datetime:
    return received_at + timedelta(days=REPLY_DAYS)


class DataRequest(TimeStampedModel):
    """One request; it outlives the customer it may delete (external ID and masked name kept)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("customer"))
    customer_external_id = models.CharField(_("customer ID"), max_length=64)
    customer_name_masked = models.CharField(_("name (masked)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.RECEIVED)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    details = models.TextField(_("what was asked"), blank=True)
    identity_verification = models.CharField(
        _("identity verified by"), max_length=300, blank=True,
        help_text=_("How the requester's identity was checked, e.g. 'logged-in account' or "
                    "'mobile phone verification'."))
    identity_verified_at = models.DateTimeField(_("identity verified"), null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("handled by"))
    handled_by_label = models.CharField(max_length=200, blank=True)
    result_note = models.TextField(_("result"), blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    erased = models.JSONField(_("erased"), default=dict, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal-data request")
        verbose_name_plural = _("personal-data requests")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(status="refused") | ~Q(refusal_reason=""),
                                   name="privacy_refusal_has_reason"),
            models.CheckConstraint(condition=~Q(status="done") | ~Q(identity_verification=""),
                                   name="privacy_done_after_identity_verified"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.customer_external_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.due_at is None:
            self.due_at = due_date(self.received_at)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def days_left(self, now: datetime | None = None) -> int:
        """Days until the due time, a started day counting as one; when overdue, minus the
        whole days past it (at least one)."""
        days = (self.due_at - (now or timezone.now())).total_seconds() / 86400
        return math.ceil(days) if days >= 0 else -max(1, math.floor(-days))

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.is_open and self.due_at < (now or timezone.now())
