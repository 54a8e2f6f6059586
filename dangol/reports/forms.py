"""Forms of the report pages: they parse types; the services check the rules."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.reports.models import Frequency, Language, ReportSchedule, Section, Weekday
from dangol.reports.services import ScheduleInput, parse_recipients

HOURS = [(h, f"{h:02d}:00") for h in range(24)]


class ScheduleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    sections = forms.MultipleChoiceField(label=_("Sections"), choices=Section.choices,
                                         widget=forms.CheckboxSelectMultiple, required=False)
    survey = forms.TypedChoiceField(
        label=_("Survey"), coerce=int, empty_value=None, required=False,
        help_text=_("Scores, trend and themes of this survey only; cases and loyalty figures "
                    "are always the whole business's."))
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices,
                                  initial=Frequency.WEEKLY)
    weekday = forms.TypedChoiceField(label=_("Weekday (weekly)"), coerce=int,
                                     empty_value=None, required=False,
                                     choices=[("", "—"), *Weekday.choices],
                                     initial=Weekday.MONDAY)
    day_of_month = forms.IntegerField(
        label=_("Day of the month (monthly)"), required=False, initial=1,
        help_text=_("1 to 31; a day a month does not have means its last day. A monthly "
                    "report covers the calendar month before the one it is sent in."))
    hour = forms.TypedChoiceField(label=_("Hour"), coerce=int, choices=HOURS, initial=9,
                                  help_text=_("In the business time zone."))
    language = forms.ChoiceField(label=_("Language of the report"), choices=Language.choices)
    recipients = forms.CharField(
        label=_("Recipients"), widget=forms.Textarea(attrs={"rows": 3}),
        required=False, help_text=_("E-mail addresses, one per line or separated by commas."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, surveys: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        survey = self.fields["survey"]
        assert isinstance(survey, forms.ChoiceField)
        survey.choices = [("", _("All surveys")), *surveys]

    @classmethod
    def initial_for(cls, schedule: ReportSchedule) -> dict[str, Any]:
        return {"name": schedule.name, "sections": schedule.sections,
                "survey": schedule.survey_id, "frequency": schedule.frequency,
                "weekday": schedule.weekday, "day_of_month": schedule.day_of_month,
                "hour": schedule.hour, "language": schedule.language,
                "recipients": "\n".join(schedule.recipients), "active": schedule.active}

    def to_input(self) -> ScheduleInput:
        data = self.cleaned_data
        return ScheduleInput(
            name=data["name"], sections=list(data["sections"]), survey_pk=data["survey"],
            frequency=data["frequency"], weekday=data["weekday"],
            day_of_month=data["day_of_month"], hour=data["hour"], language=data["language"],
            recipients=parse_recipients(data["recipients"]), active=data["active"])
