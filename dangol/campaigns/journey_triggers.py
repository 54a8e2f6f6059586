"""Finding the customers a journey's trigger calls for, in SQL, a chunk at a time.

Daily triggers (birthday, after an order, win-back) are scanned by the periodic
job; each scan walks the customers it finds in primary-key order, ``CHUNK_SIZE``
at a time, and each chunk is entered in one transaction. Nothing loads every
customer into Python: the dates are compared in the database. A day the job did
not run is caught up (``CATCH_UP_DAYS``), and occasions already recorded add
nothing, so the job may run as often as wanted.

Detractor apologies start from the survey's ``response_completed`` signal after
commit; the scan also catches up completed responses of the last days that have
no entry (a worker that stopped, an ad held for the daytime).
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from dangol.campaigns.journey_models import Journey, JourneyEntry, Trigger
from dangol.campaigns.journeys import CHUNK_SIZE, EnterResult, enter_customers, local_midnight
from dangol.customers.models import Customer, Order, OrderStatus
from dangol.surveys.models import Response

logger = logging.getLogger(__name__)

CATCH_UP_DAYS = 2
Candidates = list[tuple[int, str]]
# A scan's chunk: (customer id, occasion) pairs, and the cursor of the next chunk (None
# when this was the last).
Chunk = tuple[Candidates, int | None]


def _not_quiet(journey: Journey, now: datetime) -> Exists:
    """Customers who entered the journey within its quiet period (to exclude)."""
    return Exists(JourneyEntry.objects.filter(
        journey=journey, customer_id=OuterRef("pk"),
        at__gt=now - timedelta(days=journey.reentry_days),
    ).exclude(outcome=JourneyEntry.Outcome.SKIPPED))


def birthday_targets(journey: Journey, today: date) -> list[date]:
    """The birthdays (this or next year) whose message is due today, late ones included
    as long as the birthday has not passed."""
    targets = [today + timedelta(days=journey.days - back) for back in range(CATCH_UP_DAYS + 1)]
    return [t for t in targets if t >= today]


def _chunk(found: Candidates, limit: int) -> Chunk:
    return found, (found[-1][0] if len(found) == limit else None)


def birthday_candidates(journey: Journey, now: datetime, after: int, limit: int) -> Chunk:
    today = timezone.localdate(now)
    by_day: dict[tuple[int, int], int] = {}
    for target in birthday_targets(journey, today):
        by_day[(target.month, target.day)] = target.year
        # Born on 29 February: celebrated on the 28th in other years.
        if (target.month, target.day) == (2, 28) and not calendar.isleap(target.year):
            by_day[(2, 29)] = target.year
    if not by_day:
        return [], None
    match = Q()
    for month, day in by_day:
        match |= Q(birthday__month=month, birthday__day=day)
    occasions = {f"birthday:{year}" for year in by_day.values()}
    rows = (Customer.objects.filter(match, pk__gt=after)
            .exclude(_not_quiet(journey, now))
            .exclude(Exists(JourneyEntry.objects.filter(
                journey=journey, customer_id=OuterRef("pk"), occasion__in=occasions)))
            .order_by("pk").values_list("pk", "birthday")[:limit])
    return _chunk([(pk, f"birthday:{by_day[(born.month, born.day)]}") for pk, born in rows
                   if born is not None], limit)


def post_purchase_candidates(journey: Journey, now: datetime, after: int,
                             limit: int) -> Chunk:
    """Customers with an order placed ``days`` days ago (local date), with their latest
    such order. Driven by the orders of those days (their ``ordered_at`` index), so the
    cost follows the day's orders, not the number of customers."""
    today = timezone.localdate(now)
    start = local_midnight(today - timedelta(days=journey.days + CATCH_UP_DAYS))
    end = min(local_midnight(today - timedelta(days=journey.days - 1)), now)
    quiet = Exists(JourneyEntry.objects.filter(
        journey=journey, customer_id=OuterRef("customer_id"),
        at__gt=now - timedelta(days=journey.reentry_days),
    ).exclude(outcome=JourneyEntry.Outcome.SKIPPED))
    rows = (Order.objects.filter(status=OrderStatus.PLACED, ordered_at__gte=start,
                                 ordered_at__lt=end, customer_id__gt=after)
            .exclude(quiet)
            .values("customer_id").annotate(order_pk=Max("pk"))
            .order_by("customer_id").values_list("customer_id", "order_pk")[:limit])
    return _chunk([(pk, f"order:{order_pk}") for pk, order_pk in rows], limit)


