"""Creating, editing, publishing and closing surveys."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.surveys.definition import Definition
from dangol.surveys.models import BrandKit, Survey, SurveyVersion, Trigger

SETTINGS_FIELDS = (
    "name", "kind", "purpose", "languages", "default_language", "title", "intro", "thank_you",
    "one_per_page", "opens_at", "closes_at", "quota", "anonymous_link", "invitation_days",
    "reminder_after_days", "max_reminders",
)


def parse_definition(data: Any, *, field: str = "definition") -> Definition:
    """Validate a definition document; ValidationFailed names each bad place."""
    try:
        return Definition.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            where = ".".join(str(p) for p in item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(FieldProblem(f"{field}.{where}" if where else field, message))
        raise ValidationFailed(problems, _("The questions are not valid.")) from None


def _check_settings(values: dict[str, Any]) -> None:
    problems = []
    known = {code for code, _label in settings.LANGUAGES}
    languages = values.get("languages")
    if languages is not None and (not isinstance(languages, list) or not languages
                                  or not set(languages) <= known):
        problems.append(FieldProblem("languages", _("Choose one or more of: %(codes)s.")
                                     % {"codes": ", ".join(sorted(known))}))
    default = values.get("default_language")
    if default is not None and isinstance(languages, list) and default not in languages:
        problems.append(FieldProblem("default_language",
                                     _("The default language must be one of the languages.")))
    if "name" in values and not str(values["name"] or "").strip():
        problems.append(FieldProblem("name", _("Give the survey a name.")))
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if isinstance(opens, datetime) and isinstance(closes, datetime) and closes <= opens:
        problems.append(FieldProblem("closes_at", _("The survey must close after it opens.")))
    for key in ("title", "intro", "thank_you"):
        text = values.get(key)
        if text is not None and not (isinstance(text, dict)
                                     and all(isinstance(v, str) for v in text.values())):
            problems.append(FieldProblem(key, _("Give the text per language.")))
    if problems:
        raise ValidationFailed(problems, _("The survey settings are not valid."))


def create_survey(
    *,
    actor: Actor,
    name: str,
    definition: Any,
    languages: list[str] | None = None,
    default_language: str | None = None,
    title: dict[str, str] | None = None,
    brand: BrandKit | None = None,
    publish: bool = False,
    **options: Any,
) -> Survey:
    """Create a survey with ``definition`` as its draft questions (and publish it if asked).

    Raises ValidationFailed naming each bad setting or question.
    """
    require(actor, "surveys.manage")
    languages = languages or ["ko", "en"]
    values = {"name": name, "languages": languages,
              "default_language": default_language or languages[0],
              "title": title or {lang: name for lang in languages}, **options}
    unknown = set(options) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationFailed([FieldProblem(k, _("Unknown setting.")) for k in sorted(unknown)])
    _check_settings(values)
    parsed = parse_definition(definition)
    with transaction.atomic():
        survey = Survey.objects.create(draft=parsed.model_dump(mode="json", exclude_none=True),
                                       brand=brand, created_by=actor.user, **values)
        record_audit(actor=actor, action="create", obj=survey, fields=["name", "draft"])
        if publish:
            publish_survey(actor=actor, survey=survey)
    return survey


def update_survey(*, actor: Actor, survey: Survey, **values: Any) -> Survey:
    """Change the settings of a survey (not its questions: see save_draft)."""
    require(actor, "surveys.manage")
    unknown = set(values) - set(SETTINGS_FIELDS) - {"brand"}
    if unknown:
        raise ValidationFailed([FieldProblem(k, _("Unknown setting.")) for k in sorted(unknown)])
    merged = {"languages": survey.languages, "default_language": survey.default_language,
              "opens_at": survey.opens_at, "closes_at": survey.closes_at, **values}
    _check_settings(merged)
    with transaction.atomic():
        for key, value in values.items():
            setattr(survey, key, value)
        survey.save()
        record_audit(actor=actor, action="update", obj=survey, fields=sorted(values))
    return survey


def save_draft(*, actor: Actor, survey: Survey, definition: Any) -> Survey:
    """Replace the questions being edited. Live answers are untouched until publish."""
    require(actor, "surveys.manage")
    parsed = parse_definition(definition)
    with transaction.atomic():
        survey.draft = parsed.model_dump(mode="json", exclude_none=True)
        survey.save(update_fields=["draft", "updated_at"])
        record_audit(actor=actor, action="update", obj=survey, fields=["draft"])
    return survey


def publish_survey(*, actor: Actor, survey: Survey) -> SurveyVersion:
    """Make the draft questions the live version (a new version if they changed).

    Earlier answers keep pointing at the version they answered. Locks the
    survey row. Raises ValidationFailed when a question lacks a translation
    or the survey has no questions.
    """
    require(actor, "surveys.manage")
    definition = parse_definition(survey.draft)
    problems = [FieldProblem("definition", _("Missing translation: %(where)s") % {"where": w})
                for w in definition.missing_translations(survey.languages)]
    if not definition.questions:
        problems.append(FieldProblem("definition", _("Add at least one question.")))
    for language in survey.languages:
        if not (survey.title.get(language) or "").strip():
            problems.append(FieldProblem(f"title.{language}", _("Give the title in every "
                                                                 "language of the survey.")))
    if problems:
        raise ValidationFailed(problems, _("The survey cannot be published yet."))
    document = definition.model_dump(mode="json", exclude_none=True)
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        current = locked.current_version
        if current is not None and current.definition == document:
            version = current
        else:
            number = (current.number if current else 0) + 1
            version = SurveyVersion.objects.create(survey=locked, number=number,
                                                   definition=document,
                                                   published_by=actor.user)
            locked.current_version = version
        locked.status = Survey.Status.LIVE
        locked.save(update_fields=["current_version", "status", "updated_at"])
        record_audit(actor=actor, action="publish", obj=locked, fields=["current_version"])
    survey.refresh_from_db()
    return version


def close_survey(*, actor: Actor, survey: Survey) -> Survey:
    """Stop accepting responses (partial answers stay stored)."""
    require(actor, "surveys.manage")
    with transaction.atomic():
        survey.status = Survey.Status.CLOSED
        survey.save(update_fields=["status", "updated_at"])
        record_audit(actor=actor, action="close", obj=survey, fields=["status"])
    return survey


def reopen_survey(*, actor: Actor, survey: Survey) -> Survey:
    require(actor, "surveys.manage")
    if survey.current_version_id is None:
        raise DomainError(_("Publish the survey first."), code="not_published")
    with transaction.atomic():
        survey.status = Survey.Status.LIVE
        survey.save(update_fields=["status", "updated_at"])
        record_audit(actor=actor, action="reopen", obj=survey, fields=["status"])
    return survey


def get_survey(*, pk: int) -> Survey:
    survey = Survey.objects.select_related("current_version", "brand").filter(pk=pk).first()
    if survey is None:
        raise NotFound(_("No survey with ID %(id)s.") % {"id": pk})
    return survey


def is_open(survey: Survey, *, now: datetime | None = None) -> str | None:
    """None when the survey accepts responses now, else why not (for the respondent)."""
    now = now or timezone.now()
    if survey.status != Survey.Status.LIVE or survey.current_version_id is None:
        return _("This survey is closed.")
    if survey.opens_at and now < survey.opens_at:
        return _("This survey is not open yet.")
    if survey.closes_at and now >= survey.closes_at:
        return _("This survey is closed.")
    if survey.quota is not None and survey.completed_count >= survey.quota:
        return _("This survey has received all the responses it needs. Thank you!")
    return None


# --- editing one question of the draft (the builder) -----------------------------------


def put_question(*, actor: Actor, survey: Survey, question: dict[str, Any],
                 replacing: str | None = None) -> Survey:
    """Add ``question`` at the end of the draft, or put it in place of key ``replacing``.

    The whole draft is validated again (keys unique, branches point backwards).
    """
    questions = list((survey.draft or {}).get("questions", []))
    if replacing is None:
        questions.append(question)
    else:
        index = _index_of(questions, replacing)
        questions[index] = question
    return save_draft(actor=actor, survey=survey, definition={"questions": questions})


def remove_question(*, actor: Actor, survey: Survey, key: str) -> Survey:
    """Take a question out of the draft. Answers already given to it stay stored."""
    questions = list((survey.draft or {}).get("questions", []))
    questions.pop(_index_of(questions, key))
    return save_draft(actor=actor, survey=survey, definition={"questions": questions})


def move_question(*, actor: Actor, survey: Survey, key: str, offset: int) -> Survey:
    """Move a question up (-1) or down (+1); a move that breaks a branch is refused."""
    questions = list((survey.draft or {}).get("questions", []))
    index = _index_of(questions, key)
    target = min(max(index + offset, 0), len(questions) - 1)
    questions.insert(target, questions.pop(index))
    return save_draft(actor=actor, survey=survey, definition={"questions": questions})


def _index_of(questions: list[dict[str, Any]], key: str) -> int:
    for index, question in enumerate(questions):
        if question.get("key") == key:
            return index
    raise NotFound(_("No question %(key)s in this survey.") % {"key": key})


def unused_key(survey: Survey, prefix: str = "q") -> str:
    taken = {q.get("key") for q in (survey.draft or {}).get("questions", [])}
    number = len(taken) + 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def draft_differs(survey: Survey) -> bool:
    """Whether the questions being edited differ from the live version."""
    if survey.current_version is None:
        return True
    return parse_definition(survey.draft).model_dump(mode="json", exclude_none=True) \
        != survey.current_version.definition


def add_trigger(*, actor: Actor, survey: Survey, kind: str, days: int, channel: str) -> Trigger:
    """Invite automatically (see invitations.run_triggers)."""
    require(actor, "surveys.send")
    if kind not in Trigger.Kind.values:
        raise ValidationFailed([FieldProblem("kind", _("Unknown trigger."))])
    if channel not in {"email", "sms", "kakao"}:
        raise ValidationFailed([FieldProblem("channel", _("Choose e-mail, SMS or KakaoTalk."))])
    with transaction.atomic():
        trigger = Trigger.objects.create(survey=survey, kind=kind, days=days, channel=channel)
        record_audit(actor=actor, action="create", obj=trigger, fields=["kind", "days"])
    return trigger


def set_trigger_active(*, actor: Actor, trigger: Trigger, active: bool) -> Trigger:
    require(actor, "surveys.send")
    with transaction.atomic():
        trigger.active = active
        trigger.save(update_fields=["active", "updated_at"])
        record_audit(actor=actor, action="update", obj=trigger, fields=["active"])
    return trigger


# --- brand kits ------------------------------------------------------------------------

LOGO_TYPES = {"image/png", "image/jpeg", "image/svg+xml", "image/webp", "image/gif"}
LOGO_MAX_BYTES = 300 * 1024
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def save_brand_kit(*, actor: Actor, name: str, primary_color: str, background_color: str,
                   text_color: str, logo: bytes | None = None, logo_type: str = "",
                   brand: BrandKit | None = None) -> BrandKit:
    """Create or change a brand kit (logo up to 300 KB: PNG, JPEG, SVG, WebP or GIF)."""
    require(actor, "surveys.manage")
    problems = []
    if not name.strip():
        problems.append(FieldProblem("name", _("Give the brand kit a name.")))
    for field, value in (("primary_color", primary_color),
                         ("background_color", background_color), ("text_color", text_color)):
        if not _COLOUR.match(value or ""):
            problems.append(FieldProblem(field, _("Use a colour like #1f5f8b.")))
    if logo is not None:
        if logo_type not in LOGO_TYPES:
            problems.append(FieldProblem("logo", _("The logo must be a PNG, JPEG, SVG, WebP "
                                                   "or GIF image.")))
        elif len(logo) > LOGO_MAX_BYTES:
            problems.append(FieldProblem("logo", _("The logo is larger than 300 KB.")))
    if problems:
        raise ValidationFailed(problems, _("The brand kit is not valid."))
    with transaction.atomic():
        brand = brand or BrandKit()
        brand.name, brand.primary_color = name.strip(), primary_color
        brand.background_color, brand.text_color = background_color, text_color
        if logo is not None:
            brand.logo, brand.logo_type = logo, logo_type
        brand.save()
        record_audit(actor=actor, action="save", obj=brand,
                     fields=["name", "colours", *(["logo"] if logo else [])])
    return brand
