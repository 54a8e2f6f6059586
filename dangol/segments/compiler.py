"""Turning a parsed segment definition into one ``Q`` over customers.

Every rule becomes a condition on the customer row, a join to its score, or a
correlated subquery (EXISTS, or a scalar such as the order count), so that
counting or listing a segment is a single SQL statement on SQLite and
PostgreSQL alike; no customer is ever loaded into Python to be tested.

Relative rules (age band, days since the last order) are resolved against the
business time zone's date at the moment of compiling, so a saved segment's
membership moves with time as well as with the data.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IsNull,
    LessThan,
    LessThanOrEqual,
    Range,
)
from django.utils import timezone

from dangol.cases.models import OPEN_STATUSES, Case
from dangol.customers.models import Consent, Order, OrderLine, OrderStatus
from dangol.loyalty.models import Account, Tier
from dangol.segments.rules import NEGATIVE_OPS, NPS_CATEGORIES, Group, Rule
from dangol.surveys.models import Response, SurveyVersion

#: Orders that did not end in a sale count for nothing (as in scoring and retention).
NOT_PURCHASES = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)

EVERYONE = Q(pk__isnull=False)
NOBODY = Q(pk__in=[])


@dataclass
class Context:
    """What compiling needs besides the rules: today's date and the survey questions."""

    today: date
    _question_keys: dict[str, dict[int, set[str]]] = field(default_factory=dict)

    @classmethod
    def now(cls) -> Context:
        return cls(today=timezone.localdate())

    def question_keys(self, question_type: str) -> dict[int, set[str]]:
        """Survey id → keys of its questions of ``question_type`` in any published version.

        Reads one row per survey version (not per customer or response).
        """
        if question_type not in self._question_keys:
            keys: dict[int, set[str]] = {}
            for survey_id, definition in SurveyVersion.objects.values_list("survey_id",
                                                                           "definition"):
                for question in (definition or {}).get("questions", []):
                    if isinstance(question, dict) and question.get("type") == question_type:
                        keys.setdefault(survey_id, set()).add(str(question.get("key")))
            self._question_keys[question_type] = keys
        return self._question_keys[question_type]


def compile_group(group: Group, context: Context | None = None) -> Q:
    """One condition on Customer for a parsed definition (see rules.parse_definition)."""
    context = context or Context.now()
    parts = [compile_group(r, context) if isinstance(r, Group) else _compile_rule(r, context)
             for r in group.rules]
    if not parts:
        return EVERYONE
    return functools.reduce(operator.and_ if group.match == "all" else operator.or_, parts)


def _any(parts: list[Q]) -> Q:
    return functools.reduce(operator.or_, parts) if parts else NOBODY


# --- building blocks ----------------------------------------------------------------


def _column(path: str, op: str, value: Any) -> Q:
    """A rule on a column (of the customer or its score); Django's negation keeps NULLs in."""
    match op:
        case "eq":
            return Q(**{path: value})
        case "neq":
            return ~Q(**{path: value})
        case "in":
            return Q(**{f"{path}__in": value})
        case "not_in":
            return ~Q(**{f"{path}__in": value})
        case "contains":
            return Q(**{f"{path}__icontains": value})
        case "between":
            return Q(**{f"{path}__gte": value[0], f"{path}__lte": value[1]})
        case "gt" | "gte" | "lt" | "lte":
            return Q(**{f"{path}__{op}": value})
    raise AssertionError(op)


_LOOKUPS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": Exact, "gt": GreaterThan, "gte": GreaterThanOrEqual, "lt": LessThan,
    "lte": LessThanOrEqual,
}


def _expression(expr: Expression | Subquery, op: str, value: Any, *, nullable: bool) -> Q:
    """A rule on a computed value; with ``nullable``, neq also matches customers without one."""
    match op:
        case "neq":
            negative = ~Q(Exact(expr, value))
            return negative | Q(IsNull(expr, True)) if nullable else negative
        case "between":
            return Q(Range(expr, (value[0], value[1])))
        case "in":
            return _any([Q(Exact(expr, v)) for v in value])
        case "not_in":
            negative = ~_any([Q(Exact(expr, v)) for v in value])
            return negative | Q(IsNull(expr, True)) if nullable else negative
    return Q(_LOOKUPS[op](expr, value))


