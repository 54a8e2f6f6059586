"""The journey form (the service checks the values)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.campaigns.journey_models import Journey, Trigger
from dangol.campaigns.models import Channel, Purpose
from dangol.campaigns.rendering import JOURNEY_PLACEHOLDERS

# Service field → form field.
FORM_FIELDS = {"survey_id": "survey", "brand_id": "brand",
               "coupon_campaign_id": "coupon_campaign"}


class JourneyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    trigger = forms.ChoiceField(label=_("Trigger"), choices=Trigger.choices)
    days = forms.IntegerField(
        label=_("Days"), min_value=0, max_value=730, required=False,
        help_text=_("Birthday: days before it. After an order: days after it. Win-back: "
                    "days without an order (when no probability is set). Times are in the "
                    "business time zone."))
    p_alive_below = forms.FloatField(
        label=_("Win-back: probability still active below"), min_value=0, max_value=1,
        required=False, help_text=_("From the nightly customer scores, e.g. 0.3. Empty: "
                                    "use the days without an order."))
    survey = forms.TypedChoiceField(label=_("Detractor: survey"), coerce=int, required=False,
                                    empty_value=None)
    nps_at_most = forms.IntegerField(label=_("Detractor: NPS at most"), min_value=0,
                                     max_value=6, initial=6, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=Purpose.choices,
        help_text=_("A coupon, points, a birthday or a win-back message is advertising: it "
                    "needs the customer's opt-in, carries (광고) and the opt-out, and waits "
                    "for the daytime by SMS/KakaoTalk without night-time consent."))
    subject_ko = forms.CharField(label=_("Subject in Korean (e-mail)"), max_length=200,
                                 required=False)
    body_ko = forms.CharField(label=_("Message in Korean"),
                              widget=forms.Textarea(attrs={"rows": 6}))
    subject_en = forms.CharField(label=_("Subject in English (e-mail)"), max_length=200,
                                 required=False)
    body_en = forms.CharField(label=_("Message in English"), required=False,
                              widget=forms.Textarea(attrs={"rows": 6}),
                              help_text=_("For customers whose language is English. Empty: "
                                          "everyone gets the Korean message."))
    brand = forms.TypedChoiceField(label=_("Brand kit (e-mail)"), coerce=int, required=False,
                                   empty_value=None)
    coupon_campaign = forms.TypedChoiceField(
        label=_("Coupon"), coerce=int, required=False, empty_value=None,
        help_text=_("Each customer messaged gets a code of this coupon campaign."))
    points = forms.IntegerField(label=_("Points"), min_value=1, required=False,
                                help_text=_("Given to each customer messaged."))
    holdout_percent = forms.IntegerField(
        label=_("Holdout group (%)"), min_value=0, max_value=90, initial=10,
        help_text=_("This share of customers, drawn at random, gets nothing, so that the "
                    "journey's effect on orders can be measured."))
    reentry_days = forms.IntegerField(
        label=_("Quiet period (days)"), min_value=1, max_value=730, initial=30,
        help_text=_("A customer enters this journey at most once in this many days."))
    conversion_days = forms.IntegerField(
        label=_("Conversion window (days)"), min_value=1, max_value=365, initial=7)
    active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, surveys: list[tuple[int, str]],
                 brands: list[tuple[int, str]], coupons: list[tuple[int, str]],
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, empty, choices in (("survey", _("Any survey"), surveys),
                                     ("brand", _("None"), brands),
                                     ("coupon_campaign", _("None"), coupons)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", empty), *choices]
        names = ", ".join(f"{{{{{n}}}}} ({label})" for n, label in JOURNEY_PLACEHOLDERS.items())
        self.fields["body_ko"].help_text = _("Placeholders: %(names)s") % {"names": names}

    @staticmethod
    def initial_from(journey: Journey) -> dict[str, Any]:
        return {"name": journey.name, "trigger": journey.trigger, "days": journey.days,
                "p_alive_below": journey.p_alive_below, "survey": journey.survey_id,
                "nps_at_most": journey.nps_at_most, "channel": journey.channel,
                "purpose": journey.purpose, "subject_ko": journey.subject_ko,
                "body_ko": journey.body_ko, "subject_en": journey.subject_en,
                "body_en": journey.body_en, "brand": journey.brand_id,
                "coupon_campaign": journey.coupon_campaign_id, "points": journey.points,
                "holdout_percent": journey.holdout_percent,
                "reentry_days": journey.reentry_days,
                "conversion_days": journey.conversion_days, "active": journey.active}

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data["name"], "trigger": data["trigger"], "days": data.get("days"),
                "p_alive_below": data.get("p_alive_below"), "survey_id": data.get("survey"),
                "nps_at_most": data.get("nps_at_most"), "channel": data["channel"],
                "purpose": data["purpose"], "subject_ko": data.get("subject_ko", ""),
                "body_ko": data["body_ko"], "subject_en": data.get("subject_en", ""),
                "body_en": data.get("body_en", ""), "brand_id": data.get("brand"),
                "coupon_campaign_id": data.get("coupon_campaign"),
                "points": data.get("points"), "holdout_percent": data["holdout_percent"],
                "reentry_days": data["reentry_days"],
                "conversion_days": data["conversion_days"], "active": data.get("active")}
