"""Pages of the theme taxonomy: list, add, edit, switch off, delete, reorder, reset,
try a sentence, and re-analyse past answers (thin: parse, call a service, render)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError, ValidationFailed
from dangol.feedback import selectors
from dangol.feedback import taxonomy as services
from dangol.feedback.forms import SampleForm, ThemeForm
from dangol.feedback.selectors import ThemeInfo
from dangol.web.decorators import permission_required


def _language() -> str:
    return (get_language() or "ko")[:2]


@dataclass(frozen=True)
class ThemeRow:
    theme: ThemeInfo
    label: str
    answers: int


@dataclass(frozen=True)
class RetiredRow:
    name: str
    label: str
    answers: int


def _page_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    language = _language()
    snapshot = selectors.taxonomy_snapshot()
    counts = selectors.answers_per_theme()
    labels = snapshot.labels(language)
    known = {t.name for t in snapshot.themes}
    return {
        "nav_current": "feedback", "snapshot": snapshot,
        "rows": [ThemeRow(t, t.label(language), counts.get(t.name, 0))
                 for t in snapshot.themes],
        "retired": [RetiredRow(name, labels.get(name, name), n)
                    for name, n in sorted(counts.items()) if name not in known],
        "job": selectors.latest_reanalysis(),
        "can_manage": request.user.has_perm(services.MANAGE),
        "sample_form": extra.pop("sample_form", None) or SampleForm(),
        **extra,
    }


@login_required
@permission_required(services.VIEW)
def taxonomy_page(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/taxonomy.html", _page_context(request))


def _find(name: str) -> ThemeInfo:
    theme = selectors.taxonomy_snapshot().find(name)
    if theme is None:
        raise Http404(_("No such theme."))
    return theme


def _sample(request: HttpRequest, *, draft: dict[str, str] | None,
            editing: str | None) -> dict[str, Any]:
    """The try-it box's result: the themes found, or the problems of the input."""
    try:
        result = services.analyse_sample(text=request.POST.get("text", ""),
                                         language=_language(), draft=draft, editing=editing)
    except ValidationFailed as error:
        return {"sample_problems": [f"{p.field}: {p.message}" if p.field != "text"
                                    else str(p.message) for p in error.problems]}
    return {"sample": result,
            "sample_themes": [(result.labels.get(t.name, t.name), t) for t in
                              result.analysis.themes]}


def _theme_form(request: HttpRequest, theme: ThemeInfo | None) -> HttpResponse:
    editing = theme.name if theme else None
    posted = request.POST if request.method == "POST" else None
    form = ThemeForm(posted, editing=theme is not None,
                     initial=ThemeForm.initial_for(theme) if theme else None)
    context: dict[str, Any] = {"nav_current": "feedback", "theme": theme, "form": form,
                               "sample_form": SampleForm(posted)}
    shown = form.values() if posted is not None else form.initial
    context["overlaps"] = selectors.cue_overlaps(
        name=editing, cues_ko=services.split_cues(shown.get("cues_ko")),
        cues_en=services.split_cues(shown.get("cues_en")), language=_language())
    status = 200
    if request.method == "POST":
        values = form.values()
        if editing is not None:
            values.pop("name")
        if request.POST.get("action") == "try":
            context.update(_sample(request, draft=values, editing=editing))
            return render(request, "feedback/theme_form.html", context)
        actor = actor_from_request(request)
        try:
            if theme is None:
                services.create_theme(actor=actor, **values)
                messages.success(request, _("Theme added. New answers are analysed with it; "
                                            "re-analyse to apply it to past answers."))
            else:
                services.update_theme(actor=actor, name=theme.name, **values)
                messages.success(request, _("Theme saved. New answers are analysed with it; "
                                            "re-analyse to apply it to past answers."))
            return redirect("feedback:taxonomy")
        except ValidationFailed as error:
            context["errors"] = form.add_problems(error.problems)
            status = 422
        except DomainError as error:
            context["errors"] = [error.message]
            status = 400
    return render(request, "feedback/theme_form.html", context, status=status)


@login_required
@permission_required(services.MANAGE)
def theme_new(request: HttpRequest) -> HttpResponse:
    return _theme_form(request, None)


