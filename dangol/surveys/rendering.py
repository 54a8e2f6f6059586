"""Turning questions into what a response page shows, in the respondent's language."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from dangol.core.errors import FieldProblem
from dangol.surveys.answers import OTHER
from dangol.surveys.definition import Question, QuestionType, localized


@dataclass
class ShownChoice:
    key: str
    label: str
    selected: bool = False


@dataclass
class ShownRow:
    key: str
    label: str
    value: int | None


@dataclass
class ShownQuestion:
    key: str
    type: str
    text: str
    help: str
    required: bool
    error: str = ""
    choices: list[ShownChoice] = field(default_factory=list)
    scale: list[int] = field(default_factory=list)
    value: Any = None
    other_text: str = ""
    other_selected: bool = False
    allow_other: bool = False
    rows: list[ShownRow] = field(default_factory=list)
    low_label: str = ""
    high_label: str = ""
    max_length: int = 0

    @property
    def field_name(self) -> str:
        return f"q-{self.key}"

    @property
    def stars(self) -> bool:
        return self.type == QuestionType.RATING


def _default_labels(question: Question) -> tuple[str, str]:
    if question.type == QuestionType.NPS:
        return _("Not at all likely"), _("Extremely likely")
    if question.type == QuestionType.CSAT:
        return _("Very dissatisfied"), _("Very satisfied")
    if question.type == QuestionType.CES:
        return _("Very difficult"), _("Very easy")
    return "", ""


def show_question(
    question: Question,
    *,
    language: str,
    fallback: str,
    value: Any = None,
    problem: str = "",
    seed: str = "",
) -> ShownQuestion:
    """What to render for one question, with the respondent's earlier ``value``."""
    low_default, high_default = _default_labels(question)
    shown = ShownQuestion(
        key=question.key, type=question.type.value,
        text=localized(question.text, language, fallback),
        help=localized(question.help, language, fallback),
        required=question.required, error=problem, value=value,
        allow_other=question.allow_other,
        low_label=localized(question.low_label, language, fallback) or low_default,
        high_label=localized(question.high_label, language, fallback) or high_default,
        max_length=question.max_length,
    )
    if question.scale is not None:
        low, high = question.scale
        shown.scale = list(range(low, high + 1))
    chosen: set[str] = set()
    if isinstance(value, dict):
        if "choice" in value:
            chosen = {value["choice"]}
        elif "choices" in value:
            chosen = set(value["choices"])
        shown.other_text = value.get("other", "") or ""
    choices = list(question.choices)
    if question.randomize:
        # Stable per respondent, so the order does not change between visits.
        random.Random(f"{seed}:{question.key}").shuffle(choices)
    shown.choices = [ShownChoice(c.key, localized(c.label, language, fallback), c.key in chosen)
                     for c in choices]
    shown.other_selected = OTHER in chosen and question.allow_other
    if question.type == QuestionType.MATRIX:
        values = value if isinstance(value, dict) else {}
        shown.rows = [ShownRow(r.key, localized(r.label, language, fallback),
                               _as_int(values.get(r.key))) for r in question.rows]
    elif question.scale is not None:
        shown.value = _as_int(value)
    return shown


def _as_int(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def show_screen(
    questions: list[Question],
    *,
    language: str,
    fallback: str,
    values: dict[str, Any],
    problems: list[FieldProblem] | None = None,
    seed: str = "",
) -> list[ShownQuestion]:
    by_key = {p.field: p.message for p in problems or []}
    return [show_question(q, language=language, fallback=fallback, value=values.get(q.key),
                          problem=by_key.get(q.key, ""), seed=seed) for q in questions]