def win_back_candidates(journey: Journey, now: datetime, after: int, limit: int) -> Chunk:
    """Customers drifting away: a probability still active below the threshold (from
    the nightly scoring), or no order for ``days`` days. One entry per lapse: a
    customer enters again only after ordering since their last entry."""
    last_order = Subquery(Order.objects.filter(
        customer_id=OuterRef("pk"), status=OrderStatus.PLACED,
    ).order_by("-ordered_at").values("ordered_at")[:1])
    customers = Customer.objects.filter(pk__gt=after).annotate(last_order=last_order)
    if journey.p_alive_below is not None:
        customers = customers.filter(score__p_alive__lt=journey.p_alive_below)
    else:
        customers = customers.filter(last_order__lte=now - timedelta(days=journey.days))
    rows = (customers.filter(last_order__isnull=False)
            .exclude(_not_quiet(journey, now))
            .exclude(Exists(JourneyEntry.objects.filter(
                journey=journey, customer_id=OuterRef("pk"), at__gte=OuterRef("last_order"))))
            .order_by("pk").values_list("pk", "last_order")[:limit])
    return _chunk([(pk, f"lapse:{timezone.localdate(last).isoformat()}") for pk, last in rows],
                  limit)


def detractor_score(response: Response, nps_at_most: int) -> int | None:
    """The response's lowest NPS answer if it is at most ``nps_at_most``, else None."""
    types = {q.get("key"): q.get("type")
             for q in (response.version.definition or {}).get("questions", [])}
    scores = [value for key, value in response.answers.items()
              if types.get(key) == "nps" and isinstance(value, int)
              and not isinstance(value, bool)]
    if not scores or min(scores) > nps_at_most:
        return None
    return min(scores)


def detractor_candidates(journey: Journey, now: datetime, after: int,
                         limit: int) -> Chunk:
    """Completed responses of the last days by detractors, not yet entered (catch-up)."""
    responses = Response.objects.filter(
        status=Response.Status.COMPLETED, customer__isnull=False, pk__gt=after,
        completed_at__gte=now - timedelta(days=CATCH_UP_DAYS + 1))
    if journey.survey_id is not None:
        responses = responses.filter(survey_id=journey.survey_id)
    found: Candidates = []
    batch = list(responses.select_related("version").order_by("pk")[:limit])
    done = set(JourneyEntry.objects.filter(
        journey=journey, occasion__in=[f"response:{r.pk}" for r in batch],
    ).values_list("occasion", flat=True))
    for response in batch:
        occasion = f"response:{response.pk}"
        if response.customer_id is not None and occasion not in done and detractor_score(
                response, journey.nps_at_most) is not None:
            found.append((response.customer_id, occasion))
    # The cursor walks responses here, not customers.
    return found, (batch[-1].pk if len(batch) == limit else None)


SCANS: dict[str, Callable[[Journey, datetime, int, int], Chunk]] = {
    Trigger.BIRTHDAY: birthday_candidates,
    Trigger.POST_PURCHASE: post_purchase_candidates,
    Trigger.WIN_BACK: win_back_candidates,
    Trigger.DETRACTOR: detractor_candidates,
}


def scan_journey(*, journey_id: int, now: datetime | None = None,
                 chunk_size: int = CHUNK_SIZE) -> EnterResult:
    """Enter every customer the journey's trigger calls for now, chunk by chunk.

    Safe to run twice or at the same time as another scan of the journey: each
    chunk is entered under the journey's row lock and recorded occasions add
    nothing. Returns what the scan did.
    """
    now = now or timezone.now()
    result = EnterResult()
    journey = Journey.objects.filter(pk=journey_id, active=True).first()
    if journey is None:
        return result
    scan = SCANS[journey.trigger]
    after: int | None = 0
    while after is not None:
        found, after = scan(journey, now, after, chunk_size)
        if found:
            result.add(enter_customers(journey_id=journey.pk, candidates=found, now=now))
    Journey.objects.filter(pk=journey.pk).update(
        last_scan_at=now, last_scan_entered=result.entered, last_scan_held=result.held)
    return result


def active_journey_ids() -> list[int]:
    return list(Journey.objects.filter(active=True).order_by("pk")
                .values_list("pk", flat=True))


def enter_detractor(*, response_pk: int, now: datetime | None = None) -> EnterResult:
    """Enter the customer of a completed response into each active detractor journey
    whose survey and score it meets. Safe to run twice (one entry per response)."""
    now = now or timezone.now()
    result = EnterResult()
    response = Response.objects.select_related("version").filter(
        pk=response_pk, status=Response.Status.COMPLETED, customer__isnull=False).first()
    if response is None or response.customer_id is None:
        return result
    journeys = Journey.objects.filter(active=True, trigger=Trigger.DETRACTOR).filter(
        Q(survey__isnull=True) | Q(survey_id=response.survey_id)).order_by("pk")
    for journey in journeys:
        if detractor_score(response, journey.nps_at_most) is None:
            continue
        result.add(enter_customers(journey_id=journey.pk, now=now, candidates=[
            (response.customer_id, f"response:{response.pk}")]))
    return result


def any_active_detractor_journey() -> bool:
    """Whether a survey completion has anything to do here; runs inside every survey
    submission, so plain SQL (compiling the ORM query would cost more than running it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM campaigns_journey WHERE active AND trigger = %s LIMIT 1",
                       [Trigger.DETRACTOR.value])
        return cursor.fetchone() is not None

