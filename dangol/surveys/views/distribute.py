"""Sending a survey: links and QR code, personal invitations, automatic triggers."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError
from dangol.segments.models import RFMSegment
from dangol.segments.selectors import list_segments
from dangol.surveys import selectors
from dangol.surveys.forms import InviteForm, TriggerForm
from dangol.surveys.models import Trigger
from dangol.surveys.services import invitations as invitation_services
from dangol.surveys.services import surveys as survey_services
from dangol.surveys.views.builder import _show_problems, _survey
from dangol.web.decorators import permission_required


def _audience(form: InviteForm) -> selectors.Audience:
    data = form.cleaned_data
    return selectors.Audience(
        customer_ids=form.customer_id_list(), region=data["region"].strip(),
        language=data["language"], rfm_segment=data["rfm_segment"],
        segment_id=data["segment"],
        ordered_within_days=data["ordered_within_days"])


def _invite_form(data: object = None, initial: dict[str, object] | None = None) -> InviteForm:
    saved = [(s.pk, s.name) for s in list_segments()]
    return InviteForm(data, initial=initial, segments=list(RFMSegment.choices), saved=saved)


@login_required
@permission_required("surveys.view")
def distribute(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    counts = selectors.invitation_counts(survey)
    invitations = list(selectors.list_invitations(survey)[:50])
    states = selectors.message_states([i.message_id for i in invitations if i.message_id])
    rows = [(i, selectors.invitation_status(i, states.get(i.message_id or 0, (None,))[0]))
            for i in invitations]
    return render(request, "surveys/distribute.html", {
        "survey": survey, "tab": "distribute", "nav_current": "surveys",
        "public_link": request.build_absolute_uri(f"/s/{survey.public_slug}/"),
        "invite_form": _invite_form(initial={"segment": request.GET.get("segment")}),
        "trigger_form": TriggerForm(),
        "counts": counts, "rows": rows, "triggers": survey.triggers.order_by("pk"),
    })


@login_required
@permission_required("surveys.send")
def audience_count(request: HttpRequest, pk: int) -> HttpResponse:
    """How many customers the invite form's filters select (updated while editing)."""
    _survey(pk)
    form = _invite_form(request.GET)
    count = selectors.audience_customers(_audience(form)).count() if form.is_valid() else 0
    return HttpResponse(_("%(count)s customers match.") % {"count": f"{count:,}"})


@login_required
@permission_required("surveys.send")
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    form = _invite_form(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else field}"
                                    f": {' '.join(errors)}")
        return redirect("surveys:distribute", pk=survey.pk)
    try:
        result = invitation_services.invite_customers(
            actor=actor_from_request(request), survey=survey,
            customers=selectors.audience_customers(_audience(form)),
            channel=form.cleaned_data["channel"],
            wave=form.cleaned_data["wave"].strip() or date.today().isoformat())
    except DomainError as error:
        _show_problems(request, error)
    else:
        skipped = ", ".join(f"{reason}: {count}" for reason, count in result.skipped.items())
        messages.success(request, _("%(count)d invitations queued.") % {"count": result.invited}
                         + (" " + _("Not invited: %(list)s") % {"list": skipped}
                            if skipped else ""))
    return redirect("surveys:distribute", pk=survey.pk)


@login_required
@permission_required("surveys.send")
@require_POST
def add_trigger(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    form = TriggerForm(request.POST)
    if form.is_valid():
        try:
            survey_services.add_trigger(actor=actor_from_request(request), survey=survey,
                                        **form.cleaned_data)
        except DomainError as error:
            _show_problems(request, error)
    else:
        messages.error(request, _("Check the trigger's fields."))
    return redirect("surveys:distribute", pk=survey.pk)


@login_required
@permission_required("surveys.send")
@require_POST
def toggle_trigger(request: HttpRequest, pk: int, trigger_pk: int) -> HttpResponse:
    survey = _survey(pk)
    trigger = Trigger.objects.filter(pk=trigger_pk, survey=survey).first()
    if trigger is None:
        raise Http404(_("No such trigger."))
    survey_services.set_trigger_active(actor=actor_from_request(request), trigger=trigger,
                                       active=not trigger.active)
    return redirect("surveys:distribute", pk=survey.pk)
