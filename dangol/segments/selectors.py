"""Reads of customer scores, saved segments and scoring runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dangol.core.errors import NotFound
from dangol.customers.models import Customer, Product
from dangol.loyalty.models import Tier
from dangol.segments.compiler import Context, compile_group
from dangol.segments.models import CustomerScore, ScoringChunk, ScoringRun, Segment
from dangol.segments.rules import Group, parse_definition


def find_score(customer_id: int) -> CustomerScore | None:
    """The customer's latest score, or None when the customer has not been scored."""
    return CustomerScore.objects.filter(customer_id=customer_id).first()


def explain_score(score: CustomerScore) -> str:
    """One plain-language sentence in the active language, e.g.
    "bought 7 times, last 120 days ago — 35 % likely still active"."""
    days = max((timezone.localdate() - timezone.localdate(score.last_order_at)).days, 0)
    values = {"count": score.order_count, "days": days}
    if score.p_alive is None:
        return ngettext(
            "bought %(count)d time, last %(days)d days ago",
            "bought %(count)d times, last %(days)d days ago",
            score.order_count,
        ) % values
    values["percent"] = round(100 * score.p_alive)
    return ngettext(
        "bought %(count)d time, last %(days)d days ago — %(percent)d %% likely still active",
        "bought %(count)d times, last %(days)d days ago — %(percent)d %% likely still active",
        score.order_count,
    ) % values


def customer_pks_in_rfm_segment(segment: str) -> QuerySet[CustomerScore, int]:
    """Primary keys of the customers whose latest score puts them in RFM ``segment``."""
    return CustomerScore.objects.filter(rfm_segment=segment).values_list("customer_id",
                                                                         flat=True)


# --- saved segments -----------------------------------------------------------------


def customers_matching(definition: Any | Group, *,
                       context: Context | None = None) -> QuerySet[Customer]:
    """Customers that ``definition`` selects, as one lazy query.

    Raises ValidationFailed naming each bad rule (``rules.2.value``).
    """
    group = definition if isinstance(definition, Group) else parse_definition(definition)
    return Customer.objects.filter(compile_group(group, context))


def count_preview(definition: Any) -> int:
    """How many customers ``definition`` selects right now (one COUNT query)."""
    return customers_matching(definition).count()


def segment_customers(segment: Segment) -> QuerySet[Customer]:
    """The customers in ``segment`` now: its rules are run afresh on every call.

    This is what surveys and campaigns use for "send to a segment". Lazy and
    unordered; chain ``.order_by()``/``.iterator()`` as needed.
    """
    return customers_matching(segment.definition)


def list_segments() -> QuerySet[Segment]:
    return Segment.objects.select_related("created_by").order_by("name")


def find_segment(pk: int) -> Segment | None:
    return Segment.objects.select_related("created_by").filter(pk=pk).first()


def get_segment(pk: int) -> Segment:
    """The segment with primary key ``pk``; raises NotFound."""
    segment = find_segment(pk)
    if segment is None:
        raise NotFound(_("No segment with ID %(id)s.") % {"id": pk})
    return segment


def value_suggestions(*, limit: int = 100) -> dict[str, list[str]]:
    """Values the builder offers for fields whose values live in the data:
    product categories and loyalty tier names (a few small, indexed reads)."""
    categories = (Product.objects.exclude(category="").order_by("category")
                  .values_list("category", flat=True).distinct()[:limit])
    tiers = Tier.objects.order_by("rank").values_list("name", flat=True).distinct()[:limit]
    return {"product_category": list(categories), "loyalty_tier": list(dict.fromkeys(tiers))}


# --- scoring runs -----------------------------------------------------------------


def list_scoring_runs() -> QuerySet[ScoringRun]:
    """Scoring runs with ``chunks_done`` counted (newest first); the plan JSON is loaded."""
    return ScoringRun.objects.annotate(
        chunks_done=Count("chunk_set", filter=Q(chunk_set__status=ScoringChunk.Status.DONE))
    ).order_by("-pk")


def get_scoring_run(pk: int) -> ScoringRun:
    """The run with ``chunks_done`` counted; raises NotFound."""
    run = list_scoring_runs().filter(pk=pk).first()
    if run is None:
        raise NotFound(_("No scoring run with ID %(id)s.") % {"id": pk})
    return run


def scoring_run_chunks(run: ScoringRun) -> QuerySet[ScoringChunk]:
    return run.chunk_set.order_by("first_pk")


