"""Scoring in chunks of customers: the same scores as in one process, safe re-runs, failures."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dangol.customers.models import OrderStatus
from dangol.segments.models import CustomerScore, ScoringChunk, ScoringRun
from dangol.segments.services import score_chunk, score_customers
from dangol.segments.services.scoring_runs import claim_chunk
from dangol.segments.services.summaries import local_days
from tests.conftest import is_postgres
from tests.factories import CustomerFactory
from tests.segments.test_scoring import AS_OF, buy, population

pytestmark = pytest.mark.django_db

VALUES = [f.name for f in CustomerScore._meta.concrete_fields if f.name not in {"id", "scored_at"}]


def scores() -> dict[int, tuple]:
    rows = CustomerScore.objects.order_by("customer_id").values_list("customer_id", *VALUES)
    return {row[0]: row[1:] for row in rows}


def test_scores_in_chunks_equal_scores_in_one_process(django_capture_on_commit_callbacks):
    population()
    single = score_customers(as_of=AS_OF, split=False)
    expected = scores()

    with django_capture_on_commit_callbacks(execute=True) as queued:
        chunked = score_customers(as_of=AS_OF, split=True, chunk_size=7)

    run = ScoringRun.objects.get(pk=chunked.run_id)
    # 52 customers, 7 a chunk; then the recount of saved segments.
    assert (len(queued), run.chunks) == (8 + 1, 8)
    assert run.status == ScoringRun.Status.DONE and run.mode == ScoringRun.Mode.CHUNKED
    assert scores() == expected
    assert set(CustomerScore.objects.values_list("scored_at", flat=True)) == {run.scored_at}
    single_plan = ScoringRun.objects.get(pk=single.run_id).plan
    assert run.plan["cuts"] == single_plan["cuts"]
    for model in ("purchase_model", "spend_model"):
        assert run.plan[model]["params"] == single_plan[model]["params"]
    assert chunked.segments == single.segments
    assert sum(c.customers for c in run.chunk_set.all()) == 52


def test_a_stopped_workers_chunk_runs_again_and_a_done_chunk_is_skipped(
        django_capture_on_commit_callbacks):
    population()
    score_customers(as_of=AS_OF, split=False)
    expected = scores()
    with django_capture_on_commit_callbacks() as queued:
        result = score_customers(as_of=AS_OF, split=True, chunk_size=20)
    first, second = ScoringChunk.objects.filter(run_id=result.run_id).order_by("first_pk")[:2]
    # A worker claimed the second chunk, then stopped before finishing it.
    assert claim_chunk(run_id=result.run_id, first_pk=second.first_pk, last_pk=second.last_pk)

    queued[0]()
    # A duplicate of a chunk already done is skipped; a chunk whose worker stopped runs again.
    assert not score_chunk(run_id=result.run_id, first_pk=first.first_pk, last_pk=first.last_pk)
    assert score_chunk(run_id=result.run_id, first_pk=second.first_pk, last_pk=second.last_pk)
    second.refresh_from_db()
    assert (second.status, second.attempts) == (ScoringChunk.Status.DONE, 2)
    for send in queued[1:]:
        send()

    run = ScoringRun.objects.get(pk=result.run_id)
    assert run.status == ScoringRun.Status.DONE and run.scores_deleted == 0
    assert scores() == expected
    # Once the run is done, a late duplicate of a chunk does nothing.
    assert not score_chunk(run_id=run.pk, first_pk=first.first_pk, last_pk=first.last_pk)


def test_the_run_removes_scores_of_customers_without_purchases(
        django_capture_on_commit_callbacks):
    population()
    gone = CustomerFactory()
    buy(gone, 10)
    score_customers(as_of=AS_OF, split=False)
    gone.orders.update(status=OrderStatus.REFUNDED)

    with django_capture_on_commit_callbacks(execute=True):
        result = score_customers(as_of=AS_OF, split=True, chunk_size=10)

    run = ScoringRun.objects.get(pk=result.run_id)
    assert run.status == ScoringRun.Status.DONE and run.scores_deleted == 1
    assert not CustomerScore.objects.filter(customer=gone).exists()
    assert CustomerScore.objects.count() == 52


def _fail_writes_of(first_pk: int, last_pk: int) -> None:
    """A database that refuses to write these customers' scores, as a full disk would."""
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("CREATE FUNCTION refuse_score() RETURNS trigger AS $$ BEGIN "
                           "RAISE EXCEPTION 'could not extend file: No space left on device'; "
                           "END $$ LANGUAGE plpgsql")
            cursor.execute(
                "CREATE TRIGGER refuse_score BEFORE INSERT OR UPDATE ON segments_customerscore "
                f"FOR EACH ROW WHEN (NEW.customer_id BETWEEN {first_pk} AND {last_pk}) "
                "EXECUTE FUNCTION refuse_score()")
        else:
            for event in ("INSERT", "UPDATE"):
                cursor.execute(
                    f"CREATE TRIGGER refuse_score_{event} BEFORE {event} ON "
                    f"segments_customerscore WHEN NEW.customer_id BETWEEN {first_pk} AND "
                    f"{last_pk} BEGIN SELECT RAISE(ABORT, "
                    "'could not extend file: No space left on device'); END")


