"""``dangol score [--as-of DATE] [--workers [--chunk-size N] [--no-wait]]``: score every
customer and print a summary. ``dangol score --resume RUN`` queues again the chunks of
a run that failed (or whose tasks were lost) that are not done.

Without ``--workers`` the scoring runs in this process. With it, this process
reads and fits, then the Celery workers score the customers in chunks; the
command waits for the run to finish (unless ``--no-wait``) and prints progress.
"""

from __future__ import annotations

import time as clock
from argparse import ArgumentParser
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from dangol.segments.models import ScoringRun
from dangol.segments.services import (
    ScoringAlreadyRunning,
    ScoringResult,
    chunks_done,
    result_of,
    resume_run,
    score_customers,
)
from dangol.segments.services.scoring import CHUNK_SIZE
from dangol.stats import BGNBDParams

NO_WORKER_HINT_AFTER = 30.0  # seconds without any chunk taken before saying so


class Command(BaseCommand):
    help = "Score every customer: RFM segments, probability alive, 12-month value, churn risk."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--as-of", help="score as of this date or date-time (default: now)")
        parser.add_argument("--workers", action="store_true",
                            help="score in chunks on the Celery workers")
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE,
                            help=f"customers per chunk with --workers (default {CHUNK_SIZE})")
        parser.add_argument("--no-wait", action="store_true",
                            help="with --workers, return once the chunks are queued")
        parser.add_argument("--resume", type=int, metavar="RUN",
                            help="queue again the chunks of this run that are not done")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _as_of(options["as_of"]) if options["as_of"] else None
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        started = clock.perf_counter()
        if options["resume"] is not None:
            run = ScoringRun.objects.filter(pk=options["resume"]).first()
            if run is None:
                raise CommandError(f"--resume: there is no scoring run {options['resume']}")
            try:
                queued = resume_run(run_id=run.pk)
            except ScoringAlreadyRunning as refused:
                raise CommandError(str(refused.message)) from None
            self.stdout.write(f"Run {run.pk}: {queued} chunks queued again")
            result = result_of(run)
            if not options["no_wait"]:
                self._summary(self._wait(result, started))
            return
        try:
            result = score_customers(as_of=as_of, split=bool(options["workers"]),
                                     chunk_size=options["chunk_size"],
                                     started_by="command line")
        except ScoringAlreadyRunning as refused:
            raise CommandError(str(refused.message)) from None
        if result.status == ScoringRun.Status.RUNNING:
            self.stdout.write(f"Run {result.run_id}: {result.customers_scored} customers in "
                              f"{result.chunks} chunks queued for the workers")
            if options["no_wait"]:
                return
            result = self._wait(result, started)
        self._summary(result)

    def _wait(self, result: ScoringResult, started: float) -> ScoringResult:
        shown = -1
        waiting_since = clock.perf_counter()
        warned = False
        while True:
            run = ScoringRun.objects.get(pk=result.run_id)
            done = chunks_done(run_id=run.pk)
            if done != shown:
                self.stdout.write(f"  {done}/{run.chunks} chunks done")
                shown = done
            if (not warned and clock.perf_counter() - waiting_since > NO_WORKER_HINT_AFTER
                    and not run.chunk_set.filter(claimed_at__isnull=False).exists()):
                warned = True
                self.stderr.write(self.style.WARNING(
                    f"No worker has taken a chunk of run {run.pk} yet. Is a worker running "
                    "(`dangol run`, or `celery -A dangol.config worker`)? Still waiting; "
                    f"Ctrl-C stops waiting, `dangol score --resume {run.pk}` picks it up later."))
            if run.status in {ScoringRun.Status.FAILED, ScoringRun.Status.STALLED}:
                raise CommandError(f"scoring run {run.pk} {run.status}: {run.error}")
            if run.status == ScoringRun.Status.DONE:
                return result_of(run, seconds=clock.perf_counter() - started)
            clock.sleep(0.5)

    def _summary(self, result: ScoringResult) -> None:
        write = self.stdout.write
        as_of = timezone.localtime(result.as_of)
        write(f"Scored {result.customers_scored} customers as of {as_of:%Y-%m-%d %H:%M} "
              f"({result.repeat_buyers} repeat buyers) in {result.seconds:.2f} s")
        if result.scores_deleted:
            write(f"Removed {result.scores_deleted} scores of customers without purchases")
        for segment, count in result.segments.items():
            write(f"  {segment:<20} {count}")
        if result.purchase_model:
            values = result.purchase_model["params"]
            params = ", ".join(f"{k}={values[k]:.4g}" for k in BGNBDParams.names)
            write(f"BG/NBD: {params}")
        if result.non_finite_predictions:
            write(self.style.WARNING(
                f"{result.non_finite_predictions} customers have predictions the model could "
                "not evaluate; they are stored as unknown"))
        reasons = dict.fromkeys(
            r for r in (result.prediction_skipped_reason, result.value_skipped_reason) if r
        )
        for reason in reasons:
            write(self.style.WARNING(reason))


def _as_of(text: str) -> datetime:
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"--as-of must be a date or date-time, not {text!r}")
        moment = datetime.combine(day, time.max)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