def _tag(exists: Callable[[list[Any]], Exists], op: str, value: Any) -> Q:
    """Rules of the form "has any of these" (eq/in) or "has none of these" (neq/not_in)."""
    values = value if isinstance(value, list) else [value]
    condition = Q(exists(values))
    return ~condition if op in NEGATIVE_OPS else condition


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _purchases() -> Any:
    return Order.objects.filter(customer=OuterRef("pk")).exclude(status__in=NOT_PURCHASES)


# --- one function per field ---------------------------------------------------------


def _age_band(rule: Rule, context: Context) -> Q:
    def band(name: str) -> Q:
        low = int(name.removesuffix("s"))
        # Aged low..low+9 today: born after today-(low+10) years, on or before today-low.
        return Q(birthday__gt=_years_before(context.today, low + 10),
                 birthday__lte=_years_before(context.today, low))

    values = rule.value if isinstance(rule.value, list) else [rule.value]
    condition = _any([band(v) for v in values])
    return ~condition if rule.op in NEGATIVE_OPS else condition


def _gender(rule: Rule, context: Context) -> Q:
    def stored(v: str) -> str:
        return "" if v == "unknown" else v
    value = [stored(v) for v in rule.value] if isinstance(rule.value, list) else stored(rule.value)
    return _column("gender", rule.op, value)


def _joined_at(rule: Rule, context: Context) -> Q:
    def bound(op: str, iso: str) -> Q:
        day = date.fromisoformat(iso)
        if op == "gte":
            return Q(joined_at__gte=_start_of(day))
        return Q(joined_at__lt=_start_of(day + timedelta(days=1)))

    if rule.op == "between":
        return bound("gte", rule.value[0]) & bound("lte", rule.value[1])
    return bound(rule.op, rule.value)


def _score_column(name: str) -> Callable[[Rule, Context], Q]:
    def compile_(rule: Rule, context: Context) -> Q:
        return _column(f"score__{name}", rule.op, rule.value)
    return compile_


def _text_column(name: str) -> Callable[[Rule, Context], Q]:
    def compile_(rule: Rule, context: Context) -> Q:
        return _column(name, rule.op, rule.value)
    return compile_


def _order_count(rule: Rule, context: Context) -> Q:
    count = _purchases().order_by().values("customer").annotate(n=Count("pk")).values("n")
    expr = Coalesce(Subquery(count, output_field=IntegerField()), Value(0))
    return _expression(expr, rule.op, rule.value, nullable=False)


def _total_spent(rule: Rule, context: Context) -> Q:
    total = (_purchases().order_by().values("customer")
             .annotate(total=Sum("total_amount")).values("total"))
    money = DecimalField(max_digits=16, decimal_places=2)
    expr = Coalesce(Subquery(total, output_field=money), Value(Decimal(0)), output_field=money)
    value = ([Decimal(v) for v in rule.value] if isinstance(rule.value, list)
             else Decimal(rule.value))
    return _expression(expr, rule.op, value, nullable=False)


def _last_order_days(rule: Rule, context: Context) -> Q:
    """Days since the last order, counted in business-time-zone dates.

    "At least N days" means the last order was on or before the date N days
    ago; customers without orders have no value (only negative rules match them).
    """
    ordered = _purchases()
    has_orders = Exists(ordered)

    def since(days: int) -> Exists:  # an order on the date ``days`` ago or later
        return Exists(ordered.filter(ordered_at__gte=_start_of(context.today
                                                               - timedelta(days=days))))

    def at_least(days: int) -> Q:
        return Q(has_orders) & ~Q(since(days - 1)) if days > 0 else Q(has_orders)

    def at_most(days: int) -> Q:
        return Q(since(days)) if days >= 0 else NOBODY

    value = rule.value
    match rule.op:
        case "gte":
            return at_least(value)
        case "gt":
            return at_least(value + 1)
        case "lte":
            return at_most(value)
        case "lt":
            return at_most(value - 1)
        case "between":
            return at_least(value[0]) & at_most(value[1])
        case "eq":
            return at_least(value) & at_most(value)
        case "neq":
            return ~(at_least(value) & at_most(value))
    raise AssertionError(rule.op)


def _product_category(rule: Rule, context: Context) -> Q:
    def exists(values: list[Any]) -> Exists:
        return Exists(OrderLine.objects.filter(order__customer=OuterRef("pk"),
                                               product__category__in=values)
                      .exclude(order__status__in=NOT_PURCHASES))
    return _tag(exists, rule.op, rule.value)


