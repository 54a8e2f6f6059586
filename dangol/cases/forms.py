"""Forms of the case pages: they parse types; the services check the rules."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.cases.models import Condition, Priority, ResolutionCode, Status
from dangol.engagement.models import Channel


class CaseForm(forms.Form):
    customer = forms.CharField(label=_("Customer ID"), max_length=64)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    reason = forms.CharField(label=_("What happened"), required=False,
                             widget=forms.Textarea(attrs={"rows": 4}))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices,
                                 initial=Priority.NORMAL)
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, empty_value=None,
                                      required=False)

    def __init__(self, *args: Any, workers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody yet")), *workers]


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, empty_value=None,
                                      required=False)

    def __init__(self, *args: Any, workers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody")), *workers]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"),
                               choices=[(s.value, s.label) for s in
                                        (Status.NEW, Status.OPEN, Status.PENDING)])


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    resolution_code = forms.ChoiceField(
        label=_("Resolution"), choices=[("", _("Choose…")), *ResolutionCode.choices])
    resolution_note = forms.CharField(label=_("Resolution note"), required=False,
                                      max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    followup_survey = forms.TypedChoiceField(
        label=_("Follow-up survey"), coerce=int, empty_value=None, required=False,
        help_text=_("Invites the customer to it some days after the resolution."))

    def __init__(self, *args: Any, surveys: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["followup_survey"].choices = [("", _("None")), *surveys]


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen"), required=False, max_length=5000)


class ReplyForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    subject = forms.CharField(label=_("Subject (e-mail)"), required=False, max_length=200)
    body = forms.CharField(label=_("Message"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 4}))


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    condition = forms.ChoiceField(label=_("Condition"), choices=Condition.choices)
    threshold = forms.IntegerField(
        label=_("Score"), required=False, min_value=0, max_value=10,
        help_text=_("NPS 0-10, CSAT 1-5, CES 1-7; not used for negative written answers."))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices,
                                 initial=Priority.NORMAL)
    surveys = forms.TypedMultipleChoiceField(
        label=_("Surveys"), coerce=int, required=False,
        help_text=_("None chosen: every survey."))
    default_assignee = forms.TypedChoiceField(label=_("Default assignee"), coerce=int,
                                              empty_value=None, required=False)
    followup_survey = forms.TypedChoiceField(
        label=_("Follow-up survey"), coerce=int, empty_value=None, required=False,
        help_text=_("After a case is resolved, its customer is invited to this survey."))
    followup_days = forms.IntegerField(label=_("Follow-up after (days)"), min_value=0,
                                       max_value=365, initial=7, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, workers: list[tuple[int, str]],
                 surveys: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_assignee"].choices = [("", _("Nobody")), *workers]
        self.fields["surveys"].choices = surveys
        self.fields["followup_survey"].choices = [("", _("None")), *surveys]
