"""The website widget: a script any site can embed that pops a short survey.

A site owner pastes ``<script src="https://dangol.example/w/<slug>.js" async>``.
The script (``static/surveys/widget.js``, plain JavaScript, no dependencies)
reads the survey from ``/w/<slug>/survey.json`` and posts the completed
answers to ``/w/<slug>/responses``. Both JSON endpoints answer any origin
(CORS ``*``) and never read or set cookies: the widget runs on someone else's
site and carries no authority. Only a live survey whose anonymous link is
open is served; anything else is a 404.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from dangol.accounts.actors import client_ip
from dangol.core.errors import DomainError, ValidationFailed
from dangol.surveys import selectors
from dangol.surveys.definition import localized
from dangol.surveys.models import Response, Survey
from dangol.surveys.public import _rate_limited
from dangol.surveys.rendering import show_question
from dangol.surveys.services import responses as response_services
from dangol.surveys.services.surveys import is_open

SCRIPT_PATH = Path(__file__).parent / "static" / "surveys" / "widget.js"
MAX_BODY_BYTES = 64 * 1024
SCRIPT_MAX_AGE = 300


@cache
def _script_source() -> bytes:
    return SCRIPT_PATH.read_bytes()


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _error(status: int, code: str, message: str,
           errors: list[dict[str, str]] | None = None) -> HttpResponse:
    body = {"code": code, "message": str(message), "errors": errors or []}
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return _cors(response)


def _open_survey(slug: str) -> Survey | None:
    """The survey the widget may show: live, open now, anonymous link on."""
    survey = selectors.find_survey_by_slug(slug)
    if survey is None or not survey.anonymous_link or is_open(survey):
        return None
    return survey


def _language(survey: Survey, asked: str | None) -> str:
    code = (asked or "").split("-")[0].lower()
    return code if code in survey.languages else survey.default_language


def _not_found() -> HttpResponse:
    return _error(404, "not_found", _("This survey is not available."))


@require_safe
def script(request: HttpRequest, slug: str) -> HttpResponse:
    """The widget script; it learns its survey and server from its own ``src``."""
    if _open_survey(slug) is None:
        response = HttpResponse("/* Dangol: survey not available */",
                                content_type="text/javascript; charset=utf-8", status=404)
    else:
        response = HttpResponse(_script_source(), content_type="text/javascript; charset=utf-8")
        response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    return _cors(response)


def survey_document(survey: Survey, language: str) -> dict[str, Any]:
    """What the widget shows: the live version's questions in one language, and its labels."""
    definition = response_services.definition_of(survey.current_version)  # type: ignore[arg-type]
    fallback = survey.default_language
    seed = secrets.token_hex(4)
    questions = []
    with translation.override(language):
        for question in definition.questions:
            shown = asdict(show_question(question, language=language, fallback=fallback,
                                         seed=seed))
            for unused in ("error", "value", "other_text", "other_selected"):
                shown.pop(unused)
            shown["show_if"] = [c.model_dump(mode="json") for c in question.show_if]
            shown["end_if"] = [c.model_dump(mode="json") for c in question.end_if]
            questions.append(shown)
        brand = survey.brand
        return {
            "slug": survey.public_slug,
            "language": language,
            "title": localized(survey.title, language, fallback) or survey.name,
            "intro": localized(survey.intro, language, fallback),
            "thank_you": localized(survey.thank_you, language, fallback)
            or _("Your answers have been received."),
            "questions": questions,
            "colors": {
                "primary": brand.primary_color if brand else "#1f5f8b",
                "background": brand.background_color if brand else "#ffffff",
                "text": brand.text_color if brand else "#1d2330",
            },
            "labels": {
                "close": _("Close"),
                "submit": _("Submit"),
                "sending": _("Sending…"),
                "thanks": _("Thank you!"),
                "required": _("required"),
                "other": _("Other (please specify)"),
                "check": _("Please check the answers marked below."),
                "failed": _("Your answers could not be sent. Please try again."),
            },
        }


@require_safe
def survey_json(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _open_survey(slug)
    if survey is None:
        return _not_found()
    document = survey_document(survey, _language(survey, request.GET.get("lang")))
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return _cors(response)


@csrf_exempt  # called from other sites without cookies; it carries no authority
def responses(request: HttpRequest, slug: str) -> HttpResponse:
    """Record one completed response; 201, or ``{code, message, errors}`` naming each question."""
    if request.method == "OPTIONS":
        preflight = HttpResponse(status=204)
        preflight["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        preflight["Access-Control-Allow-Headers"] = "Content-Type"
        preflight["Access-Control-Max-Age"] = "86400"
        return _cors(preflight)
    if request.method != "POST":
        refused = _error(405, "method_not_allowed", _("Use POST."))
        refused["Allow"] = "POST, OPTIONS"
        return refused
    survey = _open_survey(slug)
    if survey is None:
        return _not_found()
    if len(request.body) > MAX_BODY_BYTES:
        return _error(413, "too_large", _("The answers are too long."))
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("answers", {}), dict):
        return _error(400, "invalid_json",
                      _("Send a JSON object with the answers under \"answers\"."))
    language = _language(survey, body.get("language"))
    with translation.override(language):
        if _rate_limited(request, survey):
            return _error(429, "rate_limited", _("Too many responses came from your network. "
                                                 "Please try again later."))
        client = response_services.client_fingerprint(
            client_ip(request), request.META.get("HTTP_USER_AGENT", ""))
        try:
            response, _created = response_services.submit_response(
                survey=survey, answers=body.get("answers") or {}, language=language,
                channel=Response.Channel.WIDGET, client_hash=client,
                address_hash=response_services.address_fingerprint(client_ip(request)))
        except ValidationFailed as error:
            return _error(422, error.code, error.message,
                          [problem.as_dict() for problem in error.problems])
        except DomainError as error:
            return _error(error.status, error.code, error.message)
        result = JsonResponse({
            "status": response.status,
            "thank_you": localized(survey.thank_you, language, survey.default_language)
            or _("Your answers have been received."),
            "rewards": response.rewards,
        }, status=201, json_dumps_params={"ensure_ascii": False})
    result["Cache-Control"] = "no-store"
    return _cors(result)
