"""Loyalty pages: program figures and settings, rules, member lookup, the customer's card."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError, ValidationFailed
from dangol.customers import selectors as customer_selectors
from dangol.loyalty import selectors, services
from dangol.loyalty.forms import AdjustForm, ProgramForm, RuleForm, TierForm
from dangol.loyalty.models import EarnRule, Event, Tier
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
        "events": Event.objects.filter(program=program).order_by("-pk")[:20],
        "rule_form": RuleForm(),
        "tiers": Tier.objects.filter(program=program).order_by("rank"),
        "campaigns": selectors.coupon_campaigns(program=program),
        "tier_form": TierForm(),
        "nav_current": "loyalty",
    }
    return render(request, "loyalty/overview.html", context)


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
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(str(e) for e in errors)}")
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
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(str(e) for e in errors)}")
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