def _consent(rule: Rule, context: Context) -> Q:
    def exists(values: list[Any]) -> Exists:
        pairs = _any([Q(channel=v.split(":")[0], purpose=v.split(":")[1]) for v in values])
        granted = Q(granted_at__isnull=False) & (Q(withdrawn_at__isnull=True)
                                                 | Q(withdrawn_at__lt=F("granted_at")))
        return Exists(Consent.objects.filter(pairs, granted, customer=OuterRef("pk")))
    return _tag(exists, rule.op, rule.value)


def _last_answer(question_type: str, context: Context) -> Subquery | None:
    """The number the customer gave in their latest completed response to a question of
    ``question_type``; None when no published survey asks one.

    The subquery must start from the customer's own responses (indexed by
    customer). Compared as ``survey_id + 0``, the survey cannot lead a database
    to plan it from the survey indexes instead, which would read every response
    of the survey once per customer (SQLite does so without table statistics).
    """
    keys = context.question_keys(question_type)
    if not keys:
        return None
    asked = _any([Q(survey_plus_0=survey_id, answer_rows__question__in=sorted(k))
                  for survey_id, k in sorted(keys.items())])
    latest = (Response.objects.alias(survey_plus_0=F("survey_id") + Value(0))
              .filter(asked, customer=OuterRef("pk"), status=Response.Status.COMPLETED,
                      answer_rows__row="", answer_rows__number__isnull=False)
              .order_by("-completed_at", "-pk").values("answer_rows__number")[:1])
    return Subquery(latest, output_field=IntegerField())


def _nps_category(rule: Rule, context: Context) -> Q:
    last = _last_answer("nps", context)
    negative = rule.op in NEGATIVE_OPS
    if last is None:
        return EVERYONE if negative else NOBODY
    values = rule.value if isinstance(rule.value, list) else [rule.value]
    # One BETWEEN per category, so that the subquery runs once per customer.
    condition = _any([Q(Range(last, NPS_CATEGORIES[v])) for v in values])
    return ~condition | Q(IsNull(last, True)) if negative else condition


def _last_csat(rule: Rule, context: Context) -> Q:
    last = _last_answer("csat", context)
    if last is None:
        return EVERYONE if rule.op in NEGATIVE_OPS else NOBODY
    return _expression(last, rule.op, rule.value, nullable=True)


def _open_cases(rule: Rule, context: Context) -> Q:
    """The number of the customer's cases still needing work (new, open, pending)."""
    count = (Case.objects.filter(customer=OuterRef("pk"), status__in=OPEN_STATUSES)
             .order_by().values("customer").annotate(n=Count("pk")).values("n"))
    expr = Coalesce(Subquery(count, output_field=IntegerField()), Value(0))
    return _expression(expr, rule.op, rule.value, nullable=False)


def _loyalty_tier(rule: Rule, context: Context) -> Q:
    """The tier of the customer's loyalty account (in any program), by tier name.

    "At least Gold" (gte) means a tier whose rank is at or above that of the tier
    named Gold in the same program; customers without a tier match only neq/not_in.
    """
    accounts = Account.objects.filter(customer=OuterRef("pk"), tier__isnull=False)
    if rule.op in {"gte", "lte"}:
        named = Tier.objects.filter(program=OuterRef("program"), name=rule.value)
        rank = Subquery(named.values("rank")[:1])
        return Q(Exists(accounts.filter(**{f"tier__rank__{rule.op}": rank})))
    values = rule.value if isinstance(rule.value, list) else [rule.value]
    return _tag(lambda names: Exists(accounts.filter(tier__name__in=names)), rule.op, values)


_COMPILERS: dict[str, Callable[[Rule, Context], Q]] = {
    "age_band": _age_band,
    "gender": _gender,
    "region": _text_column("region"),
    "language": _text_column("language"),
    "joined_at": _joined_at,
    "rfm_segment": _score_column("rfm_segment"),
    "R": _score_column("R"),
    "F": _score_column("F"),
    "M": _score_column("M"),
    "churn_risk": _score_column("churn_risk"),
    "order_count": _order_count,
    "total_spent": _total_spent,
    "last_order_days": _last_order_days,
    "product_category": _product_category,
    "consent": _consent,
    "nps_category": _nps_category,
    "last_csat": _last_csat,
    "open_cases": _open_cases,
    "loyalty_tier": _loyalty_tier,
}


def _compile_rule(rule: Rule, context: Context) -> Q:
    return _COMPILERS[rule.field](rule, context)
