"""Staff pages: log in and out, staff list, API keys, audit log."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangol.accounts import selectors, services
from dangol.accounts.actors import Actor, actor_from_request
from dangol.accounts.forms import ApiKeyForm, StaffForm
from dangol.accounts.permissions import Role
from dangol.core.errors import DomainError
from dangol.web.decorators import permission_required


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        user = form.get_user()
        services.record_audit(actor=Actor(user=user, ip=self.request.META.get("REMOTE_ADDR")),
                              action="login", obj=user)
        return response


class LogoutView(auth_views.LogoutView):
    pass


@login_required
@permission_required("accounts.manage_api_keys")
def api_keys(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    issued = None
    form = ApiKeyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.create_api_key(actor=actor, name=form.cleaned_data["name"],
                                             scopes=form.cleaned_data["scopes"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            form = ApiKeyForm(user=request.user)
    return render(request, "accounts/api_keys.html",
                  {"form": form, "issued": issued, "keys": selectors.list_api_keys()})


@login_required
@permission_required("accounts.manage_api_keys")
@require_POST
def revoke_api_key(request: HttpRequest, key_id: int) -> HttpResponse:
    key = services.revoke_api_key(actor=actor_from_request(request), key_id=key_id)
    messages.success(request, _("Key %(name)s was revoked.") % {"name": key.name})
    return redirect("accounts:api_keys")


@login_required
@permission_required("accounts.manage_staff")
def staff(request: HttpRequest) -> HttpResponse:
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_staff(actor=actor_from_request(request), **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(email)s can now log in.") % {"email": user.email})
            return redirect("accounts:staff")
    return render(request, "accounts/staff.html", {"form": form, "roles": Role.choices,
                                                   "staff": selectors.list_staff()})


@login_required
@permission_required("accounts.manage_staff")
@require_POST
def update_staff(request: HttpRequest, user_id: int) -> HttpResponse:
    """Change a staff member's role, or deactivate / reactivate them."""
    actor = actor_from_request(request)
    try:
        if "role" in request.POST:
            user = services.change_role(actor=actor, user_id=user_id, role=request.POST["role"])
        else:
            user = services.set_active(actor=actor, user_id=user_id,
                                       active=request.POST.get("active") == "1")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(email)s was updated.") % {"email": user.email})
    return redirect("accounts:staff")


@login_required
@permission_required("accounts.view_audit_log")
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = selectors.list_audit_entries(object_type=request.GET.get("type", ""),
                                           object_id=request.GET.get("id", ""))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html", {"page": page})
