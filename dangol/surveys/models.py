"""Surveys, their versions, invitations, responses and answers."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel


def _slug() -> str:
    return secrets.token_urlsafe(9)


def _nonce() -> str:
    return secrets.token_urlsafe(12)


class BrandKit(TimeStampedModel):
    """Logo and colours a survey's public pages wear."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=True)
    logo_type = models.CharField(max_length=40, blank=True)
    primary_color = models.CharField(_("primary colour"), max_length=7, default="#1f5f8b")
    background_color = models.CharField(_("background colour"), max_length=7, default="#ffffff")
    text_color = models.CharField(_("text colour"), max_length=7, default="#1d2330")

    class Meta:
        verbose_name = _("brand kit")
        verbose_name_plural = _("brand kits")

    def __str__(self) -> str:
        return self.name


class Survey(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        CLOSED = "closed", _("Closed")

    class Kind(models.TextChoices):
        NPS = "nps", _("NPS")
        CSAT = "csat", _("CSAT")
        CES = "ces", _("CES")
        CUSTOM = "custom", _("Custom")

    class Purpose(models.TextChoices):
        # COMPLIANCE R1: a survey about a purchased good or service is not an
        # advertisement; a promotional or preference survey is.
        TRANSACTIONAL = "transactional", _("About a purchase or service (not an ad)")
        AD = "ad", _("Promotional or preference survey (an ad)")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.NPS)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.DRAFT)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices,
                               default=Purpose.TRANSACTIONAL)
    languages = models.JSONField(_("languages"), default=list)
    default_language = models.CharField(_("default language"), max_length=8, default="ko")
    title = models.JSONField(_("title"), default=dict)
    intro = models.JSONField(_("introduction"), default=dict, blank=True)
    thank_you = models.JSONField(_("thank-you message"), default=dict, blank=True)
    draft = models.JSONField(_("questions being edited"), default=dict)
    current_version = models.ForeignKey(
        "SurveyVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    one_per_page = models.BooleanField(_("one question per screen"), default=True)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    quota = models.PositiveIntegerField(_("response quota"), null=True, blank=True)
    brand = models.ForeignKey(BrandKit, on_delete=models.SET_NULL, null=True, blank=True,
                              verbose_name=_("brand kit"))
    public_slug = models.CharField(max_length=20, unique=True, default=_slug)
    anonymous_link = models.BooleanField(_("anonymous link open"), default=True)
    invitation_days = models.PositiveIntegerField(_("invitation valid for (days)"), default=30)
    reminder_after_days = models.PositiveIntegerField(
        _("remind non-responders after (days)"), null=True, blank=True)
    max_reminders = models.PositiveIntegerField(_("at most this many reminders"), default=1)
    completed_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class SurveyVersion(models.Model):
    """The questions as published at one moment; answers point at the version they saw."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="survey_version_unique"),
        ]
        ordering = ["survey", "number"]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"


class Trigger(TimeStampedModel):
    """Invite customers automatically: some days after an order, or every quarter."""

    class Kind(models.TextChoices):
        AFTER_ORDER = "after_order", _("Days after an order")
        QUARTERLY = "quarterly", _("Every quarter, each active customer")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="triggers")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    days = models.PositiveIntegerField(_("days"), default=3)
    channel = models.CharField(_("channel"), max_length=8, default="email")
    active = models.BooleanField(_("active"), default=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")


class Invitation(TimeStampedModel):
    """One personal invitation of one customer to one survey (one wave).

    ``wave`` names why it was sent ("order:123", "2026Q4", "batch:7"), so a
    trigger that runs twice cannot invite the same customer twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        BLOCKED = "blocked", _("Not sent (rules)")
        OPENED = "opened", _("Opened")
        STARTED = "started", _("Started")
        COMPLETED = "completed", _("Completed")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="survey_invitations")
    channel = models.CharField(_("channel"), max_length=8, default="email")
    language = models.CharField(_("language"), max_length=8, default="ko")
    wave = models.CharField(max_length=60)
    nonce = models.CharField(max_length=24, unique=True, default=_nonce)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    detail = models.CharField(max_length=300, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_contacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["survey", "customer", "wave"],
                                    name="invitation_once_per_wave"),
        ]
        indexes = [
            models.Index(fields=["customer", "last_contacted_at"]),
            models.Index(fields=["survey", "status"]),
        ]


class Response(TimeStampedModel):
    class Status(models.TextChoices):
        PARTIAL = "partial", _("In progress")
        COMPLETED = "completed", _("Completed")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        KAKAO = "kakao", _("KakaoTalk")
        LINK = "link", _("Link")
        QR = "qr", _("QR code")
        WIDGET = "widget", _("Website widget")
        API = "api", _("API")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    invitation = models.OneToOneField(Invitation, on_delete=models.SET_NULL, null=True,
                                      blank=True, related_name="response")
    customer = models.ForeignKey("customers.Customer", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="survey_responses")
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    language = models.CharField(_("language"), max_length=8)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PARTIAL)
    answers = models.JSONField(default=dict)
    screen = models.PositiveSmallIntegerField(default=0)
    resume_key = models.CharField(max_length=24, unique=True, default=_nonce)
    client_hash = models.CharField(max_length=64, blank=True)
    address_hash = models.CharField(max_length=64, blank=True)
    answers_hash = models.CharField(max_length=64, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    rewards = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [
            models.Index(fields=["survey", "status", "completed_at"]),
            # The duplicate-submission guard and the per-address rate limit.
            models.Index(fields=["survey", "client_hash", "answers_hash"]),
            models.Index(fields=["survey", "address_hash", "created_at"]),
        ]


class Answer(models.Model):
    """One answer (or one matrix row, or one chosen option) in a queryable form.

    Response.answers keeps the whole answer; these rows let counts, NPS and
    means be computed in SQL.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answer_rows")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    question = models.CharField(max_length=40)
    row = models.CharField(max_length=40, blank=True)
    number = models.SmallIntegerField(null=True, blank=True)
    choice = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["survey", "question", "number"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(number__isnull=True) | Q(number__gte=0)
                                   & Q(number__lte=10), name="answer_number_in_scale"),
        ]

    def __str__(self) -> str:
        return f"{self.question}{'.' + self.row if self.row else ''}"


class AddressCount(models.Model):
    """New anonymous responses started from one network address in one minute.

    The per-address rate limit sums the last hour's rows (see
    dangol.surveys.services.ratelimit); older rows are deleted.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    address_hash = models.CharField(max_length=64)
    minute = models.BigIntegerField()  # minutes since 1970-01-01 UTC
    started = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "address_hash", "minute"],
                                    name="address_count_unique"),
        ]
        indexes = [models.Index(fields=["minute"])]

    def __str__(self) -> str:
        return f"{self.address_hash[:8]}@{self.minute}: {self.started}"


# Benchmarks live in their own module; imported here so that Django registers the model.
from dangol.surveys.benchmark_models import Benchmark  # noqa: E402, F401
