"""Campaign pages: list and frequency cap, the form with a live preview, results."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.campaigns import ab, selectors, services
from dangol.campaigns.forms import CampaignForm, ScheduleForm, SettingsForm, TestSendForm
from dangol.campaigns.models import Campaign
from dangol.core.errors import DomainError, ValidationFailed
from dangol.segments.selectors import list_segments, segment_customers
from dangol.surveys.models import BrandKit
from dangol.web.decorators import permission_required

FORM_FIELDS = {"segment_id": "segment", "brand_id": "brand"}


def _campaign(pk: int) -> Campaign:
    campaign = selectors.find_campaign(pk)
    if campaign is None:
        raise Http404(_("No such campaign."))
    return campaign


def _form(data: Any = None, initial: dict[str, Any] | None = None) -> CampaignForm:
    return CampaignForm(data, initial=initial,
                        segments=[(s.pk, s.name) for s in list_segments()],
                        brands=list(BrandKit.objects.order_by("name").values_list("pk", "name")))


def _add_problems(form: Any, error: ValidationFailed) -> None:
    for problem in error.problems:
        name = FORM_FIELDS.get(problem.field, problem.field)
        if isinstance(form, CampaignForm):
            name = CampaignForm.field_for(name, getattr(form, "cleaned_data", {}))
        form.add_error(name if name in form.fields else None, problem.message)


@login_required
@permission_required("campaigns.view")
def campaign_list(request: HttpRequest) -> HttpResponse:
    current = services.campaign_settings()
    form = SettingsForm(initial={"cap_messages": current.cap_messages,
                                 "cap_days": current.cap_days})
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("campaigns.manage"):
            raise PermissionDenied("campaigns.manage")
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                services.save_settings(actor=actor_from_request(request), **form.cleaned_data)
            except ValidationFailed as error:
                _add_problems(form, error)
            else:
                messages.success(request, _("Frequency cap saved."))
                return redirect("campaigns:list")
        status = 422
    return render(request, "campaigns/list.html", {
        "campaigns": selectors.list_campaigns()[:200], "settings_form": form,
        "nav_current": "campaigns"}, status=status)


@login_required
@permission_required("campaigns.manage")
def campaign_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    campaign = _campaign(pk) if pk is not None else None
    if campaign is not None and not campaign.editable:
        messages.error(request, _("Only a draft campaign can be changed."))
        return redirect("campaigns:detail", pk=campaign.pk)
    initial = CampaignForm.initial_from(campaign) if campaign else {
        "segment": request.GET.get("segment"), "holdout_percent": 10, "conversion_days": 7}
    form = _form(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_campaign(actor=actor_from_request(request),
                                           values=form.values(),
                                           campaign_id=campaign.pk if campaign else None)
        except ValidationFailed as error:
            _add_problems(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("campaigns:detail", pk=saved.pk)
    return render(request, "campaigns/form.html", {
        "form": form, "campaign": campaign, "nav_current": "campaigns",
        "preview": _preview_for(form)},
        status=422 if request.method == "POST" else 200)


def _preview_values(form: CampaignForm) -> dict[str, Any]:
    """What the form holds (its initial values before a submission), for the preview."""
    if form.is_bound:
        values = {k: form.data.get(k, "") for k in
                  ("channel", "purpose", "subject", "body", "segment")}
        values["brand_id"] = form.data.get("brand")
        return values
    return {**form.initial, "brand_id": form.initial.get("brand")}


def _preview_for(form: CampaignForm) -> services.Preview | None:
    values = _preview_values(form)
    if not values.get("body"):
        return None
    try:
        return services.preview(values=values, customer=_sample(values.get("segment")))
    except ValidationFailed:
        return None


def _sample(segment_id: Any) -> Any:
    segment = list_segments().filter(pk=services._int_or_none(segment_id) or 0).first()
    if segment is None:
        return None
    return segment_customers(segment).order_by("pk").first()


@login_required
@permission_required("campaigns.manage")
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The live preview while editing (htmx): the message for the segment's first customer."""
    values = _preview_values(_form(request.POST))
    shown, problems = None, []
    if values.get("body"):
        try:
            shown = services.preview(values=values, customer=_sample(values.get("segment")))
        except ValidationFailed as error:
            problems = error.problems
    return render(request, "campaigns/_preview.html", {"preview": shown,
                                                       "problems": problems})


