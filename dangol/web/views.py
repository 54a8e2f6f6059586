from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from dangol.accounts.selectors import list_audit_entries
from dangol.customers import selectors as customer_selectors
from dangol.insights import dashboard as insights_dashboard


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "counts": customer_selectors.home_counts(),
        "recent_orders": customer_selectors.recent_orders(8),
        "recent_activity": list_audit_entries()[:8],
        "insight_tiles": (insights_dashboard.headline_tiles()
                          if request.user.has_perm("insights.view") else []),
        "min_n": insights_dashboard.MIN_N,
    }
    return render(request, "web/home.html", context)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
