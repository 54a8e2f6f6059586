from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.loyalty.models import EarnRule, Program, Tier
from dangol.loyalty.services.program import PROGRAM_FIELDS


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = PROGRAM_FIELDS


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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("min_spend") is None and data.get("min_orders") is None and data.get("rank"):
            self.add_error("min_spend", _("Give a spend or an order count to qualify."))
        return data
