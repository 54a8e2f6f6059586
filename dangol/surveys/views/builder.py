"""The survey builder: create, edit questions (with branches and translations), publish."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError, ValidationFailed
from dangol.surveys import selectors
from dangol.surveys.definition import Definition
from dangol.surveys.forms import NewSurveyForm, QuestionForm, SettingsForm
from dangol.surveys.models import Survey
from dangol.surveys.services import surveys as survey_services
from dangol.surveys.starters import starter
from dangol.web.decorators import permission_required


def _survey(pk: int) -> Survey:
    try:
        return survey_services.get_survey(pk=pk)
    except DomainError:
        raise Http404(_("No such survey.")) from None


def _show_problems(request: HttpRequest, error: DomainError) -> None:
    if isinstance(error, ValidationFailed):
        for problem in error.problems:
            messages.error(request, f"{problem.field}: {problem.message}")
    else:
        messages.error(request, error.message)


@login_required
@permission_required("surveys.view")
def survey_list(request: HttpRequest) -> HttpResponse:
    segment = request.GET.get("segment", "")
    return render(request, "surveys/list.html", {
        "surveys": selectors.list_surveys(), "nav_current": "surveys",
        "segment": segment if segment.isdigit() else ""})


@login_required
@permission_required("surveys.manage")
def survey_new(request: HttpRequest) -> HttpResponse:
    form = NewSurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = survey_services.create_survey(
                actor=actor_from_request(request), name=data["name"], kind=data["kind"],
                languages=data["languages"], definition=starter(data["kind"], data["languages"]))
        except DomainError as error:
            _show_problems(request, error)
        else:
            return redirect("surveys:detail", pk=survey.pk)
    return render(request, "surveys/new.html", {"form": form, "nav_current": "surveys"})


@login_required
@permission_required("surveys.view")
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    questions = (survey.draft or {}).get("questions", [])
    definition = Definition.model_validate(survey.draft or {"questions": []})
    return render(request, "surveys/detail.html", {
        "survey": survey, "questions": questions, "nav_current": "surveys",
        "missing": definition.missing_translations(survey.languages),
        "draft_differs": survey_services.draft_differs(survey),
        "versions": survey.versions.order_by("-number")[:10],
        "tab": "questions",
    })


@login_required
@permission_required("surveys.manage")
def question_edit(request: HttpRequest, pk: int, key: str | None = None) -> HttpResponse:
    """Add a question (no ``key``) or edit the one with ``key``."""
    survey = _survey(pk)
    questions: list[dict[str, Any]] = (survey.draft or {}).get("questions", [])
    keys = [q["key"] for q in questions]
    if key is not None and key not in keys:
        raise Http404(_("No such question."))
    earlier = keys[: keys.index(key)] if key else keys
    initial = QuestionForm.initial_from(questions[keys.index(key)], survey.languages) \
        if key else {"type": "nps" if not questions else "text", "required": True}
    form = QuestionForm(request.POST or None, initial=initial, languages=survey.languages,
                        earlier=earlier)
    if request.method == "POST" and form.is_valid():
        document = form.question(fallback_key=key or survey_services.unused_key(survey))
        try:
            survey_services.put_question(actor=actor_from_request(request), survey=survey,
                                         question=document, replacing=key)
        except DomainError as error:
            _show_problems(request, error)
        else:
            messages.success(request, _("Question saved. Publish to make it live."))
            return redirect("surveys:detail", pk=survey.pk)
    return render(request, "surveys/question.html", {
        "survey": survey, "form": form, "key": key, "nav_current": "surveys"})


@login_required
@permission_required("surveys.manage")
@require_POST
def question_action(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    survey = _survey(pk)
    action = request.POST.get("action")
    actor = actor_from_request(request)
    try:
        if action == "delete":
            survey_services.remove_question(actor=actor, survey=survey, key=key)
        elif action in {"up", "down"}:
            survey_services.move_question(actor=actor, survey=survey, key=key,
                                          offset=-1 if action == "up" else 1)
    except DomainError as error:
        _show_problems(request, error)
    return redirect("surveys:detail", pk=survey.pk)


@login_required
@permission_required("surveys.manage")
@require_POST
def survey_publish(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    try:
        version = survey_services.publish_survey(actor=actor_from_request(request),
                                                 survey=survey)
    except DomainError as error:
        _show_problems(request, error)
    else:
        messages.success(request, _("Version %(number)d is live.") % {"number": version.number})
    return redirect("surveys:detail", pk=survey.pk)


@login_required
@permission_required("surveys.manage")
@require_POST
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    actor = actor_from_request(request)
    try:
        if survey.status == Survey.Status.CLOSED:
            survey_services.reopen_survey(actor=actor, survey=survey)
        else:
            survey_services.close_survey(actor=actor, survey=survey)
    except DomainError as error:
        _show_problems(request, error)
    return redirect("surveys:detail", pk=survey.pk)


@login_required
@permission_required("surveys.manage")
def survey_settings(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    form = SettingsForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        survey.refresh_from_db()
        try:
            survey_services.update_survey(actor=actor_from_request(request), survey=survey,
                                          **values)
        except DomainError as error:
            _show_problems(request, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("surveys:detail", pk=survey.pk)
    return render(request, "surveys/settings.html", {
        "survey": survey, "form": form, "nav_current": "surveys", "tab": "settings"})
