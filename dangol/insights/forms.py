"""Forms of the dashboard filters and of alert rules (the services check the rules again)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.insights import selectors
from dangol.insights.models import Condition, Metric
from dangol.surveys.models import Response


def _channel_choices() -> list[tuple[str, Any]]:
    return [("", _("All channels")), *Response.Channel.choices]


class DashboardForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), required=False, initial="30", choices=[
        ("7", _("Last 7 days")), ("30", _("Last 30 days")), ("90", _("Last 90 days")),
        ("custom", _("From – to"))])
    since = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    survey = forms.TypedChoiceField(label=_("Survey"), required=False, coerce=int,
                                    empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    store = forms.ChoiceField(label=_("Store"), required=False)
    segment = forms.TypedChoiceField(label=_("Segment"), required=False, coerce=int,
                                     empty_value=None)
    grain = forms.ChoiceField(label=_("Trend by"), required=False, choices=[
        ("", _("Automatic")), ("week", _("Week")), ("month", _("Month"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"].choices = [("", _("All surveys")), *selectors.survey_choices()]
        self.fields["channel"].choices = _channel_choices()
        self.fields["store"].choices = [("", _("All stores")),
                                        *[(s, s) for s in selectors.store_choices()]]
        self.fields["segment"].choices = [("", _("All customers")),
                                          *selectors.segment_choices()]


class AlertRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    metric = forms.ChoiceField(label=_("Metric"), choices=Metric.choices)
    condition = forms.ChoiceField(
        label=_("Condition"), choices=Condition.choices,
        help_text=_("Negative spikes and emerging themes are always tested against the "
                    "previous window."))
    threshold = forms.FloatField(
        label=_("Threshold"), required=False,
        help_text=_("NPS in points, CSAT and CES as a mean, rates and shares in percent. "
                    "A negative share fires above it, the others below it."))
    confidence = forms.TypedChoiceField(label=_("Confidence"), coerce=float, initial=0.95,
                                        choices=[(0.8, "80%"), (0.9, "90%"), (0.95, "95%"),
                                                 (0.99, "99%")])
    min_n = forms.IntegerField(label=_("Minimum number of answers"), min_value=1, initial=30,
                               help_text=_("Below this, the rule stays silent."))
    window_days = forms.IntegerField(label=_("Window (days)"), min_value=1, max_value=365,
                                     initial=7)
    survey = forms.TypedChoiceField(label=_("Survey"), required=False, coerce=int,
                                    empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    theme = forms.CharField(label=_("Theme"), required=False, max_length=60,
                            widget=forms.TextInput(attrs={"list": "themes"}),
                            help_text=_("The theme's key, for example 배송 or delivery."))
    emails = forms.CharField(label=_("E-mail addresses"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Separated by commas or new lines."))
    slack_url = forms.CharField(label=_("Slack incoming-webhook URL"), required=False,
                                max_length=500)
    webhook_url = forms.CharField(label=_("Webhook URL"), required=False, max_length=500,
                                  help_text=_("Receives signed JSON (Standard Webhooks)."))
    language = forms.ChoiceField(label=_("Language of the messages"),
                                 choices=[("ko", "한국어"), ("en", "English")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"].choices = [("", _("All surveys")), *selectors.survey_choices()]
        self.fields["channel"].choices = _channel_choices()
