"""Forms of the survey builder. They turn fields into definition documents; the
services validate those documents, so every rule lives in one place."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangol.surveys.definition import Op, QuestionType
from dangol.surveys.models import BrandKit, Survey

LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}

TYPE_LABELS = [
    (QuestionType.NPS.value, gettext_lazy("NPS (0-10)")),
    (QuestionType.CSAT.value, gettext_lazy("CSAT (1-5)")),
    (QuestionType.CES.value, gettext_lazy("CES (1-7)")),
    (QuestionType.RATING.value, gettext_lazy("Star rating")),
    (QuestionType.SINGLE.value, gettext_lazy("Single choice")),
    (QuestionType.MULTIPLE.value, gettext_lazy("Multiple choice")),
    (QuestionType.TEXT.value, gettext_lazy("Free text")),
    (QuestionType.MATRIX.value, gettext_lazy("Matrix (rows × scale)")),
]

OP_LABELS = [
    ("", "—"),
    (Op.LTE.value, "≤"), (Op.GTE.value, "≥"), (Op.LT.value, "<"), (Op.GT.value, ">"),
    (Op.EQ.value, "="), (Op.NEQ.value, "≠"),
    (Op.ANSWERED.value, gettext_lazy("is answered")),
    (Op.NOT_ANSWERED.value, gettext_lazy("is not answered")),
]


def _language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES.get(code, code)) for code, _name in settings.LANGUAGES]


class NewSurveyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Start from"), choices=Survey.Kind.choices)
    languages = forms.MultipleChoiceField(label=gettext_lazy("Languages"),
                                          widget=forms.CheckboxSelectMultiple,
                                          initial=["ko", "en"])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["languages"].choices = _language_choices()


def _text_fields(form: forms.Form, name: str, label: Any, languages: list[str], *,
                 required_first: bool, textarea: bool = False) -> None:
    for index, code in enumerate(languages):
        field = forms.CharField(
            label=f"{label} ({LANGUAGE_NAMES.get(code, code)})",
            required=required_first and index == 0, max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}) if textarea else forms.TextInput)
        form.fields[f"{name}_{code}"] = field


def _texts(data: dict[str, Any], name: str, languages: list[str]) -> dict[str, str]:
    return {code: data[f"{name}_{code}"].strip() for code in languages
            if data.get(f"{name}_{code}", "").strip()}


_LINE = re.compile(r"\s*\|\s*")


def _parse_options(text: str, languages: list[str]) -> list[dict[str, Any]]:
    """Lines "key | 한국어 | English" (or just the wording: the key is made up)."""
    options = []
    for number, line in enumerate(filter(None, (ln.strip() for ln in text.splitlines())), 1):
        parts = _LINE.split(line)
        if len(parts) == 1:
            key, labels = f"o{number}", parts
        else:
            key, labels = parts[0], parts[1:]
        options.append({"key": key,
                        "label": {code: label for code, label in zip(languages, labels,
                                                                      strict=False) if label}})
    return options


def _format_options(options: list[dict[str, Any]], languages: list[str]) -> str:
    return "\n".join(" | ".join([o["key"], *(o["label"].get(c, "") for c in languages)])
                     for o in options)


class QuestionForm(forms.Form):
    """One question; ``earlier`` are the keys of the questions before it (for branching)."""

    key = forms.CharField(label=gettext_lazy("Key"), max_length=40, required=False,
                          help_text=gettext_lazy("Stays the same across versions and "
                                                 "languages. Leave empty to make one up."))
    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=TYPE_LABELS)
    required = forms.BooleanField(label=gettext_lazy("Answer required"), required=False,
                                  initial=True)
    choices = forms.CharField(
        label=gettext_lazy("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One per line: key | wording per language, e.g. "
                               "'price | 가격 | Price'."))
    allow_other = forms.BooleanField(label=gettext_lazy('Offer "Other, please specify"'),
                                     required=False)
    randomize = forms.BooleanField(label=gettext_lazy("Show choices in random order"),
                                   required=False)
    rows = forms.CharField(label=gettext_lazy("Matrix rows"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=gettext_lazy("One per line, like choices."))
    scale_max = forms.IntegerField(label=gettext_lazy("Highest score (stars, matrix)"),
                                   required=False, min_value=2, max_value=10)
    show_question = forms.ChoiceField(label=gettext_lazy("Show only if question"),
                                      required=False)
    show_op = forms.ChoiceField(label=gettext_lazy("condition"), choices=OP_LABELS,
                                required=False)
    show_value = forms.CharField(label=gettext_lazy("value"), required=False, max_length=40)
    end_op = forms.ChoiceField(label=gettext_lazy("End the survey after this question if "
                                                  "its answer is"),
                               choices=OP_LABELS, required=False)
    end_value = forms.CharField(label=gettext_lazy("value"), required=False, max_length=40)

    def __init__(self, *args: Any, languages: list[str], earlier: list[str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = languages
        _text_fields(self, "text", _("Question"), languages, required_first=True,
                     textarea=True)
        _text_fields(self, "help", _("Help text"), languages, required_first=False)
        self.fields["show_question"].choices = [("", "—")] + [(k, k) for k in earlier]
        order = ["key", "type", *[f"text_{c}" for c in languages],
                 *[f"help_{c}" for c in languages]]
        self.order_fields(order)

    @classmethod
    def initial_from(cls, question: dict[str, Any], languages: list[str]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "key": question["key"], "type": question["type"],
            "required": question.get("required", True),
            "allow_other": question.get("allow_other", False),
            "randomize": question.get("randomize", False),
            "scale_max": question.get("scale_max"),
            "choices": _format_options(question.get("choices", []), languages),
            "rows": _format_options(question.get("rows", []), languages),
        }
        for code in languages:
            initial[f"text_{code}"] = question.get("text", {}).get(code, "")
            initial[f"help_{code}"] = (question.get("help") or {}).get(code, "")
        if question.get("show_if"):
            condition = question["show_if"][0]
            initial.update(show_question=condition["question"], show_op=condition["op"],
                           show_value=_value_text(condition.get("value")))
        if question.get("end_if"):
            condition = question["end_if"][0]
            initial.update(end_op=condition["op"], end_value=_value_text(condition.get("value")))
        return initial

    def question(self, *, fallback_key: str) -> dict[str, Any]:
        """The question document (validated later by the service)."""
        data = self.cleaned_data
        languages = self.languages
        question: dict[str, Any] = {
            "key": data["key"].strip() or fallback_key,
            "type": data["type"], "text": _texts(data, "text", languages),
            "required": data["required"],
        }
        help_text = _texts(data, "help", languages)
        if help_text:
            question["help"] = help_text
        if data["type"] in {QuestionType.SINGLE, QuestionType.MULTIPLE}:
            question["choices"] = _parse_options(data["choices"], languages)
            question["allow_other"] = data["allow_other"]
            question["randomize"] = data["randomize"]
        if data["type"] == QuestionType.MATRIX:
            question["rows"] = _parse_options(data["rows"], languages)
        if data["type"] in {QuestionType.RATING, QuestionType.MATRIX} and data["scale_max"]:
            question["scale_max"] = data["scale_max"]
        if data["show_question"] and data["show_op"]:
            question["show_if"] = [_condition(data["show_question"], data["show_op"],
                                              data["show_value"])]
        if data["end_op"]:
            question["end_if"] = [_condition(question["key"], data["end_op"],
                                             data["end_value"])]
        return question


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _condition(question: str, op: str, value: str) -> dict[str, Any]:
    condition: dict[str, Any] = {"question": question, "op": op}
    if op not in {Op.ANSWERED, Op.NOT_ANSWERED}:
        text = value.strip()
        condition["value"] = int(text) if text.lstrip("-").isdigit() else text
    return condition


class SettingsForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["name", "purpose", "one_per_page", "opens_at", "closes_at", "quota",
                  "anonymous_link", "invitation_days", "reminder_after_days", "max_reminders",
                  "brand"]
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        languages = self.instance.languages
        for name, label in (("title", _("Title")), ("intro", _("Introduction")),
                            ("thank_you", _("Thank-you message"))):
            _text_fields(self, name, label, languages, required_first=name == "title",
                         textarea=name != "title")
            for code in languages:
                self.initial[f"{name}_{code}"] = getattr(self.instance, name).get(code, "")
        self.fields["brand"].queryset = BrandKit.objects.order_by("name")

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        values = {name: data[name] for name in self.Meta.fields}
        for name in ("title", "intro", "thank_you"):
            values[name] = _texts(data, name, self.instance.languages)
        return values


class InviteForm(forms.Form):
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=[
        ("email", gettext_lazy("E-mail")), ("sms", gettext_lazy("SMS")),
        ("kakao", gettext_lazy("KakaoTalk"))])
    segment = forms.TypedChoiceField(label=gettext_lazy("Saved segment"), required=False,
                                     coerce=int, empty_value=None)
    rfm_segment = forms.ChoiceField(label=gettext_lazy("RFM segment"), required=False)
    region = forms.CharField(label=gettext_lazy("Region"), required=False, max_length=50)
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    ordered_within_days = forms.IntegerField(
        label=gettext_lazy("Ordered in the last (days)"), required=False, min_value=1,
        max_value=3650)
    customer_ids = forms.CharField(
        label=gettext_lazy("Only these customer IDs"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Separated by commas, spaces or lines."))
    wave = forms.CharField(label=gettext_lazy("Wave name"), required=False, max_length=60,
                           help_text=gettext_lazy("A customer is invited once per wave. "
                                                  "Default: today's date."))

    def __init__(self, *args: Any, segments: list[tuple[str, str]],
                 saved: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "—"), *saved]
        self.fields["rfm_segment"].choices = [("", _("All customers")), *segments]
        self.fields["language"].choices = [("", "—"), *_language_choices()]

    def customer_id_list(self) -> tuple[str, ...]:
        return tuple(filter(None, re.split(r"[\s,]+", self.cleaned_data["customer_ids"])))


class TriggerForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("When"), choices=[
        ("after_order", gettext_lazy("Days after an order")),
        ("quarterly", gettext_lazy("Every quarter, each active customer"))])
    days = forms.IntegerField(label=gettext_lazy("Days"), min_value=0, max_value=365,
                              initial=3)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=[
        ("email", gettext_lazy("E-mail")), ("sms", gettext_lazy("SMS")),
        ("kakao", gettext_lazy("KakaoTalk"))])
