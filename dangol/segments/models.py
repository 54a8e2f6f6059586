"""Per-customer scores (RFM quintiles, named RFM segment, BG/NBD predictions, churn band)
and saved dynamic segments.

Scores: one row per customer, rewritten by :func:`dangol.segments.services.scoring.score_customers`.
Prediction fields are null when the models could not be fitted (see the
scoring result's ``prediction_skipped_reason``).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel
from dangol.customers.models import Customer


class RFMSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class ChurnRisk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


_QUINTILE = [MinValueValidator(1), MaxValueValidator(5)]


class CustomerScore(models.Model):
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="score", verbose_name=_("customer")
    )
    # Buy-till-you-die summary, in days: frequency = repeat purchase days.
    frequency = models.PositiveIntegerField(_("repeat purchases"))
    recency_days = models.FloatField(_("days from first to last purchase"))
    T_days = models.FloatField(_("days since first purchase"))  # T as in the literature
    monetary = models.DecimalField(_("average order value"), max_digits=14, decimal_places=2)
    order_count = models.PositiveIntegerField(_("orders"))
    total_spent = models.DecimalField(_("total spent"), max_digits=16, decimal_places=2)
    last_order_at = models.DateTimeField(_("last order"))
    R = models.PositiveSmallIntegerField(_("recency score"), validators=_QUINTILE)
    F = models.PositiveSmallIntegerField(_("frequency score"), validators=_QUINTILE)
    M = models.PositiveSmallIntegerField(_("monetary score"), validators=_QUINTILE)
    rfm_segment = models.CharField(_("RFM segment"), max_length=20, choices=RFMSegment.choices,
                                   db_index=True)
    expected_purchases_90d = models.FloatField(_("expected purchases, next 90 days"), null=True,
                                               blank=True)
    p_alive = models.FloatField(_("probability still active"), null=True, blank=True)
    predicted_value_12m = models.DecimalField(_("predicted 12-month value"), max_digits=16,
                                              decimal_places=2, null=True, blank=True)
    churn_risk = models.CharField(_("churn risk"), max_length=8, choices=ChurnRisk.choices,
                                  blank=True, db_index=True)
    scored_at = models.DateTimeField(_("scored"))

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        constraints = [
            models.CheckConstraint(
                condition=Q(R__gte=1, R__lte=5, F__gte=1, F__lte=5, M__gte=1, M__lte=5),
                name="customerscore_rfm_quintiles",
            ),
            models.CheckConstraint(
                condition=Q(p_alive__isnull=True) | Q(p_alive__gte=0, p_alive__lte=1),
                name="customerscore_p_alive_probability",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.rfm_segment}"


class Segment(TimeStampedModel):
    """A saved set of rules over customers (see :mod:`dangol.segments.rules`).

    Dynamic: members are found by running the rules whenever the segment is
    used, so it follows the data. ``member_count`` is only a cached figure for
    lists, refreshed on save and nightly.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    definition = models.JSONField(_("rules"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    member_count = models.PositiveIntegerField(_("customers"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
