"""Writes of the insights app: alert rules (checked field by field, audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import FieldProblem, NotFound, ValidationFailed
from dangol.feedback import selectors as feedback_selectors
from dangol.insights import evaluation
from dangol.insights.models import DETECTOR_METRICS, AlertEvent, AlertRule, Condition, Metric
from dangol.surveys.models import Response, Survey
from dangol.webhooks import dispatch as webhook_dispatch
from dangol.webhooks import signing, transport

VIEW = "insights.view"
MANAGE = "insights.manage_alerts"
MAX_EMAILS = 20
URL_MAX_LENGTH = 500
#: The range a threshold may take, in the unit the metric is shown in.
THRESHOLD_RANGES: dict[str, tuple[float, float]] = {
    Metric.NPS: (-100.0, 100.0),
    Metric.CSAT: (1.0, 5.0),
    Metric.CES: (1.0, 7.0),
    Metric.RESPONSE_RATE: (0.0, 100.0),
    Metric.THEME_NEGATIVE: (0.0, 100.0),
}
RULE_FIELDS = ["name", "active", "metric", "condition", "threshold", "confidence", "min_n",
               "window_days", "survey", "channel", "theme", "emails", "slack_url",
               "webhook_url", "language"]
_url_validator = URLValidator(schemes=["http", "https"])


@dataclass
class RuleInput:
    """What a form or the API sends for a rule; checked by :func:`check_rule`."""

    name: Any = ""
    metric: Any = ""
    condition: Any = Condition.THRESHOLD
    threshold: Any = None
    confidence: Any = 0.95
    min_n: Any = 30
    window_days: Any = 7
    survey_pk: Any = None
    channel: Any = ""
    theme: Any = ""
    emails: Any = field(default_factory=list)
    slack_url: Any = ""
    webhook_url: Any = ""
    language: Any = "ko"
    active: Any = True


def split_emails(value: Any) -> list[str]:
    """Addresses from a list or from text separated by commas, semicolons or new lines."""
    if isinstance(value, list | tuple):
        parts = [str(v) for v in value]
    else:
        parts = str(value or "").replace(";", ",").replace("\n", ",").split(",")
    return [p.strip() for p in parts if p and p.strip()]


def _number(value: Any, *, integer: bool = False) -> float | int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if integer:
        if number != int(number):
            raise ValueError
        return int(number)
    return number


def _check_url(name: str, url: str) -> FieldProblem | None:
    if len(url) > URL_MAX_LENGTH:
        return FieldProblem(name, _("The URL is longer than %(max)d characters.")
                            % {"max": URL_MAX_LENGTH})
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in {"http", "https"}:
        return FieldProblem(name, _("The URL must start with https:// or http://."))
    try:
        _url_validator(url)
    except DjangoValidationError:
        return FieldProblem(name, _("Enter a valid URL, such as https://example.com/hooks."))
    host = urlsplit(url).hostname or ""
    if not webhook_dispatch.allow_private_networks() and not _may_be_public(host):
        return FieldProblem(name, _("Receivers in private networks are not allowed here."))
    return None


def _may_be_public(host: str) -> bool:
    if not host or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return transport.is_public(host)
    except ValueError:
        return True  # a name: checked again on every send


@dataclass
class CheckedRule:
    values: dict[str, Any]
    problems: list[FieldProblem]


def check_rule(data: RuleInput) -> CheckedRule:
    """Every problem of ``data``, one per field, and the cleaned values."""
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    name = str(data.name or "").strip()
    if not name:
        problems.append(FieldProblem("name", _("Give the rule a name.")))
    elif len(name) > 120:
        problems.append(FieldProblem("name", _("At most 120 characters.")))
    values["name"] = name
    metric = str(data.metric or "")
    if metric not in Metric.values:
        problems.append(FieldProblem("metric", _("Choose one of the metrics.")))
    values["metric"] = metric
    condition = str(data.condition or "")
    if metric in DETECTOR_METRICS:
        condition = Condition.SIGNIFICANT
    if condition not in Condition.values:
        problems.append(FieldProblem("condition", _("Choose one of the conditions.")))
    values["condition"] = condition
    try:
        threshold = _number(data.threshold)
    except (TypeError, ValueError):
        threshold = None
        problems.append(FieldProblem("threshold", _("Enter a number.")))
    else:
        if condition == Condition.THRESHOLD and metric in THRESHOLD_RANGES:
            low, high = THRESHOLD_RANGES[metric]
            if threshold is None:
                problems.append(FieldProblem("threshold", _("Enter the threshold.")))
            elif not low <= threshold <= high:
                problems.append(FieldProblem(
                    "threshold", _("Enter a number from %(low)s to %(high)s.")
                    % {"low": f"{low:g}", "high": f"{high:g}"}))
        elif condition != Condition.THRESHOLD:
            threshold = None
    values["threshold"] = threshold
    for name_, low_, high_, integer, default in (
            ("confidence", 0.5, 0.999, False, 0.95), ("min_n", 1, 1_000_000, True, 30),
            ("window_days", 1, 365, True, 7)):
        raw = getattr(data, name_)
        try:
            number = _number(raw, integer=integer)
        except (TypeError, ValueError):
            problems.append(FieldProblem(name_, _("Enter a whole number.") if integer
                                         else _("Enter a number.")))
            continue
        if number is None:
            number = default
        if name_ == "confidence" and number >= 1 and number < 100:
            number = number / 100  # 95 means 95 %
        if not low_ <= number <= high_:
            problems.append(FieldProblem(name_, _("Enter a number from %(low)s to %(high)s.")
                                         % {"low": f"{low_:g}", "high": f"{high_:g}"}))
        values[name_] = number
    survey_pk = data.survey_pk
    if survey_pk in ("", None):
        values["survey_id"] = None
    else:
        try:
            survey_pk = int(survey_pk)
        except (TypeError, ValueError):
            survey_pk = 0
        if not Survey.objects.filter(pk=survey_pk).exists():
            problems.append(FieldProblem("survey", _("No survey with this ID.")))
        values["survey_id"] = survey_pk
    channel = str(data.channel or "")
    if channel and channel not in Response.Channel.values:
        problems.append(FieldProblem("channel", _("Unknown channel.")))
    values["channel"] = channel
    theme = str(data.theme or "").strip()
    known = feedback_selectors.taxonomy_snapshot()
    if theme and known.find(theme) is None:
        problems.append(FieldProblem("theme", _("Unknown theme “%(theme)s”.") % {"theme": theme}))
    elif not theme and metric == Metric.THEME_NEGATIVE:
        problems.append(FieldProblem("theme", _("Choose the theme to watch.")))
    values["theme"] = theme
    emails = split_emails(data.emails)
    if len(emails) > MAX_EMAILS:
        problems.append(FieldProblem("emails", _("At most %(max)d addresses.")
                                     % {"max": MAX_EMAILS}))
    for address in emails:
        try:
            validate_email(address)
        except DjangoValidationError:
            problems.append(FieldProblem("emails", _("“%(address)s” is not an e-mail address.")
                                         % {"address": address}))
            break
    values["emails"] = sorted(set(emails), key=emails.index)
    for name_ in ("slack_url", "webhook_url"):
        url = str(getattr(data, name_) or "").strip()
        problem = _check_url(name_, url) if url else None
        if problem:
            problems.append(problem)
        values[name_] = url
    if not (emails or values["slack_url"] or values["webhook_url"]):
        problems.append(FieldProblem("emails", _(
            "Give at least one destination: an e-mail address, a Slack URL or a webhook URL.")))
    language = str(data.language or "ko")
    if language not in {"ko", "en"}:
        problems.append(FieldProblem("language", _("Choose Korean or English.")))
    values["language"] = language
    values["active"] = bool(data.active)
    return CheckedRule(values, problems)


def save_rule(*, actor: Actor, data: RuleInput, rule_pk: int | None = None) -> AlertRule:
    """Create an alert rule, or change rule ``rule_pk``; writes an audit row naming the
    changed fields. Locks the rule row while changing it. Raises PermissionDenied,
    NotFound, or ValidationFailed naming each bad field (nothing is saved then)."""
    require(actor, MANAGE)
    checked = check_rule(data)
    if checked.problems:
        raise ValidationFailed(checked.problems, _("The alert rule was not saved."))
    with transaction.atomic():
        if rule_pk is None:
            rule = AlertRule(created_by=actor.user)
            changed = list(RULE_FIELDS)
        else:
            found = AlertRule.objects.select_for_update().filter(pk=rule_pk).first()
            if found is None:
                raise NotFound(_("No alert rule with ID %(id)s.") % {"id": rule_pk})
            rule = found
            changed = [name for name in RULE_FIELDS
                       if getattr(rule, "survey_id" if name == "survey" else name)
                       != checked.values["survey_id" if name == "survey" else name]]
        for name, value in checked.values.items():
            setattr(rule, name, value)
        if rule.webhook_url and not rule.webhook_secret:
            rule.webhook_secret = signing.generate_secret()
        rule.save()
        record_audit(actor=actor, action="create" if rule_pk is None else "update", obj=rule,
                     fields=changed)
    return rule


def delete_rule(*, actor: Actor, rule_pk: int) -> None:
    """Delete rule ``rule_pk`` with its alerts and deliveries; audited."""
    require(actor, MANAGE)
    with transaction.atomic():
        rule = AlertRule.objects.select_for_update().filter(pk=rule_pk).first()
        if rule is None:
            raise NotFound(_("No alert rule with ID %(id)s.") % {"id": rule_pk})
        record_audit(actor=actor, action="delete", obj=rule, fields=[])
        rule.delete()


def rule_input(rule: AlertRule) -> RuleInput:
    """The input that saves ``rule`` unchanged (the start of an edit)."""
    return RuleInput(name=rule.name, metric=rule.metric, condition=rule.condition,
                     threshold=rule.threshold, confidence=rule.confidence, min_n=rule.min_n,
                     window_days=rule.window_days, survey_pk=rule.survey_id,
                     channel=rule.channel, theme=rule.theme, emails=list(rule.emails),
                     slack_url=rule.slack_url, webhook_url=rule.webhook_url,
                     language=rule.language, active=rule.active)


def send_test(*, actor: Actor, rule_pk: int) -> AlertEvent:
    """Send a test alert with the rule's current reading to each of its destinations."""
    require(actor, MANAGE)
    return evaluation.test_rule(rule_pk=rule_pk)
