from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.loyalty.models import CouponCampaign, EarnRule, Program, Tier
from dangol.loyalty.services.program import PROGRAM_FIELDS


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = PROGRAM_FIELDS

    def clean_earn_unit_amount(self) -> Decimal:
        value = self.cleaned_data["earn_unit_amount"]
        if value is not None and value <= 0:
            raise forms.ValidationError(_("Must be above zero."))
        return value


class RuleForm(forms.ModelForm):
    class Meta:
        model = EarnRule
        fields = (
            "kind",
            "name",
            "category",
            "product",
            "multiplier",
            "starts_at",
            "ends_at",
            "weekdays",
            "active",
        )

    def clean_multiplier(self) -> Decimal:
        value = self.cleaned_data["multiplier"]
        if value is not None and value < 0:
            raise forms.ValidationError(_("Must not be negative."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == EarnRule.Kind.CATEGORY and not data.get("category"):
            self.add_error("category", _("Name the category."))
        if kind == EarnRule.Kind.PRODUCT and not data.get("product"):
            self.add_error("product", _("Choose the product."))
        weekdays = data.get("weekdays") or []
        if not isinstance(weekdays, list) or any(
            not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays
        ):
            self.add_error("weekdays", _("A list of weekday numbers, 0 (Monday) to 6."))
        return data


class AdjustForm(forms.Form):
    points = forms.IntegerField(label=_("Points (+ to add, − to take away)"))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = (
            "name",
            "rank",
            "min_spend",
            "min_orders",
            "earn_multiplier",
            "birthday_points",
            "monthly_coupon",
        )

    def clean_earn_multiplier(self) -> Decimal:
        value = self.cleaned_data["earn_multiplier"]
        if value is not None and value < 1:
            raise forms.ValidationError(_("At least 1 (a tier never earns less)."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("min_spend") is None and data.get("min_orders") is None and data.get("rank"):
            self.add_error("min_spend", _("Give a spend or an order count to qualify."))
        return data


def _when(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class CampaignForm(forms.Form):
    """A coupon campaign; the rules between fields are checked by ``save_campaign``."""

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Discount kind"), choices=CouponCampaign.Kind.choices)
    value = forms.DecimalField(
        label=_("Discount"),
        max_digits=14,
        decimal_places=2,
        help_text=_("An amount in won, or a percent (1–100)."),
    )
    max_discount = forms.DecimalField(
        label=_("Largest discount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=_("For a percent discount: the most it takes off one order."),
    )
    min_spend = forms.DecimalField(
        label=_("Minimum spend"), required=False, max_digits=14, decimal_places=2, initial=0
    )
    starts_at = _when(_("Valid from"))
    ends_at = _when(_("Valid until"))
    valid_days = forms.IntegerField(
        label=_("Valid for (days after issue)"),
        required=False,
        min_value=1,
        max_value=36500,
        help_text=_("Empty: until the campaign ends."),
    )
    multi_use = forms.BooleanField(
        label=_("One code for many uses"),
        required=False,
        help_text=_("Off: each code is used once."),
    )
    member_only = forms.BooleanField(label=_("Members only"), required=False, initial=True)
    per_customer_limit = forms.IntegerField(
        label=_("Uses per customer"), min_value=1, max_value=1_000_000, initial=1
    )
    budget_uses = forms.IntegerField(
        label=_("Total uses (budget)"),
        required=False,
        min_value=1,
        max_value=2_000_000_000,
        help_text=_("Empty: no limit."),
    )
    budget_amount = forms.DecimalField(
        label=_("Total discount budget"),
        required=False,
        max_digits=16,
        decimal_places=2,
        help_text=_("Empty: no limit."),
    )
    points_cost = forms.IntegerField(
        label=_("Price in points"),
        required=False,
        min_value=1,
        max_value=2_000_000_000,
        help_text=_("Set a price to put this coupon in the reward catalogue."),
    )
    auto = forms.ChoiceField(
        label=_("Issued automatically"),
        required=False,
        choices=CouponCampaign.Auto.choices,
        help_text=_(
            "Welcome: every new customer; birthday: each customer in their birthday month. "
            "For a tier's monthly coupon, choose this campaign in the tier editor."
        ),
    )

    @classmethod
    def initial_from(cls, campaign: CouponCampaign) -> dict[str, Any]:
        return {name: getattr(campaign, name) for name in cls.base_fields}

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("min_spend") is None:
            data["min_spend"] = Decimal(0)
        data["auto"] = data.get("auto") or ""
        return data


class IssueForm(forms.Form):
    customer = forms.CharField(
        label=_("Customer ID"),
        required=False,
        max_length=64,
        help_text=_("The customer's ID, e-mail or phone number."),
    )
    segment = forms.TypedChoiceField(
        label=_("Saved segment"), required=False, coerce=int, empty_value=None
    )
    issue_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, segments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "—"), *segments]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("customer") and data.get("segment") is None and not self.errors:
            self.add_error("customer", _("Choose a customer or a segment."))
        return data


class EventForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    capacity = forms.IntegerField(label=_("Winners"), min_value=1, max_value=1_000_000)
    points = forms.IntegerField(
        label=_("Points per winner"), min_value=0, max_value=1_000_000_000, initial=0
    )
    coupon_campaign = forms.TypedChoiceField(
        label=_("Coupon per winner"), required=False, coerce=int, empty_value=None
    )
    starts_at = _when(_("Opens"))
    ends_at = _when(_("Closes"))

    def __init__(self, *args: Any, campaigns: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coupon_campaign"].choices = [("", "—"), *campaigns]