@login_required
@permission_required("campaigns.view")
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    values = {**CampaignForm.initial_from(campaign), "brand_id": campaign.brand_id}
    sample = _sample(campaign.segment_id)
    results = selectors.campaign_results(campaign)
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "results": results, "effect": _effect(results),
        "ab": _ab(campaign),
        "night_note": campaign.purpose == "ad" and campaign.channel != "email"
        and campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED),
        "preview": services.preview(values=values, customer=sample),
        "schedule_form": ScheduleForm(), "test_form": TestSendForm(
            initial={"address": getattr(request.user, "email", "")}),
        "nav_current": "campaigns"})


def _effect(results: selectors.Results) -> dict[str, Any] | None:
    """The uplift in percentage points, formatted for the page."""
    found = results.uplift
    if found is None:
        return None
    return {"treated": f"{100 * found.treated_rate:.1f}",
            "control": f"{100 * found.control_rate:.1f}",
            "points": f"{100 * found.difference:+.1f}",
            "low": f"{100 * found.interval.low:+.1f}", "high": f"{100 * found.interval.high:+.1f}",
            "p": f"{found.p_value:.3f}",
            "unclear": found.interval.low <= 0 <= found.interval.high}


def _points(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"points": f"{100 * found.difference:+.1f}", "low": f"{100 * found.interval.low:+.1f}",
            "high": f"{100 * found.interval.high:+.1f}", "p": _p(found.p_value),
            "unclear": found.interval.low <= 0 <= found.interval.high}


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"= {value:.3f}"


def _ab(campaign: Campaign) -> dict[str, Any] | None:
    """An A/B test's versions and the test between them, formatted for the page."""
    versions, test = ab.variant_results(campaign)
    if not versions:
        return None
    rows = [{"label": r.variant.label, "weight": r.variant.weight,
             "subject": r.variant.subject, "body": r.variant.body, "messaged": r.messaged,
             "converted": r.converted,
             "rate": f"{100 * r.rate:.1f}" if r.rate is not None else "—",
             "versus": _points(r.versus_holdout)} for r in versions]
    return {"rows": rows, "test": test, "p": _p(test.p_value) if test.p_value is not None
            else "", "statistic": f"{test.statistic:.2f}" if test.statistic is not None
            else "", "difference": _points(test.difference),
            "minimum": ab.MIN_PER_VARIANT, "expected": ab.MIN_EXPECTED}


@login_required
@permission_required("campaigns.manage")
@require_POST
def send(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Send at: enter a date and time."))
        return redirect("campaigns:detail", pk=campaign.pk)
    try:
        done = services.schedule_campaign(actor=actor_from_request(request),
                                          campaign_id=campaign.pk,
                                          send_at=form.cleaned_data["send_at"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The campaign is being sent.")
                         if done.status == Campaign.Status.SENDING
                         else _("The campaign is scheduled."))
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@permission_required("campaigns.manage")
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    try:
        services.cancel_campaign(actor=actor_from_request(request), campaign_id=campaign.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The campaign is cancelled."))
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@permission_required("campaigns.manage")
@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    values = {**CampaignForm.initial_from(campaign), "brand_id": campaign.brand_id,
              "id": campaign.pk}
    sample = _sample(campaign.segment_id)
    try:
        services.send_test(actor=actor_from_request(request), values=values,
                           address=request.POST.get("address", "").strip(), customer=sample)
    except ValidationFailed as error:
        for problem in error.problems:
            messages.error(request, problem.message)
    else:
        messages.success(request, _("Test e-mail sent."))
    return redirect("campaigns:detail", pk=campaign.pk)
