"""Staff pages for webhook endpoints: list, create, detail with deliveries, replay, test."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.accounts.permissions import Role
from dangol.core.errors import DomainError, NotFound
from dangol.web.decorators import permission_required
from dangol.webhooks import selectors, services
from dangol.webhooks.forms import EndpointForm, ReplayForm, add_domain_error
from dangol.webhooks.models import DeliveryStatus

PERMISSION = "webhooks.manage"
# The secret of a new (or re-keyed) endpoint is shown once, on the next page.
NEW_SECRET_SESSION_KEY = "webhooks_new_secret"  # noqa: S105 (a session key name)


def _missing_is_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from None

    return wrapper


@login_required
@permission_required(PERMISSION)
def endpoints(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None, initial={"event_types": ["*"], "active": True})
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.create_endpoint(actor=actor_from_request(request),
                                                **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            request.session[NEW_SECRET_SESSION_KEY] = [endpoint.pk, endpoint.secret]
            return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)
    return render(request, "webhooks/endpoints.html",
                  {"form": form, "endpoints": selectors.list_endpoints()})


def _detail(request: HttpRequest, endpoint_id: int, *, edit_form: EndpointForm | None = None,
            replay_form: ReplayForm | None = None, status: int = 200) -> HttpResponse:
    endpoint = selectors.get_endpoint(endpoint_id=endpoint_id)
    shown_status = request.GET.get("status", "")
    new_secret = None
    stashed = request.session.pop(NEW_SECRET_SESSION_KEY, None)
    if stashed and stashed[0] == endpoint.pk:
        new_secret = stashed[1]
    edit_form = edit_form or EndpointForm(initial={
        "url": endpoint.url, "description": endpoint.description,
        "event_types": endpoint.event_types, "active": endpoint.active})
    return render(request, "webhooks/endpoint.html", {
        "endpoint": endpoint,
        "new_secret": new_secret,
        "may_view_secret": getattr(request.user, "role", "") == Role.OWNER,
        "deliveries": selectors.recent_deliveries(endpoint_id=endpoint.pk, status=shown_status),
        "status": shown_status,
        "statuses": DeliveryStatus.choices,
        "edit_form": edit_form,
        "replay_form": replay_form or ReplayForm(initial={"event_type": "*"}),
    }, status=status)


@login_required
@permission_required(PERMISSION)
@_missing_is_404
def endpoint(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    if request.method != "POST":
        return _detail(request, endpoint_id)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            services.update_endpoint(actor=actor_from_request(request), endpoint_id=endpoint_id,
                                     **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The endpoint was saved."))
            return redirect("webhooks:endpoint", endpoint_id=endpoint_id)
    return _detail(request, endpoint_id, edit_form=form, status=422)


@login_required
@permission_required(PERMISSION)
@require_POST
@_missing_is_404
def replay(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    form = ReplayForm(request.POST)
    if form.is_valid():
        try:
            result = services.replay(actor=actor_from_request(request), endpoint_id=endpoint_id,
                                     **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("%(count)d events will be sent again.")
                             % {"count": result.deliveries_created})
            return redirect("webhooks:endpoint", endpoint_id=endpoint_id)
    return _detail(request, endpoint_id, replay_form=form, status=422)


@login_required
@permission_required(PERMISSION)
@require_POST
@_missing_is_404
def send_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    try:
        services.send_test_event(actor=actor_from_request(request), endpoint_id=endpoint_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("A test event was sent; its delivery is listed below."))
    return redirect("webhooks:endpoint", endpoint_id=endpoint_id)


@login_required
@permission_required(PERMISSION)
@require_POST
def resend(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    try:
        services.resend_delivery(actor=actor_from_request(request), delivery_id=delivery_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The event is being sent again."))
    return redirect("webhooks:endpoint", endpoint_id=endpoint_id)


@login_required
@permission_required(PERMISSION)
@require_POST
@_missing_is_404
def rotate_secret(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = services.rotate_secret(actor=actor_from_request(request), endpoint_id=endpoint_id)
    request.session[NEW_SECRET_SESSION_KEY] = [endpoint.pk, endpoint.secret]
    return redirect("webhooks:endpoint", endpoint_id=endpoint_id)


@login_required
@permission_required(PERMISSION)
@require_POST
@_missing_is_404
def delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    services.delete_endpoint(actor=actor_from_request(request), endpoint_id=endpoint_id)
    messages.success(request, _("The endpoint was deleted."))
    return redirect("webhooks:endpoints")
