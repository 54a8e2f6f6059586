"""Turning a source tool's simple branching test into a Dangol condition."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from dangol.surveys.definition import SCALE_TYPES, Op, QuestionType

ORDERING = frozenset({Op.LT, Op.LTE, Op.GT, Op.GTE})
PRESENCE = frozenset({Op.ANSWERED, Op.NOT_ANSWERED})


def condition_for(target: dict[str, Any], op: Op,
                  value: Any = None) -> tuple[dict[str, Any] | None, str]:
    """A condition on the earlier question ``target`` (a question document), or why not.

    Returns (condition, "") or (None, reason). Scale questions compare whole
    numbers; choice questions test whether a choice key was chosen; text
    questions only whether they were answered.
    """
    kind = QuestionType(target["type"])
    key = target["key"]
    if op in PRESENCE:
        return {"question": key, "op": op.value}, ""
    if kind in SCALE_TYPES:
        number = _whole_number(value)
        if number is None:
            return None, _('it compares %(question)s with "%(value)s", which is not a number '
                           "on its scale") % {"question": key, "value": value}
        return {"question": key, "op": op.value, "value": number}, ""
    if kind in {QuestionType.SINGLE, QuestionType.MULTIPLE}:
        if op not in {Op.EQ, Op.NEQ}:
            return None, _("it orders the choices of %(question)s, which Dangol cannot do") % {
                "question": key}
        keys = {c["key"] for c in target.get("choices", [])}
        if target.get("allow_other"):
            keys.add("other")
        if str(value) not in keys:
            return None, _('it tests %(question)s for "%(value)s", which is not one of its '
                           "choices") % {"question": key, "value": value}
        return {"question": key, "op": op.value, "value": str(value)}, ""
    if kind == QuestionType.TEXT and op in {Op.EQ, Op.NEQ} and isinstance(value, str):
        return {"question": key, "op": op.value, "value": value}, ""
    return None, _("Dangol cannot branch on this test of a %(type)s question") % {
        "type": kind.value}


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None
