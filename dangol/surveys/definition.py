"""What a survey asks: questions, choices, translations and branching.

A survey's questions are one JSON document (``SurveyVersion.definition``)
validated by :class:`Definition`. Each question has a ``key`` that stays the
same across versions and languages, so answers from every version and every
language count together; a question whose meaning changes gets a new key.

Every text is a :data:`Text`: a mapping of language code to wording
(``{"ko": "...", "en": "..."}``). One survey holds all of its languages.

Branching is declarative and needs no JavaScript:

* ``show_if`` — the question is shown only when all its conditions hold;
* ``end_if`` — after this question is answered, the survey ends when all
  its conditions hold.

A condition compares an earlier question's answer (``question``) with
``value`` using ``op``. Conditions may only refer to earlier questions.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT_ANSWER = 5000

Text = dict[str, str]


class QuestionType(StrEnum):
    NPS = "nps"  # 0-10
    CSAT = "csat"  # 1-5
    CES = "ces"  # 1-7
    RATING = "rating"  # stars, 1..scale_max (5 by default)
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"
    MATRIX = "matrix"  # rows x 1..scale_max


#: Fixed scales of the standard question types: (lowest, highest).
FIXED_SCALES: dict[QuestionType, tuple[int, int]] = {
    QuestionType.NPS: (0, 10),
    QuestionType.CSAT: (1, 5),
    QuestionType.CES: (1, 7),
}
SCALE_TYPES = frozenset({*FIXED_SCALES, QuestionType.RATING})


class Op(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"  # answer (or one of the chosen options) is in value (a list)
    NOT_IN = "not_in"
    ANSWERED = "answered"
    NOT_ANSWERED = "not_answered"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Strict):
    key: Annotated[str, Field(min_length=1, max_length=40)]
    label: Text

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", value):
            raise ValueError("a choice key uses letters, digits, '_' and '-' only")
        return value


class Condition(_Strict):
    question: str
    op: Op
    value: int | str | list[int | str] | None = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        if self.op in {Op.ANSWERED, Op.NOT_ANSWERED}:
            return self
        if self.value is None:
            raise ValueError(f"operator {self.op.value} needs a value")
        if self.op in {Op.IN, Op.NOT_IN} and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op.value} needs a list of values")
        if self.op in {Op.LT, Op.LTE, Op.GT, Op.GTE} and not isinstance(self.value, int):
            raise ValueError(f"operator {self.op.value} needs a whole number")
        return self


class Question(_Strict):
    key: str
    type: QuestionType
    text: Text
    help: Text | None = None
    required: bool = True
    choices: list[Choice] = Field(default_factory=list)
    randomize: bool = False
    allow_other: bool = False  # "other, please specify" (single and multiple)
    rows: list[Choice] = Field(default_factory=list)  # matrix rows
    scale_max: int | None = None  # rating and matrix
    low_label: Text | None = None
    high_label: Text | None = None
    max_length: Annotated[int, Field(ge=1, le=MAX_TEXT_ANSWER)] = 2000
    show_if: list[Condition] = Field(default_factory=list)
    end_if: list[Condition] = Field(default_factory=list)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not KEY_PATTERN.fullmatch(value):
            raise ValueError(
                "a question key starts with a lower-case letter and uses a-z, 0-9 and '_' "
                "(at most 40)")
        return value

    @model_validator(mode="after")
    def _shape(self) -> Question:
        kind = self.type
        if kind in {QuestionType.SINGLE, QuestionType.MULTIPLE}:
            if len(self.choices) < 2 and not (self.allow_other and self.choices):
                raise ValueError("a choice question needs at least two choices")
            _unique([c.key for c in self.choices], "choice")
        elif self.choices:
            raise ValueError(f"a {kind.value} question has no choices")
        if kind == QuestionType.MATRIX:
            if not self.rows:
                raise ValueError("a matrix question needs at least one row")
            _unique([r.key for r in self.rows], "row")
        elif self.rows:
            raise ValueError(f"a {kind.value} question has no rows")
        if kind in {QuestionType.RATING, QuestionType.MATRIX}:
            if self.scale_max is not None and not 2 <= self.scale_max <= 10:
                raise ValueError("scale_max must be between 2 and 10")
        elif self.scale_max is not None:
            raise ValueError(f"a {kind.value} question has a fixed scale")
        if self.allow_other and kind not in {QuestionType.SINGLE, QuestionType.MULTIPLE}:
            raise ValueError("only choice questions can offer 'other'")
        return self

    @property
    def scale(self) -> tuple[int, int] | None:
        """(lowest, highest) answer of a scale question, else None."""
        if self.type in FIXED_SCALES:
            return FIXED_SCALES[self.type]
        if self.type in {QuestionType.RATING, QuestionType.MATRIX}:
            return 1, self.scale_max or 5
        return None

    def texts(self) -> list[tuple[str, Text]]:
        """Every translatable text of the question, named by where it is."""
        found: list[tuple[str, Text]] = [("text", self.text)]
        for name in ("help", "low_label", "high_label"):
            value = getattr(self, name)
            if value is not None:
                found.append((name, value))
        found += [(f"choices.{c.key}", c.label) for c in self.choices]
        found += [(f"rows.{r.key}", r.label) for r in self.rows]
        return found


class Definition(_Strict):
    """The questions of one survey version, in order."""

    questions: list[Question] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Definition:
        _unique([q.key for q in self.questions], "question")
        seen: dict[str, Question] = {}
        for question in self.questions:
            for name, conditions in (("show_if", question.show_if),
                                     ("end_if", question.end_if)):
                for condition in conditions:
                    target = seen.get(condition.question)
                    if target is None and condition.question != question.key:
                        raise ValueError(
                            f"question {question.key}: {name} refers to "
                            f"{condition.question!r}, which is not an earlier question")
                    if name == "show_if" and condition.question == question.key:
                        raise ValueError(f"question {question.key}: show_if refers to itself")
            seen[question.key] = question
        return self

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def missing_translations(self, languages: list[str]) -> list[str]:
        """Places ("q1.text: en") where a text lacks one of ``languages``."""
        missing = []
        for question in self.questions:
            for where, text in question.texts():
                for language in languages:
                    if not (text.get(language) or "").strip():
                        missing.append(f"{question.key}.{where}: {language}")
        return missing


def _unique(keys: list[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"{what} key {key!r} is used twice")
        seen.add(key)


def localized(text: Text | None, language: str, fallback: str) -> str:
    """The wording of ``text`` in ``language``, else in ``fallback``, else any."""
    if not text:
        return ""
    return text.get(language) or text.get(fallback) or next(iter(text.values()), "")


# Answers -------------------------------------------------------------------
#
# An answer value, by question type:
#   scale types (nps, csat, ces, rating): int
#   single: {"choice": key} or {"choice": "other", "other": "free text"}
#   multiple: {"choices": [keys], "other": "free text" | None}
#   text: str
#   matrix: {row_key: int}
AnswerValue = int | str | dict[str, Any]


def matches(condition: Condition, answers: dict[str, Any]) -> bool:
    """Whether ``condition`` holds for ``answers`` (question key → answer value)."""
    answer = answers.get(condition.question)
    if condition.op == Op.ANSWERED:
        return answer not in (None, "", [], {})
    if condition.op == Op.NOT_ANSWERED:
        return answer in (None, "", [], {})
    if answer is None:
        return False
    values = _comparable(answer)
    target = condition.value
    if condition.op == Op.EQ:
        return target in values
    if condition.op == Op.NEQ:
        return target not in values
    if condition.op == Op.IN:
        return any(v in target for v in values)  # type: ignore[operator]
    if condition.op == Op.NOT_IN:
        return not any(v in target for v in values)  # type: ignore[operator]
    numbers = [v for v in values if isinstance(v, int)]
    if not numbers:
        return False
    number, bound = numbers[0], int(target)  # type: ignore[arg-type]
    return {
        Op.LT: number < bound, Op.LTE: number <= bound,
        Op.GT: number > bound, Op.GTE: number >= bound,
    }[condition.op]


def _comparable(answer: Any) -> list[Any]:
    if isinstance(answer, dict):
        if "choice" in answer:
            return [answer["choice"]]
        if "choices" in answer:
            return list(answer["choices"])
        return list(answer.values())
    return [answer]


def all_hold(conditions: list[Condition], answers: dict[str, Any]) -> bool:
    return all(matches(c, answers) for c in conditions)


def visible_questions(definition: Definition, answers: dict[str, Any]) -> list[Question]:
    """The questions a respondent with ``answers`` sees, in order, up to an end jump."""
    shown = []
    for question in definition.questions:
        if not all_hold(question.show_if, answers):
            continue
        shown.append(question)
        if question.end_if and question.key in answers and all_hold(question.end_if, answers):
            break
    return shown


def pages(definition: Definition, *, one_per_page: bool) -> list[list[Question]]:
    """Split the questions into screens.

    With ``one_per_page`` each question is a screen. Otherwise questions share
    a screen until one depends (show_if) on an answer given on the same screen,
    or follows a question that may end the survey: there a new screen starts,
    so branching works without JavaScript.
    """
    result: list[list[Question]] = []
    current: list[Question] = []
    for question in definition.questions:
        on_screen = {q.key for q in current}
        depends = any(c.question in on_screen for c in question.show_if)
        after_end = bool(current and current[-1].end_if)
        if current and (one_per_page or depends or after_end):
            result.append(current)
            current = []
        current.append(question)
    if current:
        result.append(current)
    return result


Kind = Literal["nps", "csat", "ces", "custom"]
