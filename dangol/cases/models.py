"""Closed-loop cases: a complaint or an unhappy answer followed up until it is resolved.

A case belongs to a customer and comes from a source (a survey response a rule
picked out, or a staff member who opened it by hand). Every change is written
as a CaseEvent, so the history shows who did what and when.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dangol.core.models import TimeStampedModel


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", pgettext_lazy("case", "Open")
    PENDING = "pending", _("Waiting for the customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


#: Statuses of a case that still needs work (counted by the "open cases" segment rule).
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Source(models.TextChoices):
    SURVEY_RESPONSE = "survey_response", _("Survey response")
    FEEDBACK_ITEM = "feedback_item", _("Review or post")
    MANUAL = "manual", _("Opened by staff")


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", _("Problem fixed")
    REFUND = "refund", _("Refund or compensation")
    REPLACEMENT = "replacement", _("Replacement sent")
    EXPLAINED = "explained", _("Explained to the customer")
    APOLOGY = "apology", _("Apologised")
    FEEDBACK_FORWARDED = "feedback_forwarded", _("Feedback passed on to the team")
    NO_ACTION = "no_action", _("No action needed")
    UNREACHABLE = "unreachable", _("Customer could not be reached")
    DUPLICATE = "duplicate", _("Duplicate case")


class Condition(models.TextChoices):
    """What in a completed survey response, or in a feedback-hub item, opens a case."""

    NPS_AT_MOST = "nps_lte", _("NPS answer at most")
    CSAT_AT_MOST = "csat_lte", _("CSAT answer at most")
    CES_AT_LEAST = "ces_gte", _("CES answer at least")
    NEGATIVE_TEXT = "negative_text", _("Negative written answer")
    NEGATIVE_REVIEW = "negative_review", _("Negative review or post (feedback hub)")


#: Conditions without a threshold.
TEXT_CONDITIONS = (Condition.NEGATIVE_TEXT, Condition.NEGATIVE_REVIEW)
#: A rated review at or below this share of its scale counts as negative (2 of 5).
LOW_RATING_SHARE = 0.4


#: The question type each score condition reads, with the scale it allows.
CONDITION_SCALES: dict[str, tuple[str, int, int]] = {
    Condition.NPS_AT_MOST: ("nps", 0, 10),
    Condition.CSAT_AT_MOST: ("csat", 1, 5),
    Condition.CES_AT_LEAST: ("ces", 1, 7),
}


class CaseRule(TimeStampedModel):
    """Open a case when a completed response to one of ``surveys`` meets ``condition``,
    or (``negative_review``) when a review or post in the feedback hub is negative.

    No surveys chosen means every survey.
    """

    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    surveys = models.ManyToManyField("surveys.Survey", blank=True, related_name="+",
                                     verbose_name=_("surveys"))
    condition = models.CharField(_("condition"), max_length=16, choices=Condition.choices)
    threshold = models.PositiveSmallIntegerField(_("threshold"), null=True, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices,
                                default=Priority.NORMAL)
    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("default assignee"))
    followup_survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("follow-up survey"))
    followup_days = models.PositiveSmallIntegerField(_("follow-up after (days)"), default=7)

    class Meta:
        verbose_name = _("case rule")
        verbose_name_plural = _("case rules")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(condition__in=["negative_text", "negative_review"],
                            threshold__isnull=True)
                | (~Q(condition__in=["negative_text", "negative_review"])
                   & Q(threshold__isnull=False)),
                name="case_rule_threshold_matches_condition"),
        ]

    def __str__(self) -> str:
        return self.name


class Case(TimeStampedModel):
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="cases", verbose_name=_("customer"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    response = models.ForeignKey("surveys.Response", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="cases")
    feedback_item = models.ForeignKey("feedback.FeedbackItem", on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="cases")
    rule = models.ForeignKey(CaseRule, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="cases", verbose_name=_("rule"))
    subject = models.CharField(_("subject"), max_length=200)
    reason = models.TextField(_("reason"), blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices,
                                default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.NEW)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="cases",
                                 verbose_name=_("assignee"))
    due_at = models.DateTimeField(_("due"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    resolution_code = models.CharField(_("resolution"), max_length=20, blank=True,
                                       choices=ResolutionCode.choices)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    followup_survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("follow-up survey"))
    followup_at = models.DateTimeField(_("follow-up survey due"), null=True, blank=True)
    followup_sent_at = models.DateTimeField(_("follow-up survey sent"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-pk"]
        constraints = [
            # A rule opens at most one case per response, however often or however
            # concurrently the completion is handled.
            models.UniqueConstraint(fields=["response", "rule"],
                                    condition=Q(response__isnull=False, rule__isnull=False),
                                    name="case_once_per_response_rule"),
            models.UniqueConstraint(fields=["feedback_item", "rule"],
                                    condition=Q(feedback_item__isnull=False, rule__isnull=False),
                                    name="case_once_per_item_rule"),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | ~Q(resolution_code=""),
                name="case_done_has_resolution"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status"),
            models.Index(fields=["customer", "status"], name="case_customer_status"),
            models.Index(fields=["followup_at"], name="case_followup_due",
                         condition=Q(followup_at__isnull=False, followup_sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()


class EventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("case", "Opened")
    ASSIGNED = "assigned", _("Assigned")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    NOTE = "note", _("Internal note")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Overdue, escalated")
    REPLY = "reply", _("Reply to the customer")
    FOLLOWUP = "followup", _("Follow-up survey")


class CaseEvent(models.Model):
    """One change to a case: what changed from what to what, by whom."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    def _label(self, value: str) -> str:
        labels: dict[str, type[models.TextChoices]] = {
            EventKind.STATUS: Status, EventKind.CREATED: Status, EventKind.REOPENED: Status,
            EventKind.PRIORITY: Priority, EventKind.RESOLVED: ResolutionCode}
        choices = labels.get(self.kind)
        if value and choices is not None and value in choices.values:
            return str(choices(value).label)
        return value

    @property
    def old_display(self) -> str:
        """The old value for people: a status, priority or resolution by its label."""
        return self._label(self.old_value)

    @property
    def new_display(self) -> str:
        return self._label(self.new_value)


class CaseNote(TimeStampedModel):
    """An internal note: seen by staff only, never sent to the customer."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    author_label = models.CharField(max_length=120, blank=True)
    body = models.TextField(_("note"))

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note on {self.case_id}"
