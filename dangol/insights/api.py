"""REST endpoints of the insights app (thin: parse, authorise, call a service or selector)."""

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.core.errors import NotFound
from dangol.customers.selectors import paginate
from dangol.insights import alert_selectors, services
from dangol.insights import dashboard as dashboards
from dangol.insights.models import AlertRule
from dangol.insights.schemas import (
    AlertEventOut,
    AlertEventPage,
    AlertRuleIn,
    AlertRuleOut,
    AlertRulePatch,
    AlertRuleSavedOut,
    DashboardQuery,
)
from dangol.insights.selectors import Scope

router = Router(tags=["insights"])


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class EventFilters(Schema):
    rule_id: int | None = None
    include_tests: bool = True
    cursor: str | None = Field(None, description="next_cursor from the previous page")
    limit: int = Field(100, ge=1, le=1000)


@router.get("/dashboard", response={200: dict[str, Any], 403: ErrorOut, 422: ErrorOut})
def get_dashboard(request: HttpRequest, filters: Query[DashboardQuery]) -> Any:
    """Every dashboard figure for a period, compared with the period before it. A tile with
    ``enough_data: false`` has too few answers for its number to mean much."""
    require(actor_from_request(request), services.VIEW)
    window = dashboards.window_for(period=filters.period, since=filters.since,
                                   until=filters.until)
    scope = Scope(survey_pk=filters.survey_id, channel=filters.channel, store=filters.store,
                  segment_pk=filters.segment_id)
    board = dashboards.build_dashboard(scope=scope, window=window, grain=filters.grain,
                                       language=translation.get_language() or "ko")
    return board.as_dict()


def _rule(rule_id: int) -> AlertRule:
    rule = alert_selectors.find_rule(rule_id)
    if rule is None:
        raise NotFound(_("No alert rule with ID %(id)s.") % {"id": rule_id})
    return rule


def _input(payload: AlertRuleIn) -> services.RuleInput:
    data = payload.dict()
    data["survey_pk"] = data.pop("survey_id")
    return services.RuleInput(**data)


@router.get("/alert-rules", response={200: list[AlertRuleOut], 403: ErrorOut})
def list_rules(request: HttpRequest) -> Any:
    require(actor_from_request(request), services.VIEW)
    return list(alert_selectors.list_rules())


@router.post("/alert-rules", response={201: AlertRuleSavedOut, 403: ErrorOut, 422: ErrorOut})
def create_rule(request: HttpRequest, payload: AlertRuleIn) -> Status[Any]:
    """Create a rule; a webhook destination gets a signing secret (returned here)."""
    rule = services.save_rule(actor=actor_from_request(request), data=_input(payload))
    return Status(201, _rule(rule.pk))


@router.get("/alert-rules/{rule_id}", response={200: AlertRuleOut, 403: ErrorOut,
                                                404: ErrorOut})
def get_rule(request: HttpRequest, rule_id: int) -> Any:
    require(actor_from_request(request), services.VIEW)
    return _rule(rule_id)


@router.put("/alert-rules/{rule_id}", response={200: AlertRuleSavedOut, 403: ErrorOut,
                                                404: ErrorOut, 422: ErrorOut})
def replace_rule(request: HttpRequest, rule_id: int, payload: AlertRuleIn) -> Any:
    services.save_rule(actor=actor_from_request(request), data=_input(payload), rule_pk=rule_id)
    return _rule(rule_id)


@router.patch("/alert-rules/{rule_id}", response={200: AlertRuleSavedOut, 403: ErrorOut,
                                                  404: ErrorOut, 422: ErrorOut})
def change_rule(request: HttpRequest, rule_id: int, payload: AlertRulePatch) -> Any:
    """Change only the fields sent."""
    actor = actor_from_request(request)
    require(actor, services.MANAGE)
    data = services.rule_input(_rule(rule_id))
    for name, value in payload.dict(exclude_unset=True).items():
        setattr(data, "survey_pk" if name == "survey_id" else name, value)
    services.save_rule(actor=actor, data=data, rule_pk=rule_id)
    return _rule(rule_id)


@router.delete("/alert-rules/{rule_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def delete_rule(request: HttpRequest, rule_id: int) -> Status[None]:
    services.delete_rule(actor=actor_from_request(request), rule_pk=rule_id)
    return Status(204, None)


@router.post("/alert-rules/{rule_id}/test", response={201: AlertEventOut, 403: ErrorOut,
                                                      404: ErrorOut})
def test_rule(request: HttpRequest, rule_id: int) -> Status[Any]:
    """Send a test alert with the current reading to every destination now."""
    event = services.send_test(actor=actor_from_request(request), rule_pk=_rule(rule_id).pk)
    return Status(201, alert_selectors.list_events().get(pk=event.pk))


@router.get("/alert-events", response={200: AlertEventPage, 403: ErrorOut, 422: ErrorOut})
def list_events(request: HttpRequest, filters: Query[EventFilters]) -> Any:
    """Alerts fired, newest first, each with its deliveries (status, attempts, last error)."""
    require(actor_from_request(request), services.VIEW)
    events = alert_selectors.list_events(rule_pk=filters.rule_id,
                                         include_tests=filters.include_tests)
    return paginate(events, cursor=filters.cursor, limit=filters.limit, newest_first=True)
