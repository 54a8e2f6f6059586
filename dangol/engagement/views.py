"""Pages of engagement: the staff message list, the public unsubscribe page, and the
endpoints SMS providers post delivery reports and replies to."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dangol.core.errors import DomainError, ValidationFailed
from dangol.customers.selectors import find_customer_by_pk, paginate
from dangol.engagement import reports, selectors, services
from dangol.engagement.models import Channel, Status
from dangol.engagement.tokens import BadToken, read_unsubscribe_token
from dangol.web.decorators import permission_required


@login_required
@permission_required("engagement.view")
def message_list(request: HttpRequest) -> HttpResponse:
    filters = {name: request.GET.get(name, "") for name in ("channel", "status", "source")}
    if filters["channel"] not in {"", *Channel.values}:
        filters["channel"] = ""
    if filters["status"] not in {"", *Status.values}:
        filters["status"] = ""
    try:
        messages = selectors.list_messages(channel=filters["channel"], status=filters["status"],
                                           source=filters["source"])
        page = paginate(messages, newest_first=True,
                        cursor=request.GET.get("cursor"), limit=50)
    except DomainError:
        raise Http404(_("This page of results no longer exists.")) from None
    return render(request, "engagement/messages.html", {
        "page": page, "filters": filters, "channels": Channel.choices,
        "statuses": Status.choices, "sources": selectors.message_sources(),
        "nav_current": "engagement",
    })


@login_required
@permission_required("engagement.view")
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.find_message(pk)
    if message is None:
        raise Http404(_("No such message."))
    return render(request, "engagement/message.html",
                  {"message": message, "nav_current": "engagement"})


# --- unsubscribe: no login, no cookies, no CSRF, no redirect (RFC 8058) ---------------


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        customer_id, channel = read_unsubscribe_token(token)
    except BadToken:
        raise Http404(_("This unsubscribe link is not valid.")) from None
    customer = find_customer_by_pk(customer_id)
    if customer is None:
        raise Http404(_("This unsubscribe link is not valid."))
    language = request.GET.get("lang", "")
    if language not in {"ko", "en"}:
        language = "en" if customer.language.startswith("en") else "ko"
    done = False
    if request.method == "POST":
        services.withdraw_ad_consent(customer_id=customer.pk, channel=channel,
                                     source=f"unsubscribe:{channel}")
        done = True
    with translation.override(language):
        return render(request, "engagement/unsubscribe.html", {
            "done": done, "channel": Channel(channel).label, "lang": language,
            "other_lang": "en" if language == "ko" else "ko",
        })


# --- provider callbacks ------------------------------------------------------------------


def _error(error: DomainError) -> JsonResponse:
    body: dict[str, object] = {"code": error.code, "message": str(error.message)}
    if isinstance(error, ValidationFailed):
        body["errors"] = [p.as_dict() for p in error.problems]
    return JsonResponse(body, status=error.status)


@csrf_exempt
@require_POST
def provider_status(request: HttpRequest, provider: str) -> JsonResponse:
    try:
        reports.check_request(provider=provider, body=request.body,
                              signature=request.headers.get(reports.SIGNATURE_HEADER, ""))
        counts = reports.apply_reports(provider=provider,
                                       reports=reports.parse_reports(request.body))
    except DomainError as error:
        return _error(error)
    return JsonResponse(counts)


@csrf_exempt
@require_POST
def provider_inbound(request: HttpRequest, provider: str) -> JsonResponse:
    try:
        reports.check_request(provider=provider, body=request.body,
                              signature=request.headers.get(reports.SIGNATURE_HEADER, ""))
        opted_out = reports.apply_inbound(inbound=reports.parse_inbound(request.body))
    except DomainError as error:
        return _error(error)
    return JsonResponse({"opted_out": opted_out})
