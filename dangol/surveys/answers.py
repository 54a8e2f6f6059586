"""Checking answers against the questions, from a form or from the API.

``check_answers`` is the single gate every answer passes: out-of-range
numbers, unknown choices, unknown questions, oversized text and missing
required answers each get a message naming the question, and nothing from a
refused submission is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from dangol.core.errors import FieldProblem
from dangol.surveys.definition import (
    SCALE_TYPES,
    Definition,
    Question,
    QuestionType,
    all_hold,
)

OTHER = "other"


class AnswerError(ValueError):
    pass


@dataclass
class Checked:
    answers: dict[str, Any] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def clean_answer(question: Question, value: Any) -> Any:
    """The stored form of one answer, or AnswerError saying what is wrong."""
    kind = question.type
    if kind in SCALE_TYPES:
        low, high = question.scale  # type: ignore[misc]
        return _scale_value(value, low, high)
    if kind == QuestionType.TEXT:
        if not isinstance(value, str):
            raise AnswerError(_("Write the answer as text."))
        text = value.strip()
        if len(text) > question.max_length:
            raise AnswerError(_("The answer is too long: at most %(max)d characters.")
                              % {"max": question.max_length})
        return text
    if kind == QuestionType.SINGLE:
        return _single(question, value)
    if kind == QuestionType.MULTIPLE:
        return _multiple(question, value)
    return _matrix(question, value)


def _scale_value(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise AnswerError(_("Choose a number from %(low)d to %(high)d.")
                          % {"low": low, "high": high})
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise AnswerError(_("Choose a number from %(low)d to %(high)d.")
                              % {"low": low, "high": high})
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        raise AnswerError(_("Choose a number from %(low)d to %(high)d.")
                          % {"low": low, "high": high})
    return value


def _other_text(question: Question, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise AnswerError(_("Please specify your other answer."))
    if len(text) > 500:
        raise AnswerError(_("The other answer is too long: at most 500 characters."))
    return text


def _single(question: Question, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = {"choice": value}
    if not isinstance(value, dict) or not isinstance(value.get("choice"), str):
        raise AnswerError(_("Choose one of the options."))
    keys = {c.key for c in question.choices}
    choice = value["choice"]
    if choice == OTHER and question.allow_other and OTHER not in keys:
        return {"choice": OTHER, "other": _other_text(question, value.get("other"))}
    if choice not in keys:
        raise AnswerError(_("Choose one of the options."))
    return {"choice": choice}


def _multiple(question: Question, value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        value = {"choices": value}
    if not isinstance(value, dict) or not isinstance(value.get("choices"), list):
        raise AnswerError(_("Choose from the options."))
    keys = [c.key for c in question.choices]
    chosen = value["choices"]
    if not all(isinstance(c, str) for c in chosen) or len(set(chosen)) != len(chosen):
        raise AnswerError(_("Choose from the options."))
    allowed = set(keys) | ({OTHER} if question.allow_other else set())
    if not set(chosen) <= allowed:
        raise AnswerError(_("Choose from the options."))
    ordered = [k for k in keys if k in chosen]
    result: dict[str, Any] = {"choices": ordered}
    if OTHER in chosen and OTHER not in keys:
        result["choices"].append(OTHER)
        result["other"] = _other_text(question, value.get("other"))
    return result


def _matrix(question: Question, value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise AnswerError(_("Rate each row."))
    rows = {r.key for r in question.rows}
    unknown = set(value) - rows
    if unknown:
        raise AnswerError(_("Unknown row: %(row)s.") % {"row": sorted(unknown)[0]})
    low, high = question.scale  # type: ignore[misc]
    cleaned = {}
    for row in question.rows:
        if row.key in value and not is_empty(value[row.key]):
            cleaned[row.key] = _scale_value(value[row.key], low, high)
    if question.required and len(cleaned) < len(rows):
        raise AnswerError(_("Rate each row."))
    return cleaned


def check_answers(
    definition: Definition,
    submitted: Mapping[str, Any],
    *,
    on_screen: Iterable[Question] | None = None,
    earlier: Mapping[str, Any] | None = None,
) -> Checked:
    """Check ``submitted`` answers (question key → raw value).

    ``on_screen`` limits the check to the questions of one screen (None: the
    whole survey, as an API submission). ``earlier`` are answers already
    saved, used to decide which questions are shown. Answers to questions the
    branching hides are dropped; an answer to a question the survey does not
    have is a problem.
    """
    result = Checked()
    known = {q.key for q in definition.questions}
    for key in submitted:
        if key not in known:
            result.problems.append(FieldProblem(key, _("This survey has no such question.")))
    questions = list(on_screen) if on_screen is not None else definition.questions
    context: dict[str, Any] = dict(earlier or {})
    ended = False
    for question in questions:
        if ended or not all_hold(question.show_if, context):
            context.pop(question.key, None)
            continue
        raw = submitted.get(question.key)
        if is_empty(raw):
            if question.required:
                result.problems.append(FieldProblem(question.key,
                                                    _("This question needs an answer.")))
            continue
        try:
            value = clean_answer(question, raw)
        except AnswerError as error:
            result.problems.append(FieldProblem(question.key, str(error)))
            continue
        if is_empty(value):
            if question.required:
                result.problems.append(FieldProblem(question.key,
                                                    _("This question needs an answer.")))
            continue
        result.answers[question.key] = value
        context[question.key] = value
        if question.end_if and all_hold(question.end_if, context):
            ended = on_screen is None
    return result


def from_form(questions: Iterable[Question], data: Any) -> dict[str, Any]:
    """Raw answers from a POSTed form (a QueryDict) for the questions on a screen.

    Field names: ``q-<key>``; ``q-<key>-other`` for "other, please specify";
    ``q-<key>-<row>`` for matrix rows.
    """
    raw: dict[str, Any] = {}
    for question in questions:
        name = f"q-{question.key}"
        if question.type == QuestionType.MULTIPLE:
            chosen = data.getlist(name)
            if chosen:
                raw[question.key] = {"choices": chosen, "other": data.get(f"{name}-other", "")}
        elif question.type == QuestionType.SINGLE:
            choice = data.get(name, "")
            if choice:
                raw[question.key] = {"choice": choice, "other": data.get(f"{name}-other", "")}
        elif question.type == QuestionType.MATRIX:
            rows = {r.key: data.get(f"{name}-{r.key}", "") for r in question.rows}
            if any(rows.values()):
                raw[question.key] = {k: v for k, v in rows.items() if v}
        else:
            value = data.get(name, "")
            if value != "":
                raw[question.key] = value
    return raw
