"""Loyalty pages: program figures and settings, rules, member lookup, the customer's card."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError, ValidationFailed
from dangol.customers import selectors as customer_selectors
from dangol.loyalty import selectors, services
from dangol.loyalty.forms import (
    AdjustForm,
    CampaignForm,
    EventForm,
    IssueForm,
    ProgramForm,
    RuleForm,
    TierForm,
)
from dangol.loyalty.models import CouponCampaign, EarnRule, Tier
from dangol.loyalty.services import campaigns as campaign_services
from dangol.loyalty.services import events as event_services
from dangol.loyalty.services import program as program_services
from dangol.loyalty.services.coupons import display_code
from dangol.loyalty.tokens import BadToken, card_url, read_card_token
from dangol.web.decorators import permission_required


@login_required
@permission_required("loyalty.view")
def overview(request: HttpRequest) -> HttpResponse:
    program = services.default_program()
    form = ProgramForm(instance=program)
    if request.method == "POST":
        form = ProgramForm(request.POST, instance=program)
        if form.is_valid():
            try:
                program_services.update_program(
                    actor=actor_from_request(request), program=program, changes=form.cleaned_data
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Program saved."))
                return redirect("loyalty:overview")
        program.refresh_from_db()
    context = {
        "program": program,
        "form": form,
        "figures": selectors.program_figures(program=program),
        "rules": EarnRule.objects.filter(program=program).order_by("kind", "pk"),
        "events": selectors.list_events(program=program)[:20],
        "rule_form": RuleForm(),
        "tiers": Tier.objects.filter(program=program).order_by("rank"),
        "campaigns": selectors.coupon_campaigns(program=program),
        "tier_form": TierForm(),
        "nav_current": "loyalty",
    }
    return render(request, "loyalty/overview.html", context)


def _errors_as_messages(request: HttpRequest, form: Any) -> None:
    """Each field's errors as one message that names the field by its label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        text = " ".join(str(e) for e in errors)
        messages.error(request, f"{label}: {text}" if label else text)


