"""Forms of the webhook pages; the services validate again and name the field."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DomainError, ValidationFailed
from dangol.webhooks import events


def event_type_choices(*, with_all_label: Any) -> list[tuple[str, Any]]:
    return [(events.ALL, with_all_label)] + [
        (t.code, f"{t.code} — {t.label}") for t in events.all_event_types()
        if t.code != events.TEST_EVENT
    ]


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500,
                          widget=forms.TextInput(attrs={"placeholder": "https://",
                                                         "inputmode": "url"}))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(label=_("Event types"),
                                            widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["event_types"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = event_type_choices(with_all_label=_("All events (*)"))


class ReplayForm(forms.Form):
    event_type = forms.ChoiceField(label=_("Event type"))
    since = forms.DateTimeField(label=_("From"),
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = forms.DateTimeField(label=_("Until"),
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["event_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = event_type_choices(with_all_label=_("Every type the endpoint receives"))


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form, next to the field it names."""
    if isinstance(error, ValidationFailed):
        for problem in error.problems:
            form.add_error(problem.field if problem.field in form.fields else None,
                           str(problem.message))
    else:
        form.add_error(None, str(error.message))
