"""From a parsed export to a checked Definition in the languages Dangol offers."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from pydantic import ValidationError

from dangol.surveys.definition import Definition, Question
from dangol.surveys.importers.result import ImportFileError, ParsedSurvey, Unmapped

LABELS = ("text", "help", "low_label", "high_label")


@dataclass(frozen=True)
class Assembled:
    definition: Definition
    languages: list[str]
    default_language: str
    title: dict[str, str]
    intro: dict[str, str]
    thank_you: dict[str, str]
    unmapped: list[Unmapped]


def match_languages(found: Sequence[str], supported: Sequence[str]) -> dict[str, str]:
    """Source language → Dangol language: the same code, else the same main language.

    "en" and "en-gb" both in a survey: "en" takes "en", and "en-gb" is left
    out rather than mixed in.
    """
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for code in found:
        if code in supported and code not in taken:
            mapping[code] = code
            taken.add(code)
    for code in found:
        main = code.split("-")[0]
        if code not in mapping and main in supported and main not in taken:
            mapping[code] = main
            taken.add(main)
    return mapping


def assemble(parsed: ParsedSurvey, *, supported: Sequence[str]) -> Assembled:
    """Match languages, check every question, drop what does not fit, and say what was dropped.

    Raises ImportFileError: ``import_empty`` (the file has no questions),
    ``import_language`` (none of its languages is offered),
    ``import_nothing_mapped`` (no question could be mapped; ``details`` says why).
    """
    if parsed.source_question_count == 0:
        raise ImportFileError("import_empty", _("The survey in the file has no questions."))
    mapping = match_languages(parsed.languages, supported)
    if not mapping:
        raise ImportFileError(
            "import_language",
            _("The survey is in %(found)s; Dangol surveys can be in %(supported)s.")
            % {"found": ", ".join(parsed.languages), "supported": ", ".join(supported)})
    unmapped = [Unmapped(code, "language", _("Dangol has no %(language)s; its texts were not "
                                          "imported") % {"language": code})
                for code in parsed.languages if code not in mapping]
    unmapped += parsed.unmapped
    kept: list[dict[str, Any]] = []
    dropped: set[str] = set()
    for question in parsed.questions:
        document = _relabel(question.document, mapping)
        for name in ("show_if", "end_if"):
            if any(c["question"] in dropped for c in document.get(name, [])):
                document[name] = []
                unmapped.append(Unmapped(question.source_id, question.source_type,
                                         _("its branching refers to a question that was not "
                                           "imported and was dropped"), question.key))
        try:
            Question.model_validate(document)
        except ValidationError as error:
            dropped.add(question.key)
            unmapped.append(Unmapped(question.source_id, question.source_type,
                                     _("it does not fit Dangol's rules: %(problem)s")
                                     % {"problem": _first_problem(error)}))
            continue
        kept.append(document)
    # A question left out entirely needs no notes about the parts it lost.
    unmapped = [u for u in unmapped if u.key is None or u.key not in dropped]
    if not kept:
        raise ImportFileError(
            "import_nothing_mapped",
            _("None of the %(count)s questions in the file could be imported.")
            % {"count": parsed.source_question_count}, details=unmapped)
    try:
        definition = Definition.model_validate({"questions": kept})
    except ValidationError as error:
        raise ImportFileError("import_malformed", _first_problem(error)) from None
    languages = list(dict.fromkeys(mapping[code] for code in parsed.languages
                                   if code in mapping))
    title = _texts(parsed.title, mapping)
    for language in languages:
        title.setdefault(language, parsed.name)
    return Assembled(definition=definition, languages=languages,
                     default_language=mapping.get(parsed.languages[0], languages[0]),
                     title=title, intro=_texts(parsed.intro, mapping),
                     thank_you=_texts(parsed.thank_you, mapping), unmapped=unmapped)


def _texts(value: dict[str, str], mapping: dict[str, str]) -> dict[str, str]:
    return {mapping[code]: text for code, text in value.items() if code in mapping and text}


def _relabel(document: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    result = copy.deepcopy(document)
    for name in LABELS:
        if name in result:
            result[name] = _texts(result[name], mapping)
            if name != "text" and not result[name]:
                del result[name]
    for name in ("choices", "rows"):
        for item in result.get(name, []):
            item["label"] = _texts(item["label"], mapping)
    return result


def _first_problem(error: ValidationError) -> str:
    problem = error.errors(include_url=False)[0]
    where = ".".join(str(p) for p in problem["loc"])
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
