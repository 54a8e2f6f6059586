"""The segment rule language: which fields a rule may test, with which operators.

A segment definition is JSON::

    {"match": "all" | "any",
     "rules": [{"field": "region", "op": "eq", "value": "서울"},
               {"match": "any", "rules": [...]}]}   # one level of groups

:func:`parse_definition` checks a definition and returns it normalised (values
in canonical form) or raises ValidationFailed naming each bad part by position,
e.g. ``rules.2.value`` or ``rules.1.rules.0.op``. Nothing here touches the
database; :mod:`dangol.segments.compiler` turns a parsed definition into one
query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from pydantic import BaseModel, ConfigDict, ValidationError

from dangol.core.errors import FieldProblem, ValidationFailed
from dangol.customers.models import Channel, Gender, Purpose
from dangol.segments.models import ChurnRisk, RFMSegment

MAX_RULES = 50
MAX_VALUES = 200
MAX_TEXT = 100


class Kind(StrEnum):
    """What sort of value a field holds; decides its operators and value checks."""

    CHOICE = "choice"  # one of a fixed list
    TEXT = "text"  # free text
    INTEGER = "integer"
    AMOUNT = "amount"  # money, Decimal
    DATE = "date"
    TAG = "tag"  # the customer has any of a set (categories bought, consents granted)
    RANKED = "ranked"  # a named level with an order (loyalty tiers): names, compared by rank


OPS: dict[Kind, tuple[str, ...]] = {
    Kind.CHOICE: ("eq", "neq", "in", "not_in"),
    Kind.TEXT: ("eq", "neq", "in", "not_in", "contains"),
    Kind.INTEGER: ("eq", "neq", "gt", "gte", "lt", "lte", "between"),
    Kind.AMOUNT: ("eq", "neq", "gt", "gte", "lt", "lte", "between"),
    Kind.DATE: ("gte", "lte", "between"),
    Kind.TAG: ("eq", "neq", "in", "not_in"),
    Kind.RANKED: ("eq", "neq", "in", "not_in", "gte", "lte"),
}

OP_LABELS: dict[str, Promise] = {
    "eq": _("is"),
    "neq": _("is not"),
    "in": _("is any of"),
    "not_in": _("is none of"),
    "contains": _("contains"),
    "gt": _("more than"),
    "gte": _("at least"),
    "lt": _("less than"),
    "lte": _("at most"),
    "between": _("between"),
}
#: A rule as a sentence, per operator: word order differs by language ("orders at
#: least 5" is "주문 수 5 이상" in Korean).
RULE_SENTENCES: dict[str, Promise] = {
    "eq": pgettext_lazy("segment rule", "%(field)s is %(value)s"),
    "neq": pgettext_lazy("segment rule", "%(field)s is not %(value)s"),
    "in": pgettext_lazy("segment rule", "%(field)s is any of %(value)s"),
    "not_in": pgettext_lazy("segment rule", "%(field)s is none of %(value)s"),
    "contains": pgettext_lazy("segment rule", "%(field)s contains %(value)s"),
    "gt": pgettext_lazy("segment rule", "%(field)s more than %(value)s"),
    "gte": pgettext_lazy("segment rule", "%(field)s at least %(value)s"),
    "lt": pgettext_lazy("segment rule", "%(field)s less than %(value)s"),
    "lte": pgettext_lazy("segment rule", "%(field)s at most %(value)s"),
    "between": pgettext_lazy("segment rule", "%(field)s between %(value)s"),
}
#: Operators whose value is a list: in/not_in take 1..MAX_VALUES, between exactly two.
LIST_OPS = frozenset({"in", "not_in", "between"})
#: Operators that also match customers who have no value at all for the field
#: ("last NPS is not detractor" includes customers who never answered).
NEGATIVE_OPS = frozenset({"neq", "not_in"})

AGE_BANDS = ("10s", "20s", "30s", "40s", "50s", "60s", "70s", "80s", "90s")
NPS_CATEGORIES = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


def _consent_choices() -> list[tuple[str, Any]]:
    return [(f"{channel.value}:{purpose.value}", f"{channel.label} · {purpose.label}")
            for channel in Channel for purpose in Purpose]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Promise
    kind: Kind
    group: Promise
    choices: tuple[tuple[str, Any], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    help: Promise | str = ""

    @property
    def ops(self) -> tuple[str, ...]:
        return OPS[self.kind]

    @property
    def choice_values(self) -> frozenset[str]:
        return frozenset(value for value, _label in self.choices)


_DEMOGRAPHICS = _("Demographics")
_BEHAVIOUR = _("Behaviour")
_SATISFACTION = _("Satisfaction")
_CONSENT = _("Consent")
_LOYALTY = _("Loyalty")
_SCORES = (1, 5)

FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in (
    FieldSpec("age_band", _("age band"), Kind.CHOICE, _DEMOGRAPHICS,
              tuple((band, band) for band in AGE_BANDS),
              help=_("From the birthday, in the business time zone; 20s = 20 to 29.")),
    FieldSpec("gender", _("gender"), Kind.CHOICE, _DEMOGRAPHICS,
              tuple((g.value or "unknown", g.label) for g in Gender)),
    FieldSpec("region", _("region"), Kind.TEXT, _DEMOGRAPHICS),
    FieldSpec("language", _("language"), Kind.TEXT, _DEMOGRAPHICS),
    FieldSpec("joined_at", _("joined"), Kind.DATE, _DEMOGRAPHICS,
              help=_("A date: 2026-01-31.")),
    FieldSpec("rfm_segment", _("RFM segment"), Kind.CHOICE, _BEHAVIOUR,
              tuple((s.value, s.label) for s in RFMSegment)),
    FieldSpec("R", _("recency score (1-5)"), Kind.INTEGER, _BEHAVIOUR, minimum=1, maximum=5),
    FieldSpec("F", _("frequency score (1-5)"), Kind.INTEGER, _BEHAVIOUR, minimum=1, maximum=5),
    FieldSpec("M", _("monetary score (1-5)"), Kind.INTEGER, _BEHAVIOUR, minimum=1, maximum=5),
    FieldSpec("churn_risk", _("churn risk"), Kind.CHOICE, _BEHAVIOUR,
              tuple((c.value, c.label) for c in ChurnRisk)),
    FieldSpec("order_count", _("number of orders"), Kind.INTEGER, _BEHAVIOUR, minimum=0,
              maximum=1_000_000_000,
              help=_("Cancelled and refunded orders do not count.")),
    FieldSpec("total_spent", _("total spent"), Kind.AMOUNT, _BEHAVIOUR, minimum=0,
              maximum=999_999_999_999,
              help=_("Cancelled and refunded orders do not count.")),
    FieldSpec("last_order_days", _("days since the last order"), Kind.INTEGER, _BEHAVIOUR,
              minimum=0, maximum=36_500,
              help=_("Customers who never ordered have no value here.")),
    FieldSpec("product_category", _("bought from category"), Kind.TAG, _BEHAVIOUR,
              help=_("Bought at least one product of the category.")),
    FieldSpec("nps_category", _("last NPS answer"), Kind.CHOICE, _SATISFACTION,
              (("promoter", _("Promoter (9-10)")), ("passive", _("Passive (7-8)")),
               ("detractor", _("Detractor (0-6)"))),
              help=_("The latest completed survey response with an NPS question.")),
    FieldSpec("last_csat", _("last CSAT answer (1-5)"), Kind.INTEGER, _SATISFACTION,
              minimum=1, maximum=5),
    FieldSpec("open_cases", _("open complaint cases"), Kind.INTEGER, _SATISFACTION, minimum=0,
              maximum=100_000,
              help=_("Cases that are new, open or waiting for the customer; "
                     "“at least 1” finds customers with an open complaint.")),
    FieldSpec("consent", _("consent granted"), Kind.TAG, _CONSENT, tuple(_consent_choices()),
              help=_("Channel and purpose, e.g. email:ad.")),
    FieldSpec("loyalty_tier", _("loyalty tier"), Kind.RANKED, _LOYALTY,
              help=_("A tier name, e.g. Gold. “At least Gold” also takes the tiers above it.")),
)}

# --- parsing ------------------------------------------------------------------------


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str
    op: str
    value: Any = None


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: Literal["all", "any"] = "all"
    rules: list[Any]


@dataclass(frozen=True)
class Rule:
    field: str
    op: str
    value: Any

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": self.value}


@dataclass(frozen=True)
class Group:
    match: str
    rules: tuple[Rule | Group, ...]

    def as_json(self) -> dict[str, Any]:
        return {"match": self.match, "rules": [r.as_json() for r in self.rules]}


def _pydantic_problems(error: ValidationError, prefix: str) -> list[FieldProblem]:
    out = []
    for item in error.errors(include_url=False):
        name = ".".join([prefix, *(str(p) for p in item["loc"])] if prefix else
                        [str(p) for p in item["loc"]]) or "__all__"
        out.append(FieldProblem(name, str(item["msg"]).removeprefix("Value error, ")))
    return out


def parse_definition(data: Any) -> Group:
    """Check a definition; return it normalised or raise ValidationFailed naming each problem."""
    problems: list[FieldProblem] = []
    group = _parse_group(data, "", problems, depth=0)
    if problems or group is None:
        raise ValidationFailed(problems, str(_("The segment rules are not valid.")))
    return group


def _parse_group(data: Any, prefix: str, problems: list[FieldProblem], *,
                 depth: int) -> Group | None:
    here = prefix.rstrip(".")
    if not isinstance(data, dict):
        problems.append(FieldProblem(here or "__all__", str(_("Expected an object with "
                                                              "match and rules."))))
        return None
    try:
        shape = _Group.model_validate(data)
    except ValidationError as error:
        problems.extend(_pydantic_problems(error, here))
        return None
    if len(shape.rules) > MAX_RULES:
        problems.append(FieldProblem(f"{prefix}rules", str(_("At most %(n)d rules.")
                                                            % {"n": MAX_RULES})))
        return None
    rules: list[Rule | Group] = []
    for index, item in enumerate(shape.rules):
        where = f"{prefix}rules.{index}"
        if isinstance(item, dict) and "rules" in item:
            if depth >= 1:
                problems.append(FieldProblem(where, str(_("Groups cannot hold further "
                                                          "groups."))))
                continue
            parsed: Rule | Group | None = _parse_group(item, where + ".", problems,
                                                       depth=depth + 1)
        else:
            parsed = _parse_rule(item, where, problems)
        if parsed is not None:
            rules.append(parsed)
    return Group(shape.match, tuple(rules))


def _parse_rule(data: Any, where: str, problems: list[FieldProblem]) -> Rule | None:
    if not isinstance(data, dict):
        problems.append(FieldProblem(where, str(_("Expected a rule: field, op and value."))))
        return None
    try:
        shape = _Rule.model_validate(data)
    except ValidationError as error:
        problems.extend(_pydantic_problems(error, where))
        return None
    spec = FIELDS.get(shape.field)
    if spec is None:
        problems.append(FieldProblem(f"{where}.field", str(
            _("Unknown field “%(field)s”; use one of: %(fields)s.")
            % {"field": shape.field, "fields": ", ".join(FIELDS)})))
        return None
    if shape.op not in spec.ops:
        problems.append(FieldProblem(f"{where}.op", str(
            _("“%(op)s” does not apply to %(field)s; use one of: %(ops)s.")
            % {"op": shape.op, "field": spec.name, "ops": ", ".join(spec.ops)})))
        return None
    try:
        value = _clean_value(spec, shape.op, shape.value)
    except ValueError as error:
        problems.append(FieldProblem(f"{where}.value", str(error)))
        return None
    return Rule(spec.name, shape.op, value)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _clean_value(spec: FieldSpec, op: str, value: Any) -> Any:
    if op in LIST_OPS:
        items = _as_list(value)
        if op == "between":
            if len(items) != 2:
                raise ValueError(str(_("Give two values: the lowest and the highest.")))
            low, high = (_clean_one(spec, v) for v in items)
            if _sort_key(low) > _sort_key(high):
                raise ValueError(str(_("The first value must not be above the second.")))
            return [low, high]
        if not items:
            raise ValueError(str(_("Give at least one value.")))
        if len(items) > MAX_VALUES:
            raise ValueError(str(_("At most %(n)d values.") % {"n": MAX_VALUES}))
        cleaned = [_clean_one(spec, v) for v in items]
        return list(dict.fromkeys(cleaned))
    if isinstance(value, list):
        raise ValueError(str(_("Give one value, not a list.")))
    return _clean_one(spec, value)


def _sort_key(value: Any) -> Any:
    return Decimal(value) if isinstance(value, str) and not _ISO_DATE.match(value) else value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _clean_one(spec: FieldSpec, value: Any) -> Any:
    if spec.kind in {Kind.CHOICE, Kind.TAG} and spec.choices:
        text = str(value).strip() if value is not None else ""
        if spec.name == "gender" and text == "":
            text = "unknown"
        if text not in spec.choice_values:
            raise ValueError(str(_("“%(value)s” is not one of: %(choices)s.")
                                 % {"value": text,
                                    "choices": ", ".join(v for v, _label in spec.choices)}))
        return text
    if spec.kind in {Kind.TEXT, Kind.TAG, Kind.RANKED}:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValueError(str(_("Give a text value.")))
        text = str(value).strip()
        if "\x00" in text:
            raise ValueError(str(_("Give a text value.")))
        if not text and spec.kind in {Kind.TAG, Kind.RANKED}:
            raise ValueError(str(_("Give a non-empty value.")))
        if len(text) > MAX_TEXT:
            raise ValueError(str(_("At most %(n)d characters.") % {"n": MAX_TEXT}))
        return text
    if spec.kind == Kind.INTEGER:
        number = _number(value)
        if number != int(number):
            raise ValueError(str(_("Give a whole number.")))
        _check_range(spec, number)
        return int(number)
    if spec.kind == Kind.AMOUNT:
        number = _number(value)
        _check_range(spec, number)
        return str(number.normalize()) if number != int(number) else str(int(number))
    # Kind.DATE
    try:
        if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
            raise ValueError
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ValueError(str(_("Give a date as YYYY-MM-DD."))) from None


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(str(_("Give a number.")))
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(str(_("Give a number."))) from None
    if not number.is_finite():
        raise ValueError(str(_("Give a number.")))
    return number


def _check_range(spec: FieldSpec, number: Decimal) -> None:
    if spec.minimum is not None and number < spec.minimum:
        raise ValueError(str(_("Must be at least %(n)d.") % {"n": spec.minimum}))
    if spec.maximum is not None and number > spec.maximum:
        raise ValueError(str(_("Must be at most %(n)d.") % {"n": spec.maximum}))


def describe(rule: Rule) -> str:
    """The rule in words, e.g. "region is any of 서울, 부산"."""
    spec = FIELDS[rule.field]
    labels = dict(spec.choices)
    values = rule.value if isinstance(rule.value, list) else [rule.value]
    shown = [str(labels.get(v, v)) for v in values]
    text = " – ".join(shown) if rule.op == "between" else ", ".join(shown)
    return str(RULE_SENTENCES[rule.op]) % {"field": spec.label, "value": text}


def empty_definition() -> dict[str, Any]:
    return {"match": "all", "rules": []}
