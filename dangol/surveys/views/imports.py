"""Importing a Qualtrics or LimeSurvey export as a draft survey."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError
from dangol.surveys.services.imports import import_survey
from dangol.surveys.views.builder import _show_problems
from dangol.web.decorators import permission_required


@login_required
@permission_required("surveys.manage")
def import_page(request: HttpRequest) -> HttpResponse:
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a .qsf or .lss file."))
        else:
            try:
                result = import_survey(actor=actor_from_request(request), filename=upload.name,
                                       content=upload.read())
            except DomainError as error:
                _show_problems(request, error)
    return render(request, "surveys/import.html", {"result": result, "nav_current": "surveys"})
