"""Importing a survey from another tool's export file (Qualtrics .qsf, LimeSurvey .lss)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import require
from dangol.core.errors import DomainError, FieldProblem, ValidationFailed
from dangol.surveys.importers import ImportFileError, Unmapped, assemble, parse_file
from dangol.surveys.models import Survey
from dangol.surveys.services.surveys import create_survey

MAX_IMPORT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ImportResult:
    """The draft survey made from a file, and what of the file did not come across."""

    survey: Survey
    source: str  # "qualtrics" or "limesurvey"
    unmapped: list[Unmapped]

    @property
    def question_count(self) -> int:
        return len(self.survey.draft.get("questions", []))


def import_survey(*, actor: Actor, filename: str, content: bytes) -> ImportResult:
    """Create one draft survey from a Qualtrics .qsf or LimeSurvey .lss export.

    The format comes from the file name's extension, else from the content.
    Every question Dangol can express is imported, in every language of the
    file that Dangol offers; ``unmapped`` lists each question left out and
    each part of an imported question that was lost (branching, a text box,
    scale labels), with the reason. The survey is created in one transaction
    (see create_survey), so a failure leaves nothing behind.

    Raises PermissionDenied without ``surveys.manage``; DomainError with code
    ``import_too_large``, ``import_format``, ``import_malformed``,
    ``import_empty`` or ``import_language``; ValidationFailed with code
    ``import_nothing_mapped`` (one problem per question, naming why) when no
    question can be imported.
    """
    require(actor, "surveys.manage")
    if len(content) > MAX_IMPORT_BYTES:
        raise DomainError(_("The file is larger than %(size)s MB.")
                          % {"size": MAX_IMPORT_BYTES // (1024 * 1024)}, code="import_too_large")
    try:
        parsed = parse_file(filename=filename, content=content)
        assembled = assemble(parsed, supported=[code for code, _name in settings.LANGUAGES])
    except ImportFileError as error:
        raise _refusal(error) from None
    survey = create_survey(
        actor=actor, name=parsed.name[:200], kind=Survey.Kind.CUSTOM,
        definition=assembled.definition.model_dump(mode="json", exclude_none=True),
        languages=assembled.languages, default_language=assembled.default_language,
        title=assembled.title, intro=assembled.intro, thank_you=assembled.thank_you,
    )
    return ImportResult(survey=survey, source=parsed.source, unmapped=assembled.unmapped)


def _refusal(error: ImportFileError) -> DomainError:
    if not error.details:
        return DomainError(error.message, code=error.code)
    refusal = ValidationFailed([FieldProblem(item.source_id or "file", str(item))
                                for item in error.details], error.message)
    refusal.code = error.code
    return refusal
