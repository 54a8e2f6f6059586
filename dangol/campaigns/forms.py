"""Forms of the campaign pages (the services check the values)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.campaigns.models import Campaign, Channel, Purpose
from dangol.campaigns.rendering import PLACEHOLDERS

# The extra versions of an A/B test; version A is the campaign's own message.
VARIANT_LABELS = ("b", "c", "d")


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

    weight = forms.IntegerField(
        label=_("Weight of version A"), min_value=1, max_value=100, required=False,
        help_text=_("A/B test: each version reaches weight / total of the customers not held "
                    "out. The message above is version A."))

    def __init__(self, *args: Any, segments: list[tuple[int, str]],
                 brands: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for label in VARIANT_LABELS:
            self.fields[f"subject_{label}"] = forms.CharField(
                label=_("Subject of version %(v)s") % {"v": label.upper()}, max_length=200,
                required=False)
            self.fields[f"body_{label}"] = forms.CharField(
                label=_("Message of version %(v)s") % {"v": label.upper()}, required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("Empty: no version %(v)s.") % {"v": label.upper()})
            self.fields[f"weight_{label}"] = forms.IntegerField(
                label=_("Weight of version %(v)s") % {"v": label.upper()}, min_value=1,
                max_value=100, required=False)
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
                "conversion_days": campaign.conversion_days,
                **CampaignForm.variant_initial(campaign)}

    @staticmethod
    def variant_initial(campaign: Campaign) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for variant in campaign.variants.order_by("label"):
            if variant.label == "A":
                initial["weight"] = variant.weight
                continue
            label = variant.label.lower()
            initial |= {f"subject_{label}": variant.subject, f"body_{label}": variant.body,
                        f"weight_{label}": variant.weight}
        return initial

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        variants = [{"subject": data.get(f"subject_{label}") or "",
                     "body": data.get(f"body_{label}") or "",
                     "weight": data.get(f"weight_{label}") or 1}
                    for label in VARIANT_LABELS if (data.get(f"body_{label}") or "").strip()]
        return {"name": data["name"], "segment_id": data["segment"], "channel": data["channel"],
                "purpose": data["purpose"], "subject": data.get("subject", ""),
                "body": data["body"], "brand_id": data.get("brand"),
                "holdout_percent": data["holdout_percent"],
                "conversion_days": data["conversion_days"],
                "weight": data.get("weight") or 1, "variants": variants}

    @staticmethod
    def field_for(problem_field: str, values: dict[str, Any]) -> str:
        """The form field of a service's problem (``variants.0.body`` → ``body_b``)."""
        parts = problem_field.split(".")
        if len(parts) == 3 and parts[0] == "variants" and parts[1].isdigit():
            filled = [label for label in VARIANT_LABELS
                      if (values.get(f"body_{label}") or "").strip()]
            index = int(parts[1])
            label = filled[index] if index < len(filled) else VARIANT_LABELS[index]
            return f"{parts[2]}_{label}"
        return problem_field


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
