"""Scoring runs: one at a time, the stalled-run check (leases), resume, failures with reasons."""

from datetime import timedelta

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone, translation

from dangol.accounts.actors import SYSTEM, Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.core.errors import PermissionDenied
from dangol.customers.models import Order
from dangol.segments.models import CustomerScore, ScoringChunk, ScoringRun, Segment
from dangol.segments.selectors import explain_run, get_scoring_run, scoring_run_facts
from dangol.segments.services import (
    ScoringAlreadyRunning,
    create_segment,
    reclaim_stalled_work,
    resume_scoring,
    score_customers,
    start_scoring,
)
from dangol.segments.services.scoring_runs import claim_chunk
from dangol.segments.tasks import score_customers_task
from tests.conftest import make_staff
from tests.segments.test_scoring import AS_OF, population
from tests.segments.test_scoring_chunks import _allow_writes, _fail_writes_of, scores

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lease(settings):
    settings.SCORING_LEASE_SECONDS = 600
    settings.SCORING_MAX_ATTEMPTS = 3
    return timedelta(seconds=600)


def recent_population() -> None:
    """The test population, with its purchases moved up to now (runs started on demand
    score as of now)."""
    population()
    Order.objects.update(ordered_at=F("ordered_at") + (timezone.now() - AS_OF))


def expire_claim(chunk: ScoringChunk, lease: timedelta) -> None:
    """The worker that claimed ``chunk`` died: no renewal for longer than the lease."""
    past = timezone.now() - lease - timedelta(minutes=1)
    ScoringChunk.objects.filter(pk=chunk.pk).update(claimed_at=past)
    ScoringRun.objects.filter(pk=chunk.run_id).update(heartbeat_at=past)


def test_a_second_run_cannot_start_while_one_is_running(django_capture_on_commit_callbacks):
    population()
    with django_capture_on_commit_callbacks() as queued:
        first = score_customers(as_of=AS_OF, split=True, chunk_size=20)
    assert first.status == ScoringRun.Status.RUNNING

    with pytest.raises(ScoringAlreadyRunning) as refused:
        score_customers(as_of=AS_OF, split=False)
    assert (refused.value.code, refused.value.status, refused.value.running_id) == (
        "scoring_running", 409, first.run_id)
    with translation.override("en"):
        assert f"Scoring run {first.run_id} is still running" in str(
            ScoringAlreadyRunning(ScoringRun.objects.get(pk=first.run_id)).message)
    with pytest.raises(CommandError, match=str(first.run_id)):
        call_command("score")
    # The nightly schedule skips, saying why, instead of failing.
    assert score_customers_task() == {"skipped": "scoring_running",
                                      "running_run_id": first.run_id}
    assert ScoringRun.objects.count() == 1 and not CustomerScore.objects.exists()

    for send in queued:
        send()
    assert ScoringRun.objects.get(pk=first.run_id).status == ScoringRun.Status.DONE
    assert score_customers(as_of=AS_OF, split=False).status == ScoringRun.Status.DONE


def test_a_chunk_whose_worker_died_is_queued_again_and_finished(
        django_capture_on_commit_callbacks, lease):
    population()
    score_customers(as_of=AS_OF, split=False)
    expected = scores()
    with django_capture_on_commit_callbacks() as queued:
        result = score_customers(as_of=AS_OF, split=True, chunk_size=20)
    first = ScoringChunk.objects.filter(run_id=result.run_id).order_by("first_pk").first()
    # A worker took the first chunk's message, claimed it and died; the others finish.
    assert claim_chunk(run_id=result.run_id, first_pk=first.first_pk, last_pk=first.last_pk)
    for send in queued[1:]:
        send()
    assert reclaim_stalled_work().chunks_requeued == []  # the claim is still fresh
    expire_claim(first, lease)

    with django_capture_on_commit_callbacks(execute=True) as requeued:
        report = reclaim_stalled_work()

    assert report.chunks_requeued == [first.pk]
    assert len(requeued) == 2  # the chunk, then the recount of saved segments
    run = ScoringRun.objects.get(pk=result.run_id)
    assert run.status == ScoringRun.Status.DONE, run.error
    first.refresh_from_db()
    assert (first.status, first.attempts) == (ScoringChunk.Status.DONE, 2)
    assert scores() == expected


