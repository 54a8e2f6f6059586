"""Pages: the dashboard, the alert rules, one rule with its alerts, creating and editing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError, FieldProblem, ValidationFailed
from dangol.feedback import selectors as feedback_selectors
from dangol.insights import alert_selectors, charts, evaluation, services
from dangol.insights import dashboard as dashboards
from dangol.insights.forms import AlertRuleForm, DashboardForm
from dangol.insights.models import AlertRule
from dangol.insights.selectors import Scope
from dangol.web.decorators import permission_required

VIEW = services.VIEW
MANAGE = services.MANAGE
EVENTS_SHOWN = 50


def scope_and_window(form: DashboardForm) -> tuple[Scope, Any, str]:
    """Scope, window and grain from a bound dashboard form; ValidationFailed when wrong."""
    if not form.is_valid():
        raise ValidationFailed([FieldProblem(name, " ".join(str(e) for e in errors))
                                for name, errors in form.errors.items()])
    data = form.cleaned_data
    window = dashboards.window_for(period=data.get("period") or "30", since=data.get("since"),
                                   until=data.get("until"))
    scope = Scope(survey_pk=data.get("survey"), channel=data.get("channel") or "",
                  store=data.get("store") or "", segment_pk=data.get("segment"))
    return scope, window, data.get("grain") or ""


def _charts(board: dashboards.Dashboard) -> list[charts.LineChart]:
    labels = [dashboards.bucket_label(row["start"], board.grain) for row in board.trend]
    minimum = dashboards.MIN_N
    return [
        charts.line_chart(key="nps", title=_("NPS"), rows=board.trend, field_name="nps",
                          low=-100, high=100, labels=labels, min_n=minimum),
        charts.line_chart(key="csat", title=_("CSAT (1–5)"), rows=board.trend,
                          field_name="csat", low=1, high=5, labels=labels, min_n=minimum),
        charts.line_chart(key="ces", title=_("CES (1–7)"), rows=board.trend, field_name="ces",
                          low=1, high=7, labels=labels, min_n=minimum),
    ]


@login_required
@permission_required(VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardForm(request.GET or {"period": "30"})
    language = translation.get_language() or "ko"
    try:
        scope, window, grain = scope_and_window(form)
    except ValidationFailed as error:
        for problem in error.problems:
            label = form.fields[problem.field].label if problem.field in form.fields else ""
            messages.error(request, f"{label}: {problem.message}" if label else problem.message)
        scope, window, grain = Scope(), dashboards.window_for(period="30"), ""
    board = dashboards.build_dashboard(scope=scope, window=window, grain=grain,
                                       language=language)
    return render(request, "insights/dashboard.html", {
        "nav_current": "insights", "form": form, "board": board, "charts": _charts(board),
        "period_end": window.end, "min_n": dashboards.MIN_N})


# --- alerts ---------------------------------------------------------------------------------


@login_required
@permission_required(VIEW)
def alert_list(request: HttpRequest) -> HttpResponse:
    rules = list(alert_selectors.list_rules())
    return render(request, "insights/alerts.html", {
        "nav_current": "alerts", "rules": rules,
        "events": alert_selectors.recent_events(20),
        "can_manage": request.user.has_perm(MANAGE)})


def _find_rule(pk: int) -> AlertRule:
    rule = alert_selectors.find_rule(pk)
    if rule is None:
        raise Http404
    return rule


def _form_data(form: AlertRuleForm) -> services.RuleInput:
    data = form.data
    return services.RuleInput(
        name=data.get("name", ""), metric=data.get("metric", ""),
        condition=data.get("condition", ""), threshold=data.get("threshold", ""),
        confidence=data.get("confidence", ""), min_n=data.get("min_n", ""),
        window_days=data.get("window_days", ""), survey_pk=data.get("survey", ""),
        channel=data.get("channel", ""), theme=data.get("theme", ""),
        emails=data.get("emails", ""), slack_url=data.get("slack_url", ""),
        webhook_url=data.get("webhook_url", ""), language=data.get("language", "ko"),
        active=data.get("active") in {"on", "true", "1", "True"})


def _edit(request: HttpRequest, rule: AlertRule | None) -> HttpResponse:
    if request.method == "POST":
        form = AlertRuleForm(request.POST)
        form.is_valid()  # the service checks every field; the form only renders them
        try:
            saved = services.save_rule(actor=actor_from_request(request),
                                       data=_form_data(form),
                                       rule_pk=rule.pk if rule else None)
        except ValidationFailed as error:
            form.errors.clear()
            for problem in error.problems:
                form.add_error(problem.field if problem.field in form.fields else None,
                               problem.message)
            status = 422
        except DomainError as error:
            messages.error(request, str(error.message))
            status = error.status
        else:
            messages.success(request, _("The alert rule was saved."))
            return redirect("insights:rule", saved.pk)
    else:
        initial: dict[str, Any] = {"language": translation.get_language() or "ko"}
        if rule is not None:
            data = services.rule_input(rule)
            initial = {"name": data.name, "metric": data.metric, "condition": data.condition,
                       "threshold": data.threshold, "confidence": data.confidence,
                       "min_n": data.min_n, "window_days": data.window_days,
                       "survey": data.survey_pk, "channel": data.channel, "theme": data.theme,
                       "emails": ", ".join(data.emails), "slack_url": data.slack_url,
                       "webhook_url": data.webhook_url, "language": data.language,
                       "active": data.active}
        form = AlertRuleForm(initial=initial)
        status = 200
    language = translation.get_language() or "ko"
    return render(request, "insights/rule_form.html", {
        "nav_current": "alerts", "form": form, "rule": rule,
        "themes": feedback_selectors.theme_choices(language)}, status=status)


@login_required
@permission_required(MANAGE)
def rule_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@login_required
@permission_required(MANAGE)
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, _find_rule(pk))


@login_required
@permission_required(VIEW)
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _find_rule(pk)
    events = list(alert_selectors.rule_events(rule)[:EVENTS_SHOWN])
    return render(request, "insights/rule.html", {
        "nav_current": "alerts", "rule": rule, "events": events,
        "destinations": evaluation.destinations(rule),
        "can_manage": request.user.has_perm(MANAGE)})


@login_required
@permission_required(MANAGE)
@require_POST
def rule_test(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _find_rule(pk)
    services.send_test(actor=actor_from_request(request), rule_pk=rule.pk)
    messages.success(request, _("A test alert was sent to every destination; see below how "
                                "each delivery went."))
    return redirect("insights:rule", rule.pk)


@login_required
@permission_required(MANAGE)
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _find_rule(pk)
    services.delete_rule(actor=actor_from_request(request), rule_pk=rule.pk)
    messages.success(request, _("The alert rule was deleted."))
    return redirect("insights:alerts")

