"""Staff pages for surveys (thin: authorise, call a service or selector, render)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangol.surveys import selectors
from dangol.web.decorators import permission_required


@login_required
@permission_required("surveys.view")
def survey_list(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/list.html", {"surveys": selectors.list_surveys(),
                                                 "nav_current": "surveys"})