@login_required
@permission_required("loyalty.manage")
def add_rule(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("loyalty:overview")
    form = RuleForm(request.POST)
    if form.is_valid():
        rule = form.save(commit=False)
        rule.program = services.default_program()
        program_services.save_rule(actor=actor_from_request(request), rule=rule)
        messages.success(request, _("Rule saved."))
    else:
        _errors_as_messages(request, form)
    return redirect("loyalty:overview")


@login_required
@permission_required("loyalty.manage")
def add_tier(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("loyalty:overview")
    program = services.default_program()
    form = TierForm(request.POST, instance=Tier(program=program))
    if form.is_valid():
        if Tier.objects.filter(program=program, rank=form.cleaned_data["rank"]).exists():
            messages.error(request, _("Another tier has this rank."))
        else:
            program_services.save_tier(
                actor=actor_from_request(request), tier=form.save(commit=False)
            )
            messages.success(request, _("Tier saved."))
    else:
        _errors_as_messages(request, form)
    return redirect("loyalty:overview")


@login_required
@permission_required("loyalty.view")
def members(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    found = list(customer_selectors.search_customers(q=q)[:20]) if q else []
    if len(found) == 1:
        return redirect("loyalty:member", pk=found[0].pk)
    return render(
        request, "loyalty/members.html", {"q": q, "found": found, "nav_current": "loyalty"}
    )


@login_required
@permission_required("loyalty.view")
def member(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_selectors.find_customer_by_pk(pk)
    if customer is None:
        raise Http404(_("No such customer."))
    form = AdjustForm()
    if request.method == "POST":
        form = AdjustForm(request.POST)
        if form.is_valid():
            try:
                services.adjust_points(
                    actor=actor_from_request(request),
                    customer_pk=customer.pk,
                    points=form.cleaned_data["points"],
                    reason=form.cleaned_data["reason"],
                    idempotency_key=request.POST.get("idempotency_key", ""),
                )
            except ValidationFailed as error:
                for problem in error.problems:
                    form.add_error(
                        problem.field if problem.field in form.fields else None, problem.message
                    )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Points adjusted."))
                return redirect("loyalty:member", pk=customer.pk)
    account = selectors.find_account(customer_pk=customer.pk)
    context = {
        "customer": customer,
        "account": account,
        "form": form,
        "summary": selectors.balance_summary(account=account),
        "entries": selectors.ledger_history(account=account)[:100] if account else [],
        "card_url": card_url(customer_pk=customer.pk),
        "progress": selectors.tier_progress(account=account, customer_pk=customer.pk),
        "tier_changes": selectors.tier_history(account=account)[:20] if account else [],
        "idempotency_key": f"page-{uuid.uuid4()}",
        "nav_current": "loyalty",
    }
    return render(request, "loyalty/member.html", context)


def _program_currency(account: Any) -> str:
    program = account.program if account is not None else selectors.find_default_program()
    return program.currency if program is not None else settings.DEFAULT_CURRENCY


def card(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's own points page: a signed link, no login; Korean or English."""
    try:
        customer_pk = read_card_token(token)
    except BadToken:
        raise Http404(_("This link is not valid.")) from None
    customer = customer_selectors.find_customer_by_pk(customer_pk)
    if customer is None:
        raise Http404(_("This link is not valid."))
    lang = request.GET.get("lang") or customer.language or "ko"
    lang = lang if lang in {"ko", "en"} else "ko"
    account = selectors.find_account(customer_pk=customer.pk)
    with translation.override(lang):
        response = render(
            request,
            "loyalty/card.html",
            {
                "customer": customer,
                "lang": lang,
                "other_lang": "en" if lang == "ko" else "ko",
                "summary": selectors.balance_summary(account=account),
                "progress": selectors.tier_progress(account=account, customer_pk=customer.pk),
                "currency": _program_currency(account),
                "entries": selectors.ledger_history(account=account)[:20] if account else [],
                "coupons": [
                    (c, display_code(c.code))
                    for c in selectors.customer_coupons(customer_pk=customer.pk)[:20]
                ],
            },
        )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- coupon campaigns, the reward catalogue and first-come events ---------------------


def _form_problems(form: Any, error: ValidationFailed) -> None:
    for problem in error.problems:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)


def _campaign_or_404(pk: int) -> CouponCampaign:
    campaign = selectors.find_campaign(campaign_id=pk)
    if campaign is None:
        raise Http404(_("No such coupon campaign."))
    return campaign


def _require_manage(request: HttpRequest) -> None:
    if not request.user.has_perm("loyalty.manage"):
        raise PermissionDenied("loyalty.manage")


@login_required
@permission_required("loyalty.view")
def campaigns(request: HttpRequest) -> HttpResponse:
    """Coupon campaigns (or, with ``rewards``, the reward catalogue) with their use."""
    program = services.default_program()
    rewards_only = request.resolver_match is not None and (
        request.resolver_match.url_name == "rewards"
    )
    rows = selectors.coupon_campaigns(program=program)
    if rewards_only:
        rows = rows.filter(points_cost__isnull=False)
    now = timezone.now()
    return render(
        request,
        "loyalty/campaigns.html",
        {
            "program": program,
            "rows": [(c, selectors.campaign_state(c, now)) for c in rows],
            "rewards_only": rewards_only,
            "nav_current": "loyalty",
        },
    )


@login_required
@permission_required("loyalty.manage")
def campaign_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    campaign = _campaign_or_404(pk) if pk is not None else None
    reward = campaign is None and request.GET.get("reward") == "1"
    form = CampaignForm(
        request.POST if request.method == "POST" else None,
        initial=CampaignForm.initial_from(campaign) if campaign is not None else None,
    )
    if reward:
        form.fields["points_cost"].required = True
    if request.method == "POST" and form.is_valid():
        try:
            saved = campaign_services.save_campaign(
                actor=actor_from_request(request),
                values=form.values(),
                campaign_id=campaign.pk if campaign else None,
            )
        except ValidationFailed as error:
            _form_problems(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("loyalty:campaign", pk=saved.pk)
    return render(
        request,
        "loyalty/campaign_form.html",
        {"form": form, "campaign": campaign, "reward": reward, "nav_current": "loyalty"},
        status=422 if request.method == "POST" else 200,
    )


def _segment_choices() -> list[tuple[int, str]]:
    from dangol.segments.selectors import list_segments

    return [(s.pk, s.name) for s in list_segments()]


@login_required
@permission_required("loyalty.view")
def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    """One campaign: its figures, its codes, issuing codes, pausing and ending."""
    found = _campaign_or_404(pk)
    issue_form = IssueForm(
        initial={"issue_key": f"issue-{uuid.uuid4()}"}, segments=_segment_choices()
    )
    status = 200
    if request.method == "POST":
        _require_manage(request)
        issue_form = IssueForm(request.POST, segments=_segment_choices())
        if issue_form.is_valid():
            done = _issue(request, found, issue_form)
            if done:
                return redirect("loyalty:campaign", pk=found.pk)
        status = 422
    return render(
        request,
        "loyalty/campaign.html",
        {
            "campaign": found,
            "state": selectors.campaign_state(found),
            "stats": selectors.campaign_stats(campaign=found),
            "coupons": [
                (c, display_code(c.code)) for c in selectors.campaign_coupons(campaign=found)[:50]
            ],
            "issue_form": issue_form,
            "nav_current": "loyalty",
        },
        status=status,
    )


def _issue(request: HttpRequest, campaign: CouponCampaign, form: IssueForm) -> bool:
    customer_pks: list[int] = []
    text = form.cleaned_data["customer"].strip()
    if text:
        pk = selectors.find_customer_pk(external_id=text)
        if pk is None:
            found = list(
                customer_selectors.search_customers(q=text).values_list("pk", flat=True)[:2]
            )
            if len(found) != 1:
                form.add_error(
                    "customer",
                    _("No customer matches.")
                    if not found
                    else _("Several customers match; give the customer ID."),
                )
                return False
            pk = found[0]
        customer_pks.append(pk)
    try:
        result = campaign_services.issue_to_customers(
            actor=actor_from_request(request),
            campaign_id=campaign.pk,
            issue_key=form.cleaned_data["issue_key"],
            customer_pks=customer_pks,
            segment_id=form.cleaned_data["segment"],
        )
    except ValidationFailed as error:
        _form_problems(form, error)
        return False
    except DomainError as error:
        form.add_error(None, error.message)
        return False
    messages.success(
        request,
        ngettext(
            "%(issued)s code issued (%(already)s customers already had one from this issue).",
            "%(issued)s codes issued (%(already)s customers already had one from this issue).",
            result.issued,
        )
        % {"issued": f"{result.issued:,}", "already": f"{result.already:,}"},
    )
    return True


@login_required
@permission_required("loyalty.manage")
def campaign_state(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause, resume or end a campaign (POST ``action``)."""
    if request.method != "POST":
        return redirect("loyalty:campaign", pk=pk)
    _campaign_or_404(pk)
    try:
        campaign_services.set_campaign_state(
            actor=actor_from_request(request),
            campaign_id=pk,
            action=request.POST.get("action", ""),
        )
    except ValidationFailed as error:
        for problem in error.problems:
            messages.error(request, f"{problem.field}: {problem.message}")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Campaign updated."))
    return redirect("loyalty:campaign", pk=pk)


def _campaign_choices() -> list[tuple[int, str]]:
    program = services.default_program()
    return [(c.pk, c.name) for c in selectors.open_campaigns(program=program)]


@login_required
@permission_required("loyalty.view")
def events(request: HttpRequest) -> HttpResponse:
    """First-come events and a form to create one."""
    program = services.default_program()
    form = EventForm(campaigns=_campaign_choices())
    status = 200
    if request.method == "POST":
        _require_manage(request)
        form = EventForm(request.POST, campaigns=_campaign_choices())
        if form.is_valid():
            data = form.cleaned_data
            try:
                event = event_services.create_event(
                    actor=actor_from_request(request),
                    name=data["name"],
                    capacity=data["capacity"],
                    points=data["points"] or 0,
                    coupon_campaign_id=data["coupon_campaign"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                )
            except ValidationFailed as error:
                _form_problems(form, error)
            else:
                messages.success(request, _("Event created."))
                return redirect("loyalty:event", pk=event.pk)
        status = 422
    now = timezone.now()
    return render(
        request,
        "loyalty/events.html",
        {
            "rows": [
                (e, selectors.event_state(e, now)) for e in selectors.list_events(program=program)
            ],
            "form": form,
            "nav_current": "loyalty",
        },
        status=status,
    )


@login_required
@permission_required("loyalty.view")
def event(request: HttpRequest, pk: int) -> HttpResponse:
    """One event: its winners in order, and closing it."""
    found = selectors.find_event(event_id=pk)
    if found is None:
        raise Http404(_("No such event."))
    if request.method == "POST":
        _require_manage(request)
        event_services.close_event(actor=actor_from_request(request), event_id=found.pk)
        messages.success(request, _("Event closed."))
        return redirect("loyalty:event", pk=found.pk)
    return render(
        request,
        "loyalty/event.html",
        {
            "event": found,
            "state": selectors.event_state(found),
            "claims": selectors.event_claims(event=found)[:500],
            "nav_current": "loyalty",
        },
    )


# --- editing rules and tiers --------------------------------------------------------


@login_required
@permission_required("loyalty.manage")
def edit_rule(request: HttpRequest, pk: int) -> HttpResponse:
    rule = EarnRule.objects.filter(pk=pk, program=services.default_program()).first()
    if rule is None:
        raise Http404(_("No such rule."))
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        program_services.save_rule(actor=actor_from_request(request), rule=form.save(commit=False))
        messages.success(request, _("Rule saved."))
        return redirect("loyalty:overview")
    return render(
        request,
        "loyalty/edit.html",
        {"form": form, "title": _("Edit rule"), "nav_current": "loyalty"},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@permission_required("loyalty.manage")
def edit_tier(request: HttpRequest, pk: int) -> HttpResponse:
    program = services.default_program()
    tier = Tier.objects.filter(pk=pk, program=program).first()
    if tier is None:
        raise Http404(_("No such tier."))
    form = TierForm(request.POST or None, instance=tier)
    if request.method == "POST" and form.is_valid():
        rank_taken = (
            Tier.objects.filter(program=program, rank=form.cleaned_data["rank"])
            .exclude(pk=tier.pk)
            .exists()
        )
        if rank_taken:
            form.add_error("rank", _("Another tier has this rank."))
        else:
            program_services.save_tier(
                actor=actor_from_request(request), tier=form.save(commit=False)
            )
            messages.success(request, _("Tier saved."))
            return redirect("loyalty:overview")
    return render(
        request,
        "loyalty/edit.html",
        {"form": form, "title": _("Edit tier"), "nav_current": "loyalty"},
        status=422 if request.method == "POST" else 200,
    )