def test_a_chunk_whose_worker_dies_every_time_fails_the_run_with_the_reason(
        django_capture_on_commit_callbacks, lease):
    population()
    with django_capture_on_commit_callbacks() as queued:
        result = score_customers(as_of=AS_OF, split=True, chunk_size=20)
    for send in queued[1:]:
        send()
    chunk = ScoringChunk.objects.filter(run_id=result.run_id).order_by("first_pk").first()

    for attempt in (1, 2, 3):
        assert claim_chunk(run_id=result.run_id, first_pk=chunk.first_pk, last_pk=chunk.last_pk)
        expire_claim(chunk, lease)
        with django_capture_on_commit_callbacks() as requeued:
            report = reclaim_stalled_work()
        if attempt < 3:
            assert (report.chunks_requeued, len(requeued)) == ([chunk.pk], 1)

    assert (report.runs_failed, requeued) == ([result.run_id], [])
    run = ScoringRun.objects.get(pk=result.run_id)
    assert (run.status, run.error_code) == (ScoringRun.Status.FAILED,
                                            ScoringRun.ErrorCode.WORKER_LOST)
    assert f"customers {chunk.first_pk}-{chunk.last_pk}" in run.error
    assert "3 times" in run.error and run.finished_at is not None
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (ScoringChunk.Status.FAILED, 3)
    with translation.override("en"):
        assert "A worker stopped 3 times" in explain_run(run)
    # The failed run no longer blocks scoring; resuming it finishes it with the same plan.
    admin = make_staff(Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        _run, queued_again = resume_scoring(actor=Actor(user=admin), run_id=run.pk)
    assert queued_again == 1
    run.refresh_from_db()
    assert (run.status, run.error_code, run.error) == (ScoringRun.Status.DONE, "", "")
    assert AuditEntry.objects.filter(action="scoring.resume", object_id=str(run.pk),
                                     actor_label=admin.email).exists()


def test_a_run_no_worker_takes_is_queued_again_then_marked_stalled(
        django_capture_on_commit_callbacks, lease):
    recent_population()
    with django_capture_on_commit_callbacks() as lost:
        run = start_scoring(actor=SYSTEM)
    assert len(lost) == 1  # the message that no worker ever takes
    assert reclaim_stalled_work().runs_requeued == []
    now = timezone.now()

    for attempt in (1, 2, 3):
        now += lease + timedelta(seconds=1)
        with django_capture_on_commit_callbacks() as requeued:
            report = reclaim_stalled_work(now=now)
        assert (report.runs_requeued, len(requeued)) == ([run.pk], 1), attempt
    now += lease + timedelta(seconds=1)
    report = reclaim_stalled_work(now=now)

    assert report.runs_stalled == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.error_code, run.requeues) == (
        ScoringRun.Status.STALLED, ScoringRun.ErrorCode.NO_WORKER, 3)
    assert explain_run(run)
    # A late message of the stalled run does nothing; a new run may start.
    requeued[0]()
    assert ScoringRun.objects.get(pk=run.pk).status == ScoringRun.Status.STALLED
    with django_capture_on_commit_callbacks(execute=True):
        fresh = start_scoring(actor=SYSTEM)
    assert ScoringRun.objects.get(pk=fresh.pk).status == ScoringRun.Status.DONE
    # Resuming the stalled run while another is running is refused too.
    with django_capture_on_commit_callbacks():
        other = start_scoring(actor=SYSTEM)
    with pytest.raises(ScoringAlreadyRunning) as refused:
        resume_scoring(actor=SYSTEM, run_id=run.pk)
    assert refused.value.running_id == other.pk
    assert ScoringRun.objects.get(pk=run.pk).status == ScoringRun.Status.STALLED


def test_a_live_claim_keeps_the_run_from_being_reclaimed(django_capture_on_commit_callbacks,
                                                          lease):
    population()
    with django_capture_on_commit_callbacks():
        result = score_customers(as_of=AS_OF, split=True, chunk_size=20)
    chunk = ScoringChunk.objects.filter(run_id=result.run_id).order_by("first_pk").first()
    assert claim_chunk(run_id=result.run_id, first_pk=chunk.first_pk, last_pk=chunk.last_pk)
    # A slow chunk: the run has been quiet for longer than the lease, its claim has not.
    ScoringRun.objects.filter(pk=result.run_id).update(
        heartbeat_at=timezone.now() - lease - timedelta(minutes=1))

    report = reclaim_stalled_work()

    assert report.as_dict() == {"chunks_requeued": [], "runs_requeued": [], "runs_failed": [],
                                "runs_stalled": []}
    facts = scoring_run_facts(get_scoring_run(result.run_id))
    assert facts["idle_seconds"] > 600 and facts["explanation"]


