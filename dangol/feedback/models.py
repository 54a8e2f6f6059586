"""Analysed customer text (one row per text, one per theme it mentions), the business's
theme taxonomy, and re-analysis runs after the taxonomy changes."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class TextAnalysis(TimeStampedModel):
    """What textkit found in one customer text (a survey answer, later other sources).

    ``masked_text`` is the only copy of the text that pages and exports show:
    phone numbers, e-mail addresses and other personal data are replaced.
    """

    class Source(models.TextChoices):
        SURVEY_ANSWER = "survey_answer", _("Survey answer")
        FEEDBACK_ITEM = "feedback_item", _("Feedback item")

    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    answer = models.OneToOneField("surveys.Answer", on_delete=models.CASCADE, null=True,
                                  blank=True, related_name="analysis")
    feedback_item = models.OneToOneField("feedback.FeedbackItem", on_delete=models.CASCADE,
                                         null=True, blank=True, related_name="analysis")
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    response = models.ForeignKey("surveys.Response", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+")
    language = models.CharField(_("language"), max_length=8)
    sentiment = models.CharField(_("sentiment"), max_length=8, choices=Sentiment.choices)
    sentiment_score = models.FloatField(_("sentiment score"))
    keywords = models.JSONField(_("keywords"), default=list)
    masked_text = models.TextField(_("text (personal data masked)"))

    class Meta:
        verbose_name = _("text analysis")
        verbose_name_plural = _("text analyses")
        indexes = [
            models.Index(fields=["survey", "sentiment"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(sentiment_score__gte=-1) & Q(sentiment_score__lte=1),
                                   name="text_analysis_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.answer_id or self.pk} {self.sentiment}"


class ThemeMention(models.Model):
    """One theme of an analysed text with the sentiment of the clauses that mention it."""

    analysis = models.ForeignKey(TextAnalysis, on_delete=models.CASCADE, related_name="themes")
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    theme = models.CharField(_("theme"), max_length=60)
    sentiment = models.CharField(_("sentiment"), max_length=8, choices=Sentiment.choices)
    score = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("theme mention")
        verbose_name_plural = _("theme mentions")
        constraints = [
            models.UniqueConstraint(fields=["analysis", "theme"], name="theme_mention_once"),
        ]
        indexes = [
            models.Index(fields=["survey", "theme", "sentiment"]),
            # Answers per theme across all surveys (the taxonomy page).
            models.Index(fields=["theme"], name="theme_mention_theme"),
        ]

    def __str__(self) -> str:
        return f"{self.theme} {self.sentiment}"


class ThemeTaxonomy(models.Model):
    """The business's theme taxonomy: one row (pk 1), created from the default on first edit.

    ``revision`` changes with every edit, so each process can keep a compiled
    copy and rebuild it when the revision it holds is no longer the current one.
    ``retired`` keeps the labels of deleted themes for mentions stored before.
    """

    SINGLETON_PK = 1

    version = models.PositiveIntegerField(_("version"), default=1)
    revision = models.UUIDField(default=uuid.uuid4)
    retired = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("theme taxonomy")
        verbose_name_plural = _("theme taxonomies")

    def __str__(self) -> str:
        return f"taxonomy v{self.version}"


class TaxonomyTheme(models.Model):
    """One theme of the business taxonomy: a stable key, labels and cue words per language."""

    taxonomy = models.ForeignKey(ThemeTaxonomy, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(_("key"), max_length=40)
    label_ko = models.CharField(_("Korean label"), max_length=40, blank=True)
    label_en = models.CharField(_("English label"), max_length=40, blank=True)
    cues_ko = models.JSONField(_("Korean cue words"), default=list, blank=True)
    cues_en = models.JSONField(_("English cue words"), default=list, blank=True)
    enabled = models.BooleanField(_("in use"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "name"], name="taxonomy_theme_name_once"),
        ]

    def __str__(self) -> str:
        return self.name

    def label(self, language: str) -> str:
        """The label in ``language``, else the other language's, else the key."""
        first, second = (self.label_en, self.label_ko) if language == "en" else (
            self.label_ko, self.label_en)
        return first or second or self.name


class ReanalysisJob(TimeStampedModel):
    """Finding the themes of already analysed answers again, after a taxonomy change.

    Split into chunks that any worker takes; each chunk replaces the theme
    mentions of its answers in one transaction.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.QUEUED)
    taxonomy_version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    answers_total = models.PositiveIntegerField(default=0)
    answers_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("theme re-analysis")
        verbose_name_plural = _("theme re-analyses")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"reanalysis {self.pk} {self.status}"

    @property
    def active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def percent(self) -> int:
        if not self.answers_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.answers_done / self.answers_total))


class ReanalysisChunk(models.Model):
    """Analyses with ids first_pk..last_pk of one re-analysis; ``done`` once replaced."""

    job = models.ForeignKey(ReanalysisJob, on_delete=models.CASCADE, related_name="chunks")
    first_pk = models.BigIntegerField()
    last_pk = models.BigIntegerField()
    size = models.PositiveIntegerField()
    done = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "first_pk"], name="reanalysis_chunk_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.first_pk}-{self.last_pk}"


class FeedbackItem(TimeStampedModel):
    """One thing a customer said outside a survey: a review, a post, a conversation, a note.

    ``external_id`` is the id the item has at its source; a re-import of the
    same (source, channel, external id) finds this row and changes nothing.
    ``author`` holds the display name with personal data masked.
    """

    class Source(models.TextChoices):
        REVIEW = "review", _("Product review")
        SOCIAL = "social", _("Social post")
        APP_STORE = "app_store", _("App-store review")
        CONVERSATION = "conversation", _("Service conversation")
        INTERVIEW = "interview", _("Interview note")
        WEB_FORM = "web_form", _("Website form")
        OTHER = "other", _("Other")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    channel = models.CharField(_("channel"), max_length=100, blank=True)
    external_id = models.CharField(_("external ID"), max_length=128, blank=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="feedback_items")
    customer_external_id = models.CharField(_("customer ID"), max_length=64, blank=True)
    product = models.ForeignKey("customers.Product", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="feedback_items")
    product_external_id = models.CharField(_("product ID"), max_length=64, blank=True)
    rating = models.DecimalField(_("rating"), max_digits=6, decimal_places=2, null=True,
                                 blank=True)
    rating_scale = models.PositiveSmallIntegerField(_("rating scale"), null=True, blank=True)
    author = models.CharField(_("author (personal data masked)"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    url = models.URLField(_("link"), max_length=500, blank=True)
    occurred_at = models.DateTimeField(_("written at"))
    received_at = models.DateTimeField(_("received at"))
    tags = models.JSONField(_("tags"), default=list, blank=True)

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="feedback_item_newest"),
            models.Index(fields=["source", "channel"], name="feedback_item_source"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "channel", "external_id"],
                                    condition=~Q(external_id=""),
                                    name="feedback_item_external_once"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (
                    Q(rating__gte=0) & Q(rating_scale__isnull=False)
                    & Q(rating__lte=models.F("rating_scale"))),
                name="feedback_item_rating_in_scale"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.channel}:{self.external_id or self.pk}"
