"""Forms of the campaign pages (the services check the values)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.campaigns.models import Campaign, Channel, Purpose
from dangol.campaigns.rendering import PLACEHOLDERS


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    segment = forms.TypedChoiceField(label=_("Segment"), coerce=int)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=Purpose.choices,
        help_text=_("Advertising needs the customer's opt-in, carries (광고) and the opt-out, "
                    "and is not sent by SMS/KakaoTalk at night without night-time consent."))
    subject = forms.CharField(label=_("Subject (e-mail)"), max_length=200, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))
    brand = forms.TypedChoiceField(label=_("Brand kit (e-mail)"), coerce=int, required=False,
                                   empty_value=None)
    holdout_percent = forms.IntegerField(
        label=_("Holdout group (%)"), min_value=0, max_value=90, initial=10,
        help_text=_("This share of the segment, drawn at random, gets nothing, so that the "
                    "campaign's effect on orders can be measured."))
    conversion_days = forms.IntegerField(
        label=_("Conversion window (days)"), min_value=1, max_value=365, initial=7,
        help_text=_("An order within this many days after the message counts as a "
                    "conversion."))

    def __init__(self, *args: Any, segments: list[tuple[int, str]],
                 brands: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = segments
        self.fields["brand"].choices = [("", _("None")), *brands]
        names = ", ".join(f"{{{{{n}}}}} ({label})" for n, label in PLACEHOLDERS.items())
        self.fields["body"].help_text = _("Placeholders: %(names)s") % {"names": names}

    @staticmethod
    def initial_from(campaign: Campaign) -> dict[str, Any]:
        return {"name": campaign.name, "segment": campaign.segment_id,
                "channel": campaign.channel, "purpose": campaign.purpose,
                "subject": campaign.subject, "body": campaign.body, "brand": campaign.brand_id,
                "holdout_percent": campaign.holdout_percent,
                "conversion_days": campaign.conversion_days}

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data["name"], "segment_id": data["segment"], "channel": data["channel"],
                "purpose": data["purpose"], "subject": data.get("subject", ""),
                "body": data["body"], "brand_id": data.get("brand"),
                "holdout_percent": data["holdout_percent"],
                "conversion_days": data["conversion_days"]}


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: send now."))


class TestSendForm(forms.Form):
    address = forms.EmailField(label=_("Send a test to"))


class SettingsForm(forms.Form):
    cap_messages = forms.IntegerField(
        label=_("At most this many advertising messages"), min_value=1, max_value=100,
        required=False, help_text=_("Per customer, over all channels. Empty: no cap."))
    cap_days = forms.IntegerField(label=_("per this many days"), min_value=1, max_value=365)