def test_a_run_started_on_demand_is_scored_by_the_worker_task(
        django_capture_on_commit_callbacks):
    recent_population()
    admin = make_staff(Role.ADMIN)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        run = start_scoring(actor=Actor(user=admin, ip="10.0.0.7"))

    assert len(queued) == 2  # the run, then the recount of saved segments
    run.refresh_from_db()
    assert (run.status, run.mode, run.customers, run.started_by) == (
        ScoringRun.Status.DONE, ScoringRun.Mode.IN_PROCESS, 52, admin.email)
    assert run.plan["purchase_model"]["log_likelihood"] < 0
    assert CustomerScore.objects.filter(scored_at=run.scored_at).count() == 52
    entry = AuditEntry.objects.get(action="scoring.start")
    assert (entry.object_id, entry.actor_user, entry.ip) == (str(run.pk), admin, "10.0.0.7")
    # The same message delivered twice does nothing the second time.
    assert score_customers_task(run_id=run.pk)["status"] == ScoringRun.Status.DONE
    assert ScoringRun.objects.count() == 1


def test_a_failing_run_is_marked_failed_with_the_reason_and_blocks_nothing():
    population()
    score_customers(as_of=AS_OF, split=False)
    ids = sorted(scores())
    _fail_writes_of(ids[0], ids[5])

    with pytest.raises(Exception, match="No space left on device"):
        score_customers(as_of=AS_OF, split=False)

    run = ScoringRun.objects.order_by("-pk").first()
    assert (run.status, run.error_code) == (ScoringRun.Status.FAILED,
                                            ScoringRun.ErrorCode.RUN_ERROR)
    assert "No space left on device" in run.error and run.finished_at is not None
    _allow_writes()
    assert score_customers(as_of=AS_OF, split=False).status == ScoringRun.Status.DONE


def test_only_roles_allowed_to_run_scoring_can_start_it():
    with pytest.raises(PermissionDenied, match=r"segments\.run_scoring"):
        start_scoring(actor=Actor(user=make_staff(Role.ANALYST)))
    assert not ScoringRun.objects.exists()


def test_scoring_long_after_the_last_purchases_still_predicts_everyone():
    population()
    # Scored long after the last purchases, the fitted a and b are extreme; the
    # expectations then use the fixed-dropout form and stay finite.
    result = score_customers(as_of=AS_OF + timedelta(days=511), split=False)

    run = ScoringRun.objects.get(pk=result.run_id)
    assert run.status == ScoringRun.Status.DONE and result.customers_scored == 52
    assert run.non_finite_predictions == 0
    assert not CustomerScore.objects.filter(expected_purchases_90d__isnull=True).exists()


def test_predictions_the_models_cannot_evaluate_are_stored_as_unknown_not_a_failed_run(
        monkeypatch):
    from dangol.stats.bgnbd import BGNBDParams

    population()
    monkeypatch.setattr(BGNBDParams, "if_alive_on_pairs",
                        lambda self, t, x, age: np.full(np.shape(x), np.nan))
    result = score_customers(as_of=AS_OF, split=False)

    run = ScoringRun.objects.get(pk=result.run_id)
    assert run.status == ScoringRun.Status.DONE and result.customers_scored == 52
    unknown = CustomerScore.objects.filter(expected_purchases_90d__isnull=True).count()
    assert unknown == run.non_finite_predictions == 52
    assert not CustomerScore.objects.filter(p_alive__isnull=True).exists()


def test_saved_segments_are_recounted_once_a_run_is_done(django_capture_on_commit_callbacks):
    population()
    champions = create_segment(actor=SYSTEM, name="Champions", description="",
                               definition={"match": "all", "rules": [
                                   {"field": "rfm_segment", "op": "eq", "value": "champions"}]})
    assert Segment.objects.get(pk=champions.pk).member_count == 0  # nobody is scored yet

    with django_capture_on_commit_callbacks(execute=True):
        result = score_customers(as_of=AS_OF, split=True, chunk_size=20)

    assert result.segments["champions"] > 0
    assert Segment.objects.get(pk=champions.pk).member_count == result.segments["champions"]