def run_seconds(run: ScoringRun, *, now: datetime | None = None) -> float:
    """How long the run took, or has been going."""
    end = run.finished_at or now or timezone.now()
    return max((end - run.started_at).total_seconds(), 0.0)


def idle_seconds(run: ScoringRun, *, now: datetime | None = None) -> float | None:
    """For a running run with no sign of work for longer than the lease: for how long
    (the stalled-run check will queue its work again); else None."""
    if run.status != ScoringRun.Status.RUNNING:
        return None
    idle = ((now or timezone.now()) - (run.heartbeat_at or run.started_at)).total_seconds()
    return idle if idle > settings.SCORING_LEASE_SECONDS else None


def explain_run(run: ScoringRun, *, now: datetime | None = None) -> str:
    """What happened to a failed, stalled or idle run and what to do, in the active language;
    empty for a run that is working or done."""
    code = run.error_code
    if code == ScoringRun.ErrorCode.CHUNK_ERROR:
        return _("Scoring a chunk of customers failed (details below). Fix the cause, then "
                 "resume the run: the chunks already done are kept.")
    if code == ScoringRun.ErrorCode.RUN_ERROR:
        return _("Scoring failed (details below): nothing was written. Fix the cause, then "
                 "resume the run.")
    if code == ScoringRun.ErrorCode.WORKER_LOST:
        return _("A worker stopped %(n)d times while scoring the same customers, so the run "
                 "was stopped. Look at the workers' logs (memory, restarts), then resume the "
                 "run.") % {"n": settings.SCORING_MAX_ATTEMPTS}
    if code == ScoringRun.ErrorCode.NO_WORKER:
        return _("Nothing happened on this run for a long time, even after its work was "
                 "queued again: no worker is running, or the workers cannot reach the queue. "
                 "Start a worker (dangol run), then resume the run.")
    if code == ScoringRun.ErrorCode.INTERRUPTED:
        return _("The run was interrupted before it finished. Resume it.")
    idle = idle_seconds(run, now=now)
    if idle is not None:
        return _("No sign of work for %(minutes)d minutes. The stalled-run check queues the "
                 "work again every few minutes; check that a worker is running.") % {
            "minutes": idle // 60}
    return ""


def _started_by_label(started_by: str) -> str:
    if started_by == "schedule":
        return _("nightly schedule")
    if started_by == "command line":
        return _("command line")
    return started_by


def scoring_run_facts(run: ScoringRun, *, now: datetime | None = None) -> dict[str, Any]:
    """A run as the API and the pages show it (``run`` from :func:`list_scoring_runs`)."""
    plan = run.plan or {}
    return {
        "id": run.pk, "status": run.status, "status_label": run.get_status_display(),
        "mode": run.mode, "mode_label": run.get_mode_display() if run.mode else "",
        "started_by": run.started_by, "started_by_label": _started_by_label(run.started_by),
        "started_at": run.started_at,
        "finished_at": run.finished_at, "duration_seconds": run_seconds(run, now=now),
        "as_of": run.as_of, "customers_scored": run.customers,
        "repeat_buyers": run.repeat_buyers, "chunks_total": run.chunks,
        "chunks_done": getattr(run, "chunks_done", 0), "requeues": run.requeues,
        "heartbeat_at": run.heartbeat_at, "idle_seconds": idle_seconds(run, now=now),
        "segments": {k: int(v) for k, v in (run.segments or {}).items()},
        "scores_deleted": run.scores_deleted,
        "non_finite_predictions": run.non_finite_predictions,
        "purchase_model": plan.get("purchase_model"), "spend_model": plan.get("spend_model"),
        "prediction_skipped_reason": plan.get("prediction_skipped_reason"),
        "value_skipped_reason": plan.get("value_skipped_reason"),
        "error_code": run.error_code, "error": run.error,
        "explanation": explain_run(run, now=now),
    }


def nightly_scoring_time() -> str | None:
    """When the nightly scoring starts (``HH:MM``, business time zone), from the schedule;
    None when it is not scheduled."""
    entry = settings.CELERY_BEAT_SCHEDULE.get("score-customers-nightly")
    schedule = entry.get("schedule") if entry else None
    hours, minutes = getattr(schedule, "hour", None), getattr(schedule, "minute", None)
    if not hours or not minutes or len(hours) != 1 or len(minutes) != 1:
        return None
    return f"{min(hours):02d}:{min(minutes):02d}"
