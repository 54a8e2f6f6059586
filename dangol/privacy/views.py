"""Pages of personal-data requests: the list, a new request, one request with its actions."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError, ValidationFailed
from dangol.privacy import selectors, services
from dangol.privacy.models import Kind, Status
from dangol.web.decorators import permission_required

PERMISSION = services.PERMISSION
LIST_LIMIT = 200


class RequestForm(forms.Form):
    customer = forms.CharField(label=gettext_lazy("Customer ID, e-mail or phone"),
                               max_length=254)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of request"), choices=Kind.choices)
    details = forms.CharField(label=gettext_lazy("What was asked"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class VerifyForm(forms.Form):
    identity_verification = forms.CharField(
        label=gettext_lazy("Identity verified by"), max_length=300,
        help_text=gettext_lazy("e.g. logged-in account, mobile phone verification"))


class CompleteForm(forms.Form):
    result_note = forms.CharField(label=gettext_lazy("Result"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class RefuseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for refusal"), max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 2}))


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else name
        messages.error(request, f"{label}: {' '.join(str(e) for e in errors)}")


def _domain_error(request: HttpRequest, error: DomainError, form: forms.Form | None = None,
                  ) -> None:
    labels = {name: field.label for name, field in form.fields.items()} if form else {}
    labels.setdefault("identity_verification", _("Identity verified by"))
    labels.setdefault("customer", _("Customer"))
    labels.setdefault("kind", _("Kind of request"))
    if isinstance(error, ValidationFailed) and error.problems:
        for problem in error.problems:
            messages.error(request, f"{labels.get(problem.field, problem.field)}: "
                                    f"{problem.message}")
    else:
        messages.error(request, str(error.message))


@login_required
@permission_required(PERMISSION)
def request_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    requests = list(selectors.list_requests(status=status)[:LIST_LIMIT])
    now = timezone.now()
    rows = [{"r": r, "days_left": r.days_left(now), "days_over": -r.days_left(now),
             "overdue": r.is_overdue(now)} for r in requests]
    return render(request, "privacy/list.html", {
        "nav_current": "privacy", "rows": rows, "status": status,
        "statuses": Status.choices, "limit": LIST_LIMIT})


@login_required
@permission_required(PERMISSION)
def request_new(request: HttpRequest) -> HttpResponse:
    form = RequestForm(initial={"customer": request.GET.get("customer", "")})
    if request.method == "POST":
        form = RequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                data_request = services.create_request(
                    actor=actor_from_request(request), customer=data["customer"],
                    kind=data["kind"], details=data["details"])
            except DomainError as error:
                _domain_error(request, error, form)
            else:
                messages.success(request, _("Request #%(id)s recorded; reply by %(due)s.") % {
                    "id": data_request.pk,
                    "due": timezone.localtime(data_request.due_at).strftime("%Y-%m-%d")})
                return redirect("privacy:detail", pk=data_request.pk)
        else:
            _form_errors(request, form)
    return render(request, "privacy/new.html", {"nav_current": "privacy", "form": form})


@login_required
@permission_required(PERMISSION)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    data_request = selectors.find_request(pk)
    if data_request is None:
        raise Http404(_("No such request."))
    now = timezone.now()
    return render(request, "privacy/detail.html", {
        "nav_current": "privacy", "req": data_request,
        "days_left": data_request.days_left(now), "overdue": data_request.is_overdue(now),
        "verify_form": VerifyForm(), "complete_form": CompleteForm(),
        "refuse_form": RefuseForm(), "kinds": Kind})


@login_required
@permission_required(PERMISSION)
@require_POST
def request_action(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")
    actor = actor_from_request(request)
    forms_by_action: dict[str, type[forms.Form]] = {
        "verify": VerifyForm, "complete": CompleteForm, "refuse": RefuseForm}
    form = forms_by_action[action](request.POST) if action in forms_by_action else None
    if action == "export":
        try:
            data_request, text = services.export_request(actor=actor, request_pk=pk)
        except DomainError as error:
            _domain_error(request, error)
            return redirect("privacy:detail", pk=pk)
        response = HttpResponse(text, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{services.document_filename(data_request)}"')
        return response
    if form is None:
        messages.error(request, _("Unknown action."))
        return redirect("privacy:detail", pk=pk)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("privacy:detail", pk=pk)
    data = form.cleaned_data
    try:
        if action == "verify":
            services.verify_identity(actor=actor, request_pk=pk,
                                     method=data["identity_verification"])
            messages.success(request, _("Identity verification recorded."))
        elif action == "complete":
            services.complete_request(actor=actor, request_pk=pk,
                                      result_note=data["result_note"])
            messages.success(request, _("Request completed."))
        else:
            services.refuse_request(actor=actor, request_pk=pk, reason=data["reason"])
            messages.success(request, _("Request refused."))
    except DomainError as error:
        _domain_error(request, error, form)
    return redirect("privacy:detail", pk=pk)
