"""Cases opened and escalated without a person: rules on completed survey responses
and on negative reviews and posts of the feedback hub, and the SLA sweep.

Opening is idempotent: the database allows one case per (response, rule), so a
completion handled twice, or by two workers at once, opens one case.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import SYSTEM
from dangol.cases import sla
from dangol.cases.models import (
    CONDITION_SCALES,
    LOW_RATING_SHARE,
    OPEN_STATUSES,
    Case,
    CaseRule,
    Condition,
    EventKind,
    Source,
    Status,
)
from dangol.cases.services.events import publish_created, record_event
from dangol.core.errors import DomainError
from dangol.customers.models import Customer
from dangol.feedback import selectors as feedback_selectors
from dangol.feedback.models import FeedbackItem
from dangol.surveys import results as survey_results
from dangol.surveys.models import Response
from dangol.surveys.services.invitations import invite_customers

logger = logging.getLogger(__name__)

#: Cases the SLA sweep escalates per run; the next run takes the rest.
ESCALATION_BATCH = 500
SUMMARY_LENGTH = 120


def rules_for_survey(survey_pk: int, *, text: bool | None = None) -> QuerySet[CaseRule]:
    """Active rules that apply to a survey (rules without surveys apply to all);
    ``text`` True: only negative-text rules, False: only score rules."""
    rules = CaseRule.objects.filter(active=True).exclude(
        condition=Condition.NEGATIVE_REVIEW).filter(
        Q(surveys__isnull=True) | Q(surveys__pk=survey_pk)).distinct()
    if text:
        return rules.filter(condition=Condition.NEGATIVE_TEXT)
    if text is False:
        return rules.exclude(condition=Condition.NEGATIVE_TEXT)
    return rules


def handle_completion(*, response_pk: int, survey_pk: int) -> bool:
    """For the ``response_completed`` receiver: open the cases score rules call for.

    Returns whether negative-text rules apply to the survey (the caller then
    checks the written answers after the text analysis). One query when the
    survey has no rules, one cheap query when no rule is active at all (this runs
    inside every survey submission).
    """
    if not _any_active_rule():
        return False
    rules = list(rules_for_survey(survey_pk).select_related("default_assignee",
                                                             "followup_survey"))
    score_rules = [r for r in rules if r.condition != Condition.NEGATIVE_TEXT]
    if score_rules:
        # The signal is sent before the response's completed status is stored.
        response = _completed(response_pk, completing=True)
        if response is not None:
            _open_for_score_rules(response, score_rules)
    return len(score_rules) < len(rules)


def _any_active_rule() -> bool:
    # Plain SQL: compiling the ORM query would cost more than running it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM cases_caserule WHERE active LIMIT 1")
        return cursor.fetchone() is not None


def _completed(response_pk: int, *, completing: bool = False) -> Response | None:
    responses = Response.objects.select_related("survey", "version", "customer")
    if not completing:
        responses = responses.filter(status=Response.Status.COMPLETED)
    return responses.filter(pk=response_pk).first()


def _scores(response: Response, question_type: str) -> list[int]:
    types = {q.get("key"): q.get("type")
             for q in (response.version.definition or {}).get("questions", [])}
    return [value for key, value in response.answers.items()
            if types.get(key) == question_type and isinstance(value, int)
            and not isinstance(value, bool)]


def score_reason(rule: CaseRule, response: Response) -> str | None:
    """Why ``rule`` opens a case for ``response`` (e.g. "NPS 3 (at most 6)"), or None."""
    question_type, _low, _high = CONDITION_SCALES[rule.condition]
    scores = _scores(response, question_type)
    if not scores or rule.threshold is None:
        return None
    if rule.condition == Condition.CES_AT_LEAST:
        worst = max(scores)
        hit = worst >= rule.threshold
        limit = _("at least %(n)d") % {"n": rule.threshold}
    else:
        worst = min(scores)
        hit = worst <= rule.threshold
        limit = _("at most %(n)d") % {"n": rule.threshold}
    if not hit:
        return None
    return f"{question_type.upper()} {worst} ({limit})"


def open_cases_for_response(*, response_pk: int) -> list[Case]:
    """Open a case for each active score rule (NPS, CSAT, CES) that a completed
    response meets. Returns the cases opened now; none for rules that already
    opened one for this response. Safe to call twice and concurrently; call
    inside or outside a transaction.
    """
    response = _completed(response_pk)
    if response is None:
        return []
    rules = rules_for_survey(response.survey_id, text=False).select_related(
        "default_assignee", "followup_survey")
    return _open_for_score_rules(response, list(rules))


def _open_for_score_rules(response: Response, rules: list[CaseRule]) -> list[Case]:
    opened = []
    for rule in rules:
        reason = score_reason(rule, response)
        if reason is None:
            continue
        subject = _("%(reason)s in “%(survey)s”") % {"reason": reason,
                                                     "survey": response.survey.name}
        case = _open_for_rule(rule, response, subject=subject, reason=reason)
        if case is not None:
            opened.append(case)
    return opened


def open_cases_for_text(*, response_pk: int) -> list[Case]:
    """Open a case for each active negative-text rule whose response has a written
    answer analysed as negative. Run after the answers are analysed; safe to run
    twice and concurrently."""
    response = _completed(response_pk)
    if response is None:
        return []
    rules = list(rules_for_survey(response.survey_id, text=True)
                 .select_related("default_assignee", "followup_survey"))
    if not rules:
        return []
    answers = list(survey_results.text_answers(response_pk=response.pk))
    analyses = feedback_selectors.analyses_by_answer(a.pk for a in answers)
    negative = [analyses[a.pk] for a in answers
                if a.pk in analyses and analyses[a.pk].sentiment == "negative"]
    if not negative:
        return []
    text = negative[0].masked_text
    short = text if len(text) <= SUMMARY_LENGTH else text[:SUMMARY_LENGTH - 1] + "…"
    subject = _("Negative comment in “%(survey)s”") % {"survey": response.survey.name}
    reason = _("Negative comment: %(text)s") % {"text": short}
    opened = []
    for rule in rules:
        case = _open_for_rule(rule, response, subject=subject, reason=reason)
        if case is not None:
            opened.append(case)
    return opened


def review_reason(item: FeedbackItem) -> str | None:
    """Why a hub item counts as negative (analysed so, or rated 2 of 5 or lower), or None."""
    analysis = getattr(item, "analysis", None)
    low = (item.rating is not None and item.rating_scale
           and float(item.rating) <= LOW_RATING_SHARE * item.rating_scale)
    if low:
        return _("rated %(rating)s of %(scale)d") % {"rating": f"{item.rating.normalize():f}",
                                                      "scale": item.rating_scale}
    if analysis is not None and analysis.sentiment == "negative":
        return _("written negatively")
    return None


def open_cases_for_items(*, item_pks: list[int]) -> list[Case]:
    """Open a case for each active negative-review rule and each analysed hub item
    (review, post, conversation...) that is negative. Run after the items are
    analysed; safe to run twice and concurrently."""
    rules = list(CaseRule.objects.filter(active=True, condition=Condition.NEGATIVE_REVIEW)
                 .select_related("default_assignee", "followup_survey"))
    if not rules or not item_pks:
        return []
    opened = []
    items = (FeedbackItem.objects.filter(pk__in=item_pks, analysis__isnull=False)
             .select_related("analysis").order_by("pk"))
    for item in items:
        why = review_reason(item)
        if why is None:
            continue
        text = item.analysis.masked_text
        short = text if len(text) <= SUMMARY_LENGTH else text[:SUMMARY_LENGTH - 1] + "…"
        where = item.channel or item.get_source_display()
        subject = _("%(source)s on %(channel)s: %(why)s") % {
            "source": item.get_source_display(), "channel": where, "why": why}
        reason = _("%(why)s: %(text)s") % {"why": why, "text": short}
        for rule in rules:
            case = _open_for_rule(rule, None, subject=subject, reason=reason, item=item)
            if case is not None:
                opened.append(case)
    return opened


def _open_for_rule(rule: CaseRule, response: Response | None, *, subject: str,
                   reason: str, item: FeedbackItem | None = None) -> Case | None:
    if item is not None:
        if Case.objects.filter(feedback_item=item, rule=rule).exists():
            return None
    elif Case.objects.filter(response=response, rule=rule).exists():
        return None
    now = timezone.now()
    assignee = rule.default_assignee
    if assignee is not None and not (assignee.is_active and assignee.has_perm("cases.work")):
        assignee = None
    try:
        with transaction.atomic():
            case = Case.objects.create(
                customer_id=item.customer_id if item is not None else response.customer_id,
                source=Source.FEEDBACK_ITEM if item is not None else Source.SURVEY_RESPONSE,
                response=response, feedback_item=item, rule=rule, subject=subject[:200],
                reason=reason,
                priority=rule.priority, assignee=assignee,
                due_at=sla.due_at(rule.priority, now), followup_survey=rule.followup_survey)
            record_event(case, kind=EventKind.CREATED, actor=SYSTEM, new=Status.NEW,
                         detail=_("Rule “%(rule)s”: %(reason)s")
                         % {"rule": rule.name, "reason": reason})
            if assignee is not None:
                record_event(case, kind=EventKind.ASSIGNED, actor=SYSTEM, new=assignee.email)
            publish_created(case)
    except IntegrityError:
        # Another run opened this rule's case for the response or item first; it stands.
        return None
    return case


def overdue_cases(now: datetime) -> QuerySet[Case]:
    return Case.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now)


def escalate_overdue_cases(*, now: datetime | None = None,
                           limit: int = ESCALATION_BATCH) -> list[int]:
    """Mark open cases past their due time as escalated, each in its own short
    transaction with a history row. Returns the ids escalated now (a case is
    escalated once until its due time moves). Safe to run twice and concurrently.
    """
    now = now or timezone.now()
    pks = list(overdue_cases(now).filter(escalated_at__isnull=True)
               .order_by("due_at", "pk").values_list("pk", flat=True)[:limit])
    escalated = []
    for pk in pks:
        with transaction.atomic():
            case = (overdue_cases(now).filter(pk=pk, escalated_at__isnull=True)
                    .select_for_update().first())
            if case is None:
                continue
            case.escalated_at = now
            case.save(update_fields=["escalated_at", "updated_at"])
            record_event(case, kind=EventKind.ESCALATED, actor=SYSTEM,
                         new=case.due_at.isoformat(),
                         detail=_("Due %(due)s, not resolved.")
                         % {"due": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")})
        escalated.append(pk)
    return escalated



def due_followups(now: datetime) -> QuerySet[Case]:
    return Case.objects.filter(followup_at__lte=now, followup_sent_at__isnull=True,
                               status__in=[Status.RESOLVED, Status.CLOSED])


def send_due_followups(*, now: datetime | None = None,
                       limit: int = ESCALATION_BATCH) -> list[int]:
    """Invite the customers of resolved cases whose follow-up is due to the case's
    follow-up survey, each case in its own transaction with a history row saying
    whether the invitation went out (or why not: contact-frequency rule, no
    address or consent, survey closed). Returns the ids handled now; a case is
    handled once per resolution. Safe to run twice and concurrently.
    """
    now = now or timezone.now()
    pks = list(due_followups(now).order_by("followup_at", "pk")
               .values_list("pk", flat=True)[:limit])
    handled = []
    for pk in pks:
        with transaction.atomic():
            case = (due_followups(now).filter(pk=pk).select_for_update(of=("self",))
                    .select_related("customer", "followup_survey").first())
            if case is None:
                continue
            detail = _invite_to_followup(case, now)
            case.followup_sent_at = now
            case.save(update_fields=["followup_sent_at", "updated_at"])
            record_event(case, kind=EventKind.FOLLOWUP, actor=SYSTEM,
                         new=case.followup_survey.name if case.followup_survey else "",
                         detail=detail)
        handled.append(pk)
    return handled


def _invite_to_followup(case: Case, now: datetime) -> str:
    if case.customer is None or case.followup_survey is None:
        return _("No customer or no follow-up survey: nothing was sent.")
    channel = "email" if case.customer.email else "sms"
    try:
        with transaction.atomic():
            result = invite_customers(
                actor=SYSTEM, survey=case.followup_survey,
                customers=Customer.objects.filter(pk=case.customer_id), channel=channel,
                wave=f"case-followup:{case.pk}:{case.reopened_count}", now=now)
    except DomainError as error:
        return _("Not sent: %(reason)s") % {"reason": error.message}
    if result.invited:
        return _("Invited by %(channel)s.") % {"channel": channel}
    reasons = ", ".join(sorted(result.skipped)) or "-"
    return _("Not sent: %(reason)s") % {"reason": reasons}
