"""Scheduled reports: what to send to whom and when, and each sending (a run)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel
from dangol.reports import timing


class Frequency(models.TextChoices):
    DAILY = timing.DAILY, _("Daily")
    WEEKLY = timing.WEEKLY, _("Weekly")
    MONTHLY = timing.MONTHLY, _("Monthly")


class Section(models.TextChoices):
    SUMMARY = "summary", _("Scores and responses (NPS, CSAT, CES)")
    TREND = "trend", _("NPS trend chart")
    THEMES = "themes", _("Top themes with negative share")
    CASES = "cases", _("Cases and SLA")
    LOYALTY = "loyalty", _("Loyalty program")


class Language(models.TextChoices):
    KO = "ko", _("Korean")
    EN = "en", _("English")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ReportSchedule(TimeStampedModel):
    """A report sent by e-mail as a PDF on a schedule, in one language."""

    name = models.CharField(_("name"), max_length=100)
    sections = models.JSONField(_("sections"), default=list)
    survey = models.ForeignKey("surveys.Survey", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("survey"))
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True,
                                               choices=Weekday.choices)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True,
                                                    blank=True)
    hour = models.PositiveSmallIntegerField(_("hour"), default=9)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices,
                                default=Language.KO)
    recipients = models.JSONField(_("recipients"), default=list)
    active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["active", "next_run_at"], name="report_schedule_due")]
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=23), name="report_hour_in_day"),
            models.CheckConstraint(
                condition=~Q(frequency="weekly") | Q(weekday__isnull=False, weekday__lte=6),
                name="report_weekly_has_weekday"),
            models.CheckConstraint(
                condition=~Q(frequency="monthly") | Q(day_of_month__gte=1,
                                                      day_of_month__lte=31),
                name="report_monthly_has_day"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def cadence(self) -> timing.Cadence:
        return timing.Cadence(self.frequency, self.hour, self.weekday, self.day_of_month)


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Trigger(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    MANUAL = "manual", _("Sent by hand")


class ReportRun(TimeStampedModel):
    """One sending of a schedule's report for one period.

    The database allows one scheduled run per schedule and period, so a report is
    never sent twice, however many workers or schedulers look for due reports.
    ``message_ids`` maps each recipient already mailed to the Message-ID sent, so a
    retry after a failure mails only the others.
    """

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="runs",
                                 verbose_name=_("schedule"))
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices,
                               default=Trigger.SCHEDULED)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until (exclusive)"))
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices,
                              default=RunStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    pdf_path = models.CharField(_("PDF file"), max_length=300, blank=True)
    pdf_size = models.PositiveIntegerField(_("PDF size (bytes)"), default=0)
    error = models.TextField(_("error"), blank=True)
    message_ids = models.JSONField(_("e-mail message IDs"), default=dict, blank=True)
    # The report's headline figures (for the e-mail's text and the runs list).
    headline = models.JSONField(_("headline figures"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="report_run_due")]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_start", "period_end"],
                                    condition=Q(trigger="scheduled"),
                                    name="report_run_once_per_period"),
            models.CheckConstraint(condition=Q(period_end__gt=models.F("period_start")),
                                   name="report_run_period_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.period_start}–{self.period_end} {self.status}"

    @property
    def period(self) -> timing.Period:
        return timing.Period(self.period_start, self.period_end)