@login_required
@permission_required(services.MANAGE)
def theme_edit(request: HttpRequest, name: str) -> HttpResponse:
    return _theme_form(request, _find(name))


@login_required
@permission_required(services.VIEW)
@require_POST
def sample(request: HttpRequest) -> HttpResponse:
    """The try-it box: the saved taxonomy, or a theme form's unsaved values (``draft``)."""
    draft = None
    editing = request.POST.get("editing") or None
    if request.POST.get("draft"):
        draft = ThemeForm(request.POST).values()
        if editing is not None:
            draft.pop("name")
    context = {"sample_form": SampleForm(request.POST), **_sample(request, draft=draft,
                                                                    editing=editing)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "feedback/_sample.html", context)
    return render(request, "feedback/taxonomy.html", _page_context(request, **context))


def _run(request: HttpRequest, call: Any, done: str, *,
         prefix_field: bool = False) -> HttpResponse:
    try:
        call(actor=actor_from_request(request))
    except ValidationFailed as error:
        for problem in error.problems:
            messages.error(request, f"{problem.field}: {problem.message}" if prefix_field
                           else str(problem.message))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("feedback:taxonomy")


@login_required
@permission_required(services.MANAGE)
@require_POST
def theme_enable(request: HttpRequest, name: str) -> HttpResponse:
    enabled = request.POST.get("enabled") == "1"
    return _run(request, lambda actor: services.set_theme_enabled(
        actor=actor, name=name, enabled=enabled),
        _("Theme switched on.") if enabled else _("Theme switched off."))


@login_required
@permission_required(services.MANAGE)
@require_POST
def theme_move(request: HttpRequest, name: str) -> HttpResponse:
    offset = -1 if request.POST.get("direction") == "up" else 1
    return _run(request, lambda actor: services.move_theme(actor=actor, name=name,
                                                           offset=offset), _("Order saved."))


@login_required
@permission_required(services.MANAGE)
def theme_delete(request: HttpRequest, name: str) -> HttpResponse:
    theme = _find(name)
    if request.method == "POST":
        return _run(request, lambda actor: services.delete_theme(actor=actor, name=name),
                    _("Theme deleted."))
    return render(request, "feedback/confirm.html", {
        "nav_current": "feedback", "kind": "delete", "theme": theme,
        "label": theme.label(_language()),
        "answers": selectors.answers_per_theme().get(name, 0)})


@login_required
@permission_required(services.MANAGE)
def taxonomy_reset(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _run(request, services.reset_taxonomy, _("The default themes are back."))
    return render(request, "feedback/confirm.html", {"nav_current": "feedback",
                                                     "kind": "reset"})


@login_required
@permission_required(services.MANAGE)
@require_POST
def reanalyse(request: HttpRequest) -> HttpResponse:
    return _run(request, services.start_reanalysis,
                _("Re-analysis started. Past answers get their themes again in the "
                  "background."))


@login_required
@permission_required(services.VIEW)
def reanalysis_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.find_reanalysis(pk)
    if job is None:
        raise Http404(_("No such re-analysis."))
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "feedback/_job.html", {"job": job,
                                                      "snapshot": selectors.taxonomy_snapshot()})
    return redirect("feedback:taxonomy")


@login_required
@permission_required(services.VIEW)
def taxonomy_export(request: HttpRequest) -> HttpResponse:
    """The themes as JSON, for a backup or for ``dangol text analyze --taxonomy``."""
    body = json.dumps(services.export_document(), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dangol-themes.json"'
    return response


@login_required
@permission_required(services.MANAGE)
@require_POST
def taxonomy_import(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("file: choose a JSON file."))
        return redirect("feedback:taxonomy")
    if upload.size and upload.size > services.IMPORT_MAX_BYTES:
        messages.error(request, _("file: the file is larger than 1 MB."))
        return redirect("feedback:taxonomy")
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        messages.error(request, _("file: the file is not UTF-8 text."))
        return redirect("feedback:taxonomy")
    return _run(request, lambda actor: services.import_taxonomy(actor=actor, text=text),
                _("Themes imported. New answers are analysed with them; re-analyse to apply "
                  "them to past answers."), prefix_field=True)
