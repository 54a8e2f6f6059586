"""Writes of case rules: which survey answers open a case, with which priority and owner."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.cases.models import CONDITION_SCALES, CaseRule, Condition
from dangol.cases.services.cases import check_priority, find_assignee
from dangol.core.errors import FieldProblem, NotFound, ValidationFailed
from dangol.surveys.models import Survey

MANAGE = "cases.manage_rules"
MAX_FOLLOWUP_DAYS = 365


@dataclass
class RuleInput:
    name: str
    condition: str
    threshold: int | None = None
    priority: str = "normal"
    survey_pks: list[int] = field(default_factory=list)
    default_assignee_pk: int | None = None
    active: bool = True
    followup_survey_pk: int | None = None
    followup_days: int = 7


def _check(data: RuleInput) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    name = (data.name or "").strip()
    if not name:
        problems.append(FieldProblem("name", _("Give the rule a name.")))
    elif len(name) > 100:
        problems.append(FieldProblem("name", _("At most %(n)d characters.") % {"n": 100}))
    if data.condition not in Condition.values:
        problems.append(FieldProblem("condition", _("Choose a condition: %(choices)s.")
                                     % {"choices": ", ".join(Condition.values)}))
    elif data.condition in CONDITION_SCALES:
        _type, low, high = CONDITION_SCALES[data.condition]
        if data.threshold is None:
            problems.append(FieldProblem("threshold", _("Give the score that opens a case.")))
        elif not low <= data.threshold <= high:
            problems.append(FieldProblem("threshold", _("Give a score from %(low)d to %(high)d.")
                                         % {"low": low, "high": high}))
    try:
        check_priority(data.priority)
    except ValidationFailed as error:
        problems += error.problems
    try:
        find_assignee(data.default_assignee_pk, field="default_assignee")
    except ValidationFailed as error:
        problems += error.problems
    if data.followup_survey_pk is not None and not Survey.objects.filter(
            pk=data.followup_survey_pk).exists():
        problems.append(FieldProblem("followup_survey", _("No survey with ID %(ids)s.")
                                     % {"ids": data.followup_survey_pk}))
    if not 0 <= data.followup_days <= MAX_FOLLOWUP_DAYS:
        problems.append(FieldProblem("followup_days", _("Give a number of days from 0 to "
                                                        "%(n)d.") % {"n": MAX_FOLLOWUP_DAYS}))
    known = set(Survey.objects.filter(pk__in=data.survey_pks).values_list("pk", flat=True))
    missing = [pk for pk in data.survey_pks if pk not in known]
    if missing:
        problems.append(FieldProblem("surveys", _("No survey with ID %(ids)s.")
                                     % {"ids": ", ".join(str(pk) for pk in missing)}))
    return problems


def save_rule(*, actor: Actor, data: RuleInput, rule_pk: int | None = None) -> CaseRule:
    """Create a case rule, or change rule ``rule_pk``. Raises PermissionDenied, NotFound,
    or ValidationFailed naming each bad field (nothing is saved then)."""
    require(actor, MANAGE)
    problems = _check(data)
    if problems:
        raise ValidationFailed(problems, _("The rule was not saved."))
    with transaction.atomic():
        if rule_pk is None:
            rule = CaseRule()
        else:
            found = CaseRule.objects.select_for_update().filter(pk=rule_pk).first()
            if found is None:
                raise NotFound(_("No case rule with ID %(id)s.") % {"id": rule_pk})
            rule = found
        rule.name = data.name.strip()
        rule.condition = data.condition
        rule.threshold = data.threshold if data.condition in CONDITION_SCALES else None
        rule.priority = data.priority
        rule.default_assignee_id = data.default_assignee_pk
        rule.active = data.active
        rule.followup_survey_id = data.followup_survey_pk
        rule.followup_days = data.followup_days
        rule.save()
        rule.surveys.set(data.survey_pks)
        record_audit(actor=actor, action="create" if rule_pk is None else "update", obj=rule,
                     fields=["name", "condition", "threshold", "priority", "surveys",
                             "default_assignee", "active", "followup_survey", "followup_days"])
    return rule