def test_a_failing_chunk_fails_the_run_and_leaves_other_scores_as_they_were(
        django_capture_on_commit_callbacks):
    population()
    gone = CustomerFactory()
    buy(gone, 10)
    score_customers(as_of=AS_OF, split=False)
    before = {s.customer_id: s for s in CustomerScore.objects.all()}
    gone.orders.update(status=OrderStatus.CANCELLED)
    ids = sorted(before)
    # Chunks of 10 customers: the second chunk starts at the 11th customer.
    _fail_writes_of(ids[10], ids[19])

    with (pytest.raises(Exception, match="No space left on device"),
          django_capture_on_commit_callbacks(execute=True)):
        result = score_customers(as_of=AS_OF, split=True, chunk_size=10)

    run = ScoringRun.objects.get(mode=ScoringRun.Mode.CHUNKED)
    assert run.status == ScoringRun.Status.FAILED and run.finished_at is not None
    assert f"customers {ids[10]}-" in run.error and "No space left on device" in run.error
    chunks = list(run.chunk_set.order_by("first_pk").values_list("status", flat=True))
    assert chunks[:2] == [ScoringChunk.Status.DONE, ScoringChunk.Status.FAILED]
    after = {s.customer_id: s for s in CustomerScore.objects.all()}
    # The first chunk committed; every other customer keeps the previous score.
    assert {c for c in after if after[c].scored_at == run.scored_at} == set(ids[:10])
    for customer in ids[10:]:
        assert after[customer].scored_at == before[customer].scored_at
        assert after[customer].p_alive == before[customer].p_alive
    # Nothing is deleted by a failed run.
    assert gone.pk in after
    del result


def _allow_writes() -> None:
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("DROP TRIGGER refuse_score ON segments_customerscore")
        else:
            for event in ("INSERT", "UPDATE"):
                cursor.execute(f"DROP TRIGGER refuse_score_{event}")


def test_a_failed_run_resumes_once_the_cause_is_gone(django_capture_on_commit_callbacks):
    population()
    score_customers(as_of=AS_OF, split=False)
    expected = scores()
    ids = sorted(expected)
    _fail_writes_of(ids[10], ids[19])
    with (pytest.raises(Exception, match="No space left on device"),
          django_capture_on_commit_callbacks(execute=True)):
        score_customers(as_of=AS_OF, split=True, chunk_size=10)
    run = ScoringRun.objects.get(mode=ScoringRun.Mode.CHUNKED, status=ScoringRun.Status.FAILED)
    _allow_writes()
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("score", "--resume", str(run.pk), "--no-wait", stdout=out)

    assert f"Run {run.pk}: 5 chunks queued again" in out.getvalue()
    run.refresh_from_db()
    assert (run.status, run.error) == (ScoringRun.Status.DONE, "")
    assert scores() == expected
    assert set(CustomerScore.objects.values_list("scored_at", flat=True)) == {run.scored_at}
    with pytest.raises(CommandError, match="there is no scoring run 0"):
        call_command("score", "--resume", "0")


def test_repeat_spend_leaves_out_the_first_purchase_day():
    customer = CustomerFactory()
    buy(customer, 100, 10000)
    buy(customer, 100.01, 5000)
    buy(customer, 40, 20000)
    buy(customer, 7, 40000)
    one_timer = CustomerFactory()
    buy(one_timer, 3, 12345)

    score_customers(as_of=AS_OF)

    score = CustomerScore.objects.get(customer=customer)
    assert score.frequency == 2 and score.monetary == Decimal("18750")
    assert score.repeat_spend == Decimal("30000")
    assert CustomerScore.objects.get(customer=one_timer).repeat_spend is None


@pytest.mark.parametrize("zone", ["Asia/Seoul", "Europe/Berlin", "America/New_York",
                                  "Australia/Lord_Howe"])
def test_local_days_follow_the_time_zone_through_daylight_saving(zone):
    rng = np.random.default_rng(3)
    start = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
    seconds = np.sort(rng.integers(start, start + 3 * 365 * 86400, size=4000))
    # The hours around the changes of 2024 in Europe and America, minute by minute.
    for change in ("2024-03-31T00:00", "2024-10-27T00:00", "2024-03-10T06:00",
                   "2024-11-03T05:00", "2024-04-06T14:00"):
        moment = int(datetime.fromisoformat(change).replace(tzinfo=UTC).timestamp())
        seconds = np.append(seconds, np.arange(moment, moment + 4 * 3600, 60))
    tz = ZoneInfo(zone)
    epoch = datetime(1970, 1, 1).date()
    expected = [(datetime.fromtimestamp(s, UTC).astimezone(tz).date() - epoch).days
                for s in seconds.tolist()]

    assert local_days(seconds, tz).tolist() == expected


def test_scoring_in_one_process_records_a_run():
    buy(CustomerFactory(), 3)
    later = AS_OF + timedelta(days=1)

    result = score_customers(as_of=later)

    run = ScoringRun.objects.get(pk=result.run_id)
    assert (run.status, run.mode, run.customers, run.chunks) == (
        ScoringRun.Status.DONE, ScoringRun.Mode.IN_PROCESS, 1, 0)
    assert run.as_of == later and run.plan["cuts"]["F"] == [1, 1, 1, 1]


def test_waiting_without_any_worker_says_so(monkeypatch):
    from dangol.segments.management.commands import score as command

    population()
    monkeypatch.setattr(command, "NO_WORKER_HINT_AFTER", 0.0)
    naps = []

    def nap(seconds):  # the tasks are never sent here: no worker can take a chunk
        naps.append(seconds)
        if len(naps) == 2:
            ScoringRun.objects.filter(status=ScoringRun.Status.RUNNING).update(
                status=ScoringRun.Status.FAILED, error="stopped by the test")

    monkeypatch.setattr(command.clock, "sleep", nap)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="stopped by the test"):
        call_command("score", "--workers", "--chunk-size", "10", stdout=out, stderr=err)
    assert "0/6 chunks done" in out.getvalue()
    assert err.getvalue().count("--resume") == 1  # said once, not at every poll
