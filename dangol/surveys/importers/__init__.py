"""Importing other tools' surveys: Qualtrics (.qsf) and LimeSurvey (.lss) export files.

``parse_file`` reads a file into a :class:`ParsedSurvey` (the questions it
could map, in the source's languages, and an :class:`Unmapped` entry for
everything it could not); ``assemble`` matches the languages with Dangol's
and checks each question against :mod:`dangol.surveys.definition`. Neither
touches the database: ``dangol.surveys.services.imports.import_survey``
stores the result.
"""

from __future__ import annotations

from pathlib import PurePath

from django.utils.translation import gettext as _

from dangol.surveys.importers import limesurvey, qualtrics
from dangol.surveys.importers.assemble import Assembled, assemble, match_languages
from dangol.surveys.importers.result import (
    ImportedQuestion,
    ImportFileError,
    ParsedSurvey,
    Unmapped,
)

__all__ = [
    "Assembled", "ImportFileError", "ImportedQuestion", "ParsedSurvey", "Unmapped", "assemble",
    "detect_format", "match_languages", "parse_file",
]

PARSERS = {qualtrics.SOURCE: qualtrics.parse, limesurvey.SOURCE: limesurvey.parse}
SUFFIXES = {".qsf": qualtrics.SOURCE, ".lss": limesurvey.SOURCE}


def detect_format(*, filename: str, content: bytes) -> str:
    """"qualtrics" or "limesurvey": by the content (JSON or XML), else by the file's extension.

    The content comes first so that a renamed file still imports.
    """
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        return qualtrics.SOURCE
    if start == b"<":
        return limesurvey.SOURCE
    suffix = PurePath(filename).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    raise ImportFileError(
        "import_format",
        _("Dangol imports Qualtrics (.qsf) and LimeSurvey (.lss) survey files; %(name)s is "
          "neither.") % {"name": PurePath(filename).name or "?"})


def parse_file(*, filename: str, content: bytes) -> ParsedSurvey:
    """Read an export file; ImportFileError (with a stable ``code``) says why it cannot be."""
    if not content.strip():
        raise ImportFileError("import_malformed", _("The file is empty."))
    return PARSERS[detect_format(filename=filename, content=content)](content)
