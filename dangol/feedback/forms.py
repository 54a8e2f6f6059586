"""Forms of the theme taxonomy pages (rendering and binding; the services validate)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.core.errors import FieldProblem
from dangol.feedback.selectors import ThemeInfo


class ThemeForm(forms.Form):
    """One theme. Every rule is checked by :func:`dangol.feedback.taxonomy.check_theme`,
    whose problems are attached to these fields by name."""

    name = forms.CharField(
        label=_("Key"), required=False, max_length=200,
        help_text=_("Lower-case Latin letters, digits and _, e.g. parking. Used in links and "
                    "exports; it cannot be changed later."))
    label_ko = forms.CharField(label=_("Korean label"), required=False, max_length=200)
    label_en = forms.CharField(label=_("English label"), required=False, max_length=200)
    cues_ko = forms.CharField(
        label=_("Korean cue words"), required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Separated by commas or one per line. 배송 also finds 배송이, 배송은 and "
                    "당일배송."))
    cues_en = forms.CharField(
        label=_("English cue words"), required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Separated by commas or one per line; a word also finds its plural, and "
                    "several words find that phrase."))

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            del self.fields["name"]

    @staticmethod
    def initial_for(theme: ThemeInfo) -> dict[str, str]:
        return {"name": theme.name, "label_ko": theme.label_ko, "label_en": theme.label_en,
                "cues_ko": ", ".join(theme.cues_ko), "cues_en": ", ".join(theme.cues_en)}

    def values(self) -> dict[str, str]:
        """The raw values as typed (for the services), whatever the form's own checks say."""
        return {name: self.data.get(name, "") for name in
                ("name", "label_ko", "label_en", "cues_ko", "cues_en")}

    def add_problems(self, problems: list[FieldProblem]) -> list[str]:
        """Attach field problems to their fields; returns the messages no field shows."""
        rest = []
        self.full_clean()
        for problem in problems:
            if problem.field in self.fields:
                self.add_error(problem.field, str(problem.message))
            else:
                rest.append(f"{problem.field}: {problem.message}")
        return rest


class SampleForm(forms.Form):
    text = forms.CharField(label=_("Sentence to try"), required=False, max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 2}))
