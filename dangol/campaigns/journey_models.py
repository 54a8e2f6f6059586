"""Journeys: automated messages that a trigger starts for one customer at a time,
and A/B variants of campaigns.

A journey waits for its trigger (a birthday coming up, an order some days ago, a
customer drifting away, a detractor's survey answer) and sends its message to
each customer it finds. Each time a customer meets the trigger is an *occasion*
(``birthday:2026``, ``order:123``, ``response:45``); an :class:`JourneyEntry`
records what the journey did for it (messaged, held out, over the cap, blocked
by the law's rules, or skipped with a reason). The database allows one entry per
journey, customer and occasion, so a scan run twice adds nothing, and one
entering entry per journey, customer and quiet window, so a customer enters a
journey at most once per ``reentry_days``.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel


class Trigger(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    POST_PURCHASE = "post_purchase", _("After an order")
    WIN_BACK = "win_back", _("At-risk win-back")
    DETRACTOR = "detractor", _("Detractor apology")


class Journey(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    # Birthday: days before it; after an order: days after it; win-back: days without
    # an order (when no probability threshold is set).
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    p_alive_below = models.FloatField(_("probability still active below"), null=True,
                                      blank=True)
    survey = models.ForeignKey("surveys.Survey", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("survey"))
    nps_at_most = models.PositiveSmallIntegerField(_("NPS at most"), default=6)
    channel = models.CharField(_("channel"), max_length=8, default="email",
                               choices=[("email", _("E-mail")), ("sms", _("SMS/LMS")),
                                        ("kakao", _("KakaoTalk"))])
    purpose = models.CharField(_("purpose"), max_length=12, default="ad",
                               choices=[("ad", _("Advertising")),
                                        ("information", _("Information"))])
    subject_ko = models.CharField(_("subject (Korean)"), max_length=200, blank=True)
    body_ko = models.TextField(_("message (Korean)"))
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("message (English)"), blank=True)
    brand = models.ForeignKey("surveys.BrandKit", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("brand kit"))
    coupon_campaign = models.ForeignKey(
        "loyalty.CouponCampaign", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("coupon"))
    points = models.PositiveIntegerField(_("points"), null=True, blank=True)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout group (%)"), default=0)
    reentry_days = models.PositiveSmallIntegerField(_("quiet period (days)"), default=30)
    conversion_days = models.PositiveSmallIntegerField(_("conversion window (days)"),
                                                       default=7)
    active = models.BooleanField(_("active"), default=False)
    # The last scan of a daily trigger (or catch-up of detractors): when, and what it did.
    last_scan_at = models.DateTimeField(_("last scan"), null=True, blank=True)
    last_scan_entered = models.PositiveIntegerField(default=0)
    last_scan_held = models.PositiveIntegerField(default=0)
    # Seeds the random holdout draw: a customer is drawn the same way every time.
    seed = models.CharField(max_length=32)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")

    class Meta:
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(holdout_percent__lte=90),
                                   name="journey_holdout_at_most_90"),
            models.CheckConstraint(condition=Q(reentry_days__gte=1),
                                   name="journey_reentry_at_least_a_day"),
            models.CheckConstraint(condition=Q(p_alive_below__isnull=True)
                                   | Q(p_alive_below__gt=0, p_alive_below__lt=1),
                                   name="journey_p_alive_probability"),
        ]

    def __str__(self) -> str:
        return self.name


class JourneyEntry(models.Model):
    """What a journey did for one customer on one occasion."""

    class Outcome(models.TextChoices):
        MESSAGED = "messaged", _("Messaged")
        HELD_OUT = "held_out", _("Held out")
        CAPPED = "capped", _("Over the frequency cap")
        BLOCKED = "blocked", _("Blocked")
        SKIPPED = "skipped", _("Skipped")

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="entries")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="+")
    occasion = models.CharField(max_length=64)
    # "<reentry_days>:<local day number // reentry_days>". Two entries at least
    # reentry_days apart always fall in different windows, so the database refusing a
    # second entering entry in one window never refuses a lawful re-entry; the service
    # checks the exact quiet period under the journey's row lock.
    window = models.CharField(max_length=24)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=32, blank=True)
    message = models.ForeignKey("engagement.Message", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    coupon = models.ForeignKey("loyalty.Coupon", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    points = models.PositiveIntegerField(default=0)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["journey", "customer", "occasion"],
                                    name="journey_entry_once_per_occasion"),
            models.UniqueConstraint(fields=["journey", "customer", "window"],
                                    condition=~Q(outcome="skipped"),
                                    name="journey_entry_once_per_window"),
            models.CheckConstraint(condition=~Q(outcome__in=["blocked", "skipped"])
                                   | ~Q(reason=""), name="journey_entry_reason_given"),
        ]
        indexes = [
            models.Index(fields=["journey", "customer", "at"], name="journey_entry_customer"),
            models.Index(fields=["journey", "at"], name="journey_entry_at"),
        ]

    def __str__(self) -> str:
        return f"{self.journey_id}:{self.customer_id} {self.occasion} {self.outcome}"


class Variant(models.Model):
    """One version of a campaign's message in an A/B test (2 to 4 versions)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE,
                                 related_name="variants")
    label = models.CharField(max_length=1)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)

    class Meta:
        ordering = ["campaign", "label"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "label"], name="variant_label_once"),
            models.CheckConstraint(condition=Q(weight__gte=1, weight__lte=100),
                                   name="variant_weight_1_to_100"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.label}"
