"""Case pages: the inbox, one case with its actions, and the rules that open cases."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.cases import selectors, services
from dangol.cases.forms import (
    AssignForm,
    CaseForm,
    NoteForm,
    PriorityForm,
    ReopenForm,
    ReplyForm,
    ResolveForm,
    RuleForm,
    StatusForm,
)
from dangol.cases.models import Priority, Status
from dangol.core.errors import DomainError, ValidationFailed
from dangol.customers.models import Customer
from dangol.customers.selectors import paginate
from dangol.surveys.models import Survey
from dangol.web.decorators import permission_required

PAGE_SIZE = 50
VIEWS = ("active", "mine", "unassigned", "overdue", "all")


def _workers() -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in selectors.case_workers()]


def _surveys() -> list[tuple[int, str]]:
    return [(s.pk, s.name) for s in Survey.objects.order_by("name", "pk")]


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else name
        messages.error(request, f"{label}: {' '.join(str(e) for e in errors)}")


def _domain_error(request: HttpRequest, error: DomainError,
                  labels: dict[str, Any] | None = None) -> None:
    if isinstance(error, ValidationFailed) and error.problems:
        for problem in error.problems:
            label = (labels or {}).get(problem.field, problem.field)
            messages.error(request, f"{label}: {problem.message}")
    else:
        messages.error(request, str(error.message))


@login_required
@permission_required("cases.view")
def inbox(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "active")
    if view not in VIEWS:
        view = "active"
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    priority = request.GET.get("priority", "")
    if priority not in Priority.values:
        priority = ""
    filters = selectors.CaseFilters(
        mine=request.user if view == "mine" else None,  # type: ignore[arg-type]
        unassigned=view == "unassigned", overdue=view == "overdue",
        status=status or ("active" if view in {"active", "mine", "unassigned"} else ""),
        priority=priority)
    try:
        page = paginate(selectors.list_cases(filters), cursor=request.GET.get("cursor"),
                        limit=PAGE_SIZE, newest_first=True)
    except DomainError:
        raise Http404(_("This page of results no longer exists.")) from None
    return render(request, "cases/inbox.html", {
        "nav_current": "cases", "page": page, "view": view, "status": status,
        "priority": priority, "counts": selectors.inbox_counts(request.user),  # type: ignore
        "statuses": Status.choices, "priorities": Priority.choices,
        "recovery": selectors.recovery_rate(),
        "views": [("active", pgettext("case", "Open")), ("mine", _("Mine")),
                  ("unassigned", _("Unassigned")), ("overdue", _("Overdue")),
                  ("all", _("All"))],
    })


@login_required
@permission_required("cases.work")
def case_new(request: HttpRequest) -> HttpResponse:
    workers = _workers()
    form = CaseForm(workers=workers, initial={"customer": request.GET.get("customer", "")})
    if request.method == "POST":
        form = CaseForm(request.POST, workers=workers)
        if form.is_valid():
            data = form.cleaned_data
            customer = Customer.objects.filter(external_id=data["customer"].strip()).first()
            if customer is None:
                label = form.fields["customer"].label
                messages.error(request, f"{label}: {_('No customer with this ID.')}")
            else:
                try:
                    case = services.open_case(
                        actor=actor_from_request(request), customer_pk=customer.pk,
                        subject=data["subject"], reason=data["reason"],
                        priority=data["priority"], assignee_pk=data["assignee"])
                except DomainError as error:
                    _domain_error(request, error, {n: f.label for n, f in form.fields.items()})
                else:
                    messages.success(request, _("Case #%(id)s opened.") % {"id": case.pk})
                    return redirect("cases:detail", pk=case.pk)
        else:
            _form_errors(request, form)
    return render(request, "cases/new.html", {"nav_current": "cases", "form": form})


@login_required
@permission_required("cases.view")
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.find_case(pk)
    if case is None:
        raise Http404(_("No such case."))
    workers = _workers()
    language = (get_language() or "ko")[:2]
    return render(request, "cases/detail.html", {
        "nav_current": "cases", "case": case,
        "events": selectors.case_events(case), "notes": selectors.case_notes(case),
        "answers": selectors.response_answers(case.response, language)
        if case.response_id else [],
        "open_elsewhere": selectors.list_cases(selectors.CaseFilters(
            customer=case.customer_id, status="active")).exclude(pk=case.pk)
        if case.customer_id else [],
        "assign_form": AssignForm(workers=workers, initial={"assignee": case.assignee_id}),
        "status_form": StatusForm(initial={"status": case.status}),
        "priority_form": PriorityForm(initial={"priority": case.priority}),
        "note_form": NoteForm(), "reopen_form": ReopenForm(),
        "resolve_form": ResolveForm(surveys=_surveys(),
                                    initial={"followup_survey": case.followup_survey_id}),
        "reply_form": ReplyForm(initial={"channel": "email" if case.customer and
                                         case.customer.email else "sms"}),
        "can_work": request.user.has_perm("cases.work"),
    })


ACTIONS: dict[str, Any] = {
    "assign": AssignForm, "status": StatusForm, "priority": PriorityForm, "note": NoteForm,
    "resolve": ResolveForm, "reopen": ReopenForm, "reply": ReplyForm,
}


@login_required
@permission_required("cases.work")
@require_POST
def case_action(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")
    actor = actor_from_request(request)
    if action == "close":
        form: forms.Form | None = None
    elif action in ACTIONS:
        form_class = ACTIONS[action]
        if form_class is AssignForm:
            form = form_class(request.POST, workers=_workers())
        elif form_class is ResolveForm:
            form = form_class(request.POST, surveys=_surveys())
        else:
            form = form_class(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
            return redirect("cases:detail", pk=pk)
    else:
        messages.error(request, _("Unknown action."))
        return redirect("cases:detail", pk=pk)
    data = form.cleaned_data if form is not None else {}
    try:
        if action == "assign":
            services.assign_case(actor=actor, case_pk=pk, assignee_pk=data["assignee"])
        elif action == "status":
            services.change_status(actor=actor, case_pk=pk, status=data["status"])
        elif action == "priority":
            services.change_priority(actor=actor, case_pk=pk, priority=data["priority"])
        elif action == "note":
            services.add_note(actor=actor, case_pk=pk, body=data["body"])
        elif action == "resolve":
            services.resolve_case(actor=actor, case_pk=pk,
                                  resolution_code=data["resolution_code"],
                                  note=data["resolution_note"],
                                  followup_survey_pk=data["followup_survey"])
        elif action == "reopen":
            services.reopen_case(actor=actor, case_pk=pk, reason=data["reason"])
        elif action == "reply":
            message = services.reply_to_customer(actor=actor, case_pk=pk,
                                                 channel=data["channel"],
                                                 subject=data["subject"], body=data["body"])
            if message.block_reason:
                messages.warning(request, _("The reply was not sent: %(reason)s")
                                 % {"reason": message.get_block_reason_display()})
                return redirect("cases:detail", pk=pk)
        elif action == "close":
            services.close_case(actor=actor, case_pk=pk)
    except DomainError as error:
        labels = {n: f.label for n, f in form.fields.items()} if form is not None else {}
        _domain_error(request, error, labels)
    else:
        messages.success(request, _("Saved."))
    return redirect("cases:detail", pk=pk)


@login_required
@permission_required("cases.view")
def rules(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = None
    if pk is not None:
        rule = selectors.find_rule(pk)
        if rule is None:
            raise Http404(_("No such case rule."))
    workers = _workers()
    surveys = _surveys()
    initial: dict[str, Any] = {}
    if rule is not None:
        initial = {"name": rule.name, "condition": rule.condition, "threshold": rule.threshold,
                   "priority": rule.priority, "default_assignee": rule.default_assignee_id,
                   "active": rule.active, "surveys": [s.pk for s in rule.surveys.all()],
                   "followup_survey": rule.followup_survey_id,
                   "followup_days": rule.followup_days}
    form = RuleForm(workers=workers, surveys=surveys, initial=initial)
    if request.method == "POST":
        form = RuleForm(request.POST, workers=workers, surveys=surveys)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.save_rule(actor=actor_from_request(request), rule_pk=pk,
                                   data=services.RuleInput(
                                       name=data["name"], condition=data["condition"],
                                       threshold=data["threshold"], priority=data["priority"],
                                       survey_pks=data["surveys"],
                                       default_assignee_pk=data["default_assignee"],
                                       active=data["active"],
                                       followup_survey_pk=data["followup_survey"],
                                       followup_days=data["followup_days"]
                                       if data["followup_days"] is not None else 7))
            except DomainError as error:
                _domain_error(request, error, {n: f.label for n, f in form.fields.items()})
            else:
                messages.success(request, _("Rule saved."))
                return redirect("cases:rules")
        else:
            _form_errors(request, form)
    return render(request, "cases/rules.html", {
        "nav_current": "cases", "rules": selectors.list_rules(), "form": form, "rule": rule,
        "can_manage": request.user.has_perm("cases.manage_rules"),
    })
