"""Customer pages: list with search, detail, imports and exports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError
from dangol.customers import exports, imports, selectors
from dangol.customers.services import imports as import_services
from dangol.customers.timeline import timeline_for
from dangol.segments.selectors import explain_score, find_score
from dangol.web.decorators import permission_required


@login_required
@permission_required("customers.view")
def customer_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    try:
        page = selectors.paginate(selectors.search_customers(q=q), newest_first=True,
                                  cursor=request.GET.get("cursor"), limit=50)
    except DomainError:
        raise Http404(_("This page of results no longer exists.")) from None
    template = "customers/_rows.html" if request.htmx else "customers/list.html"  # type: ignore[attr-defined]
    return render(request, template, {"page": page, "q": q})


@login_required
@permission_required("customers.view")
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.find_customer_by_pk(pk)
    if customer is None:
        raise Http404(_("No such customer."))
    score = find_score(customer.pk)
    context = {
        "customer": customer,
        "summary": selectors.customer_summary(customer),
        "orders": selectors.list_orders(customer_id=customer.external_id)
        .order_by("-ordered_at")[:50],
        "consents": customer.consents.all(),
        "score": score,
        "score_explanation": explain_score(score) if score is not None else "",
        "timeline": timeline_for(customer, user=request.user, limit=30),
        "recommendations": selectors.list_recommendations(customer=customer, limit=5),
        "recommendation_build": selectors.find_recommendation_build(),
    }
    return render(request, "customers/detail.html", context)


@login_required
@permission_required("customers.import")
def import_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a file to import."))
        else:
            try:
                job = import_services.start_import(actor=actor_from_request(request),
                                            kind=request.POST.get("kind", ""), upload=upload)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                return redirect("customers:import_job", pk=job.pk)
    return render(request, "customers/import.html",
                  {"jobs": selectors.list_import_jobs(), "kinds": imports.KINDS})


@login_required
@permission_required("customers.import")
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        job = selectors.get_import_job(pk)
    except DomainError:
        raise Http404(_("No such import.")) from None
    template = "customers/_job.html" if request.htmx else "customers/import_job.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


@login_required
@permission_required("customers.import")
def import_rejects(request: HttpRequest, pk: int) -> FileResponse:
    try:
        job = selectors.get_import_job(pk)
    except DomainError:
        raise Http404(_("No such import.")) from None
    path = imports.rejects_path(job)
    if not path.exists():
        raise Http404(_("This import refused no rows."))
    return FileResponse(path.open("rb"), as_attachment=True,
                        filename=f"{job.kind}-{job.pk}-rejects.csv")


@login_required
@permission_required("customers.export")
def export(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in exports.ROWS or fmt not in {"csv", "xlsx"}:
        raise Http404
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = StreamingHttpResponse(exports.iter_csv(kind),
                                         content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        exports.write_xlsx(kind, response)
    response["Content-Disposition"] = f'attachment; filename="{kind}-{stamp}.{fmt}"'
    return response
