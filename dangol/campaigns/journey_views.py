"""Journey pages: the list, the form, and a journey's entries and results."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.campaigns import journey_selectors as selectors
from dangol.campaigns import journeys as services
from dangol.campaigns.journey_forms import FORM_FIELDS, JourneyForm
from dangol.campaigns.journey_models import Journey, JourneyEntry, Trigger
from dangol.core.errors import ValidationFailed
from dangol.loyalty.models import CouponCampaign
from dangol.surveys.models import BrandKit, Survey
from dangol.web.decorators import permission_required

ENTRIES_SHOWN = 200


def _journey(pk: int) -> Journey:
    journey = selectors.find_journey(pk)
    if journey is None:
        raise Http404(_("No such journey."))
    return journey


def _form(data: Any = None, initial: dict[str, Any] | None = None) -> JourneyForm:
    return JourneyForm(
        data, initial=initial,
        surveys=list(Survey.objects.order_by("name").values_list("pk", "name")),
        brands=list(BrandKit.objects.order_by("name").values_list("pk", "name")),
        coupons=list(CouponCampaign.objects.filter(active=True).order_by("name")
                     .values_list("pk", "name")))


@login_required
@permission_required("campaigns.view")
def journey_list(request: HttpRequest) -> HttpResponse:
    journeys = selectors.list_journeys().annotate(entered=Count("entries"))[:200]
    return render(request, "campaigns/journeys/list.html", {
        "journeys": journeys, "nav_current": "campaigns"})


@login_required
@permission_required("campaigns.manage")
def journey_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    journey = _journey(pk) if pk is not None else None
    initial = JourneyForm.initial_from(journey) if journey else {
        "trigger": request.GET.get("trigger") or Trigger.BIRTHDAY, "days": 3,
        "holdout_percent": 10, "reentry_days": 30, "conversion_days": 7, "nps_at_most": 6}
    form = _form(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_journey(actor=actor_from_request(request),
                                          values=form.values(),
                                          journey_id=journey.pk if journey else None)
        except ValidationFailed as error:
            for problem in error.problems:
                name = FORM_FIELDS.get(problem.field, problem.field)
                form.add_error(name if name in form.fields else None, problem.message)
        else:
            messages.success(request, _("Journey saved."))
            return redirect("campaigns:journey_detail", pk=saved.pk)
    return render(request, "campaigns/journeys/form.html", {
        "form": form, "journey": journey, "nav_current": "campaigns"},
        status=422 if request.method == "POST" else 200)


@login_required
@permission_required("campaigns.view")
def journey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    journey = _journey(pk)
    outcome = request.GET.get("outcome", "")
    entries = selectors.journey_entries(journey)
    if outcome in JourneyEntry.Outcome.values:
        entries = entries.filter(outcome=outcome)
    results = selectors.journey_results(journey)
    shown = [(entry, services.reason_label(entry.reason) if entry.reason else "")
             for entry in entries[:ENTRIES_SHOWN]]
    return render(request, "campaigns/journeys/detail.html", {
        "journey": journey, "results": results, "effect": _effect(results),
        "reasons": [(code, services.reason_label(code), n)
                    for code, n in sorted(results.reasons.items())],
        "entries": shown, "outcome": outcome,
        "outcomes": JourneyEntry.Outcome.choices, "shown": ENTRIES_SHOWN,
        "previews": services.preview_journey(journey), "nav_current": "campaigns"})


def _effect(results: selectors.JourneyResults) -> dict[str, Any] | None:
    found = results.uplift
    if found is None:
        return None
    return {"treated": f"{100 * found.treated_rate:.1f}",
            "control": f"{100 * found.control_rate:.1f}",
            "points": f"{100 * found.difference:+.1f}",
            "low": f"{100 * found.interval.low:+.1f}", "high": f"{100 * found.interval.high:+.1f}",
            "p": f"{found.p_value:.3f}",
            "unclear": found.interval.low <= 0 <= found.interval.high}


@login_required
@permission_required("campaigns.manage")
@require_POST
def journey_active(request: HttpRequest, pk: int) -> HttpResponse:
    journey = _journey(pk)
    active = request.POST.get("active") == "1"
    services.set_journey_active(actor=actor_from_request(request), journey_id=journey.pk,
                                active=active)
    messages.success(request, _("The journey is on.") if active else _("The journey is off."))
    return redirect("campaigns:journey_detail", pk=journey.pk)
