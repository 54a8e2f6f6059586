"""Analysed customer text: one row per analysed text, one row per theme it mentions."""

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

    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    answer = models.OneToOneField("surveys.Answer", on_delete=models.CASCADE, null=True,
                                  blank=True, related_name="analysis")
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
        ]

    def __str__(self) -> str:
        return f"{self.theme} {self.sentiment}"
