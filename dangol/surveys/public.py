"""The respondent's pages: no login, no JavaScript needed, one screen at a time.

Anonymous link ``/s/<slug>/`` and personal link ``/i/<token>/``. A response
is created on the first submitted screen (not on viewing), kept in a signed
cookie for anonymous respondents (so they resume where they left off) and
tied to the invitation for personal links (so it resumes on any device).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from dangol.accounts.actors import client_ip
from dangol.core.errors import DomainError, FieldProblem
from dangol.surveys import selectors
from dangol.surveys.answers import from_form
from dangol.surveys.definition import localized
from dangol.surveys.models import Invitation, Response, Survey, SurveyVersion
from dangol.surveys.rendering import show_screen
from dangol.surveys.services import invitations as invitation_services
from dangol.surveys.services import oneshot
from dangol.surveys.services import responses as response_services
from dangol.surveys.services.surveys import is_open

COOKIE_SALT = "dangol.surveys.resume"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30


def _cookie_name(survey: Survey) -> str:
    return f"dgs_{survey.public_slug}"


def _language(request: HttpRequest, survey: Survey, response: Response | None,
              invitation: Invitation | None) -> str:
    asked = request.GET.get("lang") or request.POST.get("lang")
    if asked in survey.languages:
        return asked  # type: ignore[return-value]
    if response is not None and response.language in survey.languages:
        return response.language
    if invitation is not None and invitation.language in survey.languages:
        return invitation.language
    browser = translation.get_language_from_request(request)
    return browser if browser in survey.languages else survey.default_language


def _message_page(request: HttpRequest, survey: Survey | None, language: str, title: str,
                  text: str, status: int = 200) -> HttpResponse:
    with translation.override(language):
        return render(request, "surveys/public/message.html", {
            "survey": survey, "language": language, "heading": title, "text": text,
        }, status=status)


def _address(request: HttpRequest) -> str:
    return response_services.address_fingerprint(client_ip(request))


def _rate_limited(request: HttpRequest, survey: Survey) -> bool:
    """More new anonymous responses from this address in the last hour than allowed."""
    return response_services.too_many_from(survey, _address(request),
                                           limit=settings.SURVEY_RATE_LIMIT_PER_HOUR)


@never_cache
@csrf_exempt  # respondents may have no session; the form carries no authority
def anonymous(request: HttpRequest, slug: str) -> HttpResponse:
    survey = (oneshot.find_survey_to_answer(slug) if request.method == "POST"
              else selectors.find_survey_by_slug(slug))
    if survey is None or not survey.anonymous_link:
        return _message_page(request, None, translation.get_language_from_request(request),
                             _("Survey not found"), _("This survey link is not valid."), 404)
    resume = request.get_signed_cookie(_cookie_name(survey), default=None, salt=COOKIE_SALT)
    response = selectors.find_response_by_resume_key(survey, resume) if resume else None
    channel = request.GET.get("via", "link")
    channel = channel if channel in {"link", "qr", "widget"} else "link"
    return _answer(request, survey, response=response, invitation=None, channel=channel)


@never_cache
@csrf_exempt
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    language = translation.get_language_from_request(request)
    try:
        invite = invitation_services.read_token(token)
    except DomainError as error:
        heading = _("Link expired") if error.code == "link_expired" else _("Link not valid")
        return _message_page(request, None, language, heading, error.message, 404)
    invitation_services.mark_opened(invite)
    response = Response.objects.filter(invitation=invite).select_related("version").first()
    return _answer(request, invite.survey, response=response, invitation=invite,
                   channel=invite.channel)


def _answer(request: HttpRequest, survey: Survey, *, response: Response | None,
            invitation: Invitation | None, channel: str) -> HttpResponse:
    language = _language(request, survey, response, invitation)
    if response is not None and response.status == Response.Status.COMPLETED:
        if request.method == "POST":
            return _message_page(request, survey, language, _("Already answered"),
                                 _("You have already answered this survey. Your answers were "
                                   "not changed."), 409)
        return _thanks(request, survey, response, language)
    closed = is_open(survey)
    if closed:
        return _message_page(request, survey, language, _("Survey closed"), closed)
    version = response.version if response else survey.current_version
    definition = response_services.definition_of(version)  # type: ignore[arg-type]
    screens = response_services.screens_of(survey, definition)
    answers: dict[str, Any] = dict(response.answers) if response else {}
    screen = response.screen if response else 0
    problems: list[FieldProblem] = []
    values: dict[str, Any] = answers
    if request.method == "POST":
        if request.POST.get("action") == "back" and response is not None:
            screen = response_services.previous_screen(survey, definition, answers,
                                                       int(request.POST.get("screen", screen)))
            Response.objects.filter(pk=response.pk).update(screen=screen)
            return HttpResponseRedirect(_here(request, language))
        try:
            screen = int(request.POST.get("screen", screen))
        except ValueError:
            screen = 0
        screen = min(max(screen, 0), len(screens) - 1)
        questions = response_services.visible_on(screens[screen], answers)
        raw = from_form(questions, request.POST)
        autosave = request.POST.get("action") == "autosave"
        if autosave and response is None and not raw:
            return HttpResponse(status=204)
        if response is None and invitation is None and not autosave:
            finished = oneshot.completing_answers(survey, definition, screens, screen, raw)
            if finished is not None and version is not None:
                return _complete_at_once(request, survey, version, definition, finished,
                                         language, channel)
        if response is None:
            if invitation is None and _rate_limited(request, survey):
                return _message_page(request, survey, language, _("Too many responses"),
                                     _("Too many responses came from your network. Please try "
                                       "again later."), 429)
            client = response_services.client_fingerprint(
                client_ip(request), request.META.get("HTTP_USER_AGENT", ""))
            response = response_services.start_response(
                survey=survey, language=language, channel=channel, invitation=invitation,
                client_hash=client, address_hash=_address(request))
        if autosave:
            response_services.keep_partial(response=response, screen=screen, submitted=raw)
            saved = HttpResponse(status=204)
            if invitation is None:
                saved.set_signed_cookie(_cookie_name(survey), response.resume_key,
                                        salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE,
                                        httponly=True, samesite="Lax")
            return saved
        try:
            # Rewards and messages made while completing speak the respondent's language.
            with translation.override(language):
                result = response_services.save_screen(response=response, screen=screen,
                                                       submitted=raw, language=language)
        except DomainError as error:
            if error.code == "already_completed":
                return _message_page(request, survey, language, _("Already answered"),
                                     _("You have already answered this survey. Your answers "
                                       "were not changed."), 409)
            return _message_page(request, survey, language, _("Not saved"), error.message, 409)
        redirect = HttpResponseRedirect(_here(request, language))
        if invitation is None:
            redirect.set_signed_cookie(_cookie_name(survey), response.resume_key,
                                       salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE,
                                       httponly=True, samesite="Lax")
        if not result.problems:
            return redirect
        problems = result.problems
        values = {**answers, **raw}
        if invitation is None:
            # Keep the new response on a re-shown page too.
            page = _screen_page(request, survey, definition, screens, screen, language,
                                values, problems, response)
            page.set_signed_cookie(_cookie_name(survey), response.resume_key, salt=COOKIE_SALT,
                                   max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax")
            return page
    else:
        # A screen hidden by later answers is skipped.
        if screen < len(screens) and not response_services.visible_on(screens[screen], answers):
            following = response_services.next_screen(survey, definition, answers, screen)
            screen = following if following is not None else screen
    return _screen_page(request, survey, definition, screens, screen, language, values,
                        problems, response)


def _complete_at_once(request: HttpRequest, survey: Survey, version: SurveyVersion,
                      definition: Any, answers: dict[str, Any], language: str,
                      channel: str) -> HttpResponse:
    """A new anonymous response completed by its first screen: one transaction."""
    try:
        # Rewards and messages made while completing speak the respondent's language.
        with translation.override(language):
            done = oneshot.complete_anonymous(
                survey=survey, version=version, definition=definition, answers=answers,
                language=language, channel=channel,
                client_hash=response_services.client_fingerprint(
                    client_ip(request), request.META.get("HTTP_USER_AGENT", "")),
                address_hash=_address(request),
                rate_limit=settings.SURVEY_RATE_LIMIT_PER_HOUR)
    except oneshot.RateLimited:
        return _message_page(request, survey, language, _("Too many responses"),
                             _("Too many responses came from your network. Please try "
                               "again later."), 429)
    except DomainError as error:
        return _message_page(request, survey, language, _("Not saved"), error.message, 409)
    redirect = HttpResponseRedirect(_here(request, language))
    redirect.set_signed_cookie(_cookie_name(survey), done.resume_key, salt=COOKIE_SALT,
                               max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax")
    return redirect


def _here(request: HttpRequest, language: str) -> str:
    return f"{request.path}?lang={language}"


def _screen_page(request: HttpRequest, survey: Survey, definition: Any, screens: list[Any],
                 screen: int, language: str, values: dict[str, Any],
                 problems: list[FieldProblem], response: Response | None) -> HttpResponse:
    questions = response_services.visible_on(screens[screen], values)
    seed = response.resume_key if response else ""
    status = 422 if problems else 200
    with translation.override(language):
        shown = show_screen(questions, language=language, fallback=survey.default_language,
                            values=values, problems=problems, seed=seed)
        return render(request, "surveys/public/screen.html", {
            "survey": survey, "language": language, "questions": shown, "screen": screen,
            "screens": len(screens), "progress": int(100 * screen / max(len(screens), 1)),
            "title": localized(survey.title, language, survey.default_language),
            "intro": localized(survey.intro, language, survey.default_language)
            if screen == 0 else "",
            "languages": survey.languages, "has_errors": bool(problems),
            "can_go_back": response is not None and screen > 0,
            "last": screen == len(screens) - 1,
        }, status=status)


def _thanks(request: HttpRequest, survey: Survey, response: Response,
            language: str) -> HttpResponse:
    with translation.override(language):
        return render(request, "surveys/public/thanks.html", {
            "survey": survey, "language": language,
            "text": localized(survey.thank_you, language, survey.default_language),
            "rewards": response.rewards,
        })


def brand_logo(request: HttpRequest, slug: str) -> HttpResponse:
    survey = selectors.find_survey_by_slug(slug)
    if survey is None or survey.brand is None or not survey.brand.logo:
        return HttpResponse(status=404)
    result = HttpResponse(bytes(survey.brand.logo), content_type=survey.brand.logo_type)
    result["Cache-Control"] = "public, max-age=3600"
    # An SVG logo opened directly must not run scripts on this site.
    result["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    result["X-Content-Type-Options"] = "nosniff"
    return result


def public_url(survey: Survey) -> str:
    return reverse("survey_public:anonymous", args=[survey.public_slug])
