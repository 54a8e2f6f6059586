"""Competitor and industry benchmark figures that staff record from reports."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel


class Benchmark(TimeStampedModel):
    """One published figure: who (a competitor, or the industry), which metric, its value
    for a period, and, when the source gives them, its sample size or interval."""

    class Kind(models.TextChoices):
        COMPETITOR = "competitor", _("Competitor")
        INDUSTRY = "industry", _("Industry")

    class Metric(models.TextChoices):
        NPS = "nps", _("NPS (points, -100 to 100)")
        CSAT_TOP2 = "csat_top2", _("CSAT, share satisfied in percent (4-5 of 5)")
        CSAT_MEAN = "csat_mean", _("CSAT, mean (1-5)")
        CES_MEAN = "ces_mean", _("CES, mean (1-7)")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    competitor = models.CharField(_("competitor"), max_length=100, blank=True)
    metric = models.CharField(_("metric"), max_length=12, choices=Metric.choices)
    value = models.DecimalField(_("value"), max_digits=6, decimal_places=2)
    n = models.PositiveIntegerField(_("sample size"), null=True, blank=True)
    ci_low = models.DecimalField(_("interval, low"), max_digits=6, decimal_places=2,
                                 null=True, blank=True)
    ci_high = models.DecimalField(_("interval, high"), max_digits=6, decimal_places=2,
                                  null=True, blank=True)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    source = models.TextField(_("source"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("benchmark")
        verbose_name_plural = _("benchmarks")
        ordering = ["metric", "-period_end", "kind", "competitor", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")),
                                   name="benchmark_period_in_order"),
            models.CheckConstraint(
                condition=(Q(ci_low__isnull=True) & Q(ci_high__isnull=True))
                | (Q(ci_low__isnull=False) & Q(ci_high__isnull=False)
                   & Q(ci_low__lte=F("value")) & Q(ci_high__gte=F("value"))),
                name="benchmark_interval_whole_and_around_value"),
            models.CheckConstraint(condition=~Q(kind="competitor") | ~Q(competitor=""),
                                   name="benchmark_competitor_named"),
        ]

    def __str__(self) -> str:
        who = self.competitor if self.kind == self.Kind.COMPETITOR else str(_("Industry"))
        return f"{who} {self.metric} {self.value}"
